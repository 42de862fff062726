"""Attendance figures of an enrolment, by the rate formula of API.md.

A session is held once its start has passed and it was not cancelled; a held session with no
mark counts as absent. Marks on sessions that are not held (future or cancelled) count nowhere.
"""

from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.auth.permissions import can_manage_course
from lms.catalog.models import Course, CourseSession
from lms.core.time import format_local, utc_to_local
from lms.core.types import utcnow
from lms.course_types.base import AttendanceSummary
from lms.enrollment.models import SEAT_STATUSES, Enrollment
from lms.errors import Conflict, Forbidden, InvalidInput, NotFound
from lms.extensions import course_types, db

from . import checkin
from .models import (
    ATTENDANCE_STATUS_LABELS,
    ATTENDANCE_STATUSES,
    Assessment,
    Attendance,
    AttendanceBatch,
)

#: sessions that must have been held before a trainee is told they fall behind
MIN_HELD_FOR_ALERT = 2


def _held_with_own_mark(enrollment, now, *columns):
    """A select of ``columns`` over the held sessions of the enrolment's course, each joined to
    the enrolment's own mark (a NULL status when nobody marked it)."""
    return (
        select(*columns)
        .select_from(CourseSession)
        .outerjoin(
            Attendance,
            and_(
                Attendance.session_id == CourseSession.id,
                Attendance.enrollment_id == enrollment.id,
            ),
        )
        .where(
            CourseSession.course_id == enrollment.course_id,
            CourseSession.cancelled_at.is_(None),
            CourseSession.starts_at <= now,
        )
    )


def own_marks(enrollment, now=None):
    """[(session, status or None)] for each held session of the enrolment's course, oldest first."""
    query = _held_with_own_mark(enrollment, now or utcnow(), CourseSession, Attendance.status)
    return db.session.execute(query.order_by(CourseSession.starts_at)).all()


def attendance_summary(enrollment, now=None):
    """The enrolment's :class:`AttendanceSummary` over the held sessions of its course (one query).

    ``summary.rate`` is (present + late) / (held - excused), or None when nothing counts.
    """
    now = now or utcnow()
    # the course's type comes with the counts (how it counts attendance), in the same query
    rows = db.session.execute(
        _held_with_own_mark(
            enrollment, now, Course.type_key, Attendance.status, func.count(CourseSession.id)
        )
        .join(Course, Course.id == CourseSession.course_id)
        .group_by(Course.type_key, Attendance.status)
    ).all()
    counts = {status: number for _type, status, number in rows}
    return _as_the_type_counts(
        rows[0][0] if rows else None,
        AttendanceSummary(
            held=sum(counts.values()),
            present=counts.get("present", 0),
            late=counts.get("late", 0),
            excused=counts.get("excused", 0),
            # a held session without a mark (status None from the outer join) counts as absent
            absent=counts.get("absent", 0) + counts.get(None, 0),
        ),
    )


def _as_the_type_counts(type_key, summary):
    """The summary as the course's type counts attendance (one that does not enrol: no rate)."""
    course_type = course_types.get(type_key) if type_key else None
    return course_type.attendance_for(summary) if course_type is not None else summary


# --- who is on a roster, and who may mark it ---------------------------------------------------


def roster(session):
    """[(enrolment, attendance or None)] of a session, by trainee name (two queries)."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .options(joinedload(Enrollment.user))
        .where(
            Enrollment.course_id == session.course_id,
            Enrollment.status.in_(SEAT_STATUSES),
        )
        .order_by(User.name, Enrollment.id)
    ).all()
    marks = {
        a.enrollment_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }
    return [(e, marks.get(e.id)) for e in enrollments]


def edit_deadline(session):
    """The last moment a trainer may change a session's marks (staff may always)."""
    days = current_app.config["ATTENDANCE_EDIT_DAYS"]
    return session.ends_at + timedelta(days=days)


