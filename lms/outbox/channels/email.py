"""The e-mail channel: SMTP, as Latih always did (MAIL_SERVER and friends)."""

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import parseaddr

from . import Channel, DeliveryFailed


class EmailChannel(Channel):
    """E-mail through the SMTP server in MAIL_SERVER; one connection per delivery run."""

    key = "email"
    labels = {"id": "E-mail", "en": "E-mail"}
    order = 10
    carries = "email"

    def __init__(self, config):
        super().__init__(config)
        self._smtp = None

    @classmethod
    def configured(cls, config):
        return bool(config.get("MAIL_SERVER"))

    @classmethod
    def address(cls, user):
        email = getattr(user, "email", None)
        # an erased account keeps a placeholder address that reaches no one
        return email if email and not email.endswith("@invalid") else None

    def _connection(self):
        if self._smtp is None:
            config = self.config
            try:
                smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
                smtp.__enter__()
                if config.get("MAIL_USE_TLS"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            except (smtplib.SMTPException, OSError) as exc:
                raise DeliveryFailed(f"SMTP: {exc}", retryable=True) from exc
            self._smtp = smtp
        return self._smtp

    def send(self, message, address):
        email = EmailMessage()
        email["From"] = self.config["MAIL_FROM"]
        email["To"] = address
        email["Subject"] = message.subject
        # the idempotency key: a mail server or mailbox keeps one message per Message-ID, so a
        # copy sent again after a worker died mid-delivery is dropped, not shown twice
        email["Message-ID"] = self.message_id(message)
        email.set_content(message.body)
        smtp = self._connection()
        try:
            smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            # the address is refused (550 no such user): this channel will not reach the person
            raise DeliveryFailed(f"SMTP: {exc}", retryable=False) from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx: the server asks to come back later; 5xx: final
            raise DeliveryFailed(
                f"SMTP {exc.smtp_code}: {exc}", retryable=exc.smtp_code < 500
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self._smtp = None  # the connection broke: the next message opens a new one
            raise DeliveryFailed(f"SMTP: {exc}", retryable=True) from exc

    def message_id(self, message):
        """The message's stable ``Message-ID``: its idempotency key at the sender's domain."""
        domain = parseaddr(self.config.get("MAIL_FROM") or "")[1].rpartition("@")[2]
        return f"<{self.idempotency_key(message)}@{domain or 'latih.invalid'}>"

    def close(self):
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.__exit__(None, None, None)
            self._smtp = None
