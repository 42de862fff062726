"""Exports of the office's records as CSV or XLSX, with a list's filters, streamed.

Each export takes the filters of its list (see ``filters``: the same parser and the same
conditions as the list, strict about bad values) and is a query read in batches (``yield_per``) as plain rows, never as a list: the CSV
leaves as it is written, and the XLSX is written by openpyxl in write-only mode into a temporary
file that stays in memory while small and moves to disk when large. So a 100,000-row export
needs no more memory than a 100-row one.

Columns carry stable names, not translated titles. The trainee export's columns are the import
template's, so that an exported file imports back without a change. Statuses are their keys;
times are in the office's zone (WIB) without the zone, as the ``_wib`` in their names says.
"""

import re
import tempfile
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, select
from sqlalchemy.orm import aliased

from lms.attendance.models import Attendance
from lms.auth.models import User
from lms.catalog.models import Course, CourseSession
from lms.catalog.services import CatalogFilters, catalog_query
from lms.certificates.models import Certificate
from lms.core import tabular
from lms.core.time import local_today, utc_to_local
from lms.enrollment.models import Enrollment
from lms.errors import InvalidInput, NotFound
from lms.extensions import db
from lms.imports.services import COLUMNS as TRAINEE_COLUMNS
from lms.partners.models import Partner
from lms.regions.models import Regency

from .filters import (
    AttendanceFilters,
    CertificateFilters,
    CourseFilters,
    EnrollmentFilters,
    UserFilters,
)

#: rows fetched from the database at a time
BATCH = 1000
#: an XLSX being written stays in memory up to this size, then moves to a temporary file
SPOOL_MAX = 4 * 1024 * 1024
#: CSV text is sent in pieces of about this many characters (not one tiny piece per row)
CSV_PIECE = 64 * 1024
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Dataset:
    """One export: its key (in URLs and file names), title, columns, filters and rows."""

    #: "trainees", "courses", ...; the URL is /exports/<key>.csv
    key: str
    #: the title on the page
    label: object
    #: the column names of the header row
    headers: tuple
    #: ``parse(args)``: the export's filters from a query string (InvalidInput if bad)
    parse: object
    #: ``rows(filters)``: an iterator of lists, one per record
    rows: object
    #: column widths in the XLSX
    widths: tuple = ()


def _wib(value):
    """An aware UTC time as a naive WIB time (a spreadsheet has no zones); None stays None."""
    return utc_to_local(value).replace(tzinfo=None, microsecond=0) if value else None


def _yes(value):
    return "yes" if value else "no"


def _stream(query):
    """The query's rows, fetched BATCH at a time (a server-side cursor on PostgreSQL)."""
    return db.session.execute(query.execution_options(yield_per=BATCH))


def _year(query, column, year):
    return query.where(extract("year", column) == year) if year else query


# --- trainees ------------------------------------------------------------------------------


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
    """A select of trainees' profile values in the import template's column order, by name."""
    query = (
        select(
            User.name,
            User.email,
            User.nik,
            User.birth_date,
            User.gender,
            User.phone,
            Regency.name,
            User.target_group,
        )
        .outerjoin(Regency, Regency.code == User.regency_code)
        .where(User.role == "trainee")
    )
    return filters.apply(query).order_by(User.name, User.id)


def trainee_rows(filters):
    for row in _stream(trainee_query(filters)):
        yield list(row)


# --- courses -------------------------------------------------------------------------------

COURSE_COLUMNS = (
    "code",
    "title",
    "title_en",
    "type",
    "partner",
    "status",
    "location",
    "starts_on",
    "ends_on",
    "capacity",
    "enrolled",
    "registration_opens_at_wib",
    "registration_closes_at_wib",
    "requires_approval",
    "waitlist",
    "attendance_threshold",
    "trainers",
)