def marking_refusal(user, session, now=None):
    """Why ``user`` may not mark ``session`` now, or None. Call ensure_course_access first."""
    now = now or utcnow()
    if session.cancelled_at is not None:
        return _("This session was cancelled.")
    if utc_to_local(session.starts_at).date() > utc_to_local(now).date():
        return _("Attendance can be marked from the day of the session.")
    if not user.is_staff and now > edit_deadline(session):
        return _(
            "Attendance of this session was locked on %(day)s; ask the office to change it.",
            day=format_local(edit_deadline(session), "d MMM y, HH:mm"),
        )
    return None


def session_for(user, session_id):
    """The session, if ``user`` may see its course's attendance (staff, its trainers).

    :raise NotFound: no such session, or one of a course ``user`` does not teach: the same answer,
        so that a session id tells a trainer of another partner nothing
    """
    session = db.session.get(CourseSession, session_id)
    if session is None or not can_manage_course(user, session.course):
        raise NotFound(_("This session does not exist."))
    return session


def enrollment_for(user, enrollment_id):
    """The enrolment, if ``user`` may see its course's attendance (staff, its trainers).

    :raise NotFound: no such enrolment, or one of a course ``user`` does not teach (one answer)
    """
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None or not can_manage_course(user, enrollment.course):
        raise NotFound(_("This enrolment does not exist."))
    return enrollment


def not_on_roster():
    """The one answer to a trainee checking in to a session that does not exist or to one of a
    course they are not enrolled in (a session id must not tell them a course exists)."""
    return NotFound(_("This session does not exist, or you are not enrolled in its course."))


def checkin_enrollment(user, session_id):
    """(session, the user's enrolment on its roster) for a check-in.

    :raise NotFound: no such session, or ``user`` is not on its roster (``not_on_roster``)
    """
    session = db.session.get(CourseSession, session_id)
    enrollment = roster_enrollment(session, user) if session is not None else None
    if enrollment is None:
        raise not_on_roster()
    return session, enrollment


# --- marking ---------------------------------------------------------------------------------


#: a record's note when it has none: the saved note stays
KEEP_NOTE = object()


def _clean_records(session, records):
    """Validate marks sent for a session: (enrolment id -> (status, note)) or InvalidInput."""
    on_roster = set(
        db.session.scalars(
            select(Enrollment.id).where(
                Enrollment.course_id == session.course_id,
                Enrollment.status.in_(SEAT_STATUSES),
            )
        )
    )
    errors, clean = {}, {}
    for index, record in enumerate(records):
        key = f"records.{index}"
        if not isinstance(record, dict):
            errors.setdefault(key, []).append(_("Invalid input type."))
            continue
        enrollment_id, status = record.get("enrollment_id"), record.get("status")
        # a record without a note keeps the saved one (an offline client sends statuses only)
        note = (str(record["note"] or "").strip() or None) if "note" in record else KEEP_NOTE
        if type(enrollment_id) is not int or enrollment_id not in on_roster:
            errors.setdefault(key, []).append(_("This trainee is not on the session's roster."))
        elif enrollment_id in clean:
            errors.setdefault(key, []).append(_("This trainee is marked twice."))
        else:
            clean[enrollment_id] = (status, note)
        if status not in ATTENDANCE_STATUSES:
            errors.setdefault(key, []).append(_("Not a valid choice."))
        if note and note is not KEEP_NOTE and len(note) > 300:
            errors.setdefault(key, []).append(_("At most %(n)s characters.", n=300))
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    return clean


