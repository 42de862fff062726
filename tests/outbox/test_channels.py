"""Message channels: SMS through an HTTP gateway and WhatsApp through the Cloud API (each against
a local fake server), retries with back-off, every attempt recorded, and the fallback to the
next channel that reaches the person."""

import pytest
from flask_babel import force_locale, gettext

from lms.extensions import db
from lms.outbox import gsm, registry
from lms.outbox import services as outbox
from lms.outbox.models import OutboxMessage

EN = {"Accept-Language": "en"}
LINK = "http://localhost/password/reset/tok-123"


def queue_reset(user):
    return outbox.queue(user, "password_reset", "emails/password_reset", link=LINK, minutes=60)


def queue_code(user, code="123456"):
    return outbox.queue(user, "password_code", "emails/password_code", code=code, minutes=15)


@pytest.fixture
def phone_trainee(create_user):
    """A trainee with a phone number and no e-mail, who reads SMS."""
    return create_user(
        "trainee", email=False, name="Wayan Sari", phone="0812-3456-7890", preferred_channel="sms"
    )


def reload(message):
    db.session.expire_all()
    return db.session.get(OutboxMessage, message.id)


# --- the registry -------------------------------------------------------------------------------


def test_the_built_in_channels_are_registered_in_their_order(app):
    assert list(app.extensions["channels"]) == ["email", "whatsapp", "sms"]


def test_a_channel_without_its_settings_is_off(app, monkeypatch):
    assert registry.enabled() == []
    monkeypatch.setitem(app.config, "SMS_URL", "http://127.0.0.1:9/send")
    assert registry.enabled() == []  # a URL without the token is not enough
    monkeypatch.setitem(app.config, "SMS_TOKEN", "t")
    assert [c.key for c in registry.enabled()] == ["sms"]


def test_a_disabled_channel_is_not_registered(make_app):
    other = make_app(CHANNELS_DISABLED="whatsapp")
    assert list(other.extensions["channels"]) == ["email", "sms"]


def test_channels_without_settings_deliver_nothing(phone_trainee):
    queue_code(phone_trainee)
    db.session.commit()
    assert outbox.deliver_pending() == 0
    assert len(outbox.pending()) == 1


# --- SMS ----------------------------------------------------------------------------------------


def test_sms_goes_to_the_gateway_as_json_with_a_bearer_token(sms_gateway, phone_trainee):
    message = queue_code(phone_trainee, "482913")
    db.session.commit()
    assert message.recipient == "+6281234567890"

    assert outbox.deliver_pending() == 1
    [request] = sms_gateway.requests
    assert request["path"] == "/api/send"
    assert request["headers"]["Authorization"] == "Bearer sms-token"
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["body"]["to"] == "+6281234567890"
    with force_locale("id"):
        expected = gettext(
            "Latih: your code for a new password is %(code)s. It works once, for %(minutes)s "
            "minutes. Do not share it.",
            code="482913",
            minutes=15,
        )
    assert request["body"] == {"to": "+6281234567890", "text": expected}
    message = reload(message)
    assert message.channel == "sms" and message.sent_at is not None
    assert [(a.channel, a.recipient, a.ok) for a in message.attempt_log] == [
        ("sms", "+6281234567890", True)
    ]


def test_sms_body_template_as_a_form_and_the_number_as_the_gateway_writes_it(
    app, monkeypatch, sms_gateway, phone_trainee
):
    monkeypatch.setitem(
        app.config,
        "SMS_BODY_TEMPLATE",
        '{"msisdn": "{to}", "message": "{text}", "sender": "LATIH"}',
    )
    monkeypatch.setitem(app.config, "SMS_BODY_FORMAT", "form")
    monkeypatch.setitem(app.config, "SMS_NUMBER_FORMAT", "0")
    outbox.queue(phone_trainee, "test", "emails/password_code", code='7"{x}', minutes=15)
    db.session.commit()

    assert outbox.deliver_pending() == 1
    [request] = sms_gateway.requests
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    body = request["body"]
    assert body["msisdn"] == "081234567890" and body["sender"] == "LATIH"
    assert '7"{x}' in body["message"]  # the text goes in as data, whatever it holds


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_code_and_the_reset_link_fit_one_sms(create_user, locale):
    user = create_user("trainee", email=False, phone="081234567891", locale=locale)
    for message in (queue_code(user), queue_reset(user)):
        assert gsm.is_gsm7(message.text), message.text
        assert gsm.parts(message.text) == 1, (len(message.text), message.text)


