"""Course and session rules: create, edit, clone, publish, timetable; the catalogue query.

Services validate, change the session and flush; the caller commits once.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, literal_column, select, tuple_
from sqlalchemy.orm import selectinload

from lms.audit import services as audit
from lms.auth.models import TARGET_GROUPS, User
from lms.auth.permissions import can_manage_course
from lms.core.locking import lock_row
from lms.core.search import contains
from lms.core.time import combine_local, local_today, utc_to_local
from lms.core.types import utcnow
from lms.errors import InvalidInput, NotFound
from lms.extensions import course_types, db
from lms.partners.models import Partner
from lms.regions.models import Regency
from lms.signals import course_capacity_raised

from .groups import ClassGroup
from .models import COURSE_STATUSES, VISIBLE_STATUSES, Course, CourseSession, course_trainers

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{1,39}$")
#: fields staff set on every course, whatever its type
COURSE_FIELDS = (
    "code",
    "title",
    "title_en",
    "description",
    "description_en",
    "type",
    "partner_id",
    "capacity",
    "starts_on",
    "ends_on",
    "registration_opens_at",
    "registration_closes_at",
    "requires_approval",
    "waitlist",
    "attendance_threshold",
    "certificate_validity_months",
    "status",
    "location",
    "target_groups",
    "min_age",
    "max_age",
    "trainer_ids",
    "details",
)


class CourseErrors(dict):
    """Messages per field, collected before one InvalidInput is raised."""

    def add(self, name, message):
        self.setdefault(name, []).append(message)

    def raise_if_any(self):
        if self:
            raise InvalidInput(_("Please correct the marked fields."), fields=dict(self))


def course_type_of(course):
    """The course's type plugin, or None when it is not installed or disabled."""
    return course_types.get(course.type_key)


def _text(data, name, errors, required=False, max_length=200):
    value = data.get(name)
    value = value.strip() if isinstance(value, str) else value
    if not value:
        if required:
            errors.add(name, _("This field is required."))
        return None
    if len(value) > max_length:
        errors.add(name, _("At most %(n)s characters.", n=max_length))
    return value


