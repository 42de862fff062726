"""The filters of the staff lists that have an export, shared by the list and the export.

A list and its export read the same names from the query string with the same parser and narrow
their queries with the same ``apply`` (or build the same ``query``), so a download link that
carries a list's filters (``args()``) exports exactly the rows the list shows.

The two differ only in what a bad value does. A list forgives it and shows everything (a
mistyped link still opens a page); an export refuses it with a 400 (``strict=True``), since a
download must never hold more records than were asked for, and the trainee export holds full NIKs.
"""

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import extract, select

from lms.auth.models import ROLES, TARGET_GROUPS, User
from lms.catalog.models import COURSE_STATUSES, Course, CourseSession
from lms.catalog.services import CatalogFilters, catalog_query
from lms.certificates.models import Certificate
from lms.core.sealed import mask_numbers, read_term, term_args
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

    def term(self, name):
        """A search term that may hold a NIK: the plain ``name`` or its sealed form (``qs``, see
        ``lms.core.sealed``), stripped, at most MAX_TEXT characters; an expired seal is refused."""
        text, expired = read_term(self.args, name)
        if expired:
            self.refuse(name, _("This search has expired. Search again."))
        return text.strip()[:MAX_TEXT]

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
    #: searched in the name and the e-mail address; equal to a 16-digit NIK (so never put in a
    #: URL as it is: ``args()`` seals it)
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
            q=read.term("q"),
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
        """The query string that gives these filters back (the list's and the export's); a
        search holding a number is sealed."""
        return _present(
            {
                "role": self.role,
                **term_args(self.q),
                "regency": self.regency,
                "target_group": self.target_group,
            }
        )

    def audited(self):
        """The filters as an audit entry keeps them: a NIK searched for is masked."""
        return _present(
            {
                "role": self.role,
                "q": mask_numbers(self.q),
                "regency": self.regency,
                "target_group": self.target_group,
            }
        )


# --- courses -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFilters:
    """The staff course list's filters (type, status, partner, search) and a year of start."""

    #: a course type's key
    type: str | None = None
    #: one of COURSE_STATUSES, or None for every status
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

    def query(self):
        """The staff course list's select (every status; partner and trainers loaded), newest
        start first, narrowed by these filters."""
        query = catalog_query(
            CatalogFilters(
                include_unpublished=True,
                status=self.status,
                type=self.type,
                partner_id=self.partner,
                q=self.q or None,
            )
        )
        if self.year:
            query = query.where(extract("year", Course.starts_on) == self.year)
        return query

    @staticmethod
    def years():
        """The years courses start in, newest first: the year filter's choices."""
        years = db.session.scalars(select(extract("year", Course.starts_on)).distinct()).all()
        return sorted({int(y) for y in years if y is not None}, reverse=True)

    def args(self):
        """The query string that gives these filters back (the list's and the export's)."""
        return _present(
            {
                "type": self.type,
                "status": self.status,
                "partner": self.partner,
                "year": self.year,
                "q": self.q,
            }
        )


# --- enrolments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterFilters:
    """A course roster's filters (its course is in its URL): a status and a search."""

    #: one of ENROLLMENT_STATUSES, or None for every status
    status: str | None = None
    #: searched in the trainee's name and e-mail address
    q: str = ""

    @classmethod
    def from_args(cls, args, strict=False):
        """The filters of a query string: ``status``, ``q``."""
        return cls(**cls._read(Args(args, strict)))

    @classmethod
    def _read(cls, read):
        return {
            "status": read.choice(
                "status", ENROLLMENT_STATUSES, lambda v: _("Unknown status: %(value)s.", value=v)
            ),
            "q": read.text("q"),
        }

    def apply(self, query):
        """Narrow a select that joins the trainee (User) to Enrollment."""
        if self.status:
            query = query.where(Enrollment.status == self.status)
        if self.q:
            query = query.where(contains((User.name, User.email), self.q))
        return query

    def args(self):
        """The query string that gives these filters back (the roster's and its export's)."""
        return _present({"status": self.status, "q": self.q})


@dataclass(frozen=True)
class EnrollmentFilters(RosterFilters):
    """A roster's filters over a course's enrolments, or every course's (the export page's)."""

    #: only this course's enrolments
    course: Course | None = None

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
        return _present({"course": course, **super().args()})


# --- attendance ----------------------------------------------------------------------------


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

    def apply(self, query):
        """Narrow a select that joins CourseSession."""
        if self.course is not None:
            query = query.where(CourseSession.course_id == self.course.id)
        return query
