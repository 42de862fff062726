"""Exports of the office's records as CSV or XLSX, with a list's filters, streamed.

Each export takes the filters of its list (see ``filters``: the same parser and the same
conditions as the list, strict about bad values) and is a query read in batches (``yield_per``)
as plain rows, never as a list: the CSV leaves as it is written, and the XLSX is written by
``tabular.xlsx_file`` row by row into a temporary file that stays in memory while small and moves
to disk when large. So a 100,000-row export needs no more memory than a 100-row one.

An export's columns are declared once, in a table of ``Column``: the name in the header row, what
the query selects for it, how its value is shown, its width. Names are stable, not translated
titles. The trainee export's columns are the import template's, so that an exported file imports
back without a change. Statuses are their keys; times are in the office's zone (WIB) without the
zone, as the ``_wib`` in their names says.
"""

import re
from dataclasses import dataclass
from operator import attrgetter

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import aliased

from lms.attendance.models import Attendance
from lms.auth.models import User
from lms.catalog.models import Course, CourseSession
from lms.certificates.filters import CertificateFilters
from lms.certificates.models import Certificate
from lms.core import tabular
from lms.core.postgres import lift_statement_limit
from lms.core.time import local_today, utc_to_local
from lms.enrollment.filters import CourseListFilters
from lms.enrollment.models import Enrollment
from lms.errors import InvalidInput, NotFound
from lms.extensions import db
from lms.partners.models import Partner
from lms.regions.models import Regency
from lms.users.filters import UserFilters

from .filters import AttendanceFilters, EnrollmentFilters

#: rows fetched from the database at a time
BATCH = 1000
#: CSV text is sent in pieces of about this many characters (not one tiny piece per row)
CSV_PIECE = 64 * 1024


@dataclass(frozen=True)
class Column:
    """One column of an export: its name, where its value comes from, how it is shown."""

    #: the name in the header row: stable, never translated
    name: str
    #: what the export's query selects for it; in an export of records (courses), the name of
    #: the record's attribute, dotted for a related record's ("partner.name")
    source: object
    #: the column's width in the XLSX
    width: int
    #: turns the selected value into the cell's (e.g. a UTC time into WIB); None keeps it
    show: object = None


@dataclass(frozen=True)
class Dataset:
    """One export: its key (in URLs and file names), title, columns, filters and query."""

    #: "trainees", "courses", ...; the URL is /exports/<key>.csv
    key: str
    #: the title on the page
    label: object
    #: its ``Column`` table, in order
    columns: tuple
    #: ``parse(args)``: the export's filters from a query string (InvalidInput if bad)
    parse: object
    #: ``query(filters)``: a select of the columns' sources (see ``_select``), or of records
    query: object
    #: whether the query yields records whose attributes the columns' sources name
    records: bool = False

    @property
    def headers(self):
        """The column names of the header row."""
        return tuple(column.name for column in self.columns)

    @property
    def widths(self):
        """The column widths in the XLSX."""
        return tuple(column.width for column in self.columns)

    def rows(self, filters):
        """The export's rows, lists of cell values, read from the database BATCH at a time (a
        server-side cursor on PostgreSQL). The web processes' limit on a statement's time does
        not apply: a download of a year's records is long by design."""
        lift_statement_limit(db.session)
        result = db.session.execute(self.query(filters).execution_options(yield_per=BATCH))
        if self.records:
            getters = [attrgetter(column.source) for column in self.columns]
            result = ([get(record) for get in getters] for record in result.scalars())
        shows = [column.show for column in self.columns]
        for values in result:
            yield [v if show is None else show(v) for show, v in zip(shows, values, strict=True)]


def _select(columns):
    """A select of the columns' sources, in order (joins and filters are added by the caller)."""
    return select(*(column.source for column in columns))


def _wib(value):
    """An aware UTC time as a naive time in the office's zone (a spreadsheet has no zones); None
    stays None."""
    return utc_to_local(value).replace(tzinfo=None, microsecond=0) if value else None


def _text(value):
    """An empty cell for a missing text."""
    return "" if value is None else value


def _yes(value):
    return "yes" if value else "no"


def _names(people):
    return ", ".join(person.name for person in people)


def _revoked(revoked):
    return "revoked" if revoked else "valid"