def _validate(data, course, errors):
    """Check the common fields present in ``data`` (all of them when creating)."""
    creating = course is None
    clean = {}

    def given(name):
        return creating or name in data

    if given("code"):
        code = (data.get("code") or "").strip()
        if not CODE_RE.match(code):
            errors.add(
                "code",
                _("Use 2 to 40 letters, digits, dots, dashes or slashes, e.g. BHS-MAN-2026-01."),
            )
        else:
            q = select(Course.id).where(func.lower(Course.code) == code.lower())
            if course is not None:
                q = q.where(Course.id != course.id)
            if db.session.scalar(q):
                errors.add("code", _("Another course already uses this code."))
        clean["code"] = code
    if given("title"):
        clean["title"] = _text(data, "title", errors, required=True)
    for name, length in (
        ("title_en", 200),
        ("description", 5000),
        ("description_en", 5000),
        ("location", 200),
    ):
        if name in data:
            clean[name] = _text(data, name, errors, max_length=length)
    if given("type"):
        if course is not None and data.get("type") != course.type_key:
            errors.add("type", _("The type of an existing course cannot change."))
        elif course_types.get(data.get("type")) is None:
            errors.add("type", _("Not a valid choice."))
        else:
            clean["type_key"] = data["type"]
    course_type = course_types.get(clean.get("type_key") or (course and course.type_key))
    enrols = course_type is None or course_type.enrols
    if given("partner_id"):
        partner = db.session.get(Partner, data.get("partner_id") or 0)
        if partner is None:
            errors.add("partner_id", _("Not a valid choice."))
        elif (
            (creating or partner.id != course.partner_id)
            and (course_type is None or course_type.requires_mou)
            and not partner.mou_valid_on(local_today())
        ):
            errors.add(
                "partner_id",
                _(
                    "The MoU of this partner has expired or has no end date; renew it before adding courses."
                ),
            )
        clean["partner_id"] = data.get("partner_id")
    if not enrols:
        # a course of a type that counts the people it reaches: no seats, no registration
        for name in ("capacity", "registration_opens_at", "registration_closes_at"):
            if given(name):
                clean[name] = None
    elif given("capacity"):
        capacity = data.get("capacity")
        if (
            not isinstance(capacity, int)
            or isinstance(capacity, bool)
            or not 1 <= capacity <= 10000
        ):
            errors.add("capacity", _("Enter a number of seats from 1 to 10000."))
        elif course is not None and capacity < course.enrolled_count:
            errors.add(
                "capacity",
                ngettext(
                    "%(num)s trainee is already enrolled; the capacity cannot be lower.",
                    "%(num)s trainees are already enrolled; the capacity cannot be lower.",
                    course.enrolled_count,
                ),
            )
        clean["capacity"] = capacity
    for name in ("starts_on", "ends_on"):
        if given(name):
            if not isinstance(data.get(name), date) or isinstance(data.get(name), datetime):
                errors.add(name, _("Not a valid date."))
            clean[name] = data.get(name)
    for name in ("registration_opens_at", "registration_closes_at"):
        if given(name) and enrols:
            value = data.get(name)
            if not isinstance(value, datetime) or value.tzinfo is None:
                errors.add(name, _("Not a valid date and time."))
            clean[name] = value
    for name in ("requires_approval", "waitlist"):
        if name in data:
            clean[name] = bool(data[name])
    if "attendance_threshold" in data:
        value = data["attendance_threshold"]
        if value is not None and (not isinstance(value, int | float) or not 0 <= value <= 1):
            errors.add(
                "attendance_threshold", _("Enter a share between 0 and 1, e.g. 0.8 for 80%.")
            )
        clean["attendance_threshold"] = value
    if "certificate_validity_months" in data:
        value = data["certificate_validity_months"]
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 600
        ):
            errors.add(
                "certificate_validity_months",
                _("Enter a number of months between 1 and 600, or leave it empty."),
            )
        clean["certificate_validity_months"] = value
    if "status" in data:
        if data["status"] not in COURSE_STATUSES:
            errors.add("status", _("Not a valid choice."))
        clean["status"] = data["status"]
    if "target_groups" in data:
        groups = data["target_groups"] or []
        if not isinstance(groups, list | tuple) or not set(groups) <= set(TARGET_GROUPS):
            errors.add("target_groups", _("Not a valid choice."))
        clean["target_groups"] = list(groups)
    for name in ("min_age", "max_age"):
        if name in data:
            value = data[name]
            if value is not None and (not isinstance(value, int) or not 15 <= value <= 80):
                errors.add(name, _("Enter an age from 15 to 80."))
            clean[name] = value
    return clean


def _check_consistency(course, errors):
    """Rules across fields, checked on the course as it would be saved."""
    if course.starts_on and course.ends_on and course.ends_on < course.starts_on:
        errors.add("ends_on", _("The course cannot end before it starts."))
    opens, closes = course.registration_opens_at, course.registration_closes_at
    if opens and closes and closes < opens:
        errors.add("registration_closes_at", _("Registration cannot close before it opens."))
    if closes and course.ends_on and utc_to_local(closes).date() > course.ends_on:
        errors.add("registration_closes_at", _("Registration must close by the course's last day."))
    if course.min_age and course.max_age and course.min_age > course.max_age:
        errors.add("max_age", _("The maximum age cannot be below the minimum age."))


def _trainers(ids, partner_id, errors):
    ids = list(dict.fromkeys(ids or []))
    if not ids:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all()
    found = {u.id: u for u in users}
    trainers = []
    for user_id in ids:
        user = found.get(user_id)
        if user is None or user.role != "trainer":
            errors.add("trainer_ids", _("Not a trainer: %(id)s.", id=user_id))
        elif user.partner_id != partner_id:
            errors.add(
                "trainer_ids",
                _("%(name)s works for another partner institution.", name=user.name),
            )
        else:
            trainers.append(user)
    return trainers


