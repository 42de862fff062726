"""No message sent twice: every message carries an idempotency key derived from its outbox row
(an e-mail's Message-ID, an SMS or WhatsApp gateway's Idempotency-Key header), each attempt is on
record before its channel is called, and a run that stopped after the gateway accepted the
message (before the commit that says so) is followed by one that sends again with the same key,
which the gateway drops: the person gets the message once.

The fake gateways (tests/fixtures/gateways.py) honour the key as real ones do. Here the sender
stops by an exception raised where the gateway has accepted the message; tests/jobs/test_worker.py
kills a real worker process with SIGKILL at that point.
"""

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.outbox import services as outbox
from lms.outbox.models import DeliveryAttempt, OutboxMessage

LINK = "http://localhost/password/reset/tok-123"


class Killed(BaseException):
    """The process dying: nothing in the delivery run catches it, nothing more is committed."""


def queue_reset(user):
    return outbox.queue(user, "password_reset", "emails/password_reset", link=LINK, minutes=60)


def attempts(message_id):
    """The message's attempts as another process reads them (only what was committed)."""
    db.session.rollback()
    db.session.expire_all()
    return db.session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.message_id == message_id)
    ).all()


def _die(*_args):
    raise Killed


def _post_or_die(post):
    """HttpChannel.post that dies where the gateway cut the connection after accepting (a
    killed sender never reads the answer, nor records an error)."""

    def post_or_die(self, *args, **kwargs):
        try:
            return post(self, *args, **kwargs)
        except Exception:
            raise Killed from None

    return post_or_die


def deliver_and_die(monkeypatch):
    """A delivery run that dies once a gateway has accepted a message; the session as after."""
    from lms.outbox.channels import HttpChannel

    with monkeypatch.context() as patch:
        patch.setattr(HttpChannel, "post", _post_or_die(HttpChannel.post))
        with pytest.raises(Killed):
            outbox.deliver_pending()
    db.session.rollback()


@pytest.fixture(params=["email", "sms", "whatsapp"])
def channel(request, create_user, app, monkeypatch):
    """(key, the person, what their gateway delivered, what it dropped, dying on accept on/off)."""
    key = request.param
    if key == "email":
        smtp = request.getfixturevalue("smtp")
        monkeypatch.setitem(app.config, "MAIL_FROM", "Latih <latih@bp3mi.example.go.id>")
        user = create_user("trainee", email="ani@example.org", preferred_channel="email")

        def die_on_accept(on=True):
            monkeypatch.setattr(smtp, "on_accept", _die if on else None)

        return key, user, lambda: smtp.sent, lambda: smtp.duplicates, die_on_accept
    gateway = request.getfixturevalue("sms_gateway" if key == "sms" else "whatsapp_api")
    user = create_user("trainee", email=False, phone="081234567890", preferred_channel=key)

    def die_on_accept(on=True):
        # the gateway keeps the message and cuts the connection before its answer
        gateway.on_accept = (lambda _request: True) if on else None

    return key, user, lambda: gateway.delivered, lambda: gateway.duplicates, die_on_accept


def test_each_message_has_a_stable_key_of_its_own(channel, create_user):
    key, user, delivered, _duplicates, _die = channel
    message = queue_reset(user)
    other = queue_reset(user)
    db.session.commit()
    assert message.delivery_key(key) == message.delivery_key(key)
    assert message.delivery_key(key) != other.delivery_key(key)
    assert message.delivery_key(key) != message.delivery_key("another")
    assert outbox.deliver_pending() == 2
    sent = delivered()
    if key == "email":
        assert [m["Message-ID"] for m in sent] == [
            f"<{message.delivery_key('email')}@bp3mi.example.go.id>",
            f"<{other.delivery_key('email')}@bp3mi.example.go.id>",
        ]
    else:
        assert [r["headers"]["Idempotency-Key"] for r in sent] == [
            message.delivery_key(key),
            other.delivery_key(key),
        ]