#: columns several exports share: the trainee's (or holder's) name and e-mail, the course's
#: code and title
NAME = Column("name", User.name, 30)
EMAIL = Column("email", User.email, 32)
COURSE_CODE = Column("course_code", Course.code, 20)
COURSE_TITLE = Column("course_title", Course.title, 40)


# --- trainees: the import template's columns -----------------------------------------------

TRAINEES = (
    NAME,
    EMAIL,
    Column("nik", User.nik, 20),
    Column("birth_date", User.birth_date, 12),
    Column("gender", User.gender, 8),
    Column("phone", User.phone, 18),
    Column("regency", Regency.name, 24),
    Column("target_group", User.target_group, 14),
)


def trainee_filters(args):
    """The account list's filters for the trainee export: the role is "trainee" or none.

    :raise InvalidInput: a bad value, or another role
    """
    filters = UserFilters.from_args(args, strict=True)
    if filters.role not in (None, "trainee"):
        message = _("The trainee export holds trainees only: choose the role Trainee.")
        raise InvalidInput(message, fields={"role": [message]})
    return filters


def trainee_query(filters=UserFilters()):
    """A select of trainees' profile values, by name."""
    query = (
        _select(TRAINEES)
        .outerjoin(Regency, Regency.code == User.regency_code)
        .where(User.role == "trainee")
    )
    return filters.apply(query).order_by(User.name, User.id)


# --- courses: the staff course list's records ----------------------------------------------

COURSES = (
    Column("code", "code", 20),
    Column("title", "title", 40),
    Column("title_en", "title_en", 40, _text),
    Column("type", "type_key", 18),
    Column("partner", "partner.name", 30),
    Column("status", "status", 10),
    Column("location", "location", 24, _text),
    Column("starts_on", "starts_on", 12),
    Column("ends_on", "ends_on", 12),
    Column("capacity", "capacity", 8),
    Column("enrolled", "enrolled_count", 8),
    Column("registration_opens_at_wib", "registration_opens_at", 18, _wib),
    Column("registration_closes_at_wib", "registration_closes_at", 18, _wib),
    Column("requires_approval", "requires_approval", 8, _yes),
    Column("waitlist", "waitlist", 8, _yes),
    Column("attendance_threshold", "attendance_threshold", 8),
    Column("trainers", "trainers", 40, _names),
)


# --- enrolments ----------------------------------------------------------------------------

ENROLLMENTS = (
    COURSE_CODE,
    COURSE_TITLE,
    NAME,
    EMAIL,
    Column("regency", Regency.name, 24, _text),
    Column("target_group", User.target_group, 14, _text),
    Column("status", Enrollment.status, 12),
    Column("reason", Enrollment.reason, 30, _text),
    Column("created_at_wib", Enrollment.created_at, 18, _wib),
    Column("updated_at_wib", Enrollment.updated_at, 18, _wib),
)


