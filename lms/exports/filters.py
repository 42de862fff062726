"""The filters of the staff lists that have an export, shared by the list and the export.

A list and its export read the same names from the query string with the same parser and narrow
their queries with the same ``apply``, so a download link that carries a list's filters
(``args()``) exports exactly the rows the list shows.

The two differ only in what a bad value does. A list forgives it and shows everything (a
mistyped link still opens a page); an export refuses it with a 400 (``strict=True``), since a
download must never hold more records than were asked for, and the trainee export holds full NIKs.
"""

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.models import ROLES, TARGET_GROUPS, User
from lms.catalog.models import COURSE_STATUSES, Course
from lms.certificates.models import Certificate
from lms.core.search import contains
from lms.enrollment.models import ENROLLMENT_STATUSES, Enrollment
from lms.errors import InvalidInput
from lms.extensions import course_types, db
from lms.partners.models import Partner
from lms.regions.models import Regency

#: a search text longer than this is cut
MAX_TEXT = 100
#: ids are database integers
MAX_ID = 2**31 - 1
#: the certificate list's statuses: valid until revoked
CERTIFICATE_STATUSES = ("valid", "revoked")


class Args:
    """Reads filters from a query string; ``strict`` turns a bad value into InvalidInput."""

    def __init__(self, args, strict=False):
        self.args = args
        self.strict = strict

    def text(self, name):
        """The stripped text of ``name`` ("" when absent), at most MAX_TEXT characters."""
        return (self.args.get(name) or "").strip()[:MAX_TEXT]

    def refuse(self, name, message):
        """In strict mode raise the 400 for ``name``; else the filter is dropped (None)."""
        if self.strict:
            raise InvalidInput(message, fields={name: [message]})
        return None

    def choice(self, name, allowed, message):
        """One of ``allowed``, or None; ``message`` formats the refusal of ``value``."""
        value = self.text(name)
        if not value or value in allowed:
            return value or None
        return self.refuse(name, message(value))

    def number(self, name, message):
        """A positive database id, or None."""
        value = self.text(name)
        if not value:
            return None
        if re.fullmatch(r"[0-9]{1,10}", value) and 0 < int(value) <= MAX_ID:
            return int(value)
        return self.refuse(name, message(value))

    def course(self, name="course", code_name="course_code"):
        """The course of ``course`` (its id, as the lists link it) or ``course_code`` (its code, as
        a person types it), or None."""
        course_id = self.number(
            name, lambda v: _("The course filter takes a course number, not %(value)s.", value=v)
        )
        course = db.session.get(Course, course_id) if course_id else None
        if course_id and course is None:
            self.refuse(name, _("No course has the number %(value)s.", value=course_id))
        code = self.text(code_name)
        if not code:
            return course
        by_code = db.session.scalar(select(Course).where(Course.code == code))
        if by_code is None:
            return (
                self.refuse(code_name, _("No course has the code %(code)s.", code=code)) or course
            )
        if course is not None and course.id != by_code.id:
            return (
                self.refuse(
                    code_name, _("The course number and the course code name different courses.")
                )
                or course
            )
        return by_code


def _present(values):
    """The filters set, for url_for: an empty filter stays out of the link."""
    return {name: value for name, value in values.items() if value not in (None, "")}


# --- certificates --------------------------------------------------------------------------


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
        read = Args(args, strict)
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
        return _present(
            {
                "status": self.status,
                "q": self.q,
                "course": self.course.id if self.course is not None else None,
            }
        )


# --- accounts and trainees -----------------------------------------------------------------