def save_marks(session, records, actor, source="trainer", batch_id=None, now=None):
    """Save a roster's marks in one go; returns how many marks were new or changed.

    ``records`` is a list of ``{enrollment_id, status, note?}``. All or nothing: any bad record
    refuses the lot. A ``batch_id`` already applied changes nothing (an offline client's resend).
    A record that repeats the saved status leaves the mark as it was, with who made it, when and
    how (a trainee's check-in stays one even when the whole roster is sent again); only a changed
    note is saved then. Every change is audited with its old and new value; trainees who fall
    below the course's threshold are told. The number of queries does not grow with the roster.
    """
    now = now or utcnow()
    if batch_id is not None:
        batch_id = str(batch_id)[:64]
        if db.session.get(AttendanceBatch, batch_id) is not None:
            return 0  # applied already: a resend changes nothing, even once the lock is on
    refusal = marking_refusal(actor, session, now)
    if refusal:
        raise Forbidden(refusal)
    clean = _clean_records(session, records)
    if batch_id is not None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    AttendanceBatch(
                        batch_id=batch_id, session_id=session.id, applied_by_id=actor.id
                    )
                )
        except IntegrityError:
            # the same batch arrived twice at once: the other request applies it
            return 0
    existing = {
        a.enrollment_id: a
        for a in db.session.scalars(
            select(Attendance).where(
                Attendance.session_id == session.id, Attendance.enrollment_id.in_(list(clean))
            )
        )
    }
    ip = request.remote_addr if has_request_context() else None
    inserts, updates, audits = [], [], []

    def audited(action, mark, **data):
        audits.append(
            {
                "action": action,
                "actor_id": actor.id,
                "object_type": "attendance",
                "object_id": mark.id,
                "data": {"session": session.id, "enrollment": mark.enrollment_id, **data},
                "at": now,
                "ip": ip,
            }
        )

    for enrollment_id, (status, note) in clean.items():
        old = existing.get(enrollment_id)
        if note is KEEP_NOTE:
            note = old.note if old is not None else None
        mark = {"marked_by_id": actor.id, "marked_at": now, "source": source}
        if old is None:
            inserts.append(
                {
                    "session_id": session.id,
                    "enrollment_id": enrollment_id,
                    "status": status,
                    "note": note,
                    **mark,
                }
            )
        elif old.status != status:
            updates.append({"id": old.id, "status": status, "note": note, **mark})
            audited("attendance.changed", old, old=old.status, new=status, old_source=old.source)
        elif old.note != note:
            updates.append({"id": old.id, "note": note})
            audited("attendance.note_changed", old, old=old.note, new=note)
    if inserts:
        db.session.execute(insert(Attendance), inserts)
    if updates:
        # rows of different shapes (a new status, a new note only) are one UPDATE per shape
        for shape in {tuple(row) for row in updates}:
            rows = [row for row in updates if tuple(row) == shape]
            db.session.execute(update(Attendance), rows)
    if audits:
        db.session.execute(insert(AuditEntry), audits)
    if inserts or updates:
        audit.record(
            "attendance.saved",
            session,
            actor=actor,
            object_type="session",
            new=len(inserts),
            changed=len(updates),
            source=source,
            batch=batch_id,
        )
        db.session.flush()
        db.session.expire_all()
        alert_falling_behind(session.course, now)
    return len(inserts) + len(updates)


# --- check-in --------------------------------------------------------------------------------


def current_checkin_code(session, now=None):
    """(code, expires_at) that the trainer's page shows now."""
    return checkin.current_code(session.checkin_secret, now)


def checkin_window(session):
    """(opens, closes): check-in opens a little before the start and closes at the end."""
    before = timedelta(minutes=current_app.config["CHECKIN_OPENS_BEFORE_MINUTES"])
    return session.starts_at - before, session.ends_at


def roster_enrollment(session, user):
    """The user's enrolment on the session's roster, or None."""
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.course_id == session.course_id,
            Enrollment.user_id == user.id,
            Enrollment.status.in_(SEAT_STATUSES),
        )
    )


