"""The annual report, by the counting rules of API.md, computed in the database.

The year's enrolments are those in courses that start in the year with status enrolled or
completed; nothing else counts anywhere. A trainee counts once in the totals, and once per group
in each breakdown.
"""

from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import and_, case, distinct, extract, func, or_, select

from lms.attendance.models import Attendance
from lms.attendance.reach import named_counts
from lms.auth.models import User
from lms.catalog.models import Course, CourseSession
from lms.certificates.models import Certificate
from lms.core.time import local_to_utc, local_today, utc_to_local
from lms.core.types import utcnow
from lms.enrollment.models import SEAT_STATUSES, Enrollment
from lms.errors import InvalidInput
from lms.extensions import course_types, db
from lms.partners.models import Partner
from lms.regions.models import Regency

#: the key of a breakdown group when the trainee's profile does not say
UNKNOWN = "unknown"


def outreach_types():
    """Keys of the enabled course types that count the people they reach (outreach)."""
    return [t.key for t in course_types.all() if t.counts_people]


def not_training():
    """Keys of the enabled course types whose courses are no training: they do not enrol, so
    the training figures leave their courses and audiences out."""
    return [t.key for t in course_types.all() if not t.enrols]


def _training(query):
    """``query`` over Course narrowed to training courses (types that enrol)."""
    excluded = not_training()
    return query.where(Course.type_key.not_in(excluded)) if excluded else query


def year_enrollments(year, profile=False):
    """A subquery of the year's counted enrolments with what the breakdowns group by.

    ``profile`` adds the trainee's regency and target group (a join with users that the other
    figures do without: at national scale it is a pass over every account).
    """
    columns = [
        Enrollment.id.label("enrollment_id"),
        Enrollment.user_id.label("user_id"),
        Enrollment.course_id.label("course_id"),
        Enrollment.group_id.label("group_id"),
        Course.type_key.label("type_key"),
        Course.partner_id.label("partner_id"),
        Course.starts_on.label("starts_on"),
    ]
    if profile:
        columns += [
            User.regency_code.label("regency_code"),
            User.target_group.label("target_group"),
        ]
    query = select(*columns).join(Course, Course.id == Enrollment.course_id)
    if profile:
        query = query.join(User, User.id == Enrollment.user_id)
    query = query.where(
        Course.starts_on >= date(year, 1, 1),
        Course.starts_on <= date(year, 12, 31),
        Enrollment.status.in_(SEAT_STATUSES),
    )
    return _training(query).subquery("year_enrollments")


def _held_sessions(now, by_group=False):
    """A subquery: held sessions per course (started, not cancelled); ``by_group``: per course
    and class group (``group_id`` None: the sessions of the whole course)."""
    keys = [CourseSession.course_id] + ([CourseSession.group_id] if by_group else [])
    return (
        select(*keys, func.count().label("held"))
        .where(CourseSession.cancelled_at.is_(None), CourseSession.starts_at <= now)
        .group_by(*keys)
        .subquery("held")
    )


def _of_own_group(group_column, e):
    """Sessions (or held counts) of the whole course or of the enrolment's own class group."""
    return or_(group_column.is_(None), group_column == e.c.group_id)


def _with_valid_certificate(query, e):
    """``query`` over the enrolments ``e``, outer-joined to each one's valid certificate.

    An enrolment holds at most one valid certificate (the unique partial index
    uq_certificates_valid_enrollment), so the join adds no row: counting the certificates'
    ids counts completions and valid certificates alike, without grouping the whole table.
    """
    return query.outerjoin(
        Certificate,
        and_(Certificate.enrollment_id == e.c.enrollment_id, Certificate.revoked_at.is_(None)),
    )


def _breakdown(e, key, join=None):
    """{group: {trainees, enrollments, completions, certificates}} for one dimension.

    ``join`` is (table, on clause) when the group's name lives in another table.
    """
    query = _with_valid_certificate(
        select(
            key,
            func.count(distinct(e.c.user_id)),
            func.count(e.c.enrollment_id),
            func.count(Certificate.enrollment_id),
            func.count(Certificate.id),
        ).select_from(e),
        e,
    )
    if join is not None:
        query = query.outerjoin(*join)
    rows = db.session.execute(query.group_by(key)).all()
    return {
        (group if group is not None else UNKNOWN): {
            "trainees": trainees,
            "enrollments": enrollments,
            "completions": completions,
            "certificates": certificates,
        }
        for group, trainees, enrollments, completions, certificates in rows
    }


def _trainees_by(e, key, join=None):
    """{group: distinct trainees} for one dimension (``join`` as in _breakdown)."""
    query = select(key, func.count(distinct(e.c.user_id))).select_from(e)
    if join is not None:
        query = query.outerjoin(*join)
    rows = db.session.execute(query.group_by(key)).all()
    return {(group if group is not None else UNKNOWN): trainees for group, trainees in rows}


