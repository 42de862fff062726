"""A course's roster list filters (the list and its export: :mod:`lms.core.filters`)."""

from dataclasses import dataclass

from flask_babel import gettext as _

from lms.auth.search import person_condition
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