def checkin_closed(session, now=None):
    """Why no one can check in to ``session`` now, as the error a check-in raises (it was
    cancelled; outside its window), or None; the check-in page says it before the button."""
    now = now or utcnow()
    if session.cancelled_at is not None:
        return InvalidInput(_("This session was cancelled."), code="cancelled")
    opens, closes = checkin_window(session)
    if not opens <= now <= closes:
        return InvalidInput(
            _(
                "Check-in is open from %(start)s to %(end)s.",
                start=format_local(opens, "d MMM, HH:mm"),
                end=format_local(closes, "HH:mm"),
            ),
            fields={"code": [_("Check-in is closed now.")]},
            code="outside_window",
        )
    return None


def own_mark(session, enrollment):
    """The enrolment's mark for the session, or None."""
    return db.session.scalar(
        select(Attendance).where(
            Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id
        )
    )


def check_in(session, user, code, now=None):
    """Mark ``user`` present (late after the grace period) with the session's current code; a
    trainee back above the course's threshold is no longer "falling behind".

    :raise InvalidInput: wrong or expired code, outside the session's window, cancelled session
    :raise NotFound: the user is not on the roster of the session's course
    :raise Conflict: already checked in or marked by the trainer (their mark stands)
    """
    now = now or utcnow()
    enrollment = roster_enrollment(session, user)
    if enrollment is None:
        raise not_on_roster()
    closed = checkin_closed(session, now)
    if closed is not None:
        raise closed
    if not checkin.code_is_valid(session.checkin_secret, code, now):
        raise InvalidInput(
            _("This code is wrong or has expired. Scan the code on the trainer's screen again."),
            fields={"code": [_("This code is wrong or has expired.")]},
            code="bad_code",
        )
    existing = own_mark(session, enrollment)
    if existing is not None:
        raise Conflict(
            _(
                "You are already marked %(status)s for this session.",
                status=ATTENDANCE_STATUS_LABELS[existing.status],
            ),
            code="already_marked",
        )
    grace = timedelta(minutes=current_app.config["CHECKIN_GRACE_MINUTES"])
    status = "present" if now <= session.starts_at + grace else "late"
    mark = Attendance(
        session_id=session.id,
        enrollment_id=enrollment.id,
        status=status,
        marked_by_id=user.id,
        marked_at=now,
        source="checkin",
    )
    try:
        with db.session.begin_nested():
            db.session.add(mark)
    except IntegrityError as exc:
        raise Conflict(_("You have already checked in."), code="already_marked") from exc
    alert_falling_behind(session.course, now)
    return mark


# --- assessments -----------------------------------------------------------------------------


def set_assessment(enrollment, actor, score=None, competent=None):
    """Record the final assessment: a score (0..100) and/or competent / not yet competent."""
    errors = {}
    if score is None and competent is None:
        errors["score"] = [_("Give a score or say whether the trainee is competent.")]
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 100
    ):
        errors["score"] = [_("Enter a score from 0 to 100.")]
    if competent is not None and not isinstance(competent, bool):
        errors["competent"] = [_("Not a valid boolean.")]
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    if enrollment.status not in SEAT_STATUSES:
        raise Conflict(_("Only an enrolled trainee can be assessed."), code="not_enrolled")
    result = db.session.scalar(select(Assessment).where(Assessment.enrollment_id == enrollment.id))
    old = None if result is None else {"score": result.score, "competent": result.competent}
    if result is None:
        result = Assessment(enrollment_id=enrollment.id)
        db.session.add(result)
    result.score, result.competent, result.assessed_by_id = score, competent, actor.id
    result.assessed_at = utcnow()
    db.session.flush()
    audit.record(
        "assessment.recorded",
        enrollment,
        actor=actor,
        old=old,
        new={"score": score, "competent": competent},
    )
    return result


# --- summaries -------------------------------------------------------------------------------