def drop_unfit_assignments(user, actor=None):
    """Take ``user`` off every course they may no longer teach: any course once they are no
    trainer, else the courses of another partner than theirs (audited per course)."""
    courses = db.session.scalars(
        select(Course)
        .join(course_trainers, course_trainers.c.course_id == Course.id)
        .where(course_trainers.c.user_id == user.id)
        .order_by(Course.id)
    ).all()
    dropped = [c for c in courses if user.role != "trainer" or c.partner_id != user.partner_id]
    for course in dropped:
        course.trainers.remove(user)
        audit.record("course.trainer_removed", course, actor=actor, trainer_id=user.id)
    db.session.flush()
    return dropped


def _details(course_type, details, errors):
    if course_type is None:
        return None
    clean, problems = course_type.validate_details(details)
    for name, messages in problems.items():
        for message in messages:
            errors.add(f"details.{name}", message)
    # the regency a course was held in is a code of GET /api/v1/regencies (the type's
    # ``regency_field``, when its form has one)
    code = (clean or {}).get(course_type.regency_field)
    if code is not None and db.session.get(Regency, code) is None:
        errors.add(f"details.{course_type.regency_field}", _("Not a valid regency code."))
    return clean


def create_course(data, actor=None):
    """Create a course from plain values (dates as ``date``, times as aware ``datetime``).

    :raise InvalidInput: with messages per field; ``details.<name>`` for the type's own fields
    """
    errors = CourseErrors()
    unknown = set(data) - set(COURSE_FIELDS)
    for name in unknown:
        errors.add(name, _("Unknown field."))
    clean = _validate(data, None, errors)
    course_type = course_types.get(clean.get("type_key"))
    details = _details(course_type, data.get("details"), errors)
    trainers = _trainers(data.get("trainer_ids"), clean.get("partner_id"), errors)
    errors.raise_if_any()
    course = Course(**clean, details=details or {})
    course.status = clean.get("status") or "draft"
    course.trainers = trainers
    _check_consistency(course, errors)
    errors.raise_if_any()
    db.session.add(course)
    db.session.flush()
    audit.record("course.created", course, actor=actor, code=course.code)
    return course


def update_course(course, data, actor=None):
    """Change the fields present in ``data``; ``details`` is validated whole by the type."""
    errors = CourseErrors()
    for name in set(data) - set(COURSE_FIELDS):
        errors.add(name, _("Unknown field."))
    course_type = course_type_of(course)
    # without its plugin a course cannot be edited or published, but can still be withdrawn
    if course_type is None and (set(data) - {"status"} or data.get("status") == "published"):
        errors.add("type", _("This course type is not available; the course cannot be edited."))
        errors.raise_if_any()
    if "capacity" in data:
        # seats are decided under this lock; a capacity check must see the latest count
        lock_row(Course, course.id)
        db.session.refresh(course)
    if "type" in data and data["type"] == course.type_key:
        data = {k: v for k, v in data.items() if k != "type"}
    clean = _validate(data, course, errors)
    details = _details(course_type, data["details"], errors) if "details" in data else None
    partner_id = clean.get("partner_id", course.partner_id)
    if "trainer_ids" in data:
        trainers = _trainers(data.get("trainer_ids"), partner_id, errors)
    elif partner_id != course.partner_id:
        # the trainers already assigned must work for the new partner too
        trainers = _trainers([t.id for t in course.trainers], partner_id, errors)
    else:
        trainers = None
    errors.raise_if_any()
    merged = {
        c: getattr(course, c)
        for c in (
            "starts_on",
            "ends_on",
            "registration_opens_at",
            "registration_closes_at",
            "min_age",
            "max_age",
        )
    }
    merged.update({k: v for k, v in clean.items() if k in merged})
    _check_consistency(SimpleNamespace(**merged), errors)
    if "starts_on" in clean or "ends_on" in clean:
        outside = [
            s
            for s in course.sessions
            if s.cancelled_at is None
            and not merged["starts_on"] <= utc_to_local(s.starts_at).date() <= merged["ends_on"]
        ]
        if outside:
            errors.add(
                "starts_on" if "starts_on" in clean else "ends_on",
                ngettext(
                    "%(num)s session falls outside the new dates; move or cancel it first.",
                    "%(num)s sessions fall outside the new dates; move or cancel them first.",
                    len(outside),
                ),
            )
    errors.raise_if_any()
    old_status, old_capacity = course.status, course.capacity
    for key, value in clean.items():
        setattr(course, key, value)
    if details is not None:
        course.details = details
    if trainers is not None:
        course.trainers = trainers
    db.session.flush()
    audit.record("course.updated", course, actor=actor, fields=sorted(data))
    if course.capacity > old_capacity:
        course_capacity_raised.send(course, actor=actor)
    if course.status != old_status:
        audit.record(
            "course.status_changed", course, actor=actor, old=old_status, new=course.status
        )
    return course


