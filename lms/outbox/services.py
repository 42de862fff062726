"""Queueing messages in the caller's transaction and delivering them after commit."""

import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from lms.core.types import utcnow
from lms.extensions import db

from .models import OutboxMessage


def queue(user, kind, template, locale=None, **context):
    """Write a message to ``user`` in their language, rendered from ``templates/<template>.txt``:
    ``locale`` when given (a language the request asked for), else the profile's, else the
    default (Indonesian).

    The template sets ``subject`` with ``{% set subject %}...{% endset %}``; the rest is the body.
    The row is part of the caller's transaction (written with its next flush, so a bulk change
    writes its messages together): if it rolls back, nothing is sent.
    """
    if locale not in current_app.config["LANGUAGES"]:
        locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        module = current_app.jinja_env.get_template(f"{template}.txt").make_module(
            {"user": user, **context}
        )
        subject = " ".join(str(module.subject).split())
        body = str(module).strip() + "\n"
    message = OutboxMessage(
        recipient=user.email,
        user_id=user.id,
        kind=kind,
        locale=locale,
        subject=subject,
        body=body,
    )
    db.session.add(message)
    return message


def pending(limit=100):
    """Messages not yet sent, oldest first."""
    return db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()


def deliver_pending(limit=100):
    """Send waiting messages through SMTP when MAIL_SERVER is set; returns the number sent.

    Each message is marked in its own small transaction so that a failure does not resend others.
    """
    config = current_app.config
    if not config["MAIL_SERVER"]:
        return 0
    sent = 0
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        for message in pending(limit):
            email = EmailMessage()
            email["From"] = config["MAIL_FROM"]
            email["To"] = message.recipient
            email["Subject"] = message.subject
            email.set_content(message.body)
            message.attempts += 1
            try:
                smtp.send_message(email)
            except smtplib.SMTPException as exc:
                message.last_error = str(exc)[:500]
            else:
                message.sent_at = utcnow()
                sent += 1
            db.session.commit()
    return sent
