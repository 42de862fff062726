"""Walk-ins: people who turn up at a session without having registered.

The trainer adds the person from the roster (name, phone, the NIK when they carry their KTP).
Latih finds the person, or creates a trainee account without a usable password (they claim it
later by the password reset), enrols them in the course with the origin ``walk_in`` and marks
them present (or late) through ``save_marks`` with the source ``walk_in``.

Finding the person: by NIK when one is given (the NIK is the identity); else by e-mail; else by
phone *and* name, since a family often shares one phone: a phone alone never picks someone else
of the same number. Enrolling: the seats and the eligibility rules of any enrolment, but no
waitlist (a trainer may not overbook: 409 full) and no registration window (the person is in the
room); a profile that is not complete yet does not stop a walk-in (staff complete it later).

A ``batch_id`` makes a walk-in idempotent: the offline roster sends it again after a lost answer,
and the second request answers what the first one did.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.audit import services as audit
from lms.auth import services as auth_services
from lms.auth import validation as v
from lms.auth.models import User
from lms.catalog.models import Course
from lms.core.locking import lock_row
from lms.core.types import UTCDateTime, utcnow
from lms.enrollment import services as enrolment
from lms.enrollment.models import SEAT_STATUSES, Enrollment
from lms.errors import Conflict, Forbidden, InvalidInput
from lms.extensions import db
from lms.outbox import services as outbox

from . import services

#: a walk-in's mark: present unless the trainer says late
WALK_IN_STATUSES = ("present", "late")
#: the refusals that do not stop a walk-in (staff complete the profile afterwards)
WAIVED = ("profile_incomplete",)


class WalkIn(db.Model):
    """A person added at a session by its trainer: who, where, and whether an account was made."""

    __tablename__ = "walk_ins"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the client's id of the request (a UUID): the same walk-in sent twice is added once
    batch_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: the session the person walked in to
    session_id: Mapped[int] = mapped_column(
        ForeignKey("course_sessions.id", ondelete="CASCADE"), index=True
    )
    #: the person
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: their enrolment in the session's course
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    #: whether the account was created for the walk-in (False: an existing person was found)
    created_user: Mapped[bool] = mapped_column(default=False)
    #: the mark given: present or late
    status: Mapped[str] = mapped_column(String(16))
    #: the trainer (or staff member) who added them
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: the person
    user = relationship("User", foreign_keys=[user_id])
    #: the enrolment
    enrollment = relationship("Enrollment")


def _clean(data):
    """The walk-in's fields, validated: (profile fields, e-mail or None, status)."""
    errors = {}
    profile = auth_services.clean_profile(
        {
            "name": data.get("name"),
            "phone": data.get("phone"),
            "nik": data.get("nik"),
            "gender": data.get("gender"),
            "birth_date": data.get("birth_date"),
            "regency_code": data.get("regency") or data.get("regency_code"),
            "target_group": data.get("target_group"),
        },
        errors,
    )
    if not profile.get("phone") and not errors.get("phone"):
        errors.setdefault("phone", []).append(_("Enter the mobile number."))
    email = None
    if data.get("email"):
        try:
            email = v.normalize_email(data["email"])
        except v.ValidationFailed as exc:
            errors.setdefault("email", []).append(exc.message)
    status = data.get("status") or "present"
    if status not in WALK_IN_STATUSES:
        errors.setdefault("status", []).append(_("Not a valid choice."))
    if "regency_code" in errors:  # the API's name of the field
        errors["regency"] = errors.pop("regency_code")
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    return {k: val for k, val in profile.items() if val is not None}, email, status


def find_person(profile, email=None):
    """The account the walk-in's details name, or None: by NIK, by e-mail, or by phone and name.

    A NIK given that belongs to nobody never falls back to another person with the same phone
    who has a NIK of their own.
    """
    if profile.get("nik"):
        found = db.session.scalar(select(User).where(User.nik == profile["nik"]))
        if found is not None:
            return found
    if email:
        found = db.session.scalar(select(User).where(User.email == email))
        if found is not None:
            return found
    candidates = db.session.scalars(
        select(User).where(User.phone == profile["phone"], User.role == "trainee").order_by(User.id)
    ).all()
    for user in candidates:
        if v.same_name(user.name, profile["name"]) and (
            not profile.get("nik") or user.nik in (None, profile["nik"])
        ):
            return user
    return None


