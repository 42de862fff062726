"""Account takeover and session holes: logout ends the login server-side, a new password ends the
other logins and every API token."""

import os
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select

from config import Config
from lms.attendance.services import current_checkin_code
from lms.audit.models import AuditEntry
from lms.auth import services, sessions
from lms.auth.models import ApiToken, LoginSession, User
from lms.catalog.models import Course, course_trainers
from lms.core.time import local_today
from lms.core.types import utcnow
from lms.errors import InvalidInput
from lms.extensions import db
from tests.auth.test_auth import ask_reset, field_errors, post_login, registration, reset_link
from tests.fixtures.api import assert_json_error
from tests.fixtures.attendance import marks_of
from tests.fixtures.i18n import tr
from tests.fixtures.pages import count, logged_in
from tests.fixtures.queries import statements_of
from tests.fixtures.scripts import run_script
from tests.fixtures.users import PASSWORD, log_in

NEW_PASSWORD = "kopi-Lampung-2"


def copy_cookie(source, target, name):
    """Put ``source``'s cookie ``name`` into ``target`` (a thief's copy)."""
    cookie = source.get_cookie(name)
    assert cookie is not None, name
    target.set_cookie(name, cookie.value)
    return target


# --- logout -------------------------------------------------------------------------------------


def test_logout_ends_a_copied_session_cookie(app, client, dummy_trainee):
    assert post_login(client, dummy_trainee.email).status_code == 302
    thief = copy_cookie(client, app.test_client(), "session")
    assert logged_in(thief)  # the copy works while the login lasts

    client.post("/logout")

    assert not logged_in(client)
    assert not logged_in(thief)


def test_logout_ends_a_copied_remember_me_cookie(app, client, dummy_trainee):
    post_login(client, dummy_trainee.email, remember="y")
    remembered = client.get_cookie("remember_token").value
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered)
    assert logged_in(thief)  # through the remember-me cookie alone

    client.post("/logout")

    assert not logged_in(thief)
    later = app.test_client()  # the copy, tried again on a fresh browser
    later.set_cookie("remember_token", remembered)
    assert not logged_in(later)


def test_logout_leaves_the_other_devices_logged_in(app, client, dummy_trainee):
    phone = app.test_client()
    post_login(client, dummy_trainee.email)
    post_login(phone, dummy_trainee.email, remember="y")
    assert count(LoginSession) == 2

    client.post("/logout")

    assert not logged_in(client)
    assert logged_in(phone)
    assert count(LoginSession) == 1


def test_a_login_ends_when_its_remember_cookie_would(app, client, clock, dummy_trainee):
    post_login(client, dummy_trainee.email, remember="y")
    session_copy = copy_cookie(client, app.test_client(), "session")
    clock.shift(timedelta(days=13, hours=23))
    assert logged_in(session_copy)
    clock.shift(timedelta(hours=2))
    assert not logged_in(session_copy)  # the session cookie too, though it carries no expiry


def test_the_login_costs_one_query_a_request(client, login, dummy_trainee):
    login(dummy_trainee)
    _response, seen = statements_of(lambda: client.get("/profile"))
    loads = [s for s in seen if "login_sessions" in s]
    assert len(loads) == 1 and "users" in loads[0]  # the session and its user, joined


def test_a_cookie_of_the_old_form_logs_in_nobody(client, dummy_trainee):
    with client.session_transaction() as session:
        session["_user_id"] = f"{dummy_trainee.id}:1"
    assert not logged_in(client)


def test_logging_in_again_clears_the_expired_logins(client, clock, dummy_trainee):
    sessions.start(dummy_trainee)
    db.session.commit()
    clock.shift(timedelta(days=15))
    post_login(client, dummy_trainee.email)
    assert count(LoginSession) == 1


# --- a new password -----------------------------------------------------------------------------


@pytest.fixture
def devices(app, dummy_trainee, api_headers):
    """The trainee logged in on a laptop and (remembered) on a phone, with an API token."""
    laptop, phone = app.test_client(), app.test_client()
    post_login(laptop, dummy_trainee.email)
    post_login(phone, dummy_trainee.email, remember="y")
    return laptop, phone, api_headers(dummy_trainee)


def test_a_password_reset_revokes_every_token_and_login(app, client, dummy_trainee, devices):
    laptop, phone, token = devices
    assert client.get("/api/v1/me", headers=token).status_code == 200

    ask_reset(client, dummy_trainee.email)
    path = reset_link(dummy_trainee)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302

    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert not logged_in(laptop)
    phone.delete_cookie("session")
    assert not logged_in(phone)
    db.session.rollback()
    assert db.session.scalar(select(ApiToken.revoked_at)) is not None
    assert count(LoginSession) == 0


