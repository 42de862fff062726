"""Trainees with a phone number and no e-mail: registration, login (page and API), the preferred
channel, and a password reset by a one-time code sent to the phone."""

import re

import pytest
from sqlalchemy import select

from lms.auth import services
from lms.auth.models import OneTimeCode, User
from lms.extensions import db
from lms.outbox import services as outbox
from lms.outbox.models import OutboxMessage
from tests.auth.test_auth import field_errors
from tests.fixtures.i18n import tr
from tests.fixtures.pages import logged_in
from tests.fixtures.users import PASSWORD, in_thread, valid_nik

EN = {"Accept-Language": "en"}
NEW_PASSWORD = "kopi-Lampung-2"


def registration(**changes):
    data = {
        "email": "",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "name": "Wayan Sari",
        "nik": valid_nik(777),
        "birth_date": "1995-05-17",
        "gender": "female",
        "phone": "0812 3456 7890",
        "preferred_channel": "",
        "regency_code": "18.07",
        "target_group": "cpmi",
        "consent": "y",
    }
    data.update(changes)
    return data


@pytest.fixture
def phone_user(create_user):
    return create_user("trainee", email=False, name="Wayan Sari", phone="081234567890")


def last_code(user):
    """The code in the newest message to ``user``."""
    message = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == user.id, OutboxMessage.kind == "password_code")
        .order_by(OutboxMessage.id.desc())
    ).first()
    return re.search(r"\b(\d{6})\b", message.text).group(1)


# --- registration -------------------------------------------------------------------------------


def test_a_trainee_registers_with_a_phone_and_no_email(client):
    response = client.post("/register", data=registration(), headers=EN)
    assert response.status_code == 302, field_errors(response)
    user = db.session.scalar(select(User).where(User.nik == valid_nik(777)))
    assert user.email is None and user.phone == "+6281234567890"
    # nothing is on in the tests: the first channel that reaches a phone
    assert user.preferred_channel == "whatsapp"
    assert logged_in(client)
    profile = client.get("/profile", headers=EN).get_data(as_text=True)
    assert "+6281234567890" in profile and "None" not in profile


def test_the_registration_page_offers_the_channels_that_are_on(app, client, monkeypatch):
    page = client.get("/register", headers=EN).get_data(as_text=True)
    for label in ("E-mail", "WhatsApp", "SMS"):  # none is on: every one is offered
        assert f">{label}</option>" in page
    assert "E-mail (optional)" in page
    monkeypatch.setitem(app.config, "SMS_URL", "http://127.0.0.1:9/")
    monkeypatch.setitem(app.config, "SMS_TOKEN", "t")
    page = client.get("/register", headers=EN).get_data(as_text=True)
    assert '<option value="sms">SMS</option>' in page and ">WhatsApp</option>" not in page


def test_registration_with_a_channel_that_cannot_reach(client):
    response = client.post("/register", data=registration(preferred_channel="email"), headers=EN)
    assert response.status_code == 400
    assert field_errors(response)["preferred_channel"] == [
        "E-mail cannot reach you: add the address or number it needs, or choose another way."
    ]
    assert db.session.scalar(select(User.id)) is None


def test_registration_with_neither_email_nor_phone_is_refused(client):
    response = client.post("/register", data=registration(phone=""), headers=EN)
    assert response.status_code == 400
    errors = field_errors(response)
    assert "phone" in errors


def test_a_phone_of_an_account_without_email_is_its_own(client, phone_user):
    response = client.post("/register", data=registration(phone="+62 812-3456-7890"), headers=EN)
    assert response.status_code == 400
    assert 'id="taken"' in response.get_data(as_text=True)
    # with an e-mail address, a phone another e-mail account also uses is fine (a family phone)
    response = client.post(
        "/register",
        data=registration(phone="081299998888", email="budi@example.org", nik=valid_nik(778)),
    )
    assert response.status_code == 302
    client.post("/logout")
    response = client.post(
        "/register",
        data=registration(phone="081299998888", email="ani@example.org", nik=valid_nik(779)),
    )
    assert response.status_code == 302