def test_a_message_without_a_short_text_sends_its_subject_and_links(phone_trainee):
    from datetime import timedelta

    from lms.core.time import local_today

    message = outbox.queue(
        phone_trainee,
        "enrollment_reminder",
        "emails/password_reset",  # any template without ``short`` will do: take this one's body
        link="http://localhost/x",
        minutes=60,
        starts=local_today() + timedelta(days=1),
    )
    assert "http://localhost/x" in message.text


def test_sms_parts():
    assert gsm.parts("a" * 160) == 1 and gsm.parts("a" * 161) == 2
    assert gsm.parts("a" * 306) == 2 and gsm.parts("a" * 307) == 3
    assert gsm.length("€") == 2 and gsm.parts("€" * 80) == 1 and gsm.parts("€" * 81) == 2
    assert not gsm.is_gsm7("Rp 10.000 ✓")
    assert gsm.parts("✓" * 70) == 1 and gsm.parts("✓" * 71) == 2
    assert gsm.describe("halo") == ("GSM-7", 4, 160, 1)


# --- WhatsApp -----------------------------------------------------------------------------------


def test_whatsapp_sends_the_approved_template_with_its_variables(
    whatsapp_api, create_user, monkeypatch, app
):
    monkeypatch.setitem(app.config, "WHATSAPP_LANGUAGES", {"id": "id", "en": "en_US"})
    user = create_user(
        "trainee",
        email=False,
        name="Wayan Sari",
        phone="+62 812 3456 7890",
        preferred_channel="whatsapp",
        locale="en",
    )
    message = queue_reset(user)
    db.session.commit()

    assert outbox.deliver_pending() == 1
    [request] = whatsapp_api.requests
    assert request["path"] == "/v21.0/1234567890/messages"
    assert request["headers"]["Authorization"] == "Bearer wa-token"
    assert request["body"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281234567890",
        "type": "template",
        "template": {
            "name": "latih_password_reset",
            "language": {"code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Wayan Sari"},
                        {"type": "text", "text": LINK},
                        {"type": "text", "text": "60"},
                    ],
                }
            ],
        },
        "biz_opaque_callback_data": message.delivery_key("whatsapp"),
    }
    assert request["headers"]["Idempotency-Key"] == message.delivery_key("whatsapp")
    assert reload(message).channel == "whatsapp"


def test_whatsapp_code_has_the_copy_code_button(whatsapp_api, create_user):
    user = create_user("trainee", email=False, phone="081234567892", preferred_channel="whatsapp")
    queue_code(user, "555111")
    db.session.commit()
    assert outbox.deliver_pending() == 1
    template = whatsapp_api.bodies[0]["template"]
    assert template["name"] == "latih_password_code"
    assert template["language"] == {"code": "id"}
    assert template["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "555111"}]},
        {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            "parameters": [{"type": "text", "text": "555111"}],
        },
    ]


def test_other_messages_go_with_the_generic_template_on_one_line(whatsapp_api, create_user):
    user = create_user(
        "trainee", email=False, name="Ani", phone="081234567893", preferred_channel="whatsapp"
    )
    outbox.queue(user, "something_new", "emails/password_reset", link=LINK, minutes=60)
    db.session.commit()
    assert outbox.deliver_pending() == 1
    template = whatsapp_api.bodies[0]["template"]
    assert template["name"] == "latih_message"
    values = [p["text"] for p in template["components"][0]["parameters"]]
    assert values[0] == "Ani"
    assert all("\n" not in value for value in values) and LINK in values[2]


# --- retries, attempts and the fallback ---------------------------------------------------------


