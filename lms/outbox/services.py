"""Queueing messages in the caller's transaction and delivering them after commit.

A message is written once, with the texts every channel needs (the e-mail's subject and body, the
short text of an SMS, the WhatsApp template's variables), and delivered later through the
channel the person prefers; a channel that keeps failing hands the message to the next one that
reaches them (lms/outbox/registry.py).
"""

import logging
import re
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from lms.audit import services as audit
from lms.core.logs import current_request_id
from lms.core.types import utcnow
from lms.errors import Conflict
from lms.extensions import db

from . import registry
from . import whatsapp_templates as wa
from .channels import DeliveryFailed
from .models import SECRET_KINDS, DeliveryAttempt, OutboxMessage

log = logging.getLogger(__name__)

_URL = re.compile(r"https?://\S+")


def _links(body):
    """The links of a body, or the site's address when it has none (where to read more)."""
    links = _URL.findall(body)
    base = current_app.config.get("PUBLIC_BASE_URL")
    return links or ([base] if base else [])


def _short_text(module, subject, body):
    """The template's ``short`` text, or else "Latih:", the subject and the body's links."""
    short = getattr(module, "short", None)
    if short is not None and str(short).strip():
        return " ".join(str(short).split())
    return " ".join(["Latih:", subject, *_links(body)])


def _values(user, subject, text, context, module, body):
    """The named values a WhatsApp template's variables are taken from: ``text`` is the
    template's short text, or the body's links (the generic template carries the subject too)."""
    short = getattr(module, "short", None)
    if short is None or not str(short).strip():
        text = " ".join(_links(body)) or subject
    values = {"name": user.name, "subject": subject, "text": text}
    for key, value in context.items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            values.setdefault(key, value)
    return values


def _recipient(user):
    """The address a message to ``user`` is expected to go to (shown while it waits)."""
    preferred = getattr(user, "preferred_channel", None)
    every = sorted(registry.all_channels(), key=lambda c: c.key != preferred)
    for channel in registry.route(user) + every:
        address = channel.address(user)
        if address:
            return address
    return user.email or user.phone or ""


def queue(user, kind, template, locale=None, **context):
    """Write a message to ``user`` in their language, rendered from ``templates/<template>.txt``:
    ``locale`` when given (a language the request asked for), else the profile's, else the
    default (Indonesian).

    The template sets ``subject`` with ``{% set subject %}...{% endset %}``; the rest is the body
    (e-mail). It may set ``short``, the text sent by SMS (keep it within 160 GSM-7 characters);
    without one, the subject and the body's links (or the site's address) are sent. The row is part of the caller's
    transaction (written with its next flush, so a bulk change writes its messages together): if
    it rolls back, nothing is sent. A message that carries a secret (a link or a code that sets
    a password) is of a kind in :data:`~lms.outbox.models.SECRET_KINDS`: the outbox's pages
    then show staff everything but its texts.
    """
    if locale not in current_app.config["LANGUAGES"]:
        locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        module = current_app.jinja_env.get_template(f"{template}.txt").make_module(
            {"user": user, **context}
        )
        subject = " ".join(str(module.subject).split())
        body = str(module).strip() + "\n"
        text = _short_text(module, subject, body)
    template_wa = wa.for_kind(kind)
    message = OutboxMessage(
        recipient=_recipient(user),
        user_id=user.id,
        kind=kind,
        locale=locale,
        subject=subject,
        body=body,
        text=text,
        wa_template=template_wa.name,
        wa_params=wa.params(template_wa, _values(user, subject, text, context, module, body)),
        request_id=current_request_id(),
    )
    db.session.add(message)
    return message


def texts_shown(message):
    """Whether the outbox's pages show the message's texts to staff: not those of a message
    that carries a password link or code (:data:`~lms.outbox.models.SECRET_KINDS`), unless
    OUTBOX_SHOW_SECRETS (the demo, which delivers nothing)."""
    return not message.carries_secret or current_app.config["OUTBOX_SHOW_SECRETS"]


def pending(limit=100):
    """Messages not yet sent and not given up, oldest first."""
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()


def next_due():
    """When the earliest waiting message (not sent, not given up) is due: its back-off's end, the
    present moment for one never tried, None when nothing waits."""
    waiting = (OutboxMessage.sent_at.is_(None), OutboxMessage.failed_at.is_(None))
    if db.session.scalar(
        select(OutboxMessage.id).where(*waiting, OutboxMessage.next_attempt_at.is_(None)).limit(1)
    ):
        return utcnow()
    return db.session.scalar(
        select(OutboxMessage.next_attempt_at)
        .where(*waiting)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(1)
    )


def _due_condition(now):
    return (
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.failed_at.is_(None),
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
    )


def due(limit=100, now=None):
    """Messages to try now: waiting, and past their back-off; oldest first."""
    now = now or utcnow()
    return db.session.scalars(
        select(OutboxMessage).where(*_due_condition(now)).order_by(OutboxMessage.id).limit(limit)
    ).all()