def test_the_profile_changes_the_channel(client, login, create_user):
    user = create_user("trainee", email="tini@example.org", phone="081234567001")
    login(user)
    page = client.get("/profile", headers=EN).get_data(as_text=True)
    assert '<option selected value="email">E-mail</option>' in page
    data = {
        "name": user.name,
        "nik": user.nik,
        "birth_date": "1995-05-17",
        "gender": "female",
        "phone": "081234567001",
        "preferred_channel": "sms",
        "regency_code": "18.07",
        "target_group": "cpmi",
        "locale": "en",
    }
    assert client.post("/profile", data=data).status_code == 302
    db.session.refresh(user)
    assert user.preferred_channel == "sms"


def test_an_account_without_email_keeps_its_phone(client, login, phone_user):
    login(phone_user)
    data = {
        "name": phone_user.name,
        "nik": phone_user.nik,
        "birth_date": "1995-05-17",
        "gender": "female",
        "phone": "",
        "preferred_channel": "sms",
        "regency_code": "18.07",
        "target_group": "cpmi",
        "locale": "en",
    }
    response = client.post("/profile", data=data, headers=EN)
    assert response.status_code == 400
    data["preferred_channel"] = "email"
    data["phone"] = "081234567890"
    response = client.post("/profile", data=data, headers=EN)
    assert response.status_code == 400
    assert "preferred_channel" in field_errors(response)