def test_a_password_change_keeps_only_the_login_it_was_made_from(app, dummy_trainee, devices):
    laptop, phone, token = devices
    here = app.test_client()
    post_login(here, dummy_trainee.email)
    other_token, _row = services.issue_api_token(dummy_trainee)
    mine = db.session.scalars(select(LoginSession).order_by(LoginSession.id.desc())).first()

    services.change_password(dummy_trainee, NEW_PASSWORD, keep=mine)
    db.session.commit()

    assert logged_in(here)
    assert not logged_in(laptop)
    assert here.get("/api/v1/me", headers=token).status_code == 401
    assert services.api_token_row(other_token) is None
    assert services.authenticate(dummy_trainee.email, NEW_PASSWORD) is not None


def test_a_refused_new_password_revokes_nothing(app, dummy_trainee, devices):
    laptop, _phone, token = devices
    with pytest.raises(InvalidInput):
        services.change_password(dummy_trainee, "password1")
    db.session.rollback()
    assert logged_in(laptop)
    assert laptop.get("/api/v1/me", headers=token).status_code == 200
    assert services.authenticate(dummy_trainee.email, PASSWORD) is not None


# --- a trainer moved to another partner ----------------------------------------------------------


@pytest.fixture
def moved(create_partner, create_user, create_course, create_session):
    """A trainer of partner A teaching one of A's courses, and partner B."""
    valid = {"mou_valid_until": local_today() + timedelta(days=365)}
    old, new = (
        create_partner(name="Mitra Lama", **valid),
        create_partner(name="Mitra Baru", **valid),
    )
    trainer = create_user("trainer", partner_id=old.id)
    course = create_course(partner=old, trainers=[trainer])
    session = create_session(course)
    return SimpleNamespace(trainer=trainer, old=old, new=new, course=course, session=session)


def trainer_urls(course, session):
    """A course's pages and API calls for its trainers."""
    return [
        f"/trainer/courses/{course.id}/attendance",
        f"/trainer/sessions/{session.id}/roster",
        f"/api/v1/courses/{course.id}/enrollments",
        f"/api/v1/courses/{course.id}/attendance-summary",
        f"/api/v1/sessions/{session.id}/attendance",
    ]


def statuses(client, urls, headers):
    return [client.get(url, headers=headers if "/api/" in url else {}).status_code for url in urls]


def test_moving_a_trainer_to_another_partner_ends_the_old_assignments(
    app, client, login, dummy_admin, api_headers, moved
):
    trainer_client = app.test_client()
    log_in(trainer_client, moved.trainer)
    token = api_headers(moved.trainer)
    urls = trainer_urls(moved.course, moved.session)
    assert statuses(trainer_client, urls, token) == [200] * len(urls)

    login(dummy_admin)
    response = client.post(
        f"/users/{moved.trainer.id}", data={"role": "trainer", "partner_id": str(moved.new.id)}
    )
    assert response.status_code == 302

    db.session.rollback()
    assert db.session.get(User, moved.trainer.id).partner_id == moved.new.id
    assert db.session.get(Course, moved.course.id).trainers == []
    entries = {e.action: e for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))}
    removed = entries["course.trainer_removed"]
    assert (removed.object_id, removed.actor_id) == (moved.course.id, dummy_admin.id)
    assert removed.data == {"trainer_id": moved.trainer.id}
    assert entries["user.partner_changed"].data == {"old": moved.old.id, "new": moved.new.id}
    # the API token still works for the person, but the old partner's course is gone for them
    assert client.get("/api/v1/me", headers=token).status_code == 200
    again = app.test_client()
    log_in(again, moved.trainer)
    assert statuses(again, urls, token) == [404] * len(urls)


def test_a_refused_partner_change_keeps_the_assignments(client, login, dummy_admin, moved):
    login(dummy_admin)
    response = client.post(
        f"/users/{moved.trainer.id}", data={"role": "trainer", "partner_id": "999999"}
    )
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.get(Course, moved.course.id).trainers == [moved.trainer]
    assert count(AuditEntry, AuditEntry.action == "course.trainer_removed") == 0


def test_a_trainer_who_becomes_a_trainee_leaves_the_courses(client, login, dummy_admin, moved):
    login(dummy_admin)
    client.post(f"/users/{moved.trainer.id}", data={"role": "trainee", "partner_id": "0"})
    db.session.rollback()
    assert db.session.get(Course, moved.course.id).trainers == []