def test_a_busy_gateway_is_tried_again_after_a_back_off(sms_gateway, phone_trainee, clock):
    sms_gateway.replies = [(503, {"error": "busy"}), (429, {"error": "slow down"})]
    message = queue_code(phone_trainee)
    db.session.commit()

    assert outbox.deliver_pending() == 0
    message = reload(message)
    assert message.attempts == 1 and "HTTP 503" in message.last_error
    assert message.next_attempt_at is not None and message.failed_at is None
    assert outbox.deliver_pending() == 0  # not due yet: nothing is sent
    assert len(sms_gateway.requests) == 1

    clock.shift(61)
    assert outbox.deliver_pending() == 0  # 429: again, four minutes later
    clock.shift(60)
    assert outbox.deliver_pending() == 0
    clock.shift(4 * 60)
    assert outbox.deliver_pending() == 1
    message = reload(message)
    assert [(a.ok, a.retryable) for a in message.attempt_log] == [
        (False, True),
        (False, True),
        (True, False),
    ]
    assert "HTTP 503" in message.attempt_log[0].error and "busy" in message.attempt_log[0].error
    assert message.channel == "sms"


def test_a_channel_that_fails_for_good_hands_over_to_the_next(
    sms_gateway, whatsapp_api, create_user
):
    # 131026: the number is not on WhatsApp; the same phone still takes SMS
    whatsapp_api.replies = [(400, {"error": {"message": "Message undeliverable", "code": 131026}})]
    user = create_user("trainee", email=False, phone="081234567894", preferred_channel="whatsapp")
    message = queue_code(user)
    db.session.commit()

    assert outbox.deliver_pending() == 1
    message = reload(message)
    assert message.channel == "sms"
    assert [(a.channel, a.ok, a.retryable) for a in message.attempt_log] == [
        ("whatsapp", False, False),
        ("sms", True, False),
    ]
    assert "131026" in message.attempt_log[0].error
    assert len(sms_gateway.requests) == 1


def test_a_channel_that_keeps_failing_hands_over_after_the_last_try(
    app, monkeypatch, sms_gateway, smtp, create_user, clock
):
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    sms_gateway.default = (500, {"error": "down"})
    user = create_user(
        "trainee", email="tini@example.org", phone="081234567895", preferred_channel="sms"
    )
    message = queue_code(user)
    db.session.commit()
    for wait in (0, 61, 4 * 60 + 1):
        clock.shift(wait)
        sent = outbox.deliver_pending()
    assert sent == 1
    message = reload(message)
    assert [(a.channel, a.ok) for a in message.attempt_log] == [
        ("sms", False),
        ("sms", False),
        ("sms", False),
        ("email", True),
    ]
    assert message.channel == "email" and message.recipient == "tini@example.org"
    assert [m["To"] for m in smtp.sent] == ["tini@example.org"]


def test_a_message_fails_when_every_channel_failed_for_good(sms_gateway, phone_trainee):
    sms_gateway.default = (400, {"error": "invalid number"})
    message = queue_code(phone_trainee)
    db.session.commit()
    assert outbox.deliver_pending() == 0
    message = reload(message)
    assert message.failed_at is not None and message.sent_at is None
    assert outbox.pending() == [] and outbox.deliver_pending() == 0
    assert len(sms_gateway.requests) == 1


def test_a_gateway_that_cannot_be_reached_is_retryable(app, monkeypatch, phone_trainee):
    from tests.fixtures.servers import free_port

    monkeypatch.setitem(app.config, "SMS_URL", f"http://127.0.0.1:{free_port()}/send")
    monkeypatch.setitem(app.config, "SMS_TOKEN", "t")
    message = queue_code(phone_trainee)
    db.session.commit()
    assert outbox.deliver_pending() == 0
    [attempt] = reload(message).attempt_log
    assert attempt.retryable and attempt.error


def test_nobody_reachable_yet_waits_without_an_attempt(smtp, phone_trainee, clock):
    message = queue_code(phone_trainee)  # only e-mail is on; the trainee has none
    db.session.commit()
    assert outbox.deliver_pending() == 0
    message = reload(message)
    assert message.attempt_log == [] and message.failed_at is None
    assert message.next_attempt_at is not None


def test_a_message_is_taken_by_one_run_only(sms_gateway, phone_trainee):
    from lms.core.types import utcnow

    message = queue_code(phone_trainee)
    db.session.commit()
    now = utcnow()
    assert outbox._claim(message.id, now) is True
    assert outbox._claim(message.id, now) is False  # another worker finds it taken
    assert outbox.deliver_pending() == 0
    assert sms_gateway.requests == []


