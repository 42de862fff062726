"""Staff view of the outbox: what was sent (through which channel) or waits to be sent, each
attempt, and the WhatsApp templates the office registers (in development: read mail here)."""

import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.models import User
from lms.auth.permissions import roles_required
from lms.core.pagination import paginate
from lms.core.transaction import attempt
from lms.extensions import db

from . import gsm, registry
from . import services as outbox
from . import whatsapp_templates as wa
from .filters import OutboxFilters
from .models import OutboxMessage

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@bp.app_template_global("channel_label")
def channel_label(key):
    """A channel's name in the page's language (the key of one no longer registered)."""
    channel = registry.get(key) if key else None
    return channel.label(str(get_locale())) if channel else key


@bp.route("/")
@roles_required("staff")
def index():
    filters = OutboxFilters.from_args(request.args)
    page = paginate(filters.apply(select(OutboxMessage).order_by(OutboxMessage.id.desc())))
    enabled = [channel.label(str(get_locale())) for channel in registry.enabled()]
    return render_template(
        "outbox/index.html",
        page=page,
        filters=filters,
        person=db.session.get(User, filters.user) if filters.user is not None else None,
        # the list of failures offers to send the last days' again (after a gateway's outage)
        resendable=filters.failed and outbox.can_send_again_recent(),
        resend_days=outbox.RESEND_DAYS,
        delivering=bool(enabled),
        enabled=", ".join(enabled),
    )


@bp.route("/send-again", methods=["POST"])
@roles_required("staff")
def send_again_recent():
    """Send again every message given up in the last days that can be (after a gateway was down
    longer than the retries last); the list of failures shows what is left."""
    count = outbox.send_again_recent(current_user._get_current_object())
    flash(
        ngettext(
            "%(num)s message waits to be sent again.",
            "%(num)s messages wait to be sent again.",
            count,
        ),
        "success" if count else "info",
    )
    return redirect(url_for("outbox.index", failed=1), 303)


@bp.route("/<int:message_id>")
@roles_required("staff")
def detail(message_id):
    return _render_detail(db.get_or_404(OutboxMessage, message_id))


def _render_detail(message, error=None, code=200):
    sms = gsm.describe(message.text) if message.text else None
    template = wa.by_name(message.wa_template) if message.wa_template else None
    hidden = not outbox.texts_shown(message)
    variables = (
        list(zip(template.variables, message.wa_params or [], strict=False))
        if template and not hidden
        else []
    )
    return render_template(
        "outbox/detail.html",
        message=message,
        hidden=hidden,
        sms=sms,
        variables=variables,
        # a failed message: sent again by staff, or why it cannot be
        resend_refusal=outbox.resend_refusal(message) if message.failed_at else None,
        error=error,
    ), code


@bp.route("/<int:message_id>/send-again", methods=["POST"])
@roles_required("staff")
def send_again(message_id):
    """Send a message that failed on every channel again, at the addresses the account has now;
    a refusal is the message's page with the reason (409)."""
    message = db.get_or_404(OutboxMessage, message_id)
    with attempt() as outcome:
        outbox.send_again(message, current_user._get_current_object())
    if outcome.error is not None:
        db.session.refresh(message)
        return _render_detail(message, str(outcome.error.message), outcome.error.status)
    flash(_("The message waits to be sent again."), "success")
    return redirect(url_for("outbox.detail", message_id=message.id), 303)


@bp.route("/whatsapp-templates")
@roles_required("staff")
def whatsapp_templates():
    """The templates to register in WhatsApp Manager, with their variables, in both languages."""
    bodies = {}
    for template in wa.TEMPLATES:
        bodies[template.name] = {}
        for locale in ("id", "en"):
            with force_locale(locale):
                bodies[template.name][locale] = str(template.body)
    return render_template(
        "outbox/whatsapp_templates.html",
        templates=wa.TEMPLATES,
        bodies=bodies,
        languages=_languages(),
    )


def _languages():
    """Latih's language -> the code its templates are registered under (WHATSAPP_LANGUAGES)."""
    languages = current_app.config["WHATSAPP_LANGUAGES"]
    return json.loads(languages) if isinstance(languages, str) else languages