def _attendance_by(e, now, key=None):
    """{group: (attended, countable)} pooled over the enrolments ``e``, per group of the column
    ``key`` (one group, None, without it): present + late, and held sessions minus excused.

    The same definition as an enrolment's rate (lms.attendance.services.attendance_summary): a
    held session without a mark counts as absent, marks on sessions not held count nowhere.
    """
    keys = [] if key is None else [key]
    held = _held_sessions(now, by_group=True)
    held_by = {
        (row[0] if keys else None): int(row[-1])
        for row in db.session.execute(
            select(*keys, func.coalesce(func.sum(held.c.held), 0))
            .select_from(e)
            .join(
                held,
                and_(held.c.course_id == e.c.course_id, _of_own_group(held.c.group_id, e)),
            )
            .group_by(*keys)
        ).all()
    }
    marks = {
        (row[0] if keys else None): (int(row[-2]), int(row[-1]))
        for row in db.session.execute(
            select(
                *keys,
                func.coalesce(
                    func.sum(case((Attendance.status.in_(("present", "late")), 1), else_=0)), 0
                ),
                func.coalesce(func.sum(case((Attendance.status == "excused", 1), else_=0)), 0),
            )
            .select_from(e)
            .join(Attendance, Attendance.enrollment_id == e.c.enrollment_id)
            .join(
                CourseSession,
                and_(
                    CourseSession.id == Attendance.session_id,
                    CourseSession.cancelled_at.is_(None),
                    CourseSession.starts_at <= now,
                    _of_own_group(CourseSession.group_id, e),
                ),
            )
            .group_by(*keys)
        ).all()
    }
    return {
        group: (marks.get(group, (0, 0))[0], held - marks.get(group, (0, 0))[1])
        for group, held in held_by.items()
    }


def _attendance(e, now):
    """(attended, countable) pooled over the year's enrolments: present+late and held-excused."""
    return _attendance_by(e, now).get(None, (0, 0))


def annual_report(year, now=None):
    """Every figure of the annual report of ``year`` (the dict of GET /api/v1/reports/annual)."""
    now = now or utcnow()
    e = year_enrollments(year)
    people = year_enrollments(year, profile=True)
    totals = db.session.execute(
        _with_valid_certificate(
            select(
                func.count(distinct(e.c.user_id)),
                func.count(e.c.enrollment_id),
                func.count(Certificate.enrollment_id),
                func.count(Certificate.id),
            ).select_from(e),
            e,
        )
    ).one()
    held = _held_sessions(now)
    sessions_held = db.session.scalar(
        _training(
            select(func.coalesce(func.sum(held.c.held), 0))
            .select_from(Course)
            .join(held, held.c.course_id == Course.id)
            .where(Course.starts_on >= date(year, 1, 1), Course.starts_on <= date(year, 12, 31))
        )
    )
    attended, countable = _attendance(e, now)
    by_type = _breakdown(e, e.c.type_key)
    by_regency = _trainees_by(
        people, Regency.name, join=(Regency, Regency.code == people.c.regency_code)
    )
    by_partner = _trainees_by(e, Partner.name, join=(Partner, Partner.id == e.c.partner_id))
    by_group = _trainees_by(people, people.c.target_group)
    month = extract("month", e.c.starts_on).label("month")
    months = db.session.execute(
        _with_valid_certificate(
            select(
                month,
                func.count(distinct(e.c.user_id)),
                func.count(e.c.enrollment_id),
                func.count(Certificate.enrollment_id),
            ).select_from(e),
            e,
        ).group_by(month)
    ).all()
    trend = {m: {"trainees": 0, "enrollments": 0, "completions": 0} for m in range(1, 13)}
    for number, trainees, enrollments, completions in months:
        trend[int(number)] = {
            "trainees": trainees,
            "enrollments": enrollments,
            "completions": completions,
        }
    return {
        "year": year,
        "trainees": totals[0],
        "enrollments": totals[1],
        "completions": totals[2],
        "certificates_issued": totals[3],
        "sessions_held": int(sessions_held),
        "attendance_rate": (attended / countable) if countable > 0 else None,
        "by_course_type": by_type,
        "by_regency": by_regency,
        "by_partner": by_partner,
        "by_target_group": by_group,
        "by_month": trend,
        "outreach": outreach_report(year, now),
    }


