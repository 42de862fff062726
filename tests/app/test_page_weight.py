"""Pages for a phone on slow mobile data: compressed responses, static files kept a year under
their content hash, public pages a shared cache may keep (and no session cookie on them), the web
app manifest and the icons."""

import gzip
import io
import json
import re

import brotli
import pytest
from PIL import Image

from lms.core.assets import asset_version
from lms.i18n import LOCALE_COOKIE
from tests.fixtures.pages import csrf_token
from tests.fixtures.users import log_in

#: a browser that takes brotli and gzip, as Chromium does
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


def asset_urls(page):
    """The URLs of the style sheets, scripts and icons a page links to."""
    return re.findall(r'(?:href|src)="(/[^"]*\?v=[0-9a-f]+)"', page)


def test_pages_link_their_assets_under_a_content_hash(client, app):
    page = client.get("/courses/").get_data(as_text=True)
    urls = asset_urls(page)
    with app.test_request_context():
        bootstrap = asset_version("css/bootstrap.min.css", "bootstrap.static")
    assert f"/bootstrap/static/css/bootstrap.min.css?v={bootstrap}" in urls
    assert any(url.startswith("/static/css/app.css?v=") for url in urls)
    assert any(url.startswith("/static/js/app.js?v=") for url in urls)
    # Bootstrap's script and Popper are not needed: static/js/app.js opens the menus
    assert "bootstrap.min.js" not in page and "popper" not in page
    assert re.search(r'<script src="/static/js/app\.js\?v=[0-9a-f]+" defer>', page)


def test_an_asset_under_its_hash_is_kept_a_year(client):
    page = client.get("/courses/").get_data(as_text=True)
    for url in asset_urls(page):
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            # no session cookie, and nothing that would make a new login cookie miss the cache
            assert "Set-Cookie" not in response.headers
            assert "Cookie" not in response.headers.get("Vary", "")


@pytest.mark.parametrize(
    "url",
    [
        "/static/css/app.css",
        "/static/css/app.css?v=0123456789",
        "/bootstrap/static/css/bootstrap.min.css?v=deadbeef00",
    ],
    ids=["no-hash", "wrong-hash", "wrong-hash-bootstrap"],
)
def test_an_asset_without_its_current_hash_is_asked_for_again(client, url):
    """An old page after a deploy still gets the file, but the browser asks again next time."""
    with client.get(url) as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"


