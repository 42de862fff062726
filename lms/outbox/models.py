"""The outbox table."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db


class OutboxMessage(db.Model):
    """An e-mail waiting to be sent (or already sent) to one recipient."""

    __tablename__ = "outbox"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: recipient address
    recipient: Mapped[str] = mapped_column(String(254))
    #: the user it is about, if any
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: machine name of the message, e.g. "password_reset"
    kind: Mapped[str] = mapped_column(String(40))
    #: language it was written in
    locale: Mapped[str] = mapped_column(String(5))
    #: the subject line, in the recipient's language
    subject: Mapped[str] = mapped_column(String(300))
    #: the plain-text body
    body: Mapped[str] = mapped_column(Text)
    #: when it was queued (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: set once delivered; None while waiting
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: delivery attempts so far
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the last delivery error, if any
    last_error: Mapped[str | None] = mapped_column(String(500))

    #: the recipient
    user = relationship("User")
