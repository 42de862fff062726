"""Attendance marks and assessment results."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

ATTENDANCE_STATUSES = ("present", "late", "excused", "absent")
ATTENDANCE_STATUS_LABELS = {
    "present": _l("Present"),
    "late": _l("Late"),
    "excused": _l("Excused"),
    "absent": _l("Absent"),
}
ATTENDANCE_SOURCES = ("trainer", "checkin", "offline", "import", "walk_in", "scan", "excuse")


class Attendance(db.Model):
    """One trainee's mark for one session: one row per session and enrolment."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "enrollment_id", name="uq_attendance_session_enrollment"),
        CheckConstraint(
            "status IN ({})".format(", ".join(repr(s) for s in ATTENDANCE_STATUSES)),
            name="status",
        ),
        CheckConstraint(
            "source IN ({})".format(", ".join(repr(s) for s in ATTENDANCE_SOURCES)),
            name="source",
        ),
        # an enrolment's marks; with session and status, the annual report's pooled
        # attendance rate is read from the index alone
        Index("ix_attendance_enrollment_session_status", "enrollment_id", "session_id", "status"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the session marked
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"))
    #: the trainee's enrolment in the session's course
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    #: one of ATTENDANCE_STATUSES
    status: Mapped[str] = mapped_column(String(16))
    #: a trainer's remark, e.g. why someone is excused
    note: Mapped[str | None] = mapped_column(String(300))
    #: who marked it (the trainee for a QR check-in)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when the mark was last changed (UTC)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: how it was marked: one of ATTENDANCE_SOURCES
    source: Mapped[str] = mapped_column(String(16), default="trainer")

    #: the session marked
    session = relationship("CourseSession")
    #: the enrolment marked
    enrollment = relationship("Enrollment")
    #: who marked it
    marked_by = relationship("User")


class AttendanceBatch(db.Model):
    """A batch id already applied, so that an offline client's resend changes nothing."""

    __tablename__ = "attendance_batches"

    #: the client's batch id (a UUID)
    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the session the batch was saved for
    session_id: Mapped[int] = mapped_column(ForeignKey("course_sessions.id", ondelete="CASCADE"))
    #: when it was applied (UTC)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: who sent it
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Assessment(db.Model):
    """The final assessment result of one enrolment: a score, or competent / not yet competent."""

    __tablename__ = "assessments"
    __table_args__ = (
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the enrolment assessed (one result each)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), unique=True
    )
    #: score 0..100, when the type scores
    score: Mapped[float | None] = mapped_column(Float)
    #: competent (True) / not yet competent (False)
    competent: Mapped[bool | None] = mapped_column(Boolean)
    #: who recorded the result
    assessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when it was recorded or last changed (UTC)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    #: the enrolment assessed
    enrollment = relationship("Enrollment")