def course_summaries(course, now=None):
    """[(enrolment, AttendanceSummary)] of a course's roster, in two queries."""
    now = now or utcnow()
    enrollments = db.session.scalars(
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .options(joinedload(Enrollment.user))
        .where(Enrollment.course_id == course.id, Enrollment.status.in_(SEAT_STATUSES))
        .order_by(User.name, Enrollment.id)
    ).all()
    held = db.session.scalar(
        select(func.count()).where(
            CourseSession.course_id == course.id,
            CourseSession.cancelled_at.is_(None),
            CourseSession.starts_at <= now,
        )
    )
    rows = db.session.execute(
        select(Attendance.enrollment_id, Attendance.status, func.count())
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(
            CourseSession.course_id == course.id,
            CourseSession.cancelled_at.is_(None),
            CourseSession.starts_at <= now,
        )
        .group_by(Attendance.enrollment_id, Attendance.status)
    ).all()
    counts = {}
    for enrollment_id, status, number in rows:
        counts.setdefault(enrollment_id, {})[status] = number
    result = []
    for enrollment in enrollments:
        c = counts.get(enrollment.id, {})
        marked = sum(c.values())
        result.append(
            (
                enrollment,
                _as_the_type_counts(
                    course.type_key,
                    AttendanceSummary(
                        held=held,
                        present=c.get("present", 0),
                        late=c.get("late", 0),
                        excused=c.get("excused", 0),
                        absent=c.get("absent", 0) + max(held - marked, 0),
                    ),
                ),
            )
        )
    return result


def course_matrix(course, now=None):
    """The trainees x sessions grid of a course: (sessions, rows), rows being
    (enrolment, summary, {session id: status}) — three queries whatever the size."""
    now = now or utcnow()
    sessions = db.session.scalars(
        select(CourseSession)
        .where(CourseSession.course_id == course.id)
        .order_by(CourseSession.starts_at)
    ).all()
    marks = {}
    for enrollment_id, session_id, status in db.session.execute(
        select(Attendance.enrollment_id, Attendance.session_id, Attendance.status)
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .where(CourseSession.course_id == course.id)
    ):
        marks.setdefault(enrollment_id, {})[session_id] = status
    rows = [(e, summary, marks.get(e.id, {})) for e, summary in course_summaries(course, now)]
    return sessions, rows


def threshold_of(course):
    """The course's attendance threshold (its own, else its type's; 0.8 when the type is gone)."""
    from lms.catalog.services import course_type_of

    course_type = course_type_of(course)
    if course_type is None:
        return course.attendance_threshold if course.attendance_threshold is not None else 0.8
    return course_type.threshold_for(course)


def below_threshold(summary, threshold):
    """Whether a summary's rate is under the threshold (no rate yet is not below)."""
    return summary.rate is not None and summary.rate + 1e-9 < threshold


def alert_falling_behind(course, now=None):
    """Write a message to each trainee who fell below the course's threshold since their last
    alert (once per fall; at least MIN_HELD_FOR_ALERT sessions held). Returns the number sent."""
    from lms.outbox import services as outbox

    threshold = threshold_of(course)
    sent = 0
    for enrollment, summary in course_summaries(course, now):
        behind = summary.held >= MIN_HELD_FOR_ALERT and below_threshold(summary, threshold)
        if behind and enrollment.attendance_alert_at is None:
            outbox.queue(
                enrollment.user,
                "attendance_low",
                "emails/attendance_low",
                course=course,
                rate=round(summary.rate * 100),
                threshold=round(threshold * 100),
            )
            enrollment.attendance_alert_at = utcnow()
            sent += 1
        elif not behind and enrollment.attendance_alert_at is not None:
            enrollment.attendance_alert_at = None  # back on track: a new fall alerts again
    db.session.flush()
    return sent


def alert_running_courses(now=None):
    """Check every course running today (a session nobody marked counts as absent, so a trainee
    can fall behind without any save): run it daily. Returns the number of messages written."""
    from lms.catalog.models import Course

    now = now or utcnow()
    today = utc_to_local(now).date()
    courses = db.session.scalars(
        select(Course)
        .where(
            Course.visible,
            Course.starts_on <= today,
            Course.ends_on >= today - timedelta(days=1),
        )
        .order_by(Course.id)
    ).all()
    return sum(alert_falling_behind(course, now) for course in courses)