def test_an_assignment_to_another_partners_course_gives_a_404(
    app, api_headers, create_course, create_session, moved
):
    """An assignment left over (or written past the services) opens nothing: the same 404 as for
    a course that is not the trainer's."""
    foreign = create_course(partner=moved.new)
    foreign_session = create_session(foreign)
    db.session.execute(
        insert(course_trainers).values(course_id=foreign.id, user_id=moved.trainer.id)
    )
    stranger = create_course(partner=moved.old)
    stranger_session = create_session(stranger)
    db.session.commit()

    client = log_in(app.test_client(), moved.trainer)
    token = api_headers(moved.trainer)
    foreign_urls = trainer_urls(foreign, foreign_session)
    not_theirs = statuses(client, trainer_urls(stranger, stranger_session), token)
    assert not_theirs == [404] * len(foreign_urls)
    assert statuses(client, foreign_urls, token) == not_theirs
    # nor is it listed on the trainer's day
    page = client.get("/trainer/today").get_data(as_text=True)
    assert moved.course.code in page and foreign.code not in page


# --- check-in codes through the API -------------------------------------------------------------


@pytest.fixture
def open_session(classroom, create_session):
    """A meeting of the classroom that began five minutes ago: check-in is open."""
    starts = utcnow() - timedelta(minutes=5)
    return create_session(classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=3))


def test_api_check_in_is_throttled_per_trainee(
    app, client, monkeypatch, api_headers, classroom, open_session
):
    monkeypatch.setitem(app.config, "CHECKIN_RATE_LIMIT", "3 per minute")
    url = f"/api/v1/sessions/{open_session.id}/check-in"
    good, _expires = current_checkin_code(open_session)
    db.session.commit()
    wrong = {"code": f"{(int(good) + 1) % 1_000_000:06d}"}
    me, other = classroom.trainees[0], classroom.trainees[1]
    # a new token (or the check-in page) gives no new budget
    tries = [client.post(url, json=wrong, headers=api_headers(me)).status_code for _ in range(3)]
    assert tries == [400, 400, 400]

    response = client.post(url, json={"code": good}, headers=api_headers(me))
    assert_json_error(response, 429, "rate_limited")
    assert marks_of(open_session) == {}
    page = log_in(app.test_client(), me)
    assert page.post(f"/checkin/{open_session.id}", data={"code": good}).status_code == 429
    # another trainee of the same class (the same address) still checks in
    response = client.post(url, json={"code": good}, headers=api_headers(other))
    assert response.status_code == 200


# --- login budgets ------------------------------------------------------------------------------


def token_attempt(client, email, password="wrong-password", address="127.0.0.1"):
    return client.post(
        "/api/v1/tokens",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def form_attempt(client, email, password="wrong-password", address="127.0.0.1", headers=None):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers or {},
    ).status_code


def test_one_account_has_one_budget_from_every_address(app, client, monkeypatch, dummy_trainee):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    tries = [form_attempt(client, dummy_trainee.email, address=f"36.80.1.{n}") for n in range(3)]
    assert tries == [400, 400, 400]
    assert form_attempt(client, f" {dummy_trainee.email.upper()}", PASSWORD, "36.80.9.9") == 429
    assert token_attempt(client, dummy_trainee.email, PASSWORD, "182.1.2.3") == 429
    # another account is not locked out
    assert form_attempt(client, "someone.else@example.org", address="36.80.1.1") == 400


def test_the_login_page_and_the_api_token_share_the_budgets(
    app, client, monkeypatch, dummy_trainee
):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    assert form_attempt(client, dummy_trainee.email) == 400
    assert token_attempt(client, dummy_trainee.email) == 401
    assert form_attempt(client, dummy_trainee.email) == 400
    response = client.post(
        "/api/v1/tokens", json={"email": dummy_trainee.email, "password": PASSWORD}
    )
    assert_json_error(response, 429, "rate_limited")

    monkeypatch.setitem(app.config, "LOGIN_IP_RATE_LIMIT", "2 per minute")
    other = "36.80.4.4"
    assert form_attempt(client, "a@example.org", address=other) == 400
    assert token_attempt(client, "b@example.org", address=other) == 401
    assert token_attempt(client, "c@example.org", address=other) == 429
    assert form_attempt(client, "d@example.org", address=other) == 429