def enrollment_query(filters=EnrollmentFilters()):
    """A select of enrolments with their course and trainee, by course then trainee name."""
    query = (
        _select(ENROLLMENTS)
        .join(Course, Course.id == Enrollment.course_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(Regency, Regency.code == User.regency_code)
    )
    query = filters.apply(query)
    return query.order_by(Course.starts_on.desc(), Course.code, User.name, Enrollment.id)


# --- attendance ----------------------------------------------------------------------------

#: who marked the attendance (the trainee is User)
MARKER = aliased(User, name="marker")

ATTENDANCE = (
    COURSE_CODE,
    Column("session_starts_at_wib", CourseSession.starts_at, 18, _wib),
    Column("topic", CourseSession.topic, 30, _text),
    NAME,
    EMAIL,
    Column("status", Attendance.status, 10),
    Column("note", Attendance.note, 30, _text),
    Column("source", Attendance.source, 10),
    Column("marked_by", MARKER.name, 30, _text),
    Column("marked_at_wib", Attendance.marked_at, 18, _wib),
)


def attendance_query(filters=AttendanceFilters()):
    """A select of attendance marks with session, trainee and marker, in session order."""
    query = (
        _select(ATTENDANCE)
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .join(Course, Course.id == CourseSession.course_id)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(MARKER, MARKER.id == Attendance.marked_by_id)
    )
    query = filters.apply(query)
    return query.order_by(Course.code, CourseSession.starts_at, User.name, Attendance.id)


# --- certificates --------------------------------------------------------------------------

#: who issued the certificate (the holder is User)
ISSUER = aliased(User, name="issuer")

CERTIFICATES = (
    Column("serial", Certificate.serial, 22),
    Column("verification_code", Certificate.code, 16),
    COURSE_CODE,
    COURSE_TITLE,
    NAME,
    EMAIL,
    Column("status", Certificate.revoked_at.is_not(None), 10, _revoked),
    Column("issued_at_wib", Certificate.issued_at, 18, _wib),
    Column("issued_by", ISSUER.name, 30, _text),
    Column("revoked_at_wib", Certificate.revoked_at, 18, _wib),
    Column("revoked_reason", Certificate.revoked_reason, 30, _text),
)


def certificate_query(filters=CertificateFilters()):
    """A select of certificates with course, holder and issuer, in serial order: the rows of the
    staff certificate list with the same filters (the list shows the newest first)."""
    query = (
        _select(CERTIFICATES)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(ISSUER, ISSUER.id == Certificate.issued_by_id)
    )
    return filters.apply(query).order_by(Certificate.issued_at, Certificate.id)


# --- the list of exports and their filters -------------------------------------------------


def _strict(filters_class):
    """A parser of ``filters_class`` that refuses bad values (an export's)."""

    def parse(args):
        return filters_class.from_args(args, strict=True)

    return parse


DATASETS = {
    d.key: d
    for d in (
        Dataset("trainees", _l("Trainees"), TRAINEES, trainee_filters, trainee_query),
        Dataset(
            "courses",
            _l("Courses"),
            COURSES,
            _strict(CourseListFilters),
            CourseListFilters.query,
            records=True,
        ),
        Dataset(
            "enrollments",
            _l("Enrolments"),
            ENROLLMENTS,
            _strict(EnrollmentFilters),
            enrollment_query,
        ),
        Dataset(
            "attendance",
            _l("Attendance"),
            ATTENDANCE,
            _strict(AttendanceFilters),
            attendance_query,
        ),
        Dataset(
            "certificates",
            _l("Certificates"),
            CERTIFICATES,
            _strict(CertificateFilters),
            certificate_query,
        ),
    )
}


def dataset(key):
    """The export with this key.

    :raise NotFound: no such export
    """
    if key not in DATASETS:
        raise NotFound(_("This page or record does not exist."))
    return DATASETS[key]


def filters_from(key, args):
    """An export's filters from a query string (a mapping of text), by the list's rules; an
    empty value means "all".

    :raise NotFound: no such export
    :raise InvalidInput: a value the filter does not know (a 400 with a message naming it)
    """
    return dataset(key).parse(args)


def choices():
    """What the export page's filters offer: regencies, partners, years, course codes."""
    return {
        "regencies": db.session.scalars(select(Regency).order_by(Regency.name)).all(),
        "partners": db.session.scalars(select(Partner).order_by(Partner.name)).all(),
        "years": CourseListFilters.years(),
        "courses": db.session.scalars(
            select(Course.code).order_by(Course.starts_on.desc(), Course.code).limit(500)
        ).all(),
    }


# --- writing -------------------------------------------------------------------------------


def file_name(key, filters, extension):
    """e.g. trainees-2026-03-01.csv, enrollments-BHS-MAN-2026-01-2026-03-01.xlsx."""
    course = getattr(filters, "course", None)
    parts = [key, re.sub(r"[^A-Za-z0-9_-]+", "-", course.code) if course is not None else None]
    parts.append(local_today().isoformat())
    return "-".join(p for p in parts if p) + "." + extension


def _table(key, filters):
    """An export's headers, widths and rows; ``filters`` None means everything."""
    data = dataset(key)
    rows = data.rows(data.parse({}) if filters is None else filters)
    return data.headers, data.widths, rows


def csv_chunks(key, filters=None):
    """The export as CSV text (UTF-8 with a BOM for Excel), in pieces of about CSV_PIECE;
    ``filters`` None means everything."""
    headers, _widths, rows = _table(key, filters)
    piece, size = [], 0
    for text in tabular.csv_stream(list(headers), rows):
        piece.append(text)
        size += len(text)
        if size >= CSV_PIECE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)


def xlsx_file(key, filters=None):
    """The export as an XLSX workbook in a temporary file (rewound); the caller closes it;
    ``filters`` None means everything."""
    headers, widths, rows = _table(key, filters)
    return tabular.xlsx_file(key, headers, rows, widths)