def set_status(course, status, actor=None):
    """Publish, close, archive or return a course to draft."""
    return update_course(course, {"status": status}, actor=actor)


def clone_course(course, code, starts_on, actor=None):
    """Copy a course into a new batch starting on ``starts_on``; dates and sessions shift along.

    The copy is a draft with no enrolments; trainers and the type's details are kept.
    """
    shift = starts_on - course.starts_on
    data = {
        "code": code,
        "title": course.title,
        "title_en": course.title_en,
        "description": course.description,
        "description_en": course.description_en,
        "type": course.type_key,
        "partner_id": course.partner_id,
        "capacity": course.capacity,
        "starts_on": course.starts_on + shift,
        "ends_on": course.ends_on + shift,
        "registration_opens_at": course.registration_opens_at + shift,
        "registration_closes_at": course.registration_closes_at + shift,
        "requires_approval": course.requires_approval,
        "waitlist": course.waitlist,
        "attendance_threshold": course.attendance_threshold,
        "certificate_validity_months": course.certificate_validity_months,
        "location": course.location,
        "target_groups": list(course.target_groups or []),
        "min_age": course.min_age,
        "max_age": course.max_age,
        "trainer_ids": [t.id for t in course.trainers],
        "details": dict(course.details or {}),
    }
    copy = create_course(data, actor=actor)
    for session in course.sessions:
        if session.cancelled_at is None:
            db.session.add(
                CourseSession(
                    course=copy,
                    starts_at=session.starts_at + shift,
                    ends_at=session.ends_at + shift,
                    topic=session.topic,
                    location=session.location,
                )
            )
    db.session.flush()
    audit.record("course.cloned", copy, actor=actor, source=course.id)
    return copy


# --- sessions --------------------------------------------------------------------------------


def _check_session(course, starts_at, ends_at, errors):
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        errors.add("starts_at", _("Not a valid date and time."))
    if not isinstance(ends_at, datetime) or ends_at.tzinfo is None:
        errors.add("ends_at", _("Not a valid date and time."))
    if errors:
        return
    if ends_at <= starts_at:
        errors.add("ends_at", _("A session must end after it starts."))
    elif ends_at - starts_at > timedelta(hours=12):
        errors.add("ends_at", _("A session lasts at most 12 hours."))
    day = utc_to_local(starts_at).date()
    if not course.starts_on <= day <= course.ends_on:
        errors.add(
            "starts_at",
            _(
                "The session must fall within the course dates (%(start)s to %(end)s).",
                start=course.starts_on.isoformat(),
                end=course.ends_on.isoformat(),
            ),
        )


def _session_group(course, group_id, errors):
    """The id of a class group of ``course`` (None: the whole course), else an error."""
    if group_id is None:
        return None
    group = db.session.get(ClassGroup, group_id) if type(group_id) is int else None
    if group is None or group.course_id != course.id:
        errors.add("group_id", _("This is not a group of the course."))
        return None
    return group.id


def add_session(course, starts_at, ends_at, topic=None, location=None, actor=None, group_id=None):
    """Add one meeting (in the past too: staff may record what already happened); with a
    ``group_id``, a meeting of that class group only."""
    errors = CourseErrors()
    _check_session(course, starts_at, ends_at, errors)
    for name, value in (("topic", topic), ("location", location)):
        if value and len(value) > 200:
            errors.add(name, _("At most %(n)s characters.", n=200))
    group_id = _session_group(course, group_id, errors)
    errors.raise_if_any()
    session = CourseSession(
        course_id=course.id,
        starts_at=starts_at,
        ends_at=ends_at,
        topic=(topic or "").strip() or None,
        location=(location or "").strip() or None,
        group_id=group_id,
    )
    db.session.add(session)
    db.session.flush()
    audit.record("session.added", session, actor=actor, course=course.id)
    return session