# --- logging in ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["081234567890", "+62 812-3456-7890", "6281234567890"])
def test_log_in_with_the_phone(client, phone_user, spelling):
    response = client.post("/login", data={"email": spelling, "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in(client)


def test_a_wrong_password_with_a_phone_says_so(client, phone_user):
    response = client.post("/login", data={"email": "081234567890", "password": "nope"}, headers=EN)
    assert response.status_code == 400
    assert field_errors(response)["password"] == ["The mobile number or the password is wrong."]
    page = client.get("/login", headers=EN).get_data(as_text=True)
    assert "E-mail or mobile number" in page


def test_a_phone_shared_by_two_accounts_does_not_log_in(client, create_user):
    create_user("trainee", email="a@example.org", phone="081200001111")
    create_user("trainee", email="b@example.org", phone="081200001111")
    response = client.post("/login", data={"email": "081200001111", "password": PASSWORD})
    assert response.status_code == 400
    assert (
        client.post("/login", data={"email": "a@example.org", "password": PASSWORD}).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("holders", "logs_in"),
    [
        (["password"], 0),  # the one account with the number, whatever it has
        (["walk-in"], 0),  # (it claims the account with a code sent to the number)
        (["password", "walk-in"], 0),  # a relative's walk-in leaves the owner her login
        (["walk-in", "password", "e-mail"], 1),
        (["walk-in", "walk-in"], None),  # neither is the number's owner
        (["password", "password"], None),  # two logins on one number: neither
        (["e-mail", "e-mail"], None),  # those log in with their e-mail addresses
    ],
)
def test_which_account_a_shared_number_logs_in(create_user, holders, logs_in):
    made = []
    for n, kind in enumerate(holders):
        email = None if kind == "e-mail" else False
        user = create_user("trainee", email=email, phone=f"08129999{n:04d}")
        user.phone = "+6281200001111"  # as a walk-in, or an old double registration, shares it
        if kind == "walk-in":
            user.password_hash = services.unusable_password()  # no password yet, as a walk-in
        made.append(user)
    db.session.commit()
    found = services.user_by_phone("+6281200001111")
    assert found is (None if logs_in is None else made[logs_in])


def test_api_token_with_a_phone(client, phone_user):
    response = client.post("/api/v1/tokens", json={"phone": "0812 3456 7890", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["id"] == phone_user.id
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.get_json()["email"] is None
    assert me.get_json()["preferred_channel"] == phone_user.preferred_channel
    wrong = client.post(
        "/api/v1/tokens", json={"phone": "081234567890", "password": "x"}, headers=EN
    )
    assert wrong.status_code == 401
    assert wrong.get_json()["error"]["message"] == "The mobile number or the password is wrong."


def test_login_budget_is_shared_by_every_spelling_of_a_phone(app, client, monkeypatch, phone_user):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    for spelling in ("081234567890", "+6281234567890"):
        assert client.post("/login", data={"email": spelling, "password": "x"}).status_code == 400
    response = client.post(
        "/api/v1/tokens", json={"phone": "62 812 3456 7890", "password": PASSWORD}
    )
    assert response.status_code == 429


def test_api_creates_a_trainee_without_email(client, api_headers, dummy_staff):
    body = {
        "password": PASSWORD,
        "name": "Komang Ayu",
        "role": "trainee",
        "phone": "0812-7777-6666",
        "preferred_channel": "sms",
    }
    response = client.post("/api/v1/users", json=body, headers=api_headers(dummy_staff))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["email"] is None and created["phone"] == "+6281277776666"
    assert created["preferred_channel"] == "sms"
    staff_without = {**body, "role": "trainer", "phone": "081277776667"}
    refused = client.post("/api/v1/users", json=staff_without, headers=api_headers(dummy_staff))
    assert refused.status_code == 400
    assert "email" in refused.get_json()["error"]["fields"]
    unknown = {**body, "phone": "081277776668", "preferred_channel": "pigeon"}
    refused = client.post("/api/v1/users", json=unknown, headers=api_headers(dummy_staff))
    assert refused.status_code == 400
    assert "preferred_channel" in refused.get_json()["error"]["fields"]


def test_api_user_objects_carry_the_channel(client, api_headers, dummy_staff, dummy_trainee):
    response = client.get("/api/v1/users", headers=api_headers(dummy_staff))
    assert {item["preferred_channel"] for item in response.get_json()["items"]} == {"email"}


# --- password reset by a code -------------------------------------------------------------------


def ask_code(client, phone="0812 3456 7890", headers=None):
    return client.post("/password/forgot", data={"email": phone}, headers=headers or EN)


def reset(client, code, phone="081234567890", password=NEW_PASSWORD, headers=None):
    return client.post(
        "/password/code",
        data={"phone": phone, "code": code, "password": password, "confirm": password},
        headers=headers or EN,
    )


def test_reset_by_a_code_sent_to_the_phone(client, phone_user):
    response = ask_code(client)
    assert response.status_code == 302 and response.location == "/password/code"
    page = client.get("/password/code", headers=EN).get_data(as_text=True)
    assert "If an account uses this mobile number, we have sent it a code" in page
    assert 'value="+6281234567890"' in page  # the number asked with is filled in
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.kind == "password_code" and message.user_id == phone_user.id
    assert message.recipient == "+6281234567890"
    code = last_code(phone_user)
    assert code in message.body and message.wa_params == [code]
    row = db.session.scalar(select(OneTimeCode))
    assert code not in row.code_hash  # only a keyed hash is stored

    assert reset(client, code).status_code == 302
    db.session.expire_all()
    assert services.authenticate("081234567890", NEW_PASSWORD) is not None
    # single use
    response = reset(client, code, password="teh-Lampung-3")
    assert response.status_code == 400
    assert field_errors(response)["code"] == [
        "This code is wrong, has expired or was already used. Ask for a new one."
    ]


def test_an_unknown_phone_is_answered_the_same(client, phone_user):
    known = ask_code(client)
    unknown = ask_code(client, "0813 0000 1111")
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location
    assert (
        db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.recipient.like("+62813%")))
        is None
    )


def test_a_code_expires(client, phone_user, clock):
    ask_code(client)
    code = last_code(phone_user)
    clock.shift(15 * 60 + 1)
    assert reset(client, code).status_code == 400
    assert services.authenticate("081234567890", PASSWORD) is not None


def test_a_new_code_replaces_the_old_one(client, phone_user):
    ask_code(client)
    first = last_code(phone_user)
    ask_code(client)
    second = last_code(phone_user)
    if first != second:
        assert reset(client, first).status_code == 400
    assert reset(client, second).status_code == 302


def test_wrong_codes_spend_the_code(app, client, monkeypatch, phone_user):
    monkeypatch.setitem(app.config, "PASSWORD_CODE_MAX_TRIES", 3)
    ask_code(client)
    code = last_code(phone_user)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(3):
        assert reset(client, wrong).status_code == 400
    db.session.expire_all()
    row = db.session.scalar(select(OneTimeCode))
    assert row.wrong_tries == 3 and row.used_at is not None
    assert reset(client, code).status_code == 400  # even the right one, now


def test_a_weak_password_keeps_the_code(client, phone_user):
    ask_code(client)
    code = last_code(phone_user)
    response = reset(client, code, password="12345678")
    assert response.status_code == 400 and "password" in field_errors(response)
    assert reset(client, code).status_code == 302


def test_asking_for_codes_is_rate_limited(app, client, monkeypatch, phone_user):
    """Each code is an SMS the office pays for: the account's budget of sent messages
    (RESET_SEND_RATE_LIMIT) counts every spelling of its number."""
    monkeypatch.setitem(app.config, "RESET_SEND_RATE_LIMIT", "2 per 10 minutes")
    assert [ask_code(client).status_code for _ in range(2)] == [302, 302]
    assert ask_code(client, "+62 812 3456 7890").status_code == 429


def test_entering_codes_is_rate_limited(app, client, monkeypatch, phone_user):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    ask_code(client)
    assert [reset(client, "000000").status_code for _ in range(2)] == [400, 400]
    assert reset(client, last_code(phone_user)).status_code == 429


def test_an_email_still_gets_a_link(client, dummy_trainee):
    response = client.post("/password/forgot", data={"email": dummy_trainee.email})
    assert response.status_code == 302 and response.location == "/login"
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.kind == "password_reset"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_code_pages_in_both_languages(client, lang):
    headers = {"Accept-Language": lang}
    forgot = client.get("/password/forgot", headers=headers).get_data(as_text=True)
    assert tr("E-mail or mobile number", lang) in forgot
    page = client.get("/password/code", headers=headers).get_data(as_text=True)
    assert tr("Code", lang) in page
    assert tr("No code arrived? Ask for a new one", lang) in page


def test_a_phone_only_trainee_gets_the_code_by_sms(client, sms_gateway, phone_user):
    """End to end: the code leaves through the SMS gateway, and it resets the password."""
    ask_code(client)
    assert outbox.deliver_pending() == 1
    [body] = sms_gateway.bodies
    assert body["to"] == "+6281234567890"
    code = re.search(r"\b(\d{6})\b", body["text"]).group(1)
    assert reset(client, code).status_code == 302
    assert (
        client.post(
            "/login", data={"email": "0812 3456 7890", "password": NEW_PASSWORD}
        ).status_code
        == 302
    )


def test_staff_create_a_trainee_with_a_phone_and_no_email(client, login, dummy_staff):
    login(dummy_staff)
    form = client.get("/users/new", headers=EN).get_data(as_text=True)
    assert 'name="phone"' in form
    data = {
        "name": "Komang Ayu",
        "email": "",
        "phone": "0812 5555 4444",
        "password": PASSWORD,
        "role": "trainee",
        "partner_id": "0",
    }
    response = client.post("/users/new", data=data)
    assert response.status_code == 302, field_errors(response)
    user = db.session.scalar(select(User).where(User.phone == "+6281255554444"))
    assert user.email is None and user.role == "trainee"
    # a trainer still needs an e-mail address
    refused = client.post(
        "/users/new", data={**data, "role": "trainer", "phone": "081255554445"}, headers=EN
    )
    assert refused.status_code == 400
    assert "email" in field_errors(refused)


# --- two registrations with one number at once --------------------------------------------------


def test_two_registrations_with_one_number_at_once_make_one_account(app, pause_after_check):
    """A double tap on a slow phone sends the registration twice. No unique index can hold the
    phone's rule (a number shared by accounts with e-mail, never with one without), so the
    number is locked before the check: the second request waits until the first has committed,
    then finds the number taken. Without the lock both would pass the check, and neither
    account could log in by its number."""
    checked, go = pause_after_check("first")  # the first request has checked, and waits
    outcomes = {}

    def register(name):
        return lambda: services.create_user(
            email=None, password=PASSWORD, name=name, phone="0812 3456 7890"
        )

    first = in_thread(app, outcomes, "first", register("first"), done="created")
    assert checked.wait(10)
    second = in_thread(app, outcomes, "second", register("second"), done="created")
    second.join(1)  # with the lock it waits for the first; without it, it is done by now
    go.set()
    first.join(10)
    second.join(10)
    assert outcomes == {"first": "created", "second": "taken"}
    db.session.rollback()
    assert db.session.scalars(select(User.name).where(User.phone == "+6281234567890")).all() == [
        "first"
    ]
