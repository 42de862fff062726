"""The SMS channel: a generic HTTP gateway (most Indonesian SMS gateways take a JSON or form POST).

Settings: SMS_URL and SMS_TOKEN (POSTed with ``Authorization: Bearer``); SMS_BODY_TEMPLATE, a
JSON object whose string values may hold ``{to}``, ``{text}`` and ``{ref}`` (the message's
idempotency key, for a gateway that takes a client reference; default ``{"to": "{to}",
"text": "{text}"}``; the key always goes in the ``Idempotency-Key`` header too); SMS_BODY_FORMAT ``json`` or ``form``; SMS_NUMBER_FORMAT ``+62`` (the
default), ``62`` or ``0``: how ``{to}`` writes the number.
"""

import json

from . import DeliveryFailed, HttpChannel

DEFAULT_BODY = {"to": "{to}", "text": "{text}"}


def format_number(phone, style):
    """``+628123...`` as the gateway wants it: ``+62`` (unchanged), ``62`` or ``0``."""
    if style == "62":
        return phone.removeprefix("+")
    if style == "0":
        return "0" + phone.removeprefix("+62")
    return phone


def fill(template, values):
    """The body template with ``{to}`` and ``{text}`` replaced in every string value (the
    values go in as data, never parsed: a text with quotes or braces stays one string)."""
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    if isinstance(template, str):
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template
    return template


def body_template(config):
    """The configured body template (a dict, or JSON text from the environment)."""
    raw = config.get("SMS_BODY_TEMPLATE") or DEFAULT_BODY
    if isinstance(raw, str):
        raw = json.loads(raw)
    if not isinstance(raw, dict):
        raise ValueError("SMS_BODY_TEMPLATE must be a JSON object")
    return raw


class SmsChannel(HttpChannel):
    """SMS through the HTTP gateway at SMS_URL."""

    key = "sms"
    labels = {"id": "SMS", "en": "SMS"}
    order = 30

    @classmethod
    def configured(cls, config):
        return bool(config.get("SMS_URL") and config.get("SMS_TOKEN"))

    @classmethod
    def address(cls, user):
        return getattr(user, "phone", None) or None

    def send(self, message, address):
        config = self.config
        to = format_number(address, str(config.get("SMS_NUMBER_FORMAT") or "+62"))
        text = message.text or message.subject
        key = self.idempotency_key(message)
        body = fill(body_template(config), {"to": to, "text": text, "ref": key})
        form = str(config.get("SMS_BODY_FORMAT") or "json").lower() == "form"
        answer = self.post(config["SMS_URL"], config["SMS_TOKEN"], body, form=form, key=key)
        # some gateways answer 200 with {"status": "error"} or {"success": false}
        if isinstance(answer, dict) and (
            answer.get("success") is False
            or str(answer.get("status", "")).lower() in ("error", "failed")
        ):
            raise DeliveryFailed(f"gateway: {json.dumps(answer)[:300]}", retryable=False)
