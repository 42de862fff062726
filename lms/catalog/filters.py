"""The staff course list's filters (the list and its export: :mod:`lms.core.filters`)."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import extract, select

from lms.core.filters import Args, present
from lms.extensions import course_types, db
from lms.partners.models import Partner

from .models import COURSE_STATUSES, Course
from .services import CatalogFilters, catalog_query


class CourseArgs(Args):
    """The lists' parser, plus the course a list or an export is limited to."""

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
        return present(
            {
                "type": self.type,
                "status": self.status,
                "partner": self.partner,
                "year": self.year,
                "q": self.q,
            }
        )
