"""Security headers on every kind of response, the Content-Security-Policy of pages, and templates
free of inline script (which that policy would block)."""

import os
import re
from pathlib import Path

import pytest

from lms.auth.services import make_reset_token
from tests.reports.test_reports import Y

ROOT = Path(__file__).resolve().parents[2]

#: on every response
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
#: on HTML pages: no inline script, nothing from another site
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
#: on JSON and files: only the framing rule
FILE_POLICY = "frame-ancestors 'none'"


def assert_common_headers(response):
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, name


def policy(response):
    """The Content-Security-Policy as {directive: value}."""
    header = response.headers["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


@pytest.mark.parametrize(
    "path, status",
    [
        ("/", 200),
        ("/login", 200),
        ("/courses/", 200),
        ("/verify", 200),
        ("/password/reset/not-a-token", 400),
        ("/no-such-page", 404),
    ],
)
def test_public_pages(client, path, status):
    response = client.get(path)
    assert response.status_code == status and response.mimetype == "text/html"
    assert_common_headers(response)
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY


def test_reset_page_keeps_its_token_in_house(client, dummy_trainee):
    """The reset link holds a token in its path: a link followed from it must not send it on."""
    response = client.get(f"/password/reset/{make_reset_token(dummy_trainee)}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert_common_headers(response)
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY


@pytest.mark.parametrize(
    "path",
    [
        "/trainer/today",
        "/manage/courses/",
        "/manage/certificates",
        f"/reports/annual?year={Y}",
        f"/reports/partners?year={Y}",
        "/exports/",
    ],
)
def test_staff_pages(client, staff, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert_common_headers(response)
    assert response.headers["Content-Security-Policy"] == PAGE_POLICY


def test_page_policy_forbids_inline_script_and_other_sites(client):
    directives = policy(client.get("/"))
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    # nothing names another origin
    assert not re.search(r"https?:|\*", client.get("/").headers["Content-Security-Policy"])


def test_redirect(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert_common_headers(response)


def test_api_response(client):
    response = client.get("/api/v1/course-types")
    assert response.status_code == 200 and response.is_json
    assert_common_headers(response)
    assert response.headers["Content-Security-Policy"] == FILE_POLICY


def test_api_error(client):
    response = client.get("/api/v1/reports/annual")
    assert response.status_code == 401 and response.is_json
    assert_common_headers(response)
    assert response.headers["Content-Security-Policy"] == FILE_POLICY


@pytest.mark.parametrize(
    "path", ["/static/js/app.js", "/static/css/app.css", "/bootstrap/static/js/bootstrap.min.js"]
)
def test_static_file(client, path):
    with client.get(path) as response:
        assert response.status_code == 200
        assert_common_headers(response)
        assert response.headers["Content-Security-Policy"] == FILE_POLICY


def test_service_worker_keeps_its_headers(client):
    """The worker's script is served from the root, and its policy does not limit its fetches."""
    with client.get("/sw.js") as response:
        assert response.status_code == 200
        assert response.headers["Service-Worker-Allowed"] == "/"
        assert response.mimetype == "text/javascript"
        assert_common_headers(response)
        assert response.headers["Content-Security-Policy"] == FILE_POLICY


def test_pdf_download(client, staff):
    response = client.get(f"/reports/annual.pdf?year={Y}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert_common_headers(response)
    assert response.headers["Content-Security-Policy"] == FILE_POLICY


# --- templates: no inline script -------------------------------------------------------------

#: an opening tag, its attributes with quoted values (which may hold ">")
_TAG = re.compile(r"<([a-zA-Z][\w:-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_HANDLER = re.compile(r"(?:^|[\s\"'}])(on[a-z]+)\s*=", re.I)
_JS_URL = re.compile(r"=\s*[\"']?\s*javascript:", re.I)
_JINJA_COMMENT = re.compile(r"{#.*?#}", re.S)


def inline_script(source):
    """Inline script in a template's source: a list of (line, problem)."""
    source = _JINJA_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), source)
    problems = []
    for match in _TAG.finditer(source):
        line = source.count("\n", 0, match.start()) + 1
        name, attributes = match.group(1).lower(), match.group(2)
        bare = _QUOTED.sub('""', attributes)
        if name == "script":
            has_src = re.search(r"(?:^|\s)src\s*=", bare, re.I)
            data = re.search(r"type\s*=\s*[\"']application/json[\"']", attributes, re.I)
            if not (has_src or data):
                problems.append((line, "inline <script>"))
        for handler in _HANDLER.findall(bare):
            problems.append((line, f"{handler}= handler"))
        if _JS_URL.search(attributes):
            problems.append((line, "javascript: URL"))
    return problems


@pytest.mark.parametrize(
    "source, found",
    [
        ("<script>alert(1)</script>", True),
        ('<script type="text/javascript">x()</script>', True),
        ('<button type="button" onclick="window.print()">', True),
        ('<select class="x"\n        onchange="this.form.submit()">', True),
        ("<body onload='x()'>", True),
        ('<a href="javascript:void(0)">', True),
        ("<script src=\"{{ url_for('static', filename='js/app.js') }}\" defer></script>", False),
        ('<script type="application/json" id="m">{{ m|tojson }}</script>', False),
        ('<p>Turn it on="now"</p>', False),
        ('<input aria-label="go on=1" data-tick-all=".row-tick">', False),
        ('<form action="/x" method="post">', False),
        ("{# <script>x()</script> #}", False),
    ],
)
def test_the_template_scan_finds_inline_script(source, found):
    assert bool(inline_script(source)) is found


def template_files(app):
    folders = [ROOT / "templates", *map(Path, app.extensions["course_type_templates"])]
    return [path for folder in folders for path in sorted(folder.rglob("*")) if path.is_file()]


def test_templates_hold_no_inline_script(app):
    files = template_files(app)
    assert len(files) > 50
    problems = [
        f"{os.path.relpath(path, ROOT)}:{line}: {problem}"
        for path in files
        for line, problem in inline_script(path.read_text(encoding="utf-8"))
    ]
    assert not problems, "the Content-Security-Policy blocks these:\n" + "\n".join(problems)
