"""The outbox and its delivery attempts."""

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

#: the kinds of message whose texts carry a one-time secret (a link or a code that sets the
#: account's password, sent by lms.auth.services): only their recipient may read them
SECRET_KINDS = frozenset({"password_reset", "password_code"})


class OutboxMessage(db.Model):
    """A message waiting to be delivered (or already delivered) to one person, through the
    channel they read (e-mail, SMS, WhatsApp or a plugin's)."""

    __tablename__ = "outbox"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the address it went (or will go) to: an e-mail address or a +62 phone number
    recipient: Mapped[str] = mapped_column(String(254))
    #: the user it is about, if any
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: machine name of the message, e.g. "password_reset"
    kind: Mapped[str] = mapped_column(String(40))
    #: language it was written in
    locale: Mapped[str] = mapped_column(String(5))
    #: the subject line, in the recipient's language
    subject: Mapped[str] = mapped_column(String(300))
    #: the plain-text body (e-mail)
    body: Mapped[str] = mapped_column(Text)
    #: the short text for a phone (SMS; the variables of a WhatsApp template carry it too)
    text: Mapped[str | None] = mapped_column(Text)
    #: name of the approved WhatsApp template this message is sent with
    wa_template: Mapped[str | None] = mapped_column(String(100))
    #: the WhatsApp template's variables, in order ({{1}}, {{2}}, ...)
    wa_params: Mapped[list | None] = mapped_column(JSON)
    #: when it was queued (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: set once delivered; None while waiting
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: the channel that delivered it (key of the lms.channels entry point)
    channel: Mapped[str | None] = mapped_column(String(40))
    #: not before this time (UTC): the back-off after a failed attempt; None: at once
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: set when every channel that reaches the person failed for good; nothing more is tried
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when staff last sent it again after it failed (``lms.outbox.services.send_again``): the
    #: attempts before it no longer count, and it is part of the idempotency key
    resent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: delivery attempts so far, on every channel
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the last delivery error, if any
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: the id of the request (or job) that wrote it: the delivery's log lines carry it, so that
    #: one id follows a registration from its request to the message reaching the person
    request_id: Mapped[str | None] = mapped_column(String(64))

    #: the recipient
    user = relationship("User")

    @property
    def carries_secret(self):
        """Whether its texts hold a one-time secret (:data:`SECRET_KINDS`)."""
        return self.kind in SECRET_KINDS

    def delivery_key(self, channel):
        """The idempotency key of this message on ``channel``: derived from the row (its id and
        the second it was written, so that a restored or new database never reuses one), the
        same on every try, so that a gateway drops a second copy of a message it accepted
        (a worker killed between the gateway's answer and the commit that records it)."""
        stamp = self.created_at.strftime("%Y%m%d%H%M%S")
        if self.resent_at is not None:  # sent again: a new copy, which a gateway must not drop
            stamp += self.resent_at.strftime("-%Y%m%d%H%M%S")
        return f"latih-{self.id}-{stamp}-{channel}"

    @property
    def current_attempts(self):
        """The attempts since it was last sent again (all of them if never): the ones that
        count towards giving a channel up."""
        if self.resent_at is None:
            return list(self.attempt_log)
        return [a for a in self.attempt_log if a.attempted_at >= self.resent_at]

    #: every delivery attempt, oldest first
    attempt_log = relationship(
        "DeliveryAttempt",
        back_populates="message",
        order_by="DeliveryAttempt.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class DeliveryAttempt(db.Model):
    """One try to deliver a message through one channel, and what came of it."""

    __tablename__ = "outbox_attempts"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the message tried
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    #: the channel tried
    channel: Mapped[str] = mapped_column(String(40))
    #: the address tried on it
    recipient: Mapped[str] = mapped_column(String(254))
    #: when it was tried (UTC)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: whether the channel accepted the message
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the error the channel gave, if it failed
    error: Mapped[str | None] = mapped_column(String(500))
    #: whether that error is worth another try on the same channel
    retryable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: when the channel's answer was recorded (UTC); None while the call is under way, or when
    #: the worker died during it (then the next try sends again with the same idempotency key)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: the message tried
    message = relationship("OutboxMessage", back_populates="attempt_log")
