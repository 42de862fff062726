"""Audit log entries."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db


class AuditEntry(db.Model):
    """One change that matters: who did what to which record, with old and new values."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    #: surrogate key; entries are only ever added
    id: Mapped[int] = mapped_column(primary_key=True)
    #: when it happened (UTC)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: the user who acted; None for the system or an anonymous request
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: dotted action name, e.g. "enrollment.approved", "user.role_changed"
    action: Mapped[str] = mapped_column(String(64), index=True)
    #: table-ish name of the object, e.g. "enrollment"
    object_type: Mapped[str] = mapped_column(String(32))
    #: id of the object, e.g. the enrolment's id
    object_id: Mapped[int | None] = mapped_column(Integer)
    #: details: old and new values, reasons
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    #: client address of the request, if any
    ip: Mapped[str | None] = mapped_column(String(45))

    #: the user who acted
    actor = relationship("User")