# --- the staff pages ----------------------------------------------------------------------------


def test_staff_see_which_channel_delivered_and_every_attempt(
    client, login, dummy_staff, sms_gateway, whatsapp_api, create_user
):
    whatsapp_api.replies = [(400, {"error": {"message": "not on WhatsApp", "code": 131026}})]
    user = create_user(
        "trainee", email=False, phone="081234567896", preferred_channel="whatsapp", locale="en"
    )
    message = queue_code(user, "909090")
    db.session.commit()
    outbox.deliver_pending()
    login(dummy_staff)

    index = client.get("/outbox/", headers=EN).get_data(as_text=True)
    assert '<td data-label="Channel" data-testid="channel">SMS</td>' in index
    assert "Messages are delivered after they are written, through: WhatsApp, SMS." in index

    page = client.get(f"/outbox/{message.id}", headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "delivered by SMS" in text
    assert text.count('data-testid="attempt"') == 2
    assert "not on WhatsApp" in text and "final" in text
    assert "one SMS" in text and "latih_password_code" in text
    assert "909090" not in text  # the code sets the password: only its owner reads it
    assert 'data-testid="secret-hidden"' in text


def test_the_page_says_how_many_parts_a_long_sms_takes(client, login, dummy_staff, create_user):
    user = create_user("trainee", email=False, phone="081234567897", locale="en")
    message = outbox.queue(
        user, "test", "emails/password_reset", link="http://localhost/" + "x" * 200, minutes=60
    )
    db.session.commit()
    login(dummy_staff)
    text = client.get(f"/outbox/{message.id}", headers=EN).get_data(as_text=True)
    assert "sent as 2 SMS parts" in text


@pytest.mark.parametrize("lang", ["en", "id"])
def test_staff_list_the_whatsapp_templates_with_their_variables(client, login, dummy_staff, lang):
    login(dummy_staff)
    page = client.get("/outbox/whatsapp-templates", headers={"Accept-Language": lang})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count('data-testid="wa-template"') == 3
    for name in ("latih_password_code", "latih_password_reset", "latih_message"):
        assert f"<code>{name}</code>" in text
    with force_locale("id"):
        indonesian = gettext("Hello {{1}}, a message from Latih: *{{2}}*. {{3}}")
    assert indonesian in text and "Hello {{1}}, a message from Latih: *{{2}}*. {{3}}" in text
    assert "AUTHENTICATION" in text
    with force_locale(lang):
        assert gettext("Short text") in text


def test_the_outbox_links_to_the_templates(client, login, dummy_staff):
    login(dummy_staff)
    assert 'href="/outbox/whatsapp-templates"' in client.get("/outbox/").get_data(as_text=True)


# --- the command --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["send-mail", "send-messages"])
def test_the_command_delivers_through_every_channel(runner, sms_gateway, phone_trainee, command):
    queue_code(phone_trainee)
    db.session.commit()
    result = runner.invoke(args=["lms", command])
    assert result.exit_code == 0, result.output
    assert "Sent 1 message(s)." in result.output
    assert len(sms_gateway.requests) == 1


def test_a_message_without_a_short_text_or_links_points_to_the_site(create_course, create_user):
    user = create_user("trainee", email=False, phone="081234567898", locale="en")
    course = create_course(title_en="Hotel housekeeping")
    message = outbox.queue(
        user, "enrollment_enrolled", "emails/enrollment_enrolled", enrollment=None, course=course
    )
    assert message.text == f"Latih: You are enrolled: {course.title_en} http://localhost"
    assert message.wa_template == "latih_message"
    assert message.wa_params == [user.name, message.subject, "http://localhost"]


def test_a_message_to_an_erased_person_gives_up(smtp, dummy_trainee):
    from lms.privacy.services import anonymise

    message = queue_reset(dummy_trainee)
    db.session.commit()
    anonymise(dummy_trainee, actor=None)
    db.session.commit()
    assert outbox.deliver_pending() == 0
    message = reload(message)
    assert message.failed_at is not None and message.attempt_log == []
    assert smtp.sent == []