def _create_person(profile, email, actor):
    """A trainee account without a usable password (claimed by the password reset)."""
    user = User(
        role="trainee",
        email=email,
        # nothing typed matches it; a reset sets the first real password
        password_hash=auth_services.unusable_password(),
        # nobody chose: e-mail with an address, else the first channel reaching the phone
        preferred_channel=auth_services.default_channel(email, profile.get("phone")),
        **profile,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        raise Conflict(_("This account already exists."), code="taken") from exc
    audit.record("user.created", user, actor=actor, role="trainee", origin="walk_in")
    return user


def _complete(user, profile):
    """Fill in the found person's empty profile fields from what the trainer typed."""
    for key, value in profile.items():
        if key != "name" and getattr(user, key) in (None, ""):
            if key == "nik" and db.session.scalar(select(User.id).where(User.nik == value)):
                continue
            setattr(user, key, value)


def _enrol(user, course, actor):
    """The person's enrolment in ``course``: the one holding a seat, or a new seat (origin
    walk_in) by the usual rules but without a waitlist or a registration window."""
    lock_row(Course, course.id)
    db.session.refresh(course)
    lock_row(User, user.id)
    existing = db.session.scalar(
        select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.user_id == user.id)
    )
    if existing is not None and existing.status in SEAT_STATUSES:
        return existing
    if existing is not None and existing.status in ("pending", "waitlisted"):
        raise Conflict(
            _(
                "%(name)s already asked for a place in this course (%(status)s); the office "
                "decides it.",
                name=user.name,
                status=existing.status_label,
            ),
            code="already_enrolled",
        )
    found = [
        r for r in enrolment.refusals(user, course, bypass_window=True) if r.code not in WAIVED
    ]
    if found:
        raise InvalidInput(
            found[0].message if len(found) == 1 else _("This person cannot join this course."),
            fields={"enrollment": [r.message for r in found]},
            code=found[0].code,
        )
    if not enrolment.seat_free(course):
        raise Conflict(_("This course is full."), code="full")
    enrollment = existing or Enrollment(
        course=course, user=user, course_id=course.id, user_id=user.id
    )
    if existing is not None:
        enrollment.created_at = utcnow()
    enrollment.status, enrollment.waitlist_position = "enrolled", None
    enrollment.reason = enrollment.reminded_at = None
    enrollment.decided_by_id = actor.id
    enrollment.origin = "walk_in"
    course.enrolled_count += 1
    if existing is None:
        db.session.add(enrollment)
    db.session.flush()
    audit.record("enrollment.enrolled", enrollment, actor=actor, course=course.id, origin="walk_in")
    outbox.queue(
        user,
        "enrollment_enrolled",
        "emails/enrollment_enrolled",
        enrollment=enrollment,
        course=course,
        position=None,
    )
    return enrollment


def _answer(walk_in):
    return {
        "user_id": walk_in.user_id,
        "enrollment_id": walk_in.enrollment_id,
        "status": walk_in.status,
        "created": walk_in.created_user,
        "name": walk_in.user.name,
    }


def add_walk_in(session, data, actor, batch_id=None, now=None):
    """Add a walk-in to ``session`` and mark them; returns ``{user_id, enrollment_id, status,
    created, name}``.

    :raise InvalidInput: a field is wrong, or the person may not join the course (with reasons)
    :raise Conflict: the course is full, or the person's request waits for the office
    :raise Forbidden: the session may not be marked now
    """
    now = now or utcnow()
    if batch_id is not None:
        batch_id = str(batch_id)[:64]
        done = db.session.scalar(select(WalkIn).where(WalkIn.batch_id == batch_id))
        if done is not None:
            return _answer(done)
    refusal = services.marking_refusal(actor, session, now)
    if refusal:
        raise Forbidden(refusal)
    profile, email, status = _clean(data)
    # the course's seats first, before any other write (and on SQLite the transaction begins
    # here, so that the savepoint of a new account is not a transaction of its own)
    lock_row(Course, session.course_id)
    user = find_person(profile, email)
    created = user is None
    if created:
        taken = {}
        if email and db.session.scalar(select(func.count()).where(User.email == email)):
            taken["email"] = [_("An account with this e-mail address already exists.")]
        if taken:
            raise Conflict(_("This account already exists."), fields=taken, code="taken")
        user = _create_person(profile, email, actor)
    else:
        _complete(user, profile)
    enrollment = _enrol(user, session.course, actor)
    walk_in = WalkIn(
        batch_id=batch_id,
        session_id=session.id,
        user_id=user.id,
        enrollment_id=enrollment.id,
        created_user=created,
        status=status,
        added_by_id=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(walk_in)
    except IntegrityError as exc:
        # the same batch arrived twice at once: this request undoes its work, the other one
        # adds the person (sent again, it answers what that one did)
        raise Conflict(
            _("This walk-in is being added already. Try again in a moment."), code="busy"
        ) from exc
    mark = services.own_mark(session, enrollment)
    if mark is None or mark.status not in WALK_IN_STATUSES:
        services.save_marks(
            session,
            [{"enrollment_id": enrollment.id, "status": status}],
            actor,
            source="walk_in",
            batch_id=batch_id,
            now=now,
        )
    else:
        walk_in.status = mark.status  # already there: their mark stands
    db.session.flush()
    return _answer(walk_in)


def is_walk_in(user_ids):
    """The ids among ``user_ids`` of people who came as walk-ins (one query)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(Enrollment.user_id)
            .where(Enrollment.user_id.in_(ids), Enrollment.origin == "walk_in")
            .distinct()
        )
    )