#: a fresh interpreter (the limiter is one object per process: the suite's own stays as it is)
REDIS_DOWN = """
import json, os, sys, tempfile
import flask_migrate
from config import TestingConfig
from lms import create_app
folder = tempfile.mkdtemp()
app = create_app(TestingConfig, {
    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/down.sqlite",
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens: refused at once
    "LOGIN_RATE_LIMIT": "3 per minute",
})
with app.app_context():
    flask_migrate.upgrade()
client = app.test_client()
login = [
    client.post("/login", data={"email": "wati@example.org", "password": "x"}).status_code
    for _ in range(4)
]
token = client.post("/api/v1/tokens", json={"email": "wati@example.org", "password": "x"})
print(json.dumps({
    "login": login,
    "token": [token.status_code, token.get_json()["error"]["code"]],
    "health": client.get("/healthz").get_json(),
}))
"""


@pytest.mark.one_database
def test_limits_hold_in_memory_while_redis_is_down():
    """Redis restarting (or out of memory) must not stop people logging in: the limits are
    counted in the process's memory meanwhile, and the health check says what fails. Before,
    every login, registration and check-in answered 500 while the store was unreachable."""
    found = run_script(REDIS_DOWN, {**os.environ, "PYTHONWARNINGS": "ignore"})
    assert found["login"] == [400, 400, 400, 429]
    assert found["token"] == [429, "rate_limited"]
    assert found["health"] == {"status": "error", "failing": ["redis"]}


def test_a_forwarded_address_counts_only_as_the_proxy_saw_it(make_app):
    """Behind one proxy (PROXY_COUNT=1) the client's address is the last X-Forwarded-For entry,
    the one the proxy added: addresses a client puts before it give no new budget."""
    app = make_app(PROXY_COUNT=1, LOGIN_IP_RATE_LIMIT="3 per minute")
    client = app.test_client()

    def attempt(n, forwarded):
        return form_attempt(client, f"guess{n}@example.org", headers={"X-Forwarded-For": forwarded})

    assert [attempt(n, f"203.0.113.{n}, 36.80.1.1") for n in range(4)] == [400, 400, 400, 429]
    assert attempt(9, "36.80.2.2") == 400


# --- registration -------------------------------------------------------------------------------


@pytest.fixture
def taken(create_user):
    """An account whose e-mail and NIK a stranger tries to register again."""
    return create_user("trainee", email="taken@example.org", nik="1807014203990007")


