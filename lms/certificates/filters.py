"""The certificate list's filters (the list and its export: :mod:`lms.core.filters`)."""

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from lms.auth.models import User
from lms.catalog.filters import CourseArgs
from lms.catalog.models import Course
from lms.core.filters import present
from lms.core.search import contains
from lms.enrollment.models import Enrollment

from .models import Certificate

#: the certificate list's statuses: valid until revoked
CERTIFICATE_STATUSES = ("valid", "revoked")


@dataclass(frozen=True)
class CertificateFilters:
    """The certificate list's filters: valid or revoked, a course, a search."""

    #: "valid", "revoked" or None for both
    status: str | None = None
    #: searched in the serial and the holder's name; equal to the verification code
    q: str = ""
    #: only this course's certificates
    course: Course | None = None

    @classmethod
    def from_args(cls, args, strict=False):
        """The filters of a query string: ``status``, ``q``, ``course`` (id), ``course_code``."""
        read = CourseArgs(args, strict)
        return cls(
            status=read.choice(
                "status", CERTIFICATE_STATUSES, lambda v: _("Unknown status: %(value)s.", value=v)
            ),
            q=read.text("q"),
            course=read.course(),
        )

    def apply(self, query):
        """Narrow a select that joins Enrollment, the holder (User) and Course to Certificate."""
        if self.status == "valid":
            query = query.where(Certificate.revoked_at.is_(None))
        elif self.status == "revoked":
            query = query.where(Certificate.revoked_at.is_not(None))
        if self.course is not None:
            query = query.where(Enrollment.course_id == self.course.id)
        if self.q:
            code = re.sub(r"[\s-]+", "", self.q).upper()[:64]
            query = query.where(
                contains((Certificate.serial, User.name), self.q) | (Certificate.code == code)
            )
        return query

    def args(self):
        """The query string that gives these filters back (the list's and the export's)."""
        return present(
            {
                "status": self.status,
                "q": self.q,
                "course": self.course.id if self.course is not None else None,
            }
        )
