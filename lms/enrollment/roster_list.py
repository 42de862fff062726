"""A course's roster list: the query behind the staff list, and its files as CSV and XLSX.

The list and the export take the same filters (``RosterFilters``: a status and a search), so the
export holds exactly the rows the list shows. The CSV is streamed row by row; the XLSX is written
by openpyxl in write-only mode. Both carry the same columns, headed in the reader's language, with
times in the office's zone (WIB by default).
"""

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from lms.auth.models import TARGET_GROUP_LABELS, User
from lms.core import tabular
from lms.core.time import utc_to_local, zone_abbreviation
from lms.extensions import db

from . import services
from .filters import RosterFilters
from .models import ENROLLMENT_STATUSES, Enrollment

#: the order of the list: requests that wait for a decision first, the history last
STATUS_ORDER = ("pending", "enrolled", "waitlisted", "completed", "rejected", "cancelled")


def roster_query(course_id, filters=RosterFilters()):
    """A select of a course's enrolments (trainee and regency loaded), filtered and in list order.

    Waitlisted ones come in waitlist order, pending ones first come first.
    """
    rank = case({s: i for i, s in enumerate(STATUS_ORDER)}, value=Enrollment.status)
    query = (
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .options(joinedload(Enrollment.user).joinedload(User.regency))
        .where(Enrollment.course_id == course_id)
    )
    query = filters.apply(query)
    return query.order_by(rank, Enrollment.waitlist_position, Enrollment.created_at, Enrollment.id)


def status_counts(course_id):
    """{status: number of enrolments} of a course, every status present (0 when none)."""
    rows = db.session.execute(
        select(Enrollment.status, func.count())
        .where(Enrollment.course_id == course_id)
        .group_by(Enrollment.status)
    ).all()
    counts = dict.fromkeys(ENROLLMENT_STATUSES, 0)
    counts.update(dict(rows))
    return counts


def headers():
    """The column titles, in the reader's language."""
    return [
        _("Name"),
        _("E-mail"),
        _("Phone"),
        _("Regency or city"),
        _("Participant group"),
        _("Status"),
        _("Waitlist position"),
        _("Enrolled at (%(zone)s)", zone=zone_abbreviation()),
    ]


def roster_rows(course_id, filters=RosterFilters()):
    """The roster's rows as plain values (the time naive, in the office's zone), read in batches."""
    positions = services.waitlist_positions(course_id)
    query = roster_query(course_id, filters).execution_options(yield_per=500)
    for enrollment in db.session.scalars(query):
        user = enrollment.user
        group = TARGET_GROUP_LABELS.get(user.target_group) if user.target_group else None
        yield [
            user.name,
            user.email or "",
            user.phone or "",
            user.regency.name if user.regency else "",
            str(group) if group else "",
            str(enrollment.status_label),
            positions.get(enrollment.id),
            utc_to_local(enrollment.created_at).replace(tzinfo=None, microsecond=0),
        ]


def csv_stream(course_id, filters=RosterFilters()):
    """The roster as streamed CSV text."""
    return tabular.csv_stream(headers(), roster_rows(course_id, filters))


def xlsx_bytes(course, filters=RosterFilters()):
    """The roster as an XLSX workbook (bytes: a roster is one course's enrolments)."""
    return tabular.xlsx_bytes(
        course.code,
        headers(),
        roster_rows(course.id, filters),
        widths=(30, 32, 18, 24, 36, 20, 12, 20),
    )
