"""Courses, their trainers and their sessions (meetings)."""

import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

COURSE_STATUSES = ("draft", "published", "closed", "archived")
#: the statuses in which anyone sees a course (closed: registration closed by hand, the page stays)
VISIBLE_STATUSES = ("published", "closed")
COURSE_STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "closed": _l("Closed"),
    "archived": _l("Archived"),
}

course_trainers = Table(
    "course_trainers",
    db.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Course(db.Model):
    """A course (one batch) of some course type, run by a partner."""

    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(repr(s) for s in COURSE_STATUSES)), name="status"
        ),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint(
            "registration_closes_at >= registration_opens_at", name="registration_ordered"
        ),
        CheckConstraint(
            "attendance_threshold IS NULL OR (attendance_threshold >= 0 AND attendance_threshold <= 1)",
            name="threshold_range",
        ),
        CheckConstraint("enrolled_count >= 0 AND enrolled_count <= capacity", name="seats"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="ages"),
        # the catalogue's order (newest start first, the id breaking ties), alone or after the
        # type or partner filter: a page walks one of these and stops, whatever the table's size
        Index("ix_courses_starts_on_id", "starts_on", "id"),
        Index("ix_courses_type_starts_on_id", "type_key", "starts_on", "id"),
        Index("ix_courses_partner_starts_on_id", "partner_id", "starts_on", "id"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: short unique code of the batch, e.g. "BHS-MAN-2026-01"
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: title in Indonesian
    title: Mapped[str] = mapped_column(String(200))
    #: optional English title
    title_en: Mapped[str | None] = mapped_column(String(200))
    #: description in Indonesian
    description: Mapped[str | None] = mapped_column(Text)
    #: optional English description
    description_en: Mapped[str | None] = mapped_column(Text)
    #: key of the course-type plugin (lms.course_types entry point)
    type_key: Mapped[str] = mapped_column(String(40))
    #: the partner institution that runs it
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"))
    #: number of seats; None for a course of a type that does not enrol (no seat limit)
    capacity: Mapped[int | None] = mapped_column(Integer)
    #: seats taken (enrolled and completed), kept in step inside the enrolment transaction
    enrolled_count: Mapped[int] = mapped_column(Integer, default=0)
    #: first day (local date)
    starts_on: Mapped[date] = mapped_column(Date)
    #: last day (local date)
    ends_on: Mapped[date] = mapped_column(Date)
    #: registration opens (UTC); None for a course of a type that does not enrol
    registration_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: registration closes (UTC); None for a course of a type that does not enrol
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: enrolments wait for a staff decision
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    #: a full course puts new enrolments on a waitlist instead of refusing them
    waitlist: Mapped[bool] = mapped_column(Boolean, default=True)
    #: minimum attendance rate (0..1) for a certificate; None uses the course type's default
    attendance_threshold: Mapped[float | None] = mapped_column(Float)
    #: months a certificate of this course stays valid; None uses the course type's default
    #: (which may be None: no expiry)
    certificate_validity_months: Mapped[int | None] = mapped_column(Integer)
    #: one of COURSE_STATUSES; only published courses are visible to the public
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    #: where the course takes place (town, site)
    location: Mapped[str | None] = mapped_column(String(200))
    #: target groups allowed to enrol; empty means everyone
    target_groups: Mapped[list] = mapped_column(JSON, default=list)
    #: minimum age on the start date
    min_age: Mapped[int | None] = mapped_column(Integer)
    #: maximum age on the start date
    max_age: Mapped[int | None] = mapped_column(Integer)
    #: the course type's own fields, validated by its plugin form
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    #: when it was made (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it last changed (UTC)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    #: the partner institution that runs it
    partner = relationship("Partner")
    #: the trainers assigned to it, by name
    trainers = relationship("User", secondary=course_trainers, order_by="User.name")
    #: its meetings, in time order
    sessions = relationship(
        "CourseSession",
        back_populates="course",
        order_by="CourseSession.starts_at",
        cascade="all, delete-orphan",
    )

    @hybrid_property
    def visible(self):
        """Whether anyone may see the course (in SQL too: ``where(Course.visible)``)."""
        return self.status in VISIBLE_STATUSES

    @visible.inplace.expression
    @classmethod
    def _visible_expression(cls):
        return cls.status.in_(VISIBLE_STATUSES)

    def __repr__(self):
        return f"<Course {self.id} {self.code}>"


class CourseSession(db.Model):
    """One meeting of a course, with start and end in time (stored in UTC)."""

    __tablename__ = "course_sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="times_ordered"),
        CheckConstraint("people_reached IS NULL OR people_reached >= 0", name="people_reached"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the course it is a meeting of
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    #: start (UTC)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: end (UTC)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: what the meeting covers
    topic: Mapped[str | None] = mapped_column(String(200))
    #: room or field site, when it differs from the course's location
    location: Mapped[str | None] = mapped_column(String(200))
    #: set when the meeting was called off; a cancelled session is never "held"
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why it was cancelled, shown to trainees
    cancel_reason: Mapped[str | None] = mapped_column(String(300))
    #: per-session secret (hex) from which the rotating check-in code is derived; made with the
    #: session, so that showing the code never writes
    checkin_secret: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(20))
    #: how many people the session reached, as a trainer or staff counted them (a session of a
    #: course whose type counts people); None until recorded
    people_reached: Mapped[int | None] = mapped_column(Integer)
    #: the class group it is a meeting of; None: the whole course (lms.catalog.groups)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("class_groups.id", ondelete="SET NULL"), index=True
    )

    #: the course it is a meeting of
    course = relationship("Course", back_populates="sessions")
    #: the class group it is a meeting of (None: the whole course)
    group = relationship("ClassGroup")

    def __repr__(self):
        return f"<CourseSession {self.id} course={self.course_id}>"


class CatalogVersion(db.Model):
    """One row: a number bumped in the same transaction as any change to what the public
    catalogue shows, so that a worker's cached anonymous page (``lms.catalog.pagecache``) is
    known stale as soon as that change is committed."""

    __tablename__ = "catalog_version"

    #: always 1: the table holds one row (inserted by its migration)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: raised by one at the commit of every change to courses, their trainers, enrolments,
    #: partners or a user's name
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    def __repr__(self):
        return f"<CatalogVersion {self.version}>"
