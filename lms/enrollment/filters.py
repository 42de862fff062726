"""A course's roster list filters (the list and its export: :mod:`lms.core.filters`), and the
staff course list's, which know enrolments."""

from dataclasses import dataclass, replace

from flask_babel import gettext as _
from sqlalchemy import exists

from lms.auth.search import person_condition
from lms.catalog.filters import CourseFilters
from lms.catalog.models import Course
from lms.core.filters import Args, present
from lms.core.sealed import term_args

from .models import ENROLLMENT_ORIGINS, ENROLLMENT_STATUSES, Enrollment


@dataclass(frozen=True)
class RosterFilters:
    """A course roster's filters (its course is in its URL): a status and a search."""

    #: one of ENROLLMENT_STATUSES, or None for every status
    status: str | None = None
    #: the trainee's name, e-mail address, NIK or mobile number (``lms.auth.search``); never put
    #: in a URL as it is: ``args()`` seals it
    q: str = ""
    #: one of ENROLLMENT_ORIGINS ("walk_in": the people trainers added at a session), or None
    origin: str | None = None

    @classmethod
    def from_args(cls, args, strict=False):
        """The filters of a query string: ``status``, ``q`` (or its sealed ``qs``), ``origin``."""
        return cls(**cls._read(Args(args, strict)))

    @classmethod
    def _read(cls, read):
        return {
            "status": read.choice(
                "status", ENROLLMENT_STATUSES, lambda v: _("Unknown status: %(value)s.", value=v)
            ),
            "q": read.term("q"),
            "origin": read.choice(
                "origin", ENROLLMENT_ORIGINS, lambda v: _("Unknown origin: %(value)s.", value=v)
            ),
        }

    def apply(self, query):
        """Narrow a select that joins the trainee (User) to Enrollment."""
        if self.status:
            query = query.where(Enrollment.status == self.status)
        if self.q:
            query = query.where(person_condition(self.q))
        if self.origin:
            query = query.where(Enrollment.origin == self.origin)
        return query

    def args(self):
        """The query string that gives these filters back (the roster's and its export's); a
        search holding a number is sealed."""
        return present({"status": self.status, **term_args(self.q), "origin": self.origin})


@dataclass(frozen=True)
class CourseListFilters(CourseFilters):
    """The staff course list's filters (and its export's): the catalogue's, and ``pending``."""

    #: only the courses with an enrolment request awaiting a decision (the office's home links
    #: here)
    pending: bool = False

    @classmethod
    def from_args(cls, args, strict=False):
        """The catalogue's filters of a query string, and ``pending`` (``1``)."""
        return replace(super().from_args(args, strict), pending=args.get("pending") == "1")

    def query(self):
        query = super().query()
        if self.pending:
            query = query.where(
                exists().where(Enrollment.course_id == Course.id, Enrollment.status == "pending")
            )
        return query

    def args(self):
        return present({**super().args(), "pending": 1 if self.pending else None})
