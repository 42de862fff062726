"""The filters of the office's exports that have no list of their own: enrolments across courses
and attendance; the lists' filters live in their areas (see :mod:`lms.core.filters`)."""

from dataclasses import dataclass

from lms.catalog.filters import CourseArgs
from lms.catalog.models import Course, CourseSession
from lms.core.filters import present
from lms.enrollment.filters import RosterFilters
from lms.enrollment.models import Enrollment


@dataclass(frozen=True)
class EnrollmentFilters(RosterFilters):
    """A roster's filters over a course's enrolments, or every course's (the export page's)."""

    #: only this course's enrolments
    course: Course | None = None

    @classmethod
    def from_args(cls, args, strict=False):
        return cls(**cls._read(CourseArgs(args, strict)))

    @classmethod
    def _read(cls, read):
        """``course`` (id) or ``course_code``, then the roster's."""
        return {"course": read.course(), **super()._read(read)}

    def apply(self, query):
        """Narrow a select that joins the trainee (User) to Enrollment."""
        if self.course is not None:
            query = query.where(Enrollment.course_id == self.course.id)
        return super().apply(query)

    def args(self):
        """The query string that gives these filters back."""
        course = self.course.id if self.course is not None else None
        return present({"course": course, **super().args()})


# --- attendance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceFilters:
    """A course's attendance marks, or every course's."""

    course: Course | None = None

    @classmethod
    def from_args(cls, args, strict=False):
        """The filters of a query string: ``course`` (id) or ``course_code``."""
        return cls(course=CourseArgs(args, strict).course())

    def args(self):
        """The query string that gives these filters back."""
        return present({"course": self.course.id if self.course is not None else None})

    def apply(self, query):
        """Narrow a select that joins CourseSession."""
        if self.course is not None:
            query = query.where(CourseSession.course_id == self.course.id)
        return query