def test_a_hashed_asset_logged_in_sets_no_cookie(client, login, dummy_trainee):
    login(dummy_trainee)
    page = client.get("/").get_data(as_text=True)
    url = next(url for url in asset_urls(page) if "app.css" in url)
    with client.get(url) as response:
        assert response.status_code == 200
        assert "immutable" in response.headers["Cache-Control"]
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_pages_and_assets_travel_compressed(client, encoding):
    plain = client.get("/courses/", headers={"Accept-Encoding": "identity"}).get_data(as_text=True)
    css = next(url for url in asset_urls(plain) if "bootstrap.min.css" in url)
    decompress = gzip.decompress if encoding == "gzip" else brotli.decompress

    response = client.get("/courses/", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert b"</html>" in decompress(response.data)
    with client.get(css, headers={"Accept-Encoding": encoding}) as response:
        assert response.headers["Content-Encoding"] == encoding
        assert "immutable" in response.headers["Cache-Control"]
        body = response.get_data()
    assert decompress(body).startswith(b"@charset")
    # Bootstrap's style sheet (232 KB), the heaviest thing a page loads, travels below 40 KB
    assert len(body) < 40_000


def test_a_client_that_takes_no_compression_gets_plain_pages(client):
    client.environ_base["HTTP_ACCEPT_ENCODING"] = "identity"
    response = client.get("/courses/")
    assert "Content-Encoding" not in response.headers
    assert b"</html>" in response.data


@pytest.mark.parametrize("path", ["/", "/courses/", "/privacy"])
def test_a_public_page_for_a_visitor_may_be_kept_by_a_shared_cache(make_app, path):
    """With CSRF on, as in production: a visitor's page starts no session."""
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.get(path)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=300"
    vary = {part.strip() for part in response.headers["Vary"].split(",")}
    assert {"Cookie", "Accept-Language"} <= vary


def test_a_course_page_for_a_visitor_may_be_kept_by_a_shared_cache(make_app, create_course):
    course = create_course()
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.get(f"/courses/{course.id}")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_a_visitor_switches_language_without_a_session(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    page = client.get("/courses/").get_data(as_text=True)
    assert 'name="csrf_token"' not in page
    response = client.post("/language", data={"locale": "en", "next": "/courses/"})
    assert response.status_code == 302
    assert [cookie.split("=")[0] for cookie in response.headers.getlist("Set-Cookie")] == [
        LOCALE_COOKIE
    ]
    assert '<html lang="en">' in client.get("/courses/").get_data(as_text=True)


def test_a_visitors_language_switch_from_another_site_is_refused(make_app):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post(
        "/language", data={"locale": "en"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers


def test_a_logged_in_language_switch_still_needs_the_token(make_app, dummy_trainee):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    log_in(client, dummy_trainee)
    assert client.post("/language", data={"locale": "en"}).status_code == 400
    token = csrf_token(client)
    response = client.post("/language", data={"locale": "en", "csrf_token": token})
    assert response.status_code == 302


def test_a_page_that_needs_a_session_still_starts_one(make_app):
    """The login form carries a CSRF token: it sets the cookie, and no shared cache keeps it."""
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.get("/login")
    assert "session=" in str(response.headers.getlist("Set-Cookie"))
    assert "public" not in response.headers.get("Cache-Control", "")


def test_a_visitor_with_a_message_waiting_gets_a_private_copy(client):
    """A page that shows a flashed message is that visitor's own: no shared cache keeps it."""
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Hello")]
    response = client.get("/courses/")
    assert "Hello" in response.get_data(as_text=True)
    assert "public" not in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("role", ["trainee", "trainer", "staff"])
def test_logged_in_pages_stay_private(client, login, users_by_role, role):
    login(users_by_role[role])
    for path in ("/", "/courses/", "/privacy"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "private, no-store", path


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_manifest_lets_a_phone_add_latih_to_its_home_screen(client, lang):
    page = client.get("/courses/", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert f'<link rel="manifest" href="/manifest.webmanifest?lang={lang}">' in page
    response = client.get(f"/manifest.webmanifest?lang={lang}")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == manifest["short_name"] == "Latih"
    assert manifest["lang"] == lang
    assert manifest["start_url"] == "/" and manifest["id"] == "/"
    assert manifest["display"] == "standalone"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    assert manifest["description"]
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]}
    assert set(icons) == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("192x192", "maskable"),
        ("512x512", "maskable"),
    }
    for (sizes, _purpose), src in icons.items():
        with client.get(src) as icon:
            assert icon.status_code == 200 and icon.mimetype == "image/png"
            assert "immutable" in icon.headers["Cache-Control"]
            width, height = Image.open(io.BytesIO(icon.get_data())).size
        assert f"{width}x{height}" == sizes


def test_the_manifest_speaks_the_pages_language(client):
    indonesian = client.get("/manifest.webmanifest").get_json(force=True)["description"]
    english = client.get("/manifest.webmanifest?lang=en").get_json(force=True)["description"]
    assert indonesian != english
    assert client.get("/manifest.webmanifest?lang=xx").get_json(force=True)["lang"] == "id"


def test_the_favicon_is_there(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/vnd.microsoft.icon"
        assert response.get_data()[:4] == b"\x00\x00\x01\x00"  # an ICO file
        assert "max-age=" in response.headers["Cache-Control"]
        assert "Set-Cookie" not in response.headers
    page = client.get("/courses/").get_data(as_text=True)
    assert re.search(r'<link rel="icon" href="/static/img/favicon\.ico\?v=[0-9a-f]+"', page)
    assert '<link rel="manifest"' in page


def test_an_answer_without_a_body_stays_without_one(client, dummy_staff, api_headers):
    """Flask-Compress alone would send 20 bytes of gzip as the body of a 204 or an OPTIONS."""
    response = client.options("/api/v1/me", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers and response.data == b""
    headers = {**api_headers(dummy_staff), "Accept-Encoding": "gzip"}
    response = client.delete("/api/v1/tokens/current", headers=headers)
    assert response.status_code == 204
    assert "Content-Encoding" not in response.headers and response.data == b""


def test_the_service_worker_travels_compressed(client):
    with client.get("/sw.js", headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Cache-Control"] == "no-cache"
        assert b"latih-roster-pages" in gzip.decompress(response.get_data())