def _claim(message_id, now):
    """Take a message for this run (a lease of OUTBOX_LEASE_SECONDS), so that two workers never
    send it twice; False when another one took it first."""
    lease = now + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, *_due_condition(now))
        .values(next_attempt_at=lease)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def backoff(tries):
    """Seconds to wait after the ``tries``-th failed try on one channel: 1, 4, 16, 64 minutes
    with the default OUTBOX_RETRY_SECONDS of 60, at most six hours."""
    base = current_app.config["OUTBOX_RETRY_SECONDS"]
    return min(base * 4 ** (tries - 1), 6 * 3600)


def _spent(message, max_tries):
    """Channels this message must not be tried on again: a final failure, or too many."""
    tries, spent = {}, set()
    for attempt in message.current_attempts:
        if attempt.ok:
            continue
        tries[attempt.channel] = tries.get(attempt.channel, 0) + 1
        if not attempt.retryable or tries[attempt.channel] >= max_tries:
            spent.add(attempt.channel)
    return spent, tries


def _candidates(message):
    """(channel class, address) pairs to try, best first."""
    if message.user is None:  # an address with no account behind it: e-mail only
        email = registry.get("email")
        if email is not None and email.configured(current_app.config) and message.recipient:
            return [(email, message.recipient)]
        return []
    return [(c, c.address(message.user)) for c in registry.route(message.user)]


#: what an attempt cut off by a dead worker records once the next run finds it
INTERRUPTED = "interrupted before the answer was recorded; sent again with the same key"


def _interrupted(message, now):
    """Close the attempts a dead worker left under way (the gateway may have accepted the
    message); returns the channel of the last one, which is tried first again, with the same
    idempotency key, so that a gateway that took it drops the copy."""
    channel = None
    for attempt in message.current_attempts:
        if attempt.finished_at is None:
            attempt.finished_at = now
            attempt.error = INTERRUPTED
            attempt.retryable = True
            channel = attempt.channel
    return channel


def _log_attempt(message, channel, outcome):
    """One log line per delivery attempt, with the id of the request that wrote the message
    (never its address or text: the message's id leads to them in the outbox)."""
    extra = {"message_id": message.id, "kind": message.kind, "channel": channel, "outcome": outcome}
    if message.request_id:
        extra["request_id"] = message.request_id
    log.info("outbox message %s: %s (%s)", message.id, outcome, channel, extra=extra)


def deliver(message, instances, now=None, started=None):
    """Try to deliver one message: its preferred channel, or the next one when a channel failed
    for good. Records every attempt; True when delivered.

    Each attempt is written before its channel is called, and ``started`` (the delivery run's
    commit) is called then, so that the attempt is on record should the process die during the
    call; the channel sends the message's idempotency key (:meth:`Channel.idempotency_key`), the
    same on the next try, and the gateway drops a message it already accepted.
    """
    config = current_app.config
    now = now or utcnow()
    max_tries = config["OUTBOX_MAX_ATTEMPTS"]
    resume = _interrupted(message, now)
    spent, tries = _spent(message, max_tries)
    candidates = [(c, a) for c, a in _candidates(message) if c.key not in spent]
    # an attempt cut off on a channel is repeated there first (its gateway knows the key)
    candidates.sort(key=lambda pair: pair[0].key != resume)
    if not candidates and not message.current_attempts:
        user = message.user
        if user is None or not any(c.address(user) for c in registry.all_channels()):
            # no address on any channel (an erased account): nothing will ever reach them
            message.last_error = "no address on any channel"
            message.failed_at = now
            message.next_attempt_at = None
            return False
        # only a channel that is off reaches the person: look again later
        message.last_error = "no channel that is on reaches this person"
        message.next_attempt_at = now + timedelta(seconds=backoff(max_tries))
        return False
    for channel_class, address in candidates:
        channel = instances.get(channel_class.key)
        if channel is None:
            channel = instances[channel_class.key] = channel_class(config)
        attempt = DeliveryAttempt(
            channel=channel_class.key, recipient=address, attempted_at=utcnow()
        )
        message.attempt_log.append(attempt)
        message.attempts = (message.attempts or 0) + 1
        if started is not None:
            started()
        try:
            channel.send(message, address)
        except Exception as exc:  # noqa: BLE001  (a plugin's own error counts as a failed try)
            retryable = exc.retryable if isinstance(exc, DeliveryFailed) else True
            attempt.finished_at = utcnow()
            attempt.error = str(exc)[:500] or type(exc).__name__
            attempt.retryable = retryable
            message.last_error = f"{channel_class.key}: {attempt.error}"[:500]
            tries[channel_class.key] = tries.get(channel_class.key, 0) + 1
            _log_attempt(message, channel_class.key, "retry" if retryable else "refused")
            if retryable and tries[channel_class.key] < max_tries:
                message.next_attempt_at = now + timedelta(seconds=backoff(tries[channel_class.key]))
                return False
            continue  # this channel failed for good: the next one that reaches the person
        attempt.ok = True
        attempt.finished_at = message.sent_at = utcnow()
        message.channel = channel_class.key
        message.recipient = address
        message.next_attempt_at = None
        _log_attempt(message, channel_class.key, "sent")
        return True
    message.failed_at = now
    message.next_attempt_at = None
    return False


