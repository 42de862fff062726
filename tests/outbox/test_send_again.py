"""Staff send a message that failed on every channel again, once the person's address is right
(``lms.outbox.services.send_again``): every channel is tried afresh, at the account's addresses,
under a new idempotency key; the earlier attempts stay on record."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth import services as auth_services
from lms.errors import Conflict
from lms.extensions import db
from lms.outbox import services as outbox
from tests.fixtures.pages import text
from tests.fixtures.users import log_in
from tests.outbox.test_channels import reload


@pytest.fixture
def walk_in(create_user):
    """A trainee known by a mistyped mobile number only, who reads SMS."""
    return create_user(
        "trainee", email=False, name="Wayan Sari", phone="0812-3456-0000", preferred_channel="sms"
    )


def queue_welcome(user):
    return outbox.queue(
        user, "account_welcome", "emails/account_welcome", link="http://localhost/password/forgot"
    )


def failed_message(user, sms_gateway, kind="welcome"):
    """A message to ``user`` that the SMS gateway refused for good."""
    sms_gateway.default = (400, {"error": "invalid number"})
    if kind == "welcome":
        message = queue_welcome(user)
    else:
        message = outbox.queue(user, "password_code", "emails/password_code", code="1", minutes=15)
    db.session.commit()
    outbox.deliver_pending()
    message = reload(message)
    assert message.failed_at is not None
    return message


def test_a_corrected_number_gets_the_message_sent_again(walk_in, sms_gateway, clock, create_user):
    message = failed_message(walk_in, sms_gateway)
    first_key = sms_gateway.requests[0]["headers"]["Idempotency-Key"]
    # the office corrects the number the trainer typed, then sends the message again
    staff = create_user("staff")
    auth_services.update_profile(walk_in, {"phone": "0812-3456-7890"}, actor=staff)
    clock.shift(timedelta(minutes=1))
    outbox.send_again(message, staff)
    db.session.commit()
    message = reload(message)
    assert message.failed_at is None and message.recipient == "+6281234567890"
    sms_gateway.default = (200, {"ok": True})
    assert outbox.deliver_pending() == 1
    message = reload(message)
    assert message.sent_at is not None
    assert [a.ok for a in message.attempt_log] == [False, True]  # the refusal stays on record
    again = sms_gateway.requests[-1]
    assert again["body"]["to"].endswith("81234567890")
    assert again["headers"]["Idempotency-Key"] != first_key
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.resent"))
    assert entry.actor_id == staff.id and entry.object_id == message.id


def test_the_earlier_attempts_no_longer_count(
    walk_in, sms_gateway, clock, create_user, app, monkeypatch
):
    """A channel given up before is tried again as many times as a new message's."""
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    sms_gateway.default = (503, {"error": "busy"})
    message = queue_welcome(walk_in)
    db.session.commit()
    for _ in range(2):
        outbox.deliver_pending()
        clock.shift(timedelta(hours=1))
    assert reload(message).failed_at is not None
    outbox.send_again(reload(message), create_user("staff"))
    db.session.commit()
    outbox.deliver_pending()
    message = reload(message)
    assert message.failed_at is None and message.next_attempt_at is not None  # a back-off
    assert len(sms_gateway.requests) == 3


@pytest.mark.parametrize("state", ["sent", "waiting", "secret", "unreachable"])
def test_what_is_not_sent_again(walk_in, sms_gateway, create_user, state):
    sms_gateway.default = (200, {"ok": True}) if state == "sent" else (400, {"error": "no"})
    if state == "secret":
        message = outbox.queue(
            walk_in, "password_code", "emails/password_code", code="1", minutes=15
        )
    else:
        message = queue_welcome(walk_in)
    db.session.commit()
    if state != "waiting":
        outbox.deliver_pending()
    message = reload(message)
    if state == "unreachable":  # the person's number was erased meanwhile
        walk_in.phone = None
        db.session.commit()
    with pytest.raises(Conflict):
        outbox.send_again(message, create_user("staff"))


# --- the page --------------------------------------------------------------------------------


def test_staff_send_it_again_from_the_messages_page(client, walk_in, sms_gateway, create_user):
    message = failed_message(walk_in, sms_gateway)
    log_in(client, create_user("staff"))
    page = client.get(f"/outbox/{message.id}")
    assert 'data-testid="send-again"' in page.text
    assert f'href="/users/{walk_in.id}"' in page.text
    response = client.post(f"/outbox/{message.id}/send-again")
    assert response.status_code == 303
    page = client.get(response.location)
    assert "Pesan menunggu untuk dikirim ulang." in text(page)
    assert 'data-testid="send-again"' not in page.text
    assert reload(message).failed_at is None


