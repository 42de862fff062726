"""Error pages in both languages, and domain errors as HTML pages or API JSON."""

import io

import pytest
from sqlalchemy import func, select

from lms.auth.models import User
from lms.errors import Conflict, Forbidden, InvalidInput, NotFound
from lms.extensions import db
from tests.fixtures.i18n import tr
from tests.fixtures.users import PASSWORD, log_in

MESSAGES = {
    400: "The request could not be understood.",
    403: "You are not allowed to do this.",
    404: "This page or record does not exist.",
    405: "This method is not allowed here.",
    429: "Too many requests. Please wait a moment and try again.",
    500: "Something went wrong on our side. Please try again later.",
}


@pytest.fixture
def fresh_app(make_app):
    """A second app on the same database, with routes that fail; exceptions are not propagated."""
    fresh = make_app(PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=True)

    def boom():
        raise RuntimeError("boom")

    def half_done():
        db.session.add(User(email="half@example.org", password_hash="x", name="Half Done"))
        db.session.flush()
        raise Conflict("Already issued.", fields={"enrollment_id": ["Already issued."]})

    def not_visible():
        raise NotFound("This course does not exist.")

    def forbidden():
        raise Forbidden("Not yours.")

    def invalid():
        raise InvalidInput("Outside the registration window.", fields={"course": ["Closed."]})

    for prefix in ("", "/api/v1"):
        fresh.add_url_rule(f"{prefix}/boom", f"boom{prefix}", boom)
        fresh.add_url_rule(
            f"{prefix}/half-done", f"half{prefix}", half_done, methods=["GET", "POST"]
        )
        fresh.add_url_rule(f"{prefix}/not-visible", f"nv{prefix}", not_visible)
        fresh.add_url_rule(f"{prefix}/forbidden", f"fb{prefix}", forbidden)
        fresh.add_url_rule(f"{prefix}/invalid", f"inv{prefix}", invalid)
    yield fresh
    with fresh.app_context():
        db.engine.dispose()


def error_page(app, client, status, login, users_by_role, monkeypatch, headers):
    """Make the session app (or, for 400 and 500, a fresh one) answer ``status`` in HTML."""
    if status == 403:
        login(users_by_role["trainee"])
        return client.get("/users/", headers=headers)
    if status == 404:
        return client.get("/no-such-page", headers=headers)
    if status == 405:
        return client.get("/logout", headers=headers)
    if status == 429:
        monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1 per minute")
        data = {"email": "x@example.org", "password": "wrong-password"}
        client.post("/login", data=data)
        return client.post("/login", data=data, headers=headers)
    raise AssertionError(status)


def fresh_error_page(fresh_app, status, headers):
    client = fresh_app.test_client()
    if status == 400:  # a form posted without its CSRF token
        return client.post("/logout", headers=headers)
    return client.get("/boom", headers=headers)


@pytest.fixture
def get_error_page(request, app, client, login, users_by_role, monkeypatch):
    def _get(status, headers=None):
        headers = headers or {}
        if status in (400, 500):
            return fresh_error_page(request.getfixturevalue("fresh_app"), status, headers)
        return error_page(app, client, status, login, users_by_role, monkeypatch, headers)

    return _get


@pytest.mark.parametrize("status", [400, 403, 404, 405, 429, 500])
def test_error_page_in_indonesian(get_error_page, status):
    response = get_error_page(status)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="id">' in page
    expected = tr(MESSAGES[status])
    assert f'<h1 class="h3">{expected}</h1>' in page
    assert f'<p class="display-6 text-muted">{status}</p>' in page
    if expected != MESSAGES[status]:
        assert MESSAGES[status] not in page
    assert "RuntimeError" not in page and "Traceback" not in page


@pytest.mark.parametrize("status", [400, 403, 404, 405, 429, 500])
def test_error_page_in_english(get_error_page, status):
    response = get_error_page(status, {"Accept-Language": "en"})
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page
    assert f'<h1 class="h3">{MESSAGES[status]}</h1>' in page
    assert "Back to the home page" in page