@dataclass(frozen=True)
class UserFilters:
    """The account list's filters; the trainee export takes them with the role "trainee"."""

    #: one of ROLES, or None for every role
    role: str | None = None
    #: searched in the name and the e-mail address; equal to a 16-digit NIK
    q: str = ""
    #: the code of the regency or city of origin
    regency: str | None = None
    #: one of TARGET_GROUPS
    target_group: str | None = None

    @classmethod
    def from_args(cls, args, strict=False):
        """The filters of a query string: ``role``, ``q``, ``regency``, ``target_group``."""
        read = Args(args, strict)
        regency = read.text("regency")
        if regency and db.session.get(Regency, regency) is None:
            regency = read.refuse(
                "regency", _("Unknown regency or city: %(value)s.", value=regency)
            )
        return cls(
            role=read.choice("role", ROLES, lambda v: _("Unknown role: %(value)s.", value=v)),
            q=read.text("q"),
            regency=regency or None,
            target_group=read.choice(
                "target_group",
                TARGET_GROUPS,
                lambda v: _("Unknown participant group: %(value)s.", value=v),
            ),
        )

    def apply(self, query):
        """Narrow a select of User."""
        if self.role:
            query = query.where(User.role == self.role)
        if self.regency:
            query = query.where(User.regency_code == self.regency)
        if self.target_group:
            query = query.where(User.target_group == self.target_group)
        if self.q:
            condition = contains((User.name, User.email), self.q)
            if re.fullmatch(r"[0-9]{16}", self.q):
                condition = condition | (User.nik == self.q)
            query = query.where(condition)
        return query

    def args(self):
        """The query string that gives these filters back (the list's and the export's)."""
        return _present(
            {
                "role": self.role,
                "q": self.q,
                "regency": self.regency,
                "target_group": self.target_group,
            }
        )


# --- courses, enrolments, attendance (the export page's filters) ----------------------------


@dataclass(frozen=True)
class CourseFilters:
    """The staff course list's filters (type, status, partner, search) and a year of start."""

    type: str | None = None
    status: str | None = None
    #: a partner's id
    partner: int | None = None
    #: the year the course starts in
    year: int | None = None
    #: searched in the titles and the code
    q: str = ""

    @classmethod
    def from_args(cls, args, strict=False):
        """The filters of a query string: ``type``, ``status``, ``partner``, ``year``, ``q``."""
        read = Args(args, strict)
        type_key = read.text("type")
        if type_key and course_types.get(type_key) is None:
            type_key = read.refuse("type", _("Unknown course type: %(value)s.", value=type_key))
        partner = read.number(
            "partner",
            lambda v: _("The partner filter takes a partner number, not %(value)s.", value=v),
        )
        if partner and db.session.get(Partner, partner) is None:
            partner = read.refuse(
                "partner", _("No partner has the number %(value)s.", value=partner)
            )
        year = read.number("year", lambda v: _("Not a year: %(value)s.", value=v))
        if year and not 1900 <= year <= 2999:
            year = read.refuse("year", _("Not a year: %(value)s.", value=year))
        return cls(
            type=type_key or None,
            status=read.choice(
                "status", COURSE_STATUSES, lambda v: _("Unknown status: %(value)s.", value=v)
            ),
            partner=partner,
            year=year,
            q=read.text("q"),
        )

    def args(self):
        """The query string that gives these filters back."""
        return _present(
            {
                "type": self.type,
                "status": self.status,
                "partner": self.partner,
                "year": self.year,
                "q": self.q,
            }
        )


@dataclass(frozen=True)
class EnrollmentFilters:
    """A course's enrolments (or every course's), of one status or all."""

    course: Course | None = None
    status: str | None = None

    @classmethod
    def from_args(cls, args, strict=False):
        """The filters of a query string: ``course`` (id) or ``course_code``, ``status``."""
        read = Args(args, strict)
        return cls(
            course=read.course(),
            status=read.choice(
                "status", ENROLLMENT_STATUSES, lambda v: _("Unknown status: %(value)s.", value=v)
            ),
        )

    def args(self):
        """The query string that gives these filters back."""
        return _present(
            {"course": self.course.id if self.course is not None else None, "status": self.status}
        )


@dataclass(frozen=True)
class AttendanceFilters:
    """A course's attendance marks, or every course's."""

    course: Course | None = None

    @classmethod
    def from_args(cls, args, strict=False):
        """The filters of a query string: ``course`` (id) or ``course_code``."""
        return cls(course=Args(args, strict).course())

    def args(self):
        """The query string that gives these filters back."""
        return _present({"course": self.course.id if self.course is not None else None})