def test_a_message_that_cannot_be_sent_again_says_why(client, walk_in, sms_gateway, create_user):
    message = failed_message(walk_in, sms_gateway, kind="secret")
    log_in(client, create_user("staff"))
    page = client.get(f"/outbox/{message.id}", headers={"Accept-Language": "en"})
    assert 'data-testid="send-again"' not in page.text
    assert "A password link or code is not sent again" in text(page)
    refused = client.post(f"/outbox/{message.id}/send-again", headers={"Accept-Language": "en"})
    assert refused.status_code == 409
    assert re.search(r'data-testid="resend-error"', refused.text)
    assert reload(message).failed_at is not None


def test_nothing_is_sent_again_while_no_channel_is_on(walk_in, create_user):
    message = queue_welcome(walk_in)
    db.session.flush()
    message.failed_at = message.created_at  # given up while a gateway was configured
    db.session.commit()
    with pytest.raises(Conflict, match="Tidak ada saluran yang aktif"):
        outbox.send_again(message, create_user("staff"))


def test_a_message_that_does_not_exist(client, create_user):
    log_in(client, create_user("staff"))
    assert client.post("/outbox/999999/send-again").status_code == 404


# --- after a gateway's outage: every recent failure at once -------------------------------------


def test_after_an_outage_staff_send_the_last_days_failures_again(
    client, create_user, sms_gateway, clock
):
    """The gateway was down longer than the retries last: the messages of those days go again,
    at once; a password code, an older failure and a delivered message are left alone."""
    people = [
        create_user("trainee", email=False, phone=f"0812-5555-000{n}", preferred_channel="sms")
        for n in range(4)
    ]
    old = failed_message(people[0], sms_gateway)
    clock.shift(timedelta(days=outbox.RESEND_DAYS + 1))
    recent = [failed_message(person, sms_gateway) for person in people[1:3]]
    code = failed_message(people[3], sms_gateway, kind="secret")
    staff = create_user("staff")
    log_in(client, staff)
    listed = client.get("/outbox/?failed=1")
    assert 'data-testid="send-again-recent"' in listed.text
    response = client.post("/outbox/send-again")
    assert response.status_code == 303 and response.location == "/outbox/?failed=1"
    assert "2 pesan menunggu untuk dikirim ulang." in text(client.get(response.location))
    assert [reload(m).failed_at is None for m in recent] == [True, True]
    assert reload(old).failed_at is not None and reload(code).failed_at is not None
    sms_gateway.default = (200, {"ok": True})
    assert outbox.deliver_pending() == 2


def test_the_list_offers_it_only_when_there_is_something_to_send(client, create_user):
    log_in(client, create_user("staff"))
    assert 'data-testid="send-again-recent"' not in client.get("/outbox/?failed=1").text
    response = client.post("/outbox/send-again")
    assert response.status_code == 303
    assert "0 pesan menunggu untuk dikirim ulang." in text(client.get(response.location))


# --- at the desk: "the SMS never came" ------------------------------------------------------------


def test_a_persons_account_lists_their_messages_and_leads_to_sending_again(
    client, walk_in, sms_gateway, create_user
):
    message = failed_message(walk_in, sms_gateway)
    log_in(client, create_user("staff"))
    page = client.get(f"/users/{walk_in.id}")
    shown = text(page)
    assert "+6281234560000" in shown  # the number the trainer typed, to be checked
    assert "Akun Latih Anda sudah siap" in shown and "gagal" in shown
    assert f'href="/outbox/{message.id}"' in page.text
    assert 'data-testid="all-messages"' not in page.text


def test_an_account_with_many_messages_links_to_all_of_them(client, walk_in, create_user):
    from lms.users.views import MESSAGES_SHOWN

    for _ in range(MESSAGES_SHOWN + 1):
        queue_welcome(walk_in)
    other = create_user("trainee")
    queue_welcome(other)
    db.session.commit()
    log_in(client, create_user("staff"))
    page = client.get(f"/users/{walk_in.id}").text
    assert len(re.findall(r'href="/outbox/\d+"', page)) == MESSAGES_SHOWN
    link = re.search(r'href="([^"]*)"[^>]*data-testid="all-messages"', page).group(1)
    assert link == f"/outbox/?user={walk_in.id}"
    listed = client.get(link).text
    assert len(re.findall(r'href="/outbox/\d+"', listed)) == MESSAGES_SHOWN + 1
    assert "Pesan untuk Wayan Sari." in text(client.get(link))


def test_an_account_without_messages_says_so(client, create_user):
    log_in(client, create_user("staff"))
    person = create_user("trainee")
    assert 'data-testid="no-messages"' in client.get(f"/users/{person.id}").text


@pytest.mark.parametrize("value", ["99999999999999999999", "abc", "-5", "0"])
def test_a_bad_account_number_in_the_outbox_link_is_dropped(client, walk_in, create_user, value):
    """A mistyped or forged ?user= opens the whole outbox, never a 500 (a number beyond the
    database's integers overflowed the query)."""
    message = queue_welcome(walk_in)
    db.session.commit()
    log_in(client, create_user("staff"))
    page = client.get(f"/outbox/?user={value}")
    assert page.status_code == 200
    assert f'href="/outbox/{message.id}"' in page.text
    assert 'data-testid="person-only"' not in page.text