def taken_alert(response):
    """The text of the box that says the NIK or e-mail cannot be used, or None."""
    match = re.search(
        r'<div class="alert[^"]*" role="alert" id="taken">(.*?)</div>', response.text, re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else None


@pytest.mark.parametrize("lang", ["en", "id"])
def test_registration_says_the_same_for_a_registered_email_or_nik(client, taken, lang):
    fresh_nik, fresh_email = "1807015705950123", "baru@example.org"
    answers = []
    for changes in (
        {"email": "Taken@Example.org", "nik": fresh_nik},
        {"email": fresh_email, "nik": "1807.0142.0399.0007"},
        {"email": "taken@example.org", "nik": taken.nik},
    ):
        response = client.post(
            "/register", data=registration(**changes), headers={"Accept-Language": lang}
        )
        assert response.status_code == 400
        assert field_errors(response) == {}  # no field is singled out
        answers.append(taken_alert(response))
    assert answers[0] == answers[1] == answers[2]
    assert (
        tr("This NIK, e-mail address or mobile number cannot be used for a new account.", lang)
        in answers[0]
    )
    # and whoever never made one (another used their NIK or number) is told where to go
    assert (
        tr(
            "Never made an account? Someone may have used your NIK or number by mistake: show "
            "your KTP to %(office)s, and the office will correct it.",
            lang,
            office="BP3MI Lampung",
        )
        in answers[0]
    )
    assert 'href="/login"' in response.text and 'href="/password/forgot"' in response.text
    assert count(User) == 1 and not logged_in(client)


def test_a_free_nik_and_email_still_register(client, taken):
    response = client.post("/register", data=registration())
    assert response.status_code == 302
    assert logged_in(client)


def _trainee_of_a_class(n):
    return registration(
        email=f"peserta{n}@example.org",
        nik=f"180701570595{n + 100:04d}",
        phone=f"0812-3456-{n + 100:04d}",
        name=f"Peserta Kelas {n}",
    )


def test_a_class_registers_together_from_one_address(app, monkeypatch):
    # Thirty trainees on a partner's Wi-Fi (or behind a mobile operator's shared address) at the
    # same minute, with the limits production has
    for name in ("REGISTER_RATE_LIMIT", "LOOKUP_RATE_LIMIT"):
        monkeypatch.setitem(app.config, name, getattr(Config, name))
    wifi = {"REMOTE_ADDR": "36.80.7.7"}
    answers = [
        app.test_client().post("/register", data=_trainee_of_a_class(n), environ_base=wifi)
        for n in range(30)
    ]
    assert [a.status_code for a in answers] == [302] * 30
    assert count(User) == 30


def test_refused_registrations_are_throttled_per_address(app, client, monkeypatch, taken):
    # whether a NIK or an e-mail is registered must not be looked up in bulk
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", "3 per minute")
    here, there = {"REMOTE_ADDR": "36.80.7.7"}, {"REMOTE_ADDR": "36.80.8.8"}
    for n in range(2):
        data = registration(email="taken@example.org", nik=f"180701570595{n + 100:04d}")
        assert client.post("/register", data=data, environ_base=here).status_code == 400
    for n in range(3):  # accepted ones are not counted
        data = _trainee_of_a_class(n + 10)
        assert app.test_client().post("/register", data=data, environ_base=here).status_code == 302
    assert (
        client.post("/register", data=registration(nik="123"), environ_base=here).status_code == 400
    )
    response = client.post("/register", data=registration(), environ_base=here)
    assert response.status_code == 429
    assert count(User) == 4
    assert client.get("/register", environ_base=here).status_code == 200  # the page still opens
    assert client.post("/register", data=registration(), environ_base=there).status_code == 302


def test_registrations_have_a_ceiling_per_address(app, monkeypatch):
    # accounts are not created in bulk by a script
    monkeypatch.setitem(app.config, "REGISTER_RATE_LIMIT", "3 per minute")
    here = {"REMOTE_ADDR": "36.80.7.7"}
    answers = [
        app.test_client().post("/register", data=_trainee_of_a_class(n), environ_base=here)
        for n in range(4)
    ]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert count(User) == 3


def test_the_profile_is_no_nik_lookup_either(app, client, login, monkeypatch, taken, create_user):
    """A logged-in trainee trying NIKs in their profile is throttled like a registration."""
    monkeypatch.setitem(app.config, "LOOKUP_RATE_LIMIT", "3 per minute")
    me = create_user("trainee")
    login(me)
    page = client.get("/profile").get_data(as_text=True)
    form = {
        name: value
        for name, value in re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', page)
        if name != "csrf_token"
    }
    for n in range(3):
        data = {**form, "nik": f"180701570595{n + 100:04d}"}
        assert client.post("/profile", data=data).status_code in (302, 400)
    assert client.post("/profile", data={**form, "nik": taken.nik}).status_code == 429
    assert client.get("/profile").status_code == 200  # the page still opens


# --- weak passwords -----------------------------------------------------------------------------

EN = {"Accept-Language": "en"}
MANY_USE_IT = "This password is too easy to guess: many people use it. Add a few uncommon words."


@pytest.mark.parametrize("weak", ["password123", "qwertyuiop", "abc12345"])
def test_a_weak_password_is_refused_wherever_one_is_set(
    client, runner, api_headers, dummy_staff, dummy_trainee, weak
):
    users = count(User)
    response = client.post("/register", data=registration(password=weak, confirm=weak), headers=EN)
    assert response.status_code == 400
    assert field_errors(response) == {"password": [MANY_USE_IT]}

    body = {"email": "baru@example.org", "password": weak, "name": "Ani Baru", "role": "trainee"}
    response = client.post("/api/v1/users", json=body, headers=api_headers(dummy_staff))
    assert assert_json_error(response, 400, "invalid")["fields"] == {"password": [MANY_USE_IT]}

    args = ["lms", "create-user", "--email", "cli@example.org", "--password", weak]
    result = runner.invoke(args=[*args, "--name", "Ani Susanti"])
    assert result.exit_code == 1
    assert "password: " + tr(MANY_USE_IT) in result.output

    ask_reset(client, dummy_trainee.email)
    path = reset_link(dummy_trainee)
    response = client.post(path, data={"password": weak, "confirm": weak}, headers=EN)
    assert response.status_code == 400
    assert field_errors(response) == {"password": [MANY_USE_IT]}
    with pytest.raises(InvalidInput):
        services.change_password(dummy_trainee, weak)

    assert count(User) == users
    db.session.rollback()
    assert services.authenticate(dummy_trainee.email, PASSWORD) is not None


def test_the_demo_and_test_passwords_pass(create_user):
    from lms.demo import DEMO_PASSWORD

    create_user("trainee", password=DEMO_PASSWORD)
    create_user("trainer", password=PASSWORD)
