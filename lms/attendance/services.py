"""Attendance figures of an enrolment, by the rate formula of API.md.

A session is held once its start has passed and it was not cancelled; a held session with no
mark counts as absent. Marks on sessions that are not held (future or cancelled) count nowhere.
"""

from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, or_, select, update
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


def of_own_group(group_id):
    """The sessions that count for an enrolment placed in ``group_id`` (a column or a value):
    those of the whole course and those of its own class group (lms.catalog.groups)."""
    return or_(CourseSession.group_id.is_(None), CourseSession.group_id == group_id)


def _held_with_own_mark(enrollment, now, *columns):
    """A select of ``columns`` over the held sessions of the enrolment's course (of its own
    class group and the whole course), each joined to the enrolment's own mark (a NULL status
    when nobody marked it)."""
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
            of_own_group(enrollment.group_id),
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


def on_roster_of(session):
    """The conditions that put an enrolment on a session's roster: a seat in its course, and a
    place in the session's class group when the session belongs to one."""
    conditions = [Enrollment.course_id == session.course_id, Enrollment.status.in_(SEAT_STATUSES)]
    if session.group_id is not None:
        conditions.append(Enrollment.group_id == session.group_id)
    return conditions


def roster(session):
    """[(enrolment, attendance or None)] of a session, by trainee name (two queries)."""
    enrollments = db.session.scalars(
        select(Enrollment)
        .join(User, User.id == Enrollment.user_id)
        .options(joinedload(Enrollment.user).joinedload(User.regency))
        .where(*on_roster_of(session))
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


def _clean_records(records, on_roster):
    """Validate marks sent for a session: (enrolment id -> (status, note)) or InvalidInput.

    ``on_roster`` holds the enrolment ids of the session's roster."""
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


def _insert_ignoring_duplicates(model):
    """An INSERT of ``model`` that skips rows breaking a unique constraint (both databases)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model).on_conflict_do_nothing()


def _roster_with_marks(session):
    """{enrolment id on the session's roster: its mark or None}, in one query."""
    rows = db.session.execute(
        select(Enrollment.id, Attendance)
        .outerjoin(
            Attendance,
            and_(Attendance.enrollment_id == Enrollment.id, Attendance.session_id == session.id),
        )
        .where(*on_roster_of(session))
    ).all()
    return dict(rows)


def _batch_taken(batch_id, session, actor):
    """Record ``batch_id`` as applied; False when it was applied already (also at this very
    moment by another request): one statement, no savepoint."""
    taken = db.session.execute(
        _insert_ignoring_duplicates(AttendanceBatch)
        .values(
            batch_id=batch_id, session_id=session.id, applied_by_id=actor.id, applied_at=utcnow()
        )
        .returning(AttendanceBatch.batch_id)
    ).first()
    return taken is not None


def _expire_loaded(model, ids=None):
    """Expire the loaded instances of ``model`` (those with an id in ``ids``) after a bulk write."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, model) and (ids is None or obj.id in ids):
            db.session.expire(obj)


def save_marks(
    session,
    records,
    actor,
    source="trainer",
    batch_id=None,
    now=None,
    conflict=None,
    check_lock=True,
):
    """Save a roster's marks in one go; returns how many marks were new or changed.

    The one way a mark is written or changed, whatever its source (trainer, check-in, offline,
    import, ...): every change is audited alike, one entry per mark (``attendance.marked``,
    ``attendance.changed``, ``attendance.note_changed``) with its old and new value and source,
    plus one ``attendance.saved`` entry for the save.

    ``records`` is a list of ``{enrollment_id, status, note?}``. All or nothing: any bad record
    refuses the lot. A ``batch_id`` already applied changes nothing (an offline client's resend).
    A record that repeats the saved status leaves the mark as it was, with who made it, when and
    how (a trainee's check-in stays one even when the whole roster is sent again); only a changed
    note is saved then. Trainees who fall below the course's threshold over the sessions that
    have ended are told. A roster of any size is saved in a fixed, small number of statements
    (the roster with its marks, the batch, one INSERT of new marks, one UPDATE of changed ones,
    one INSERT of the audit entries).

    ``conflict``: the error raised when another request marked one of the trainees between the
    read and the write (a :class:`Conflict` by default). ``check_lock=False`` leaves out the
    trainers' rules (from the session's day, the edit lock) for a source with rules of its own
    (a check-in: its window).
    """
    now = now or utcnow()
    if batch_id is not None:
        batch_id = str(batch_id)[:64]
    # an accepted excuse was asked for in time: it may be marked before the session's day or
    # after the trainers' lock, not on a cancelled session
    refusal = (
        marking_refusal(actor, session, now)
        if check_lock and (source != "excuse" or session.cancelled_at is not None)
        else None
    )
    if refusal:
        if batch_id is not None and db.session.get(AttendanceBatch, batch_id) is not None:
            return 0  # applied already: a resend changes nothing, even once the lock is on
        raise Forbidden(refusal)
    existing = _roster_with_marks(session)
    if batch_id is not None and not _batch_taken(batch_id, session, actor):
        # applied already (a resend changes nothing, even if its records would not pass now),
        # or being applied by a request that arrived at the same moment
        return 0
    # a refused batch leaves nothing behind: the request's changes are rolled back
    clean = _clean_records(records, existing)
    ip = request.remote_addr if has_request_context() else None
    inserts, updates, audits = [], [], []

    def audited(action, mark_id, enrollment_id, **data):
        audits.append(
            {
                "action": action,
                "actor_id": actor.id,
                "object_type": "attendance",
                "object_id": mark_id,
                "data": {"session": session.id, "enrollment": enrollment_id, **data},
                "at": now,
                "ip": ip,
            }
        )

    for enrollment_id, (status, note) in clean.items():
        old = existing.get(enrollment_id)
        if note is KEEP_NOTE:
            note = old.note if old is not None else None
        if old is None:
            inserts.append(
                {
                    "session_id": session.id,
                    "enrollment_id": enrollment_id,
                    "status": status,
                    "note": note,
                    "marked_by_id": actor.id,
                    "marked_at": now,
                    "source": source,
                }
            )
        elif old.status != status:
            updates.append(
                {
                    "id": old.id,
                    "status": status,
                    "note": note,
                    "marked_by_id": actor.id,
                    "marked_at": now,
                    "source": source,
                }
            )
            audited(
                "attendance.changed",
                old.id,
                enrollment_id,
                old=old.status,
                new=status,
                source=source,
                old_source=old.source,
                batch=batch_id,
            )
        elif old.note != note:
            # one shape for every UPDATE row: who marked it, when and how stay as they were
            updates.append(
                {
                    "id": old.id,
                    "status": old.status,
                    "note": note,
                    "marked_by_id": old.marked_by_id,
                    "marked_at": old.marked_at,
                    "source": old.source,
                }
            )
            audited(
                "attendance.note_changed",
                old.id,
                enrollment_id,
                old=old.note,
                new=note,
                source=source,
                batch=batch_id,
            )
    if inserts:
        created = db.session.execute(
            _insert_ignoring_duplicates(Attendance).returning(
                Attendance.id, Attendance.enrollment_id
            ),
            inserts,
        ).all()
        if len(created) < len(inserts):
            # another request marked one of them between our read and this write
            raise conflict or Conflict(
                _("Someone else marked this roster at the same moment: reload it and save again."),
                code="marked_meanwhile",
            )
        ids = {enrollment_id: mark_id for mark_id, enrollment_id in created}
        for row in inserts:
            audited(
                "attendance.marked",
                ids[row["enrollment_id"]],
                row["enrollment_id"],
                old=None,
                new=row["status"],
                source=source,
                batch=batch_id,
            )
    if updates:
        db.session.execute(update(Attendance), updates)
    if not (inserts or updates):
        return 0
    audits.append(
        {
            "action": "attendance.saved",
            "actor_id": actor.id,
            "object_type": "session",
            "object_id": session.id,
            "data": {
                "new": len(inserts),
                "changed": len(updates),
                "source": source,
                "batch": batch_id,
            },
            "at": now,
            "ip": ip,
        }
    )
    db.session.execute(insert(AuditEntry), audits)
    # the marks changed under the ORM's feet: loaded ones are read again when next used
    _expire_loaded(Attendance)
    if session.ends_at <= now:
        # only a session that has ended counts for a warning: one running or still to come
        # cannot make anybody fall behind (or catch up) yet
        alert_falling_behind(session.course, now)
    return len(inserts) + len(updates)


# --- check-in --------------------------------------------------------------------------------


def current_checkin_code(session, now=None):
    """(code, expires_at) that the trainer's page shows now."""
    return checkin.current_code(session.checkin_secret, now)


def checkin_code_valid(session, code, now=None):
    """Whether ``code`` is accepted for the session now (this period's or the previous one's)."""
    return checkin.code_is_valid(session.checkin_secret, code, now or utcnow())


def checkin_window(session):
    """(opens, closes): check-in opens a little before the start and closes at the end."""
    before = timedelta(minutes=current_app.config["CHECKIN_OPENS_BEFORE_MINUTES"])
    return session.starts_at - before, session.ends_at


def roster_enrollment(session, user):
    """The user's enrolment on the session's roster, or None."""
    return db.session.scalar(
        select(Enrollment).where(*on_roster_of(session), Enrollment.user_id == user.id)
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
    # through the one funnel of every mark: audited as any other source
    save_marks(
        session,
        [{"enrollment_id": enrollment.id, "status": status}],
        user,
        source="checkin",
        now=now,
        conflict=Conflict(_("You have already checked in."), code="already_marked"),
        check_lock=False,  # the check-in window is the rule here
    )
    return own_mark(session, enrollment)


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
        .options(joinedload(Enrollment.user).joinedload(User.regency))
        .where(Enrollment.course_id == course.id, Enrollment.status.in_(SEAT_STATUSES))
        .order_by(User.name, Enrollment.id)
    ).all()
    # held sessions per class group (None: the whole course's); a trainee counts the whole
    # course's and their own group's, and only their marks on those
    held_by_group = dict(
        db.session.execute(
            select(CourseSession.group_id, func.count())
            .where(
                CourseSession.course_id == course.id,
                CourseSession.cancelled_at.is_(None),
                CourseSession.starts_at <= now,
            )
            .group_by(CourseSession.group_id)
        ).all()
    )
    rows = db.session.execute(
        select(Attendance.enrollment_id, Attendance.status, func.count())
        .join(CourseSession, CourseSession.id == Attendance.session_id)
        .join(Enrollment, Enrollment.id == Attendance.enrollment_id)
        .where(
            CourseSession.course_id == course.id,
            CourseSession.cancelled_at.is_(None),
            CourseSession.starts_at <= now,
            of_own_group(Enrollment.group_id),
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
        held = held_by_group.get(None, 0)
        if enrollment.group_id is not None:
            held += held_by_group.get(enrollment.group_id, 0)
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


def warning_counts(course, now=None):
    """{enrolment id: (AttendanceSummary, attendance_alert_at)} of a course's roster over the
    sessions that have ENDED (not cancelled), in one query.

    The rate shown on pages and in the API counts a session from its start (API.md); a warning
    (the message to the trainee, the flags on the trainer's and the trainee's pages) waits for the
    session's end, so that nobody is told they fall behind during a session they are about to
    check in to.
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(
            Enrollment.id,
            Enrollment.attendance_alert_at,
            Attendance.status,
            func.count(CourseSession.id),
        )
        .select_from(Enrollment)
        .outerjoin(
            CourseSession,
            and_(
                CourseSession.course_id == Enrollment.course_id,
                CourseSession.cancelled_at.is_(None),
                CourseSession.ends_at <= now,
            ),
        )
        .outerjoin(
            Attendance,
            and_(
                Attendance.session_id == CourseSession.id,
                Attendance.enrollment_id == Enrollment.id,
            ),
        )
        .where(Enrollment.course_id == course.id, Enrollment.status.in_(SEAT_STATUSES))
        .group_by(Enrollment.id, Enrollment.attendance_alert_at, Attendance.status)
    ).all()
    counts, alerted = {}, {}
    for enrollment_id, alert_at, status, number in rows:
        counts.setdefault(enrollment_id, {})[status] = number
        alerted[enrollment_id] = alert_at
    result = {}
    for enrollment_id, c in counts.items():
        summary = AttendanceSummary(
            held=sum(c.values()),
            present=c.get("present", 0),
            late=c.get("late", 0),
            excused=c.get("excused", 0),
            absent=c.get("absent", 0) + c.get(None, 0),
        )
        result[enrollment_id] = (
            _as_the_type_counts(course.type_key, summary),
            alerted[enrollment_id],
        )
    return result


def is_falling_behind(summary, threshold):
    """Whether a summary over the ENDED sessions warrants a warning: enough of them ended
    (MIN_HELD_FOR_ALERT) and the rate is under the threshold."""
    return summary.held >= MIN_HELD_FOR_ALERT and below_threshold(summary, threshold)


def falling_behind(course, now=None):
    """The ids of the course's enrolments that a warning concerns now (ended sessions only)."""
    threshold = threshold_of(course)
    return {
        enrollment_id
        for enrollment_id, (summary, _alert_at) in warning_counts(course, now).items()
        if is_falling_behind(summary, threshold)
    }


def alert_falling_behind(course, now=None):
    """Write a message to each trainee who fell below the course's threshold since their last
    alert (once per fall; at least MIN_HELD_FOR_ALERT sessions ENDED; a session still running
    counts for nothing here). Returns the number sent. One query when nobody's state changes."""
    from lms.outbox import services as outbox

    threshold = threshold_of(course)
    to_alert, recovered = {}, []
    for enrollment_id, (summary, alert_at) in warning_counts(course, now).items():
        behind = is_falling_behind(summary, threshold)
        if behind and alert_at is None:
            to_alert[enrollment_id] = summary
        elif not behind and alert_at is not None:
            recovered.append(enrollment_id)  # back on track: a new fall alerts again
    if recovered:
        db.session.execute(
            update(Enrollment),
            [{"id": enrollment_id, "attendance_alert_at": None} for enrollment_id in recovered],
        )
        _expire_loaded(Enrollment, set(recovered))
    if to_alert:
        enrollments = db.session.scalars(
            select(Enrollment)
            .options(joinedload(Enrollment.user))
            .where(Enrollment.id.in_(list(to_alert)))
            .order_by(Enrollment.id)
        ).all()
        for enrollment in enrollments:
            outbox.queue(
                enrollment.user,
                "attendance_low",
                "emails/attendance_low",
                course=course,
                rate=round(to_alert[enrollment.id].rate * 100),
                threshold=round(threshold * 100),
            )
            enrollment.attendance_alert_at = utcnow()
        db.session.flush()
    return len(to_alert)


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
#: columns of the sheet: the id identifies the trainee, the name and the rest are there for people
SHEET_COLUMNS = ("enrollment_id", "name", "regency", "nik", "birth_year", "status", "note")


def _cell(value):
    """A sheet cell as text: None is empty, a whole float (12.0 from XLSX) its integer."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def sheet_rows(session):
    """Rows of a session's sheet (prefilled with the marks already saved)."""
    from lms.templating import identity_columns

    return [
        [
            e.id,
            e.user.name,
            # who is who when two share a name: the regency, the NIK's last digits, the birth year
            *identity_columns(e)[1:],
            mark.status if mark else "",
            (mark.note or "") if mark else "",
        ]
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