def course_query(filters=CourseFilters()):
    """A select of courses (partner and trainers loaded), newest start first: the staff course
    list's query (every status), in the year of start if one is chosen."""
    query = catalog_query(
        CatalogFilters(
            include_unpublished=True,
            status=filters.status,
            type=filters.type,
            partner_id=filters.partner,
            q=filters.q or None,
        )
    )
    return _year(query, Course.starts_on, filters.year)


def course_rows(filters):
    for course in db.session.scalars(course_query(filters).execution_options(yield_per=BATCH)):
        yield [
            course.code,
            course.title,
            course.title_en or "",
            course.type_key,
            course.partner.name,
            course.status,
            course.location or "",
            course.starts_on,
            course.ends_on,
            course.capacity,
            course.enrolled_count,
            _wib(course.registration_opens_at),
            _wib(course.registration_closes_at),
            _yes(course.requires_approval),
            _yes(course.waitlist),
            course.attendance_threshold,
            ", ".join(t.name for t in course.trainers),
        ]


# --- enrolments ----------------------------------------------------------------------------

ENROLLMENT_COLUMNS = (
    "course_code",
    "course_title",
    "name",
    "email",
    "regency",
    "target_group",
    "status",
    "reason",
    "created_at_wib",
    "updated_at_wib",
)


