"""Accounts through the HTML pages: registration, login and logout, throttling, password reset."""

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth import services
from lms.auth.models import User
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.i18n import tr
from tests.fixtures.pages import count, logged_in, without_csrf
from tests.fixtures.users import PASSWORD

NEW_PASSWORD = "kopi-Lampung-2"


class _FieldErrors(HTMLParser):
    """Collect the Bootstrap field errors of a page, keyed by the name of the control before them."""

    def __init__(self):
        super().__init__()
        self.errors = {}
        self.invalid = set()
        self._name = None
        self._depth = 0
        self._text = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            self._name = attrs["name"]
            if "is-invalid" in classes:
                self.invalid.add(self._name)
        if tag == "div":
            if self._text is not None:
                self._depth += 1
            elif "invalid-feedback" in classes:
                self._text, self._depth = [], 1

    def handle_endtag(self, tag):
        if tag == "div" and self._text is not None:
            self._depth -= 1
            if self._depth == 0:
                message = " ".join("".join(self._text).split())
                self.errors.setdefault(self._name, []).append(message)
                self._text = None

    def handle_data(self, data):
        if self._text is not None:
            self._text.append(data)


def _parse(response):
    parser = _FieldErrors()
    parser.feed(response.get_data(as_text=True))
    return parser


def field_errors(response):
    """{field name: [messages]} shown under the fields of a form page."""
    return _parse(response).errors


def marked_invalid(response):
    """Names of the inputs drawn as invalid (red)."""
    return _parse(response).invalid


# --- registration -------------------------------------------------------------------------------


