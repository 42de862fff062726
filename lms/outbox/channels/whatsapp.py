"""The WhatsApp channel: the WhatsApp Business Cloud API's ``/{phone-number-id}/messages``.

The office writes first, so every message is an approved template message: the template named
on the message (``wa_template``, see lms/outbox/whatsapp_templates.py) in the person's language,
with the message's variables. Settings: WHATSAPP_URL (the full endpoint, e.g.
``https://graph.facebook.com/v21.0/<phone-number-id>/messages``), WHATSAPP_TOKEN (a system
user's access token) and WHATSAPP_LANGUAGES (Latih's language -> the template language code).

Each request carries the message's idempotency key as the ``Idempotency-Key`` header (a business
solution provider's gateway in front of the Cloud API drops a repeated key) and as
``biz_opaque_callback_data``, which Meta echoes in its status webhooks.
"""

import json

from ..whatsapp_templates import by_name
from . import DeliveryFailed, HttpChannel

#: Cloud API error codes worth another try: rate limits, "something went wrong", service down
RETRYABLE_CODES = {1, 2, 4, 80007, 130429, 131000, 131016, 131048, 131056, 133004}


class WhatsAppChannel(HttpChannel):
    """Approved template messages through the WhatsApp Business Cloud API."""

    key = "whatsapp"
    labels = {"id": "WhatsApp", "en": "WhatsApp"}
    order = 20

    @classmethod
    def configured(cls, config):
        return bool(config.get("WHATSAPP_URL") and config.get("WHATSAPP_TOKEN"))

    @classmethod
    def address(cls, user):
        return getattr(user, "phone", None) or None

    def payload(self, message, address):
        """The Cloud API's JSON for one template message."""
        languages = self.config.get("WHATSAPP_LANGUAGES") or {}
        if isinstance(languages, str):
            languages = json.loads(languages)
        parameters = [{"type": "text", "text": str(value)} for value in message.wa_params or []]
        template = {
            "name": message.wa_template,
            "language": {"code": languages.get(message.locale, message.locale)},
        }
        components = [{"type": "body", "parameters": parameters}] if parameters else []
        declared = by_name(message.wa_template)
        if declared is not None and declared.copy_code_button and parameters:
            # an authentication template's "copy code" button repeats the code
            components.append(
                {"type": "button", "sub_type": "url", "index": "0", "parameters": parameters[:1]}
            )
        if components:
            template["components"] = components
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": address.removeprefix("+"),
            "type": "template",
            "template": template,
            # the idempotency key, echoed in the delivery webhooks (a receipt names its message)
            "biz_opaque_callback_data": self.idempotency_key(message),
        }

    def send(self, message, address):
        if not message.wa_template:
            raise DeliveryFailed("no WhatsApp template for this message", retryable=False)
        answer = self.post(
            self.config["WHATSAPP_URL"],
            self.config["WHATSAPP_TOKEN"],
            self.payload(message, address),
            key=self.idempotency_key(message),
        )
        if not (isinstance(answer, dict) and answer.get("messages")):
            raise DeliveryFailed(f"unexpected answer: {json.dumps(answer)[:300]}", retryable=True)

    def retry_http(self, status, raw):
        try:
            code = json.loads(raw)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return super().retry_http(status, raw)
        return code in RETRYABLE_CODES or status >= 500