def test_profile_language_wins_over_the_browser(client, login, create_user):
    login(create_user("trainee", locale="en"))
    response = client.get("/no-such-page", headers={"Accept-Language": "id"})
    assert response.status_code == 404
    assert MESSAGES[404] in response.get_data(as_text=True)


# --- the API: always JSON -----------------------------------------------------------------------


def test_api_server_error_is_json(fresh_app):
    response = fresh_app.test_client().get("/api/v1/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert response.is_json
    assert response.get_json() == {
        "error": {"code": "server_error", "message": MESSAGES[500], "fields": {}}
    }


def test_api_server_error_in_indonesian(fresh_app):
    response = fresh_app.test_client().get("/api/v1/boom", headers={"Accept-Language": "id"})
    assert response.get_json()["error"]["message"] == tr(MESSAGES[500])


@pytest.mark.parametrize(
    "path, status, code, fields",
    [
        ("/api/v1/not-visible", 404, "not_found", {}),
        ("/api/v1/forbidden", 403, "forbidden", {}),
        ("/api/v1/invalid", 400, "invalid", {"course": ["Closed."]}),
    ],
)
def test_domain_errors_are_json_under_the_api(fresh_app, path, status, code, fields):
    response = fresh_app.test_client().get(path)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["fields"] == fields


@pytest.mark.parametrize(
    "path, status, text",
    [
        ("/not-visible", 404, "This course does not exist."),
        ("/forbidden", 403, "Not yours."),
        ("/invalid", 400, "Outside the registration window."),
    ],
)
def test_domain_errors_are_pages_outside_the_api(fresh_app, path, status, text):
    response = fresh_app.test_client().get(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert f'<h1 class="h3">{text}</h1>' in response.get_data(as_text=True)


def test_conflict_rolls_back_and_answers_409(fresh_app):
    client = fresh_app.test_client()
    response = client.get("/api/v1/half-done")
    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "conflict",
        "message": "Already issued.",
        "fields": {"enrollment_id": ["Already issued."]},
    }
    assert client.get("/half-done").status_code == 409
    db.session.rollback()
    assert db.session.query(User).filter_by(email="half@example.org").count() == 0


def test_csrf_protects_the_forms_outside_the_api(fresh_app, create_user):
    """With CSRF on (as in production) a form needs its token; the API needs none."""
    user = create_user("trainee", email="csrf@example.org")
    client = fresh_app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    assert client.post("/login", data=data).status_code == 400
    token = client.post("/api/v1/tokens", json=data)
    assert token.status_code == 201


@pytest.mark.parametrize("lang", ["en", "id"])
def test_an_upload_over_the_limit_is_refused_with_a_message(
    make_app, api_headers, lang, dummy_staff
):
    """An upload larger than MAX_CONTENT_LENGTH: 413 and a message in the user's language, on the
    import page and through the API, with nothing written."""
    small = make_app(MAX_CONTENT_LENGTH=int(0.4 * 2**20))  # 0.4 MB
    client = small.test_client()
    log_in(client, dummy_staff)
    big = b"name,email\n" + b"x" * 450_000  # (the test client keeps it in memory)
    response = client.post(
        "/imports/trainees",
        data={"file": (io.BytesIO(big), "trainees.csv"), "check": "y"},
        content_type="multipart/form-data",
        headers={"Accept-Language": lang},
    )
    assert response.status_code == 413
    size = {"en": "0.4", "id": "0,4"}[lang]  # with the accepted size, written as people write it
    expected = tr("The upload is too large: at most %(size)s MB is accepted.", lang, size=size)
    assert expected in response.get_data(as_text=True)
    response = client.put(
        "/api/v1/sessions/1/attendance",
        data=big,
        content_type="application/json",
        headers=api_headers(dummy_staff, lang),
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == expected
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