def registration(**changes):
    data = {
        "email": "siti.rahma@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "name": "Siti Rahmawati",
        "nik": "1807 0157 0595 0001",
        "birth_date": "1995-05-17",
        "gender": "female",
        "phone": "0812-3456-7890",
        "regency_code": "18.07",
        "target_group": "cpmi",
        "consent": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_register_page_lists_the_regencies(client):
    response = client.get("/register")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="id">' in page
    assert 'value="18.07"' in page and "Lampung Timur" in page


def test_register_creates_a_trainee_and_logs_in(client):
    response = client.post("/register", data=registration())
    assert response.status_code == 302
    assert response.location == "/"
    user = db.session.scalar(select(User).where(User.email == "siti.rahma@example.org"))
    assert user.role == "trainee"
    assert user.phone == "+6281234567890"
    assert user.nik == "1807015705950001"
    assert user.regency_code == "18.07"
    assert user.profile_complete
    assert user.locale == "id"
    assert user.consent_version and user.consent_at is not None
    assert user.password_hash != PASSWORD
    assert logged_in(client)
    assert "Siti Rahmawati" in client.get("/").get_data(as_text=True)


def test_register_keeps_the_language_of_the_page(client):
    response = client.post("/register", data=registration(), headers={"Accept-Language": "en"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "siti.rahma@example.org"))
    assert user.locale == "en"


@pytest.fixture
def taken(create_user):
    return create_user("trainee", email="taken@example.org", nik="1807014203990007")


REGISTRATION_ERRORS = [
    (
        "nik",
        {"nik": "1807011713950001"},
        "This is not a valid NIK. Please check the number on your KTP.",
    ),
    ("nik", {"nik": "12345"}, "The NIK must be exactly 16 digits."),
    (
        "password",
        {"password": "password1", "confirm": "password1"},
        "This password is too easy to guess: many people use it. Add a few uncommon words.",
    ),
    (
        "password",
        {"password": "Ab1-x", "confirm": "Ab1-x"},
        ("The password must have at least %(n)s characters.", {"n": 8}),
    ),
    (
        "phone",
        {"phone": "(0721) 481234"},
        "Enter an Indonesian mobile number, for example 0812 3456 7890 or +62 812 3456 7890.",
    ),
    ("confirm", {"confirm": PASSWORD + "x"}, "The passwords do not match."),
    ("email", {"email": "siti.example.org"}, "This is not a valid e-mail address."),
    ("birth_date", {"birth_date": "2020-01-01"}, "Please check the birth date."),
]


def _message(message):
    """(msgid, params) of a REGISTRATION_ERRORS entry."""
    return message if isinstance(message, tuple) else (message, {})


@pytest.mark.parametrize("field, changes, message", REGISTRATION_ERRORS)
def test_register_refuses_in_indonesian(client, taken, field, changes, message):
    msgid, params = _message(message)
    english = msgid % params if params else msgid
    users, audit = count(User), count(AuditEntry)
    response = client.post("/register", data=registration(**changes))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<html lang="id">' in page
    expected = tr(msgid, **params)
    assert field_errors(response).get(field) == [expected]
    assert field in marked_invalid(response)
    if expected != english:  # once translated, no English is left on the page
        assert english not in page
    assert count(User) == users and count(AuditEntry) == audit
    assert not logged_in(client)


@pytest.mark.parametrize("field, changes, message", REGISTRATION_ERRORS)
def test_register_refuses_in_english(client, taken, field, changes, message):
    msgid, params = _message(message)
    english = msgid % params if params else msgid
    users = count(User)
    response = client.post(
        "/register", data=registration(**changes), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert '<html lang="en">' in response.get_data(as_text=True)
    assert field_errors(response).get(field) == [english]
    assert count(User) == users


def test_register_requires_every_profile_field(client):
    data = registration()
    for name in ("nik", "birth_date", "gender", "phone", "regency_code", "target_group"):
        data.pop(name)
    response = client.post("/register", data=data)
    assert response.status_code == 400
    assert {"nik", "birth_date", "gender", "phone", "regency_code", "target_group"} <= set(
        field_errors(response)
    )
    assert count(User) == 0


def test_register_refuses_an_unknown_regency(client):
    response = client.post("/register", data=registration(regency_code="31.71"))
    assert response.status_code == 400
    assert "regency_code" in field_errors(response)
    assert count(User) == 0


def test_logged_in_user_is_sent_home_from_register_and_login(client, login, dummy_trainee):
    login(dummy_trainee)
    assert client.get("/register").status_code == 302
    assert client.post("/register", data=registration()).status_code == 302
    assert client.get("/login").status_code == 302
    assert count(User) == 1


# --- login and logout ---------------------------------------------------------------------------


def post_login(client, email, password=PASSWORD, headers=None, **extra):
    data = {"email": email, "password": password, **extra}
    return client.post("/login", data=data, headers=headers or {})


def test_login_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="remember"' in response.get_data(as_text=True)


def test_login_and_logout(client, dummy_trainee):
    assert not logged_in(client)
    response = post_login(client, dummy_trainee.email.upper())
    assert response.status_code == 302
    assert response.location == "/"
    assert client.get_cookie("remember_token") is None
    assert logged_in(client)
    db.session.expire_all()
    assert db.session.get(User, dummy_trainee.id).last_login_at is not None

    response = client.post("/logout")
    assert response.status_code == 302
    assert not logged_in(client)


def test_remember_me_sets_a_cookie_that_logs_in(client, dummy_trainee):
    response = post_login(client, dummy_trainee.email, remember="y")
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")
    assert logged_in(client)  # through the remember cookie alone

    client.post("/logout")
    assert client.get_cookie("remember_token") is None
    assert not logged_in(client)


@pytest.mark.parametrize(
    "email, password",
    [("trainee@example.org", "wrong-password"), ("nobody@example.org", PASSWORD)],
)
def test_login_refuses_bad_credentials(client, create_user, email, password):
    create_user("trainee", email="trainee@example.org")
    response = post_login(client, email, password, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert field_errors(response) == {"password": ["The e-mail or the password is wrong."]}
    assert not logged_in(client)


def test_login_with_missing_fields_is_a_400(client):
    response = client.post("/login", data={})
    assert response.status_code == 400
    assert {"email", "password"} <= set(field_errors(response))


def test_deactivated_user_cannot_log_in(client, dummy_trainee):
    dummy_trainee.active = False
    db.session.commit()
    response = post_login(client, dummy_trainee.email)
    assert response.status_code == 400
    assert "password" in field_errors(response)
    assert not logged_in(client)


def test_deactivation_ends_a_running_session(client, login, dummy_trainee):
    login(dummy_trainee)
    assert logged_in(client)
    dummy_trainee.active = False
    db.session.commit()
    assert not logged_in(client)


def test_login_follows_next_within_the_site(client, dummy_trainee):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    response = client.post(
        response.location, data={"email": dummy_trainee.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.location == "/profile"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_login_never_redirects_off_site(client, dummy_trainee, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": dummy_trainee.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == "/"


@pytest.mark.parametrize("target", ["/\t/evil.example/", "/\n/evil.example/", "/\r/evil.example"])
def test_login_next_with_control_characters_stays_on_site(client, dummy_trainee, target):
    # browsers drop tabs and newlines from URLs: "/\t/evil" would become "//evil"
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": dummy_trainee.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == "/"


# --- throttling ---------------------------------------------------------------------------------


def test_login_is_throttled_per_account(app, client, monkeypatch, dummy_trainee):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    for _ in range(3):
        assert post_login(client, dummy_trainee.email, "wrong-password").status_code == 400
    # the fourth try is refused even with the right password, whatever the case of the address
    response = post_login(client, dummy_trainee.email.upper(), headers={"Accept-Language": "en"})
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Too many requests. Please wait a moment and try again." in response.get_data(
        as_text=True
    )
    assert not logged_in(client)
    # another account from the same address is not locked out
    assert post_login(client, "someone.else@example.org").status_code == 400


def test_login_is_throttled_per_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_IP_RATE_LIMIT", "3 per minute")
    for n in range(3):
        assert post_login(client, f"guess{n}@example.org", "x").status_code == 400
    assert post_login(client, "guess9@example.org", "x").status_code == 429
    other_address = client.post(
        "/login",
        data={"email": "guess9@example.org", "password": "x"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert other_address.status_code == 400


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_proxy_the_forwarded_address_is_throttled(make_app, proxies):
    """Behind nginx (PROXY_COUNT=1) every request comes from the proxy: the client's address is
    the forwarded one, so one classroom does not lock out another. Without a proxy setting the
    header is ignored, so nobody escapes the limit by inventing one."""
    app = make_app(PROXY_COUNT=proxies, LOGIN_IP_RATE_LIMIT="3 per minute")
    client = app.test_client()

    def attempt(n, address):
        return post_login(
            client, f"guess{n}@example.org", "x", headers={"X-Forwarded-For": address}
        ).status_code

    assert [attempt(n, "36.80.1.1") for n in range(4)] == [400, 400, 400, 429]
    assert attempt(9, "36.80.2.2") == (400 if proxies else 429)


def test_login_throttle_page_is_indonesian_by_default(app, client, monkeypatch, dummy_trainee):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    for _ in range(3):
        post_login(client, dummy_trainee.email, "wrong-password")
    response = post_login(client, dummy_trainee.email, "wrong-password")
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert '<html lang="id">' in page
    assert tr("Too many requests. Please wait a moment and try again.") in page


def test_api_token_is_throttled_with_a_json_error(app, client, monkeypatch, dummy_trainee):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    body = {"email": dummy_trainee.email, "password": "wrong-password"}
    for _ in range(3):
        assert client.post("/api/v1/tokens", json=body).status_code == 401
    response = client.post(
        "/api/v1/tokens",
        json={"email": dummy_trainee.email, "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 429
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"] == "Too many requests. Please wait a moment and try again."
    assert "token" not in response.get_json()


def test_forgot_password_is_throttled(app, client, monkeypatch, dummy_trainee):
    """Each request sends a message: a budget of its own per account, tighter than the login's
    (RESET_SEND_RATE_LIMIT), whoever asks; logging in is not counted against it."""
    monkeypatch.setitem(app.config, "RESET_SEND_RATE_LIMIT", "3 per 10 minutes")
    for _ in range(3):
        client.post("/password/forgot", data={"email": dummy_trainee.email})
    response = client.post("/password/forgot", data={"email": dummy_trainee.email})
    assert response.status_code == 429
    assert count(OutboxMessage) == 3
    login = client.post("/login", data={"email": dummy_trainee.email, "password": PASSWORD})
    assert login.status_code == 302


# --- password reset -----------------------------------------------------------------------------

LINK_RE = re.compile(r"http://localhost(/password/reset/[^\s]+)")


def ask_reset(client, email):
    return client.post("/password/forgot", data={"email": email})


def reset_link(user):
    """The path of the reset link in the one message written to ``user``."""
    db.session.rollback()
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == user.id)
    ).all()
    assert len(messages) == 1
    assert messages[0].kind == "password_reset"
    assert messages[0].recipient == user.email
    match = LINK_RE.search(messages[0].body)
    assert match, messages[0].body
    return match.group(1)


def test_forgot_password_writes_one_message_with_the_link(client, dummy_trainee):
    response = ask_reset(client, dummy_trainee.email.upper())
    assert response.status_code == 302
    assert response.location == "/login"
    path = reset_link(dummy_trainee)
    assert client.get(path).status_code == 200


def test_reset_link_uses_the_public_base_url(app, client, monkeypatch, dummy_trainee):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://latih.example.go.id/")
    # a forged Host header must not end up in the e-mail (the link would carry the token away)
    response = client.post(
        "/password/forgot", data={"email": dummy_trainee.email}, base_url="http://evil.example"
    )
    assert response.status_code == 302
    db.session.rollback()
    body = db.session.scalar(select(OutboxMessage.body))
    assert "evil.example" not in body
    match = re.search(r"https://latih\.example\.go\.id(/password/reset/[^\s]+)", body)
    assert match, body
    assert client.get(match.group(1)).status_code == 200


def test_forgot_password_for_an_unknown_address_answers_the_same(client, dummy_trainee):
    def page_after(response):
        """The page the answer leads to; CSRF tokens carry a timestamp, so they are left out."""
        page = client.get(response.location, headers={"Accept-Language": "en"})
        return without_csrf(page.get_data(as_text=True))

    known = ask_reset(client, dummy_trainee.email)
    known_page = page_after(known)
    count_after_known = count(OutboxMessage)
    for email in ("nobody@example.org", "not an address"):
        unknown = ask_reset(client, email)
        assert (unknown.status_code, unknown.location) == (known.status_code, known.location)
        assert page_after(unknown) == known_page
    assert count(OutboxMessage) == count_after_known == 1


def test_forgot_password_ignores_deactivated_accounts(client, dummy_trainee):
    dummy_trainee.active = False
    db.session.commit()
    assert ask_reset(client, dummy_trainee.email).status_code == 302
    assert count(OutboxMessage) == 0


def test_reset_link_sets_a_new_password_once(client, dummy_trainee):
    ask_reset(client, dummy_trainee.email)
    path = reset_link(dummy_trainee)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.location == "/login"
    db.session.rollback()
    assert services.authenticate(dummy_trainee.email, NEW_PASSWORD) is not None
    assert services.authenticate(dummy_trainee.email, PASSWORD) is None

    # the same link again: refused, and the password stays
    assert client.get(path).status_code == 400
    again = client.post(path, data={"password": "teh-Lampung-3", "confirm": "teh-Lampung-3"})
    assert again.status_code == 400
    db.session.rollback()
    assert services.authenticate(dummy_trainee.email, NEW_PASSWORD) is not None


def test_reset_refuses_a_weak_password_and_the_link_keeps_working(client, dummy_trainee):
    ask_reset(client, dummy_trainee.email)
    path = reset_link(dummy_trainee)
    response = client.post(
        path,
        data={"password": "password1", "confirm": "password1"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert field_errors(response) == {
        "password": [
            "This password is too easy to guess: many people use it. Add a few uncommon words."
        ]
    }
    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": "other-Password-9"})
    assert mismatch.status_code == 400
    assert "confirm" in field_errors(mismatch)
    assert client.get(path).status_code == 200
    db.session.rollback()
    assert services.authenticate(dummy_trainee.email, PASSWORD) is not None


def test_expired_reset_link_is_refused(app, client, monkeypatch, dummy_trainee):
    ask_reset(client, dummy_trainee.email)
    path = reset_link(dummy_trainee)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "This reset link is invalid, has expired or was already used." in response.get_data(
        as_text=True
    )
    assert (
        client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 400
    )
    db.session.rollback()
    assert services.authenticate(dummy_trainee.email, PASSWORD) is not None


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ.ZZZZZZ.abcdefghijklmnop"])
def test_forged_reset_link_is_refused(client, dummy_trainee, token):
    assert client.get(f"/password/reset/{token}").status_code == 400


def test_reset_link_for_another_secret_key_is_refused(app, client, monkeypatch, dummy_trainee):
    monkeypatch.setitem(app.config, "SECRET_KEY", "another-secret")
    token = services.make_reset_token(dummy_trainee)
    monkeypatch.undo()
    assert client.get(f"/password/reset/{token}").status_code == 400


def test_reset_logs_out_every_other_session(app, client, login, dummy_trainee):
    login(dummy_trainee)
    assert logged_in(client)
    other = app.test_client()
    post_login(other, dummy_trainee.email, remember="y")
    assert logged_in(other)

    stranger = app.test_client()
    ask_reset(stranger, dummy_trainee.email)
    path = reset_link(dummy_trainee)
    assert (
        stranger.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 302
    )

    assert not logged_in(client)  # the old session cookie no longer authenticates
    other.delete_cookie("session")
    assert not logged_in(other)  # nor does an old remember-me cookie
    assert post_login(app.test_client(), dummy_trainee.email, NEW_PASSWORD).status_code == 302


# --- profile ------------------------------------------------------------------------------------


def profile_form(user, **changes):
    data = {
        "name": user.name,
        "nik": user.nik,
        "birth_date": user.birth_date.isoformat(),
        "gender": user.gender,
        "phone": user.phone,
        "regency_code": user.regency_code,
        "target_group": user.target_group,
        "locale": "id",
    }
    data.update(changes)
    return data


def test_profile_page_shows_the_own_data(client, login, dummy_trainee):
    login(dummy_trainee)
    page = client.get("/profile").get_data(as_text=True)
    assert f'value="{dummy_trainee.nik}"' in page
    assert "Siti Rahmawati" in page


def test_profile_is_saved_normalised(client, login, dummy_trainee):
    login(dummy_trainee)
    data = profile_form(dummy_trainee, phone="+62 813-1111-2222", regency_code="18.71", locale="en")
    response = client.post("/profile", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, dummy_trainee.id)
    assert user.phone == "+6281311112222"
    assert user.regency_code == "18.71"
    assert user.locale == "en"
    assert '<html lang="en">' in client.get("/profile").get_data(as_text=True)


def test_profile_refuses_another_persons_nik(client, login, dummy_trainee, taken):
    login(dummy_trainee)
    own_nik = dummy_trainee.nik
    response = client.post(
        "/profile",
        data=profile_form(dummy_trainee, nik=taken.nik, locale="en"),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert field_errors(response) == {"nik": ["An account with this NIK already exists."]}
    db.session.expire_all()
    assert db.session.get(User, dummy_trainee.id).nik == own_nik


def test_profile_refuses_a_bad_phone(client, login, dummy_trainee):
    login(dummy_trainee)
    response = client.post("/profile", data=profile_form(dummy_trainee, phone="12345"))
    assert response.status_code == 400
    assert "phone" in field_errors(response)


def test_registration_needs_consent_to_the_privacy_notice(client):
    response = client.post("/register", data=registration(consent=None))
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "siti.rahma@example.org")) is None
