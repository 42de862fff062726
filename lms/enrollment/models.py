"""Enrolments."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

ENROLLMENT_STATUSES = ("pending", "enrolled", "waitlisted", "rejected", "cancelled", "completed")
ENROLLMENT_STATUS_LABELS = {
    "pending": _l("Awaiting approval"),
    "enrolled": _l("Enrolled"),
    "waitlisted": _l("On the waitlist"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Completed"),
}
#: how an enrolment came about: the usual way (the trainee, staff, an import) or a walk-in added
#: by a trainer at a session
ENROLLMENT_ORIGINS = ("registration", "walk_in")
ENROLLMENT_ORIGIN_LABELS = {"registration": _l("Registration"), "walk_in": _l("Walk-in")}
#: statuses that hold a seat: such an enrolment is on the rosters, has a rate and counts in reports
SEAT_STATUSES = ("enrolled", "completed")


class Enrollment(db.Model):
    """A trainee's place (or request for one) in a course; one row per trainee and course."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id", name="uq_enrollments_course_user"),
        # two trainees never share a waitlist position in one course
        UniqueConstraint("course_id", "waitlist_position", name="uq_enrollments_waitlist"),
        CheckConstraint(
            "status IN ({})".format(", ".join(repr(s) for s in ENROLLMENT_STATUSES)),
            name="status",
        ),
        CheckConstraint(
            "(status = 'waitlisted') = (waitlist_position IS NOT NULL)", name="waitlist_position"
        ),
        CheckConstraint(
            "origin IN ({})".format(", ".join(repr(s) for s in ENROLLMENT_ORIGINS)), name="origin"
        ),
        # a course's roster by status; with user_id, the annual report reads a year's
        # enrolments from the index alone
        Index("ix_enrollments_course_status_user", "course_id", "status", "user_id"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the course
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    #: the trainee
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: one of ENROLLMENT_STATUSES
    status: Mapped[str] = mapped_column(String(16))
    #: order on the waitlist (1 = next to move up); set only while waitlisted
    waitlist_position: Mapped[int | None] = mapped_column(Integer)
    #: when it was requested (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it last changed (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: staff member who approved, rejected or changed the status by hand
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: reason given with a rejection or a cancellation
    reason: Mapped[str | None] = mapped_column(String(500))
    #: when the reminder before the first session was queued (sent once)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the trainee was told their attendance fell below the threshold (cleared on recovery)
    attendance_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the class group of the course the trainee is placed in (None: none)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("class_groups.id", ondelete="SET NULL"), index=True
    )
    #: one of ENROLLMENT_ORIGINS: "walk_in" when a trainer added the person at a session
    origin: Mapped[str] = mapped_column(
        String(16), default="registration", server_default="registration"
    )

    #: the course
    course = relationship("Course")
    #: the trainee
    user = relationship("User", foreign_keys=[user_id])
    #: who approved or rejected it
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    #: the class group the trainee is placed in
    group = relationship("ClassGroup")

    @property
    def status_label(self):
        return ENROLLMENT_STATUS_LABELS[self.status]

    def __repr__(self):
        return f"<Enrollment {self.id} course={self.course_id} user={self.user_id} {self.status}>"
