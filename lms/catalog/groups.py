"""Class groups: a course run as several classes, each with its own timetable and trainers.

An enrolment belongs to at most one group of its course; a session belongs to one group or to
the whole course (``group_id`` None). A group's session is on the roster of its members only and
counts only in their rates.
"""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

class_group_trainers = Table(
    "class_group_trainers",
    db.metadata,
    Column("group_id", ForeignKey("class_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ClassGroup(db.Model):
    """One class of a course (e.g. "Kelas A"), with its own trainers and sessions."""

    __tablename__ = "class_groups"
    __table_args__ = (UniqueConstraint("course_id", "name", name="uq_class_groups_course_name"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the course it is a class of
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    #: its name, unique in the course
    name: Mapped[str] = mapped_column(String(80))
    #: when it was made (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: the course it is a class of
    course = relationship("Course")
    #: the trainers who teach it, by name
    trainers = relationship("User", secondary=class_group_trainers, order_by="User.name")

    def __repr__(self):
        return f"<ClassGroup {self.id} course={self.course_id} {self.name!r}>"