def test_a_sender_stopped_after_the_gateway_accepted_does_not_send_twice(
    channel, clock, app, monkeypatch
):
    key, user, delivered, duplicates, die_on_accept = channel
    message = queue_reset(user)
    db.session.commit()
    message_id = message.id

    die_on_accept()
    deliver_and_die(monkeypatch)
    die_on_accept(False)

    # the gateway has the message; the database says only that an attempt is under way
    assert len(delivered()) == 1
    [started] = attempts(message_id)
    assert (started.channel, started.ok, started.finished_at) == (key, False, None)
    assert db.session.get(OutboxMessage, message_id).sent_at is None

    # the message is held by the dead run's lease; once it ends, the next run sends it again
    assert outbox.deliver_pending() == 0
    clock.shift(app.config["OUTBOX_LEASE_SECONDS"] + 1)
    assert outbox.deliver_pending() == 1

    # with the same key: the gateway dropped the copy, the person got the message once
    assert len(delivered()) == 1 and len(duplicates()) == 1
    first, second = attempts(message_id)
    assert (first.ok, first.retryable, first.error) == (False, True, outbox.INTERRUPTED)
    assert first.finished_at is not None
    assert (second.channel, second.ok) == (key, True)
    message = db.session.get(OutboxMessage, message_id)
    assert message.channel == key and message.sent_at is not None
    if key == "email":
        assert duplicates()[0]["Message-ID"] == delivered()[0]["Message-ID"]
    else:
        assert (
            duplicates()[0]["headers"]["Idempotency-Key"]
            == delivered()[0]["headers"]["Idempotency-Key"]
            == message.delivery_key(key)
        )


def test_a_cut_off_attempt_is_repeated_on_its_channel_first(
    sms_gateway, whatsapp_api, create_user, clock, app, monkeypatch
):
    """The person changed their channel while a delivery was cut off: the message is sent again
    where the gateway may already have it (its key there), not on the new channel as well."""
    user = create_user("trainee", email=False, phone="081234567890", preferred_channel="sms")
    message = queue_reset(user)
    db.session.commit()
    sms_gateway.on_accept = lambda _request: True
    deliver_and_die(monkeypatch)
    sms_gateway.on_accept = None
    user.preferred_channel = "whatsapp"
    db.session.commit()
    clock.shift(app.config["OUTBOX_LEASE_SECONDS"] + 1)
    assert outbox.deliver_pending() == 1
    assert len(sms_gateway.delivered) == 1 and len(sms_gateway.duplicates) == 1
    assert whatsapp_api.requests == []
    assert db.session.get(OutboxMessage, message.id).channel == "sms"


def test_the_outbox_page_shows_an_attempt_under_way(smtp, create_user, client, monkeypatch):
    from tests.fixtures.users import log_in

    staff = create_user("staff")
    user = create_user("trainee", email="ani@example.org")
    message = queue_reset(user)
    db.session.commit()
    monkeypatch.setattr(smtp, "on_accept", _die)
    deliver_and_die(monkeypatch)
    log_in(client, staff)
    page = client.get(f"/outbox/{message.id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "under way" in page.get_data(as_text=True)


def test_an_sms_gateway_with_a_client_reference_field_gets_the_key_there(
    sms_gateway, create_user, app, monkeypatch
):
    monkeypatch.setitem(
        app.config, "SMS_BODY_TEMPLATE", '{"msisdn": "{to}", "message": "{text}", "ref": "{ref}"}'
    )
    user = create_user("trainee", email=False, phone="081234567890", preferred_channel="sms")
    message = queue_reset(user)
    db.session.commit()
    assert outbox.deliver_pending() == 1
    [request] = sms_gateway.requests
    assert request["body"]["ref"] == request["headers"]["Idempotency-Key"]
    assert request["body"]["ref"] == message.delivery_key("sms")