@dataclass(frozen=True)
class Timetable:
    """A recurring timetable in local time: these weekdays, these hours, for some weeks."""

    first_day: date
    weeks: int
    weekdays: tuple
    starts: object
    ends: object
    topics: tuple = ()
    location: str | None = None
    #: the class group whose meetings these are (None: the whole course)
    group_id: int | None = None

    def days(self):
        last = self.first_day + timedelta(weeks=self.weeks) - timedelta(days=1)
        day = self.first_day
        while day <= last:
            if day.weekday() in self.weekdays:
                yield day
            day += timedelta(days=1)


def generate_sessions(course, timetable, actor=None):
    """Add a session for every day of the timetable; a day already holding a session at that
    start time is skipped. All or nothing: any day outside the course dates refuses the lot."""
    errors = CourseErrors()
    if not 1 <= timetable.weeks <= 52:
        errors.add("weeks", _("Enter 1 to 52 weeks."))
    if not timetable.weekdays:
        errors.add("weekdays", _("Choose at least one weekday."))
    if timetable.ends <= timetable.starts:
        errors.add("ends", _("A session must end after it starts."))
    group_id = _session_group(course, timetable.group_id, errors)
    errors.raise_if_any()
    days = list(timetable.days())
    outside = [d for d in days if not course.starts_on <= d <= course.ends_on]
    if outside:
        errors.add(
            "weeks",
            _(
                "The timetable runs to %(day)s, outside the course dates (%(start)s to %(end)s).",
                day=max(days).isoformat(),
                start=course.starts_on.isoformat(),
                end=course.ends_on.isoformat(),
            ),
        )
        errors.raise_if_any()
    # two class groups may meet at the same time: a day is skipped when the same group (or the
    # whole course) already meets then
    existing = set(
        db.session.execute(
            select(CourseSession.starts_at, CourseSession.group_id).where(
                CourseSession.course_id == course.id
            )
        ).all()
    )
    created = []
    topics = list(timetable.topics)
    for day in days:
        starts_at = combine_local(day, timetable.starts)
        if (starts_at, group_id) in existing:
            continue
        session = CourseSession(
            course_id=course.id,
            starts_at=starts_at,
            ends_at=combine_local(day, timetable.ends),
            topic=topics.pop(0) if topics else None,
            location=timetable.location,
            group_id=group_id,
        )
        db.session.add(session)
        created.append(session)
    db.session.flush()
    audit.record("session.generated", course, actor=actor, count=len(created))
    return created


def session_change_refusal(session):
    """Why a session cannot be moved or renamed any more (it was cancelled), or None."""
    if session.cancelled_at is not None:
        return _("A cancelled session cannot be changed.")
    return None