def enrollment_query(filters=EnrollmentFilters()):
    """A select of enrolments with their course and trainee, by course then trainee name."""
    query = (
        select(
            Course.code,
            Course.title,
            User.name,
            User.email,
            Regency.name,
            User.target_group,
            Enrollment.status,
            Enrollment.reason,
            Enrollment.created_at,
            Enrollment.updated_at,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(Regency, Regency.code == User.regency_code)
    )
    if filters.course is not None:
        query = query.where(Enrollment.course_id == filters.course.id)
    if filters.status:
        query = query.where(Enrollment.status == filters.status)
    return query.order_by(Course.starts_on.desc(), Course.code, User.name, Enrollment.id)


def enrollment_rows(filters):
    for row in _stream(enrollment_query(filters)):
        *values, created, updated = row
        yield [*(v if v is not None else "" for v in values), _wib(created), _wib(updated)]


# --- attendance ----------------------------------------------------------------------------

ATTENDANCE_COLUMNS = (
    "course_code",
    "session_starts_at_wib",
    "topic",
    "name",
    "email",
    "status",
    "note",
    "source",
    "marked_by",
    "marked_at_wib",
)


def attendance_query(filters=AttendanceFilters()):
    """A select of attendance marks with session, trainee and marker, in session order."""
    marker = aliased(User)
    query = (
        select(
            Course.code,
            CourseSession.starts_at,
            CourseSession.topic,
            User.name,
            User.email,
            Attendance.status,
            Attendance.note,
            Attendance.source,
            marker.name,
            Attendance.marked_at,
        )
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .join(Course, Course.id == CourseSession.course_id)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(marker, marker.id == Attendance.marked_by_id)
    )
    if filters.course is not None:
        query = query.where(CourseSession.course_id == filters.course.id)
    return query.order_by(Course.code, CourseSession.starts_at, User.name, Attendance.id)


def attendance_rows(filters):
    for code, starts, topic, name, email, status, note, source, marker, marked in _stream(
        attendance_query(filters)
    ):
        yield [
            code,
            _wib(starts),
            topic or "",
            name,
            email,
            status,
            note or "",
            source,
            marker or "",
            _wib(marked),
        ]


# --- certificates --------------------------------------------------------------------------

CERTIFICATE_COLUMNS = (
    "serial",
    "verification_code",
    "course_code",
    "course_title",
    "name",
    "email",
    "status",
    "issued_at_wib",
    "issued_by",
    "revoked_at_wib",
    "revoked_reason",
)


def certificate_query(filters=CertificateFilters()):
    """A select of certificates with course, trainee and issuer, in serial order: the rows of the
    staff certificate list with the same filters (the list shows the newest first)."""
    issuer = aliased(User)
    query = (
        select(
            Certificate.serial,
            Certificate.code,
            Course.code,
            Course.title,
            User.name,
            User.email,
            Certificate.issued_at,
            issuer.name,
            Certificate.revoked_at,
            Certificate.revoked_reason,
        )
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .join(User, User.id == Enrollment.user_id)
        .outerjoin(issuer, issuer.id == Certificate.issued_by_id)
    )
    return filters.apply(query).order_by(Certificate.issued_at, Certificate.id)


def certificate_rows(filters):
    for serial, code, course, title, name, email, issued, by, revoked, reason in _stream(
        certificate_query(filters)
    ):
        yield [
            serial,
            code,
            course,
            title,
            name,
            email,
            "revoked" if revoked else "valid",
            _wib(issued),
            by or "",
            _wib(revoked),
            reason or "",
        ]


# --- the list of exports and their filters -------------------------------------------------


def _strict(filters_class):
    """A parser of ``filters_class`` that refuses bad values (an export's)."""

    def parse(args):
        return filters_class.from_args(args, strict=True)

    return parse


DATASETS = {
    d.key: d
    for d in (
        Dataset(
            "trainees",
            _l("Trainees"),
            TRAINEE_COLUMNS,
            trainee_filters,
            trainee_rows,
            (30, 32, 20, 12, 8, 18, 24, 14),
        ),
        Dataset(
            "courses",
            _l("Courses"),
            COURSE_COLUMNS,
            _strict(CourseFilters),
            course_rows,
            (20, 40, 40, 18, 30, 10, 24, 12, 12, 8, 8, 18, 18, 8, 8, 8, 40),
        ),
        Dataset(
            "enrollments",
            _l("Enrolments"),
            ENROLLMENT_COLUMNS,
            _strict(EnrollmentFilters),
            enrollment_rows,
            (20, 40, 30, 32, 24, 14, 12, 30, 18, 18),
        ),
        Dataset(
            "attendance",
            _l("Attendance"),
            ATTENDANCE_COLUMNS,
            _strict(AttendanceFilters),
            attendance_rows,
            (20, 18, 30, 30, 32, 10, 30, 10, 30, 18),
        ),
        Dataset(
            "certificates",
            _l("Certificates"),
            CERTIFICATE_COLUMNS,
            _strict(CertificateFilters),
            certificate_rows,
            (22, 16, 20, 40, 30, 32, 10, 18, 30, 18, 30),
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
    years = db.session.scalars(
        select(extract("year", Course.starts_on).label("y")).distinct().order_by("y")
    ).all()
    return {
        "regencies": db.session.scalars(select(Regency).order_by(Regency.name)).all(),
        "partners": db.session.scalars(select(Partner).order_by(Partner.name)).all(),
        "years": sorted({int(y) for y in years if y is not None}, reverse=True),
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


def csv_chunks(key, filters=None):
    """The export as CSV text (UTF-8 with a BOM for Excel), in pieces of about CSV_PIECE;
    ``filters`` None means everything."""
    data = dataset(key)
    if filters is None:
        filters = data.parse({})
    piece, size = [], 0
    for text in tabular.csv_stream(list(data.headers), data.rows(filters)):
        piece.append(text)
        size += len(text)
        if size >= CSV_PIECE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)


def _cell(sheet, value):
    """A value as openpyxl writes it: text beginning with "=" stays text, not a formula."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def write_xlsx(out, title, headers, rows, widths=()):
    """Write a one-sheet workbook to the binary file ``out``, row by row (write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=tabular.sheet_title(title))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    head = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
    workbook.save(out)


def xlsx_file(key, filters=None):
    """The export as an XLSX workbook in a temporary file (rewound); the caller closes it;
    ``filters`` None means everything."""
    data = dataset(key)
    if filters is None:
        filters = data.parse({})
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX)  # noqa: SIM115 (the response closes it)
    try:
        write_xlsx(out, data.key, data.headers, data.rows(filters), data.widths)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out