# --- paper sheets ----------------------------------------------------------------------------

#: how a status may be written on a paper sheet (keys, Indonesian words, single letters)
STATUS_WORDS = {
    "present": ("present", "hadir", "h", "p", "v", "✓"),
    "late": ("late", "terlambat", "telat", "t", "l"),
    "excused": ("excused", "izin", "ijin", "sakit", "i", "s", "e"),
    "absent": ("absent", "alpa", "alfa", "absen", "tidak hadir", "a", "x", "-"),
}
_WORD_TO_STATUS = {w: status for status, words in STATUS_WORDS.items() for w in words}
#: columns of the sheet: the id identifies the trainee, the name is there for people
SHEET_COLUMNS = ("enrollment_id", "name", "status", "note")


def _cell(value):
    """A sheet cell as text: None is empty, a whole float (12.0 from XLSX) its integer."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def sheet_rows(session):
    """Rows of a session's sheet (prefilled with the marks already saved)."""
    return [
        [e.id, e.user.name, mark.status if mark else "", (mark.note or "") if mark else ""]
        for e, mark in roster(session)
    ]


def import_marks(session, rows, actor, now=None):
    """Save marks read from a filled-in paper sheet: all rows or none.

    :raise InvalidInput: missing columns, or rows with problems; ``fields`` names each row
        ("row 3") with its messages, so the whole report can be shown at once
    """
    if not rows:
        raise InvalidInput(
            _("The file has no rows."), fields={"file": [_("The file has no rows.")]}
        )
    missing = [c for c in ("enrollment_id", "status") if c not in rows[0]]
    if missing:
        message = _("The file needs the columns %(columns)s.", columns=", ".join(SHEET_COLUMNS))
        raise InvalidInput(message, fields={"file": [message]})
    on_roster = {e.id for e, _mark in roster(session)}
    errors, records, seen = {}, [], set()
    for number, row in enumerate(rows, start=2):  # row 1 holds the headers
        key = _("row %(n)s", n=number)
        # an empty spreadsheet cell reads as None, a number cell as a number
        raw_id = str(_cell(row.get("enrollment_id")))
        word = str(_cell(row.get("status"))).strip().lower()
        note = str(_cell(row.get("note"))).strip() or None
        if not raw_id.strip() and not word:
            continue
        try:
            number_read = float(raw_id)
            if not number_read.is_integer():
                raise ValueError(raw_id)
            enrollment_id = int(number_read)
        except (ValueError, OverflowError):
            errors.setdefault(key, []).append(_("The id %(value)s is not a number.", value=raw_id))
            continue
        if enrollment_id not in on_roster:
            errors.setdefault(key, []).append(
                _("Nobody with the id %(value)s is on this session's roster.", value=raw_id)
            )
        elif enrollment_id in seen:
            errors.setdefault(key, []).append(_("This trainee is marked twice."))
        seen.add(enrollment_id)
        status = _WORD_TO_STATUS.get(word)
        if status is None:
            errors.setdefault(key, []).append(
                _(
                    "%(value)s is not a status: write present, late, excused or absent.",
                    value=word or "''",
                )
            )
        if note and len(note) > 300:
            errors.setdefault(key, []).append(_("At most %(n)s characters.", n=300))
        record = {"enrollment_id": enrollment_id, "status": status}
        if "note" in row:  # a sheet without a note column keeps the saved notes
            record["note"] = note
        records.append(record)
    if errors:
        raise InvalidInput(
            _("Nothing was saved: correct these rows and upload again."),
            fields=errors,
            code="bad_rows",
        )
    return save_marks(session, records, actor, source="import", now=now)
