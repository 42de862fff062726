"""The outbox: messages written in the caller's transaction, shown to staff, delivered later."""

import smtplib

from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from lms.extensions import db
from lms.outbox import services as outbox
from lms.outbox.models import OutboxMessage
from tests.fixtures.users import log_in

LINK = "http://localhost/password/reset/tok-123"


def queue_reset(user, link=LINK):
    return outbox.queue(user, "password_reset", "emails/password_reset", link=link, minutes=60)


def count():
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def test_queue_writes_in_the_users_language(create_user):
    english = create_user("trainee", name="Ani", locale="en")
    message = queue_reset(english)
    db.session.commit()
    assert message.recipient == english.email
    assert message.user_id == english.id
    assert message.locale == "en"
    assert message.subject == "Set a new password for Latih"
    assert message.body.startswith("Hello Ani,")
    assert LINK in message.body
    assert "60 minutes" in message.body
    assert message.sent_at is None


def test_queue_defaults_to_indonesian(create_user):
    user = create_user("trainee", name="Budi")
    message = queue_reset(user)
    assert message.locale == "id"
    with force_locale("id"):
        assert message.subject == gettext("Set a new password for Latih")
        assert message.body.startswith(gettext("Hello %(name)s,", name="Budi"))


def test_queue_is_part_of_the_callers_transaction(dummy_trainee):
    queue_reset(dummy_trainee)
    db.session.rollback()
    assert count() == 0


def test_staff_read_the_outbox(client, login, dummy_staff, create_user):
    ani = create_user("trainee", email="ani@example.org", locale="en")
    budi = create_user("trainee", email="budi@example.org", locale="en")
    first = queue_reset(ani, "http://localhost/password/reset/for-ani")
    queue_reset(budi, "http://localhost/password/reset/for-budi")
    db.session.commit()
    login(dummy_staff)

    page = client.get("/outbox/").get_data(as_text=True)
    assert "ani@example.org" in page and "budi@example.org" in page
    assert "Set a new password for Latih" in page
    assert f'href="/outbox/{first.id}"' in page

    filtered = client.get("/outbox/?q=ANI@").get_data(as_text=True)
    assert "ani@example.org" in filtered and "budi@example.org" not in filtered
    for wildcard in ("%", "_"):
        nothing = client.get("/outbox/", query_string={"q": wildcard}).get_data(as_text=True)
        assert "ani@example.org" not in nothing

    detail = client.get(f"/outbox/{first.id}", headers={"Accept-Language": "en"})
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "ani@example.org" in text and "Set a new password for Latih" in text
    # the link sets Ani's password: only Ani reads it, never the office
    assert "for-ani" not in text and "for-budi" not in text
    assert 'data-testid="secret-hidden"' in text


def test_staff_read_a_message_without_a_secret_whole(client, login, dummy_staff, create_user):
    ani = create_user("trainee", email="ani@example.org", locale="en")
    # a kind without a secret (the template of a reset will do for its text)
    message = outbox.queue(
        ani, "test", "emails/password_reset", link="http://localhost/c/ABC", minutes=60
    )
    db.session.commit()
    login(dummy_staff)
    text = client.get(f"/outbox/{message.id}").get_data(as_text=True)
    assert 'href="http://localhost/c/ABC"' in text  # a link staff can follow
    assert 'data-testid="secret-hidden"' not in text


def test_the_demo_shows_password_links_in_the_outbox(make_app, dummy_staff, create_user):
    """The demo delivers nothing: its password links are read in the outbox, as before."""
    demo = make_app(OUTBOX_SHOW_SECRETS=True)
    message = queue_reset(create_user("trainee", email="ani@example.org"), LINK)
    db.session.commit()
    client = log_in(demo.test_client(), dummy_staff)
    assert f'href="{LINK}"' in client.get(f"/outbox/{message.id}").get_data(as_text=True)


def test_outbox_says_when_empty(client, login, dummy_staff):
    login(dummy_staff)
    page = client.get("/outbox/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "No messages." in page
    assert "No channel is configured (no mail server, SMS gateway or WhatsApp number)" in page


def test_outbox_pages(client, login, dummy_staff, dummy_trainee):
    messages = [
        queue_reset(dummy_trainee, f"http://localhost/password/reset/n{n}") for n in range(25)
    ]
    db.session.commit()
    ids = [message.id for message in messages]
    login(dummy_staff)

    def listed(query):
        page = client.get(f"/outbox/{query}").get_data(as_text=True)
        return [i for i in ids if f'href="/outbox/{i}"' in page]

    first, second = listed(""), listed("?page=2")
    assert first == ids[5:]  # the newest first, 20 a page
    assert second == ids[:5]
    assert listed("?page=99") == []


# --- delivery -----------------------------------------------------------------------------------


def test_nothing_is_delivered_without_a_mail_server(app, monkeypatch, dummy_trainee):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setattr(smtplib, "SMTP", None)  # would fail if used
    queue_reset(dummy_trainee)
    db.session.commit()
    assert outbox.deliver_pending() == 0
    assert len(outbox.pending()) == 1


def test_delivery_sends_and_marks(smtp, create_user, clock):
    ani = create_user("trainee", email="ani@example.org", locale="en")
    busy = create_user("trainee", email="busy@example.org", locale="en")
    bad = create_user("trainee", email="bad@example.org", locale="en")
    queue_reset(ani)
    waiting = queue_reset(busy)
    refused = queue_reset(bad)
    db.session.commit()
    smtp.busy = {"busy@example.org"}
    smtp.refuse = {"bad@example.org"}

    assert outbox.deliver_pending() == 1
    assert [m["To"] for m in smtp.sent] == ["ani@example.org"]
    assert smtp.sent[0]["Subject"] == "Set a new password for Latih"
    assert LINK in smtp.sent[0].get_content()
    assert ("starttls",) in smtp.calls and ("login", "latih") in smtp.calls
    assert [c for c in smtp.calls if c[0] == "connect"] == [("connect", "smtp.example.org", 587)]
    # a 421 is tried again later; a 550 is final, and no other channel reaches bad@ (no SMS here)
    assert [m.id for m in outbox.pending()] == [waiting.id]
    db.session.refresh(waiting)
    db.session.refresh(refused)
    assert waiting.attempts == 1 and "421" in waiting.last_error
    assert [(a.channel, a.ok, a.retryable) for a in waiting.attempt_log] == [("email", False, True)]
    assert waiting.next_attempt_at is not None
    assert refused.failed_at is not None and refused.sent_at is None
    assert [(a.channel, a.ok, a.retryable) for a in refused.attempt_log] == [
        ("email", False, False)
    ]

    # the next run at once leaves the waiting one alone: it backs off a minute
    smtp.busy = set()
    assert outbox.deliver_pending() == 0
    clock.shift(61)
    assert outbox.deliver_pending() == 1
    assert [m["To"] for m in smtp.sent] == ["ani@example.org", "busy@example.org"]
    assert outbox.pending() == []
    db.session.refresh(waiting)
    assert waiting.channel == "email" and waiting.attempts == 2
    assert [a.ok for a in waiting.attempt_log] == [False, True]