def deliver_pending(limit=100):
    """Deliver the messages due now through their channels; returns the number delivered.

    Does nothing while no channel is on (then messages stay in the outbox, where staff read
    them). Each message is claimed and marked in its own small transactions, so that a failure
    does not resend others and two workers never send one twice: the claim (a lease), each
    attempt before its channel is called, and its outcome are committed one by one. A run that
    dies between a gateway's acceptance and the last commit leaves the attempt under way; once
    the lease ends the next run sends the message again with the same idempotency key, which
    the gateway drops (exactly once, for a gateway that honours the key).
    """
    if not registry.enabled():
        return 0
    now = utcnow()
    ids = [message.id for message in due(limit, now)]
    instances = {}
    sent = 0
    try:
        for message_id in ids:
            if not _claim(message_id, now):
                continue
            message = db.session.get(OutboxMessage, message_id)
            if deliver(message, instances, now, started=db.session.commit):
                sent += 1
            db.session.commit()
    finally:
        for channel in instances.values():
            channel.close()
    return sent


def resend_refusal(message):
    """Why staff cannot send ``message`` again (translated), or None when they can: only a
    message that failed on every channel is sent again, never one carrying a password's link or
    code (it may have expired: the person asks for a new one), and only to someone a channel
    reaches."""
    if message.sent_at is not None:
        return _("This message was delivered.")
    if message.failed_at is None:
        return _("This message is still being delivered.")
    if message.carries_secret:
        return _(
            "A password link or code is not sent again: the person asks for a new one on the "
            "login page."
        )
    if not registry.enabled():
        return _(
            "No channel is on (no mail server, SMS gateway or WhatsApp number): nothing can be "
            "sent."
        )
    user = message.user
    if user is None or not any(channel.address(user) for channel in registry.route(user)):
        return _(
            "No channel that is on reaches this person: add their e-mail address or mobile "
            "number first."
        )
    return None


def send_again(message, actor, now=None):
    """Send a message that failed on every channel again, at the addresses the account has now
    (staff corrected a mistyped number): it waits for delivery as a new one, every channel tried
    afresh, under a new idempotency key. The earlier attempts stay on record. Audited.

    :raise Conflict: see :func:`resend_refusal`
    """
    refusal = resend_refusal(message)
    if refusal:
        raise Conflict(refusal, code="not_resendable")
    now = now or utcnow()
    message.resent_at = now
    message.failed_at = None
    message.next_attempt_at = None
    message.last_error = None
    message.recipient = _recipient(message.user)
    audit.record("outbox.resent", message, actor=actor, object_type="outbox_message")
    return message  # (the job queue delivers it once the transaction commits: lms.jobs)


def messages_to(user, limit=10):
    """The latest messages written to ``user``, newest first: their account page lists them, so
    that staff at the desk see whether the SMS a trainee says never came was delivered."""
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.user_id == user.id)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    ).all()


#: how far back "send again" of the outbox's list reaches (a gateway's outage of a few days)
RESEND_DAYS = 7


def recently_failed(now=None, limit=None):
    """The messages given up in the last RESEND_DAYS days whose kind may be sent again, oldest
    first (at most ``limit``)."""
    now = now or utcnow()
    return db.session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.failed_at >= now - timedelta(days=RESEND_DAYS),
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.kind.not_in(SECRET_KINDS),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()


def can_send_again_recent():
    """Whether "send them again" has anything to do: a channel is on and a message of a kind
    sent again was given up in the last RESEND_DAYS days."""
    return bool(registry.enabled()) and bool(recently_failed(limit=1))


def send_again_recent(actor, now=None):
    """Send again every message given up in the last RESEND_DAYS days (a gateway was down for
    longer than the retries last) that :func:`send_again` takes; the others are left as they
    are. One transaction; returns how many wait to be sent again."""
    now = now or utcnow()
    again = [m for m in recently_failed(now) if resend_refusal(m) is None]
    for message in again:
        send_again(message, actor, now)
    return len(again)


def forget(user):
    """Erase the texts and addresses of a person's messages (the rows stay, for counts)."""
    ids = select(OutboxMessage.id).where(OutboxMessage.user_id == user.id)
    db.session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.message_id.in_(ids))
        .values(recipient="", error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user.id)
        .values(recipient="", subject="", body="", text=None, wa_params=None)
        .execution_options(synchronize_session=False)
    )