def outreach_report(year, now=None):
    """The outreach section of the annual report of ``year`` (API.md): ``events``, ``people``,
    and the people by regency name, by partner kind, and events and people by "YYYY-MM".

    An event is a session of a course whose type counts people; it counts in the year its
    session starts in (WIB), when it was not cancelled and has started. Its people are the larger
    of the head count recorded and the attendees signed in by name (never their sum).
    """
    now = now or utcnow()
    keys = outreach_types()
    months = {f"{year}-{m:02d}": {"events": 0, "people": 0} for m in range(1, 13)}
    section = {"events": 0, "people": 0, "by_regency": {}, "by_partner_kind": {}}
    section["by_month"] = months
    if not keys:
        return section
    first = local_to_utc(datetime.combine(date(year, 1, 1), time()))
    last = local_to_utc(datetime.combine(date(year + 1, 1, 1), time()))
    rows = db.session.execute(
        select(
            CourseSession.id,
            CourseSession.starts_at,
            CourseSession.people_reached,
            Course.type_key,
            Course.details,
            Partner.kind,
        )
        .join(Course, Course.id == CourseSession.course_id)
        .join(Partner, Partner.id == Course.partner_id)
        .where(
            Course.type_key.in_(keys),
            CourseSession.cancelled_at.is_(None),
            CourseSession.starts_at >= first,
            CourseSession.starts_at < last,
            CourseSession.starts_at <= now,
        )
        .order_by(CourseSession.starts_at, CourseSession.id)
    ).all()
    named = named_counts([r.id for r in rows])
    regencies = dict(db.session.execute(select(Regency.code, Regency.name)).all())
    by_regency, by_kind = section["by_regency"], section["by_partner_kind"]
    for row in rows:
        people = max(row.people_reached or 0, named.get(row.id, 0))
        course_type = course_types.get(row.type_key)
        code = (row.details or {}).get(course_type.regency_field)
        regency = regencies.get(code, UNKNOWN)
        month = months[utc_to_local(row.starts_at).strftime("%Y-%m")]
        section["events"] += 1
        section["people"] += people
        month["events"] += 1
        month["people"] += people
        by_regency[regency] = by_regency.get(regency, 0) + people
        by_kind[row.kind] = by_kind.get(row.kind, 0) + people
    return section


# --- the year asked for, and the years there is something to report on -------------------------

#: the years a report may be asked for (a date outside them is bad input, never a 500)
MIN_YEAR, MAX_YEAR = 1900, 2999


def parse_year(value):
    """The report year from a query-string value.

    :raise InvalidInput: missing, not a whole number, or outside MIN_YEAR..MAX_YEAR
    """
    text = str(value if value is not None else "").strip()
    if not text.isascii() or not text.isdigit() or not MIN_YEAR <= int(text) <= MAX_YEAR:
        message = _(
            "Give the year as a number from %(min)s to %(max)s.", min=MIN_YEAR, max=MAX_YEAR
        )
        raise InvalidInput(message, fields={"year": [message]})
    return int(text)


def report_years(today=None):
    """The years in which some course starts, and the current one; newest first."""
    today = today or local_today()
    years = db.session.scalars(
        select(extract("year", Course.starts_on).label("year")).distinct()
    ).all()
    return sorted({int(y) for y in years} | {today.year}, reverse=True)


# --- the partner report (MoU evaluation) -------------------------------------------------------


def partner_report(year, now=None):
    """Per partner, the training figures of the year by the annual report's counting rules
    (outreach events are not courses here).

    A list of dicts by partner name: ``partner`` (the Partner), ``courses`` (courses starting in
    the year), ``sessions_held``, ``trainees``, ``enrollments``, ``completions``,
    ``completion_rate`` (completions / enrollments, None without enrolments), ``certificates``
    (valid ones) and ``attendance_rate`` (pooled as in the annual report, None when nothing was
    held). Listed: every partner with a course starting in the year, and every partner on record
    by the end of the year whose MoU was valid during some of it (with zeros: an MoU that
    produced nothing is a finding too).
    """
    now = now or utcnow()
    first, last = date(year, 1, 1), date(year, 12, 31)
    in_year = and_(Course.starts_on >= first, Course.starts_on <= last)
    # training only: an outreach event is no course of the partner's, its meeting no session
    courses = dict(
        db.session.execute(
            _training(select(Course.partner_id, func.count()).where(in_year)).group_by(
                Course.partner_id
            )
        ).all()
    )
    held = _held_sessions(now)
    sessions = dict(
        db.session.execute(
            _training(
                select(Course.partner_id, func.coalesce(func.sum(held.c.held), 0))
                .join(held, held.c.course_id == Course.id)
                .where(in_year)
            ).group_by(Course.partner_id)
        ).all()
    )
    e = year_enrollments(year)
    figures = _breakdown(e, e.c.partner_id)
    attendance = _attendance_by(e, now, e.c.partner_id)
    recorded_by = local_to_utc(datetime.combine(date(year + 1, 1, 1), time()))
    partners = db.session.scalars(
        select(Partner).where(
            Partner.id.in_(list(courses))
            | ((Partner.mou_valid_until >= first) & (Partner.created_at < recorded_by))
        )
    ).all()
    rows = []
    for partner in partners:
        f = figures.get(partner.id, {})
        enrollments, completions = f.get("enrollments", 0), f.get("completions", 0)
        attended, countable = attendance.get(partner.id, (0, 0))
        rows.append(
            {
                "partner": partner,
                "courses": courses.get(partner.id, 0),
                "sessions_held": int(sessions.get(partner.id, 0)),
                "trainees": f.get("trainees", 0),
                "enrollments": enrollments,
                "completions": completions,
                "completion_rate": completions / enrollments if enrollments else None,
                "certificates": f.get("certificates", 0),
                "attendance_rate": attended / countable if countable > 0 else None,
            }
        )
    # by name in Python: the same order on every database, whatever its collation
    return sorted(rows, key=lambda r: (r["partner"].name.casefold(), r["partner"].id))