def update_session(session, data, actor=None):
    """Move or rename a session (not a cancelled one)."""
    errors = CourseErrors()
    refusal = session_change_refusal(session)
    if refusal:
        errors.add("starts_at", refusal)
        errors.raise_if_any()
    starts_at = data.get("starts_at", session.starts_at)
    ends_at = data.get("ends_at", session.ends_at)
    _check_session(session.course, starts_at, ends_at, errors)
    group_id = _session_group(session.course, data.get("group_id"), errors)
    errors.raise_if_any()
    old = {"starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat()}
    session.starts_at, session.ends_at = starts_at, ends_at
    if "group_id" in data and group_id != session.group_id:
        old["group_id"] = session.group_id
        session.group_id = group_id
    for name in ("topic", "location"):
        if name in data:
            setattr(session, name, (data[name] or "").strip()[:200] or None)
    db.session.flush()
    audit.record("session.updated", session, actor=actor, old=old)
    return session


def cancel_session(session, reason, actor=None):
    """Call a session off; it is never counted as held."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(
            _("Give a reason for the cancellation."),
            fields={"reason": [_("Give a reason for the cancellation.")]},
        )
    if session.cancelled_at is None:
        session.cancelled_at = utcnow()
        session.cancel_reason = reason[:300]
        db.session.flush()
        audit.record("session.cancelled", session, actor=actor, reason=reason)
    return session


# --- the catalogue ---------------------------------------------------------------------------


@dataclass
class CatalogFilters:
    """What a visitor filters the catalogue by."""

    type: str | None = None
    partner_id: int | None = None
    q: str | None = None
    location: str | None = None
    open_now: bool = False
    #: a type's own filter, e.g. ("language", "zh")
    detail: tuple | None = None
    #: staff see drafts and archived courses too
    include_unpublished: bool = False
    status: str | None = None


def visible_course(user, course_id):
    """The course if ``user`` may see it: anyone a published or closed course, staff every
    course, a trainer the courses they manage; the one rule of the pages and the API.

    :raise NotFound: otherwise (no one learns that a draft exists)
    """
    course = db.session.get(Course, course_id)
    if course is None or not (course.visible or can_manage_course(user, course)):
        raise NotFound(_("This course does not exist."))
    return course


def _visible_condition():
    """``Course.visible`` for the catalogue's select. On SQLite the status is compared as
    ``+courses.status`` (the unary plus keeps the planner off the status index): without
    statistics SQLite would otherwise read every visible course through that index and sort
    them all in a temporary B-tree, instead of walking the index on (starts_on, id) that serves
    the order and stopping after a page. PostgreSQL's planner weighs both with its statistics."""
    if db.session.get_bind().dialect.name == "sqlite":
        return literal_column("+courses.status").in_(VISIBLE_STATUSES)
    return Course.visible


def _filtered(query, filters, now):
    """``query`` narrowed by the catalogue's filters."""
    if filters.include_unpublished:
        if filters.status:
            query = query.where(Course.status == filters.status)
    else:
        query = query.where(_visible_condition())
    if filters.type:
        query = query.where(Course.type_key == filters.type)
        if filters.detail:
            name, value = filters.detail
            column = Course.details[name]
            course_type = course_types.get(filters.type)
            multiple = course_type is not None and any(
                f["name"] == name and f.get("multiple") for f in course_type.describe_fields()
            )
            if multiple:
                query = query.where(column.as_string().like(f'%"{value}"%'))
            else:
                query = query.where(column.as_string() == value)
    if filters.partner_id:
        query = query.where(Course.partner_id == filters.partner_id)
    if filters.q:
        query = query.where(contains((Course.title, Course.title_en, Course.code), filters.q))
    if filters.location:
        query = query.where(contains((Course.location,), filters.location))
    if filters.open_now:
        query = query.where(
            Course.status == "published",
            Course.registration_opens_at <= now,
            Course.registration_closes_at > now,
        )
    return query


def catalog_query(filters, now=None):
    """A select of courses for the catalogue, newest start first, partner and trainers loaded."""
    query = select(Course).options(selectinload(Course.partner), selectinload(Course.trainers))
    query = _filtered(query, filters, now or utcnow())
    return query.order_by(Course.starts_on.desc(), Course.id.desc())


#: the catalogue counts its matches up to this many, then says "more than ..." (a count of
#: every match would grow with the table)
CATALOG_COUNT_LIMIT = 100
#: the columns a catalogue card shows (and the course's state needs)
_CARD_COLUMNS = (
    Course.id,
    Course.code,
    Course.title,
    Course.title_en,
    Course.type_key,
    Course.partner_id,
    Course.capacity,
    Course.enrolled_count,
    Course.starts_on,
    Course.ends_on,
    Course.registration_opens_at,
    Course.registration_closes_at,
    Course.waitlist,
    Course.status,
    Course.location,
)


def encode_cursor(course):
    """Where a page ends, for ``?after=`` / ``?before=``: the course's start day and id."""
    return f"{course.starts_on.isoformat()}.{course.id}"


def decode_cursor(value):
    """(starts_on, id) of a cursor, or None for anything else."""
    day, _dot, number = (value or "").partition(".")
    try:
        cursor = (date.fromisoformat(day), int(number))
    except ValueError:
        return None
    return cursor if 0 < cursor[1] < 2**31 else None


@dataclass
class CatalogPage:
    """One page of the catalogue, read by position (keyset), not by page number."""

    #: the courses (rows of the card's columns, read as a course's attributes), newest start first
    items: list
    #: how many courses match, counted up to ``count_limit``
    total: int
    #: the count stopped at the limit: more courses match than ``total`` says
    more: bool
    #: the limit the count stops at
    count_limit: int
    #: the cursor of the next page (``?after=``), or None on the last page
    next_cursor: str | None
    #: the cursor of the previous page (``?before=``), or None on the first page
    prev_cursor: str | None
    #: {course id: [trainer names, sorted]}
    trainers: dict


def page_select(filters, after, before, limit, now):
    """The select of a catalogue page's cards: after the (starts_on, id) ``after`` newest first,
    or before ``before`` oldest first (the caller turns those round)."""
    query = _filtered(select(*_CARD_COLUMNS), filters, now)
    key = tuple_(Course.starts_on, Course.id)
    if before is not None:
        query = query.where(key > before).order_by(Course.starts_on, Course.id)
    else:
        if after is not None:
            query = query.where(key < after)
        query = query.order_by(Course.starts_on.desc(), Course.id.desc())
    return query.limit(limit)


def count_select(filters, now):
    """How many courses match, counted up to one more than ``CATALOG_COUNT_LIMIT``."""
    limited = _filtered(select(Course.id), filters, now).limit(CATALOG_COUNT_LIMIT + 1)
    return select(func.count()).select_from(limited.subquery())


def catalog_page(filters, after=None, before=None, per_page=20, now=None):
    """The page of the catalogue after (or before) a cursor, in a fixed number of queries
    whatever the number of courses: an index on (starts_on, id) serves the order and the page
    boundary; the count stops at ``CATALOG_COUNT_LIMIT``. Only the columns a card shows are
    read, as rows rather than mapped objects; the trainers' names come in one more query."""
    now = now or utcnow()
    after, before = decode_cursor(after), decode_cursor(before)
    items = db.session.execute(page_select(filters, after, before, per_page + 1, now)).all()
    extra = len(items) > per_page
    items = items[:per_page]
    if before is not None:
        items.reverse()
        has_prev, has_next = extra, True
    else:
        has_prev, has_next = after is not None, extra
    total = db.session.scalar(count_select(filters, now))
    trainers = {}
    if items:
        rows = db.session.execute(
            select(course_trainers.c.course_id, User.name)
            .join(User, User.id == course_trainers.c.user_id)
            .where(course_trainers.c.course_id.in_([c.id for c in items]))
            .order_by(User.name)
        )
        for course_id, name in rows:
            trainers.setdefault(course_id, []).append(name)
    return CatalogPage(
        items=items,
        total=min(total, CATALOG_COUNT_LIMIT),
        more=total > CATALOG_COUNT_LIMIT,
        count_limit=CATALOG_COUNT_LIMIT,
        next_cursor=encode_cursor(items[-1]) if items and has_next else None,
        prev_cursor=encode_cursor(items[0]) if items and has_prev else None,
        trainers=trainers,
    )


@dataclass(frozen=True)
class CourseState:
    """Where a course stands for a visitor: a key and its wording."""

    key: str
    seats_left: int
    waitlist_count: int


def course_state(course, waitlisted=0, now=None):
    """upcoming (opens later), open, waitlist (full, waitlist open), full, closed, finished."""
    now = now or utcnow()
    if course.capacity is None or course.registration_closes_at is None:
        # a course nobody registers for (its type counts the people it reaches)
        key = "finished" if course.ends_on < local_today() else "closed"
        return CourseState(key, None, waitlisted)
    seats_left = max(course.capacity - course.enrolled_count, 0)
    if course.ends_on < local_today():
        key = "finished"
    elif course.status != "published" or now >= course.registration_closes_at:
        key = "closed"
    elif now < course.registration_opens_at:
        key = "upcoming"
    elif seats_left > 0:
        key = "open"
    elif course.waitlist:
        key = "waitlist"
    else:
        key = "full"
    return CourseState(key, seats_left, waitlisted)
