"""Certificate rules: eligibility by the course type's rule, issuing with gapless serials,
revoking, re-issuing, and verifying signatures.

Issuing locks the course row (two staff issuing at once are serialised, so an enrolment never
gets two valid certificates) and takes serial numbers from a per-year counter row that is bumped
in the same transaction, so numbers have no gaps and no repeats.
"""

import calendar
import json
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.attendance.models import Assessment
from lms.attendance.services import attendance_summary, course_summaries
from lms.audit import services as audit
from lms.catalog.models import Course
from lms.catalog.services import course_type_of
from lms.core.locking import lock_row
from lms.core.time import local_today, utc_to_local
from lms.core.types import utcnow
from lms.core.urls import public_url
from lms.course_types.base import Assessment as AssessmentResult
from lms.course_types.base import Eligibility, session_hours
from lms.enrollment.models import SEAT_STATUSES, Enrollment
from lms.errors import Conflict, InvalidInput, NotFound
from lms.extensions import db
from lms.outbox import services as outbox

from . import signing
from .models import Certificate, SerialCounter

#: letters of verification codes: no 0/O, 1/I/L, so that a code read aloud or typed is clear
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12


def new_code():
    """An unguessable public verification code (12 letters and digits, about 59 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _assessment_result(row):
    return None if row is None else AssessmentResult(score=row.score, competent=row.competent)


def eligibility(enrollment, today=None, summary=None, assessment=None):
    """The course type's decision for one enrolment, with reasons a person can read."""
    today = today or local_today()
    course = enrollment.course
    course_type = course_type_of(course)
    if course_type is None:
        return Eligibility(False, (_("The course type is not available."),))
    if enrollment.status not in SEAT_STATUSES:
        return Eligibility(
            False, (_("The trainee is not enrolled (%(status)s).", status=enrollment.status_label),)
        )
    if summary is None:
        summary = attendance_summary(enrollment)
    if assessment is None:
        assessment = db.session.scalar(
            select(Assessment).where(Assessment.enrollment_id == enrollment.id)
        )
    return course_type.certificate_eligibility(
        course, summary, _assessment_result(assessment), today
    )


@dataclass(frozen=True)
class Candidate:
    """One enrolment of a course as the issuing page sees it."""

    enrollment: Enrollment
    summary: object
    decision: Eligibility
    certificate: Certificate | None


def course_candidates(course, today=None):
    """Every enrolment on the course's roster with its eligibility and valid certificate."""
    today = today or local_today()
    assessments = {
        a.enrollment_id: a
        for a in db.session.scalars(
            select(Assessment).join(Enrollment).where(Enrollment.course_id == course.id)
        )
    }
    valid = {
        c.enrollment_id: c
        for c in db.session.scalars(
            select(Certificate)
            .join(Enrollment)
            .where(Enrollment.course_id == course.id, Certificate.revoked_at.is_(None))
        )
    }
    return [
        Candidate(
            enrollment,
            summary,
            eligibility(enrollment, today, summary, assessments.get(enrollment.id)),
            valid.get(enrollment.id),
        )
        for enrollment, summary in course_summaries(course)
    ]


def add_months(day, months):
    """``day`` moved by whole months, kept within the month (31 Jan + 1 month: 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_for(course, issued_on):
    """The last day a certificate of ``course`` issued on ``issued_on`` is valid, or None when
    it does not expire (the course's validity, else its type's default)."""
    course_type = course_type_of(course)
    months = (
        course_type.validity_months_for(course)
        if course_type
        else course.certificate_validity_months
    )
    if not months:
        return None
    return add_months(issued_on, months) - timedelta(days=1)


def signatories(config=None):
    """The configured signatories as ``[{"name", "title"}]``: CERTIFICATE_SIGNATORIES may hold
    dicts (as JSON from the environment) or (name, title) pairs."""
    config = config if config is not None else current_app.config
    people = []
    for entry in config.get("CERTIFICATE_SIGNATORIES") or ():
        if isinstance(entry, dict):
            name, title = entry.get("name"), entry.get("title")
        elif isinstance(entry, list | tuple) and len(entry) == 2:
            name, title = entry
        else:
            continue
        if name or title:
            people.append({"name": str(name or "").strip(), "title": str(title or "").strip()})
    return people


def claims_for(enrollment, serial, code, issued_at, expires_on=None):
    """What a certificate states, as signed (no NIK, birth date or contact data): with the day
    it expires (when it does) and who signs it, as they were on the day of issue."""
    course = enrollment.course
    course_type = course_type_of(course)
    claims = {
        "serial": serial,
        "code": code,
        "holder": enrollment.user.name,
        "course": {
            "code": course.code,
            "title": course.title,
            "title_en": course.title_en,
            "type": course.type_key,
            "kind": course_type.certificate_kind if course_type else None,
            # what the type states about the course (a class's language or skill)
            **(
                {"facts": facts}
                if course_type and (facts := course_type.certificate_facts(course))
                else {}
            ),
        },
        "partner": course.partner.name,
        "starts_on": course.starts_on.isoformat(),
        "ends_on": course.ends_on.isoformat(),
        "hours": (course_type.lesson_hours_for(course) if course_type else session_hours(course)),
        "issued_on": utc_to_local(issued_at).date().isoformat(),
        "issuer": current_app.config["OFFICE_NAME"],
        "signatories": signatories(),
    }
    if expires_on is not None:
        claims["expires_on"] = expires_on.isoformat()
    return claims


def _serials(course, count, issued_at):
    """``count`` new serial numbers for the year, taken under the counter row's lock."""
    year = utc_to_local(issued_at).year
    key = {"scope": "certificate", "year": year}
    bump = (
        update(SerialCounter)
        .where(SerialCounter.scope == "certificate", SerialCounter.year == year)
        .values(last_value=SerialCounter.last_value + count)
        .returning(SerialCounter.last_value)
    )
    last = db.session.execute(bump).scalar()
    if last is None:
        try:
            with db.session.begin_nested():
                db.session.execute(insert(SerialCounter).values(**key, last_value=0))
        except IntegrityError:
            pass  # another transaction created the row first; the bump below waits for it
        last = db.session.execute(bump).scalar()
    course_type = course_type_of(course)
    type_code = (course_type.serial_code if course_type else None) or course.type_key[:3].upper()
    fmt = current_app.config["CERTIFICATE_SERIAL_FORMAT"]
    office = current_app.config["CERTIFICATE_OFFICE_CODE"]
    return [
        fmt.format(office=office, type=type_code, year=year, seq=seq)
        for seq in range(last - count + 1, last + 1)
    ]


#: how often a verification code is drawn again when it is already in use
CODE_DRAWS = 5


def _codes(count):
    """``count`` verification codes that no certificate uses yet (drawn again on a clash).

    :raise Conflict: the codes drawn keep clashing (only a broken random source does that)
    """
    codes = []
    for _draw in range(CODE_DRAWS):
        wanted = count - len(codes)
        drawn = list(
            dict.fromkeys(c for c in (new_code() for _ in range(wanted)) if c not in codes)
        )
        taken = set(db.session.scalars(select(Certificate.code).where(Certificate.code.in_(drawn))))
        codes.extend(c for c in drawn if c not in taken)
        if len(codes) == count:
            return codes
    raise Conflict(
        _(
            "The verification codes drawn for the new certificates were already in use by other "
            "certificates, %(n)s times in a row; nothing was issued. Try again; if it happens "
            "again, tell the system administrator (the server's random source may be broken).",
            n=CODE_DRAWS,
        ),
        code="code_collision",
    )


def _serials_taken(serials):
    """Raise when a serial number given out is already on another certificate.

    :raise Conflict: the serial format or its counter does not give unique numbers
    """
    taken = db.session.scalars(
        select(Certificate.serial).where(Certificate.serial.in_(serials)).limit(1)
    ).first()
    if taken is not None:
        raise Conflict(
            _(
                "Serial number %(serial)s is already on another certificate, so nothing was "
                "issued: the serial number format (CERTIFICATE_SERIAL_FORMAT) or the office "
                "code must give each certificate its own number. Tell the system administrator.",
                serial=taken,
            ),
            code="serial_collision",
        )


def _make(enrollment, serial, code, issued_at, actor, expires_on=None):
    claims = claims_for(enrollment, serial, code, issued_at, expires_on)
    data = signing.canonical(claims)
    signature, kid = signing.sign(data)
    return Certificate(
        enrollment_id=enrollment.id,
        serial=serial,
        code=code,
        issued_by_id=actor.id,
        issued_at=issued_at,
        expires_on=expires_on,
        claims=data.decode(),
        signature=signature,
        key_id=kid,
    )


def issue(course, actor, enrollment_ids=None, today=None, notify=True, expires_on=None):
    """Issue certificates to the eligible enrolments of a course (all, or the chosen ones).

    Returns (issued certificates, skipped [(enrollment id, reasons)]). One transaction: the
    caller commits; an enrolment never gets a second valid certificate. Each holder gets a
    message with the verification link (unless ``notify`` is false); ``expires_on`` overrides
    the expiry the course gives (a corrected certificate keeps its predecessor's).
    """
    lock_row(Course, course.id)
    db.session.refresh(course)
    candidates = {c.enrollment.id: c for c in course_candidates(course, today)}
    chosen = list(candidates) if enrollment_ids is None else list(dict.fromkeys(enrollment_ids))
    issued, skipped, ready = [], [], []
    for enrollment_id in chosen:
        candidate = candidates.get(enrollment_id)
        if candidate is None:
            skipped.append((enrollment_id, [_("This enrolment is not on the course's roster.")]))
        elif candidate.certificate is not None:
            skipped.append(
                (
                    enrollment_id,
                    [
                        _(
                            "A valid certificate was already issued: %(serial)s.",
                            serial=candidate.certificate.serial,
                        )
                    ],
                )
            )
        elif not candidate.decision.eligible:
            skipped.append((enrollment_id, [str(r) for r in candidate.decision.reasons]))
        else:
            ready.append(candidate.enrollment)
    if ready:
        issued_at = utcnow()
        if expires_on is None:
            expires_on = expiry_for(course, utc_to_local(issued_at).date())
        serials = _serials(course, len(ready), issued_at)
        _serials_taken(serials)
        codes = _codes(len(ready))
        for enrollment, serial, code in zip(ready, serials, codes, strict=True):
            certificate = _make(enrollment, serial, code, issued_at, actor, expires_on)
            enrollment.status = "completed"
            issued.append(certificate)
        _insert(issued)
        for certificate in issued:
            audit.record(
                "certificate.issued",
                certificate,
                actor=actor,
                serial=certificate.serial,
                enrollment=certificate.enrollment_id,
            )
            if notify:
                notify_holder(certificate, "issued")
    return issued, skipped


def _insert(certificates):
    """Write new certificates; a unique key that still clashes (another transaction wrote the
    same serial or code a moment ago, or a certificate for the same enrolment) is named."""
    try:
        with db.session.begin_nested():
            db.session.add_all(certificates)
            db.session.flush()
    except IntegrityError as exc:
        serials = [c.serial for c in certificates]
        codes = [c.code for c in certificates]
        for certificate in certificates:
            if certificate in db.session:
                db.session.expunge(certificate)
        _serials_taken(serials)
        if db.session.scalar(select(Certificate.code).where(Certificate.code.in_(codes))):
            raise Conflict(
                _(
                    "A verification code drawn for a new certificate was taken by another "
                    "certificate at the same moment; nothing was issued. Try again."
                ),
                code="code_collision",
            ) from exc
        raise Conflict(
            _(
                "Another member of staff issued a certificate for one of these enrolments at the "
                "same moment; nothing was issued. Reload the page to see it."
            ),
            code="already_issued",
        ) from exc


def valid_certificate(enrollment):
    """The enrolment's valid (not revoked) certificate, or None."""
    return db.session.scalar(
        select(Certificate).where(
            Certificate.enrollment_id == enrollment.id, Certificate.revoked_at.is_(None)
        )
    )


def get_by_code(code):
    """The certificate with this public code, or None."""
    code = (code or "").strip().upper().replace("-", "").replace(" ", "")
    if not code or len(code) > 32:
        return None
    return db.session.scalar(
        select(Certificate)
        .options(joinedload(Certificate.enrollment))
        .where(Certificate.code == code)
    )


#: what a revoked certificate's holder reads instead of a download
REVOKED_NO_DOWNLOAD = _l("This certificate was revoked: it can no longer be downloaded.")


def course_title(claims, locale):
    """The course's title as a certificate states it, in ``locale``: in English the English
    title when the course has one."""
    course = claims.get("course") or {}
    title = course.get("title") or ""
    return (course.get("title_en") or title) if locale == "en" else title


def verification_url(certificate):
    """The absolute URL of a certificate's public verification page: what its QR code opens,
    on PUBLIC_BASE_URL (never the host that served a request)."""
    return public_url("certificates.verify_page", code=certificate.code)


def for_download(certificate, user):
    """The certificate if ``user`` may download it (PDF, credential): its holder a valid one,
    staff any (a revoked one for the record).

    :raise NotFound: none, or someone else's (its existence is not revealed)
    :raise Conflict: its holder asks for a revoked one
    """
    if certificate is None or not (user.is_staff or certificate.enrollment.user_id == user.id):
        raise NotFound(_("No certificate has this code."))
    if certificate.revoked_at is not None and not user.is_staff:
        raise Conflict(REVOKED_NO_DOWNLOAD, code="revoked")
    return certificate


def get_or_404(code):
    certificate = get_by_code(code)
    if certificate is None:
        raise NotFound(_("No certificate has this code."))
    return certificate


#: what each public category of a revocation means, for the verification page and messages
REVOCATION_LABELS = {
    "error": _l("Issued in error"),
    "fraud": _l("Obtained by fraud"),
    "withdrawn": _l("Withdrawn by the issuer"),
    "superseded": _l("Replaced by a corrected certificate"),
}
#: the categories staff choose when revoking (``superseded`` comes only with a re-issue)
REVOKE_CATEGORIES = ("error", "fraud", "withdrawn")


def revoke(certificate, actor, reason, category="withdrawn"):
    """Revoke a certificate with the staff's note (never shown publicly) and a public category
    (error, fraud, withdrawn; superseded only through :func:`reissue`); it stays verifiable as
    revoked, and its holder is told."""
    if category not in REVOKE_CATEGORIES:
        message = _(
            "Choose what the public reads: issued in error, obtained by fraud or withdrawn. "
            "To replace a certificate, re-issue it."
        )
        raise InvalidInput(message, fields={"category": [message]})
    return _revoke(certificate, actor, reason, category)


def _revoke(certificate, actor, reason, category, notify=True):
    """Revoke as :func:`revoke` does, with any category; ``notify`` false leaves the message to
    the caller (a re-issue sends one about the replacement)."""
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for the revocation.")
        raise InvalidInput(message, fields={"reason": [message]})
    if certificate.revoked_at is not None:
        raise Conflict(_("This certificate is already revoked."), code="already_revoked")
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason[:500]
    certificate.revocation_category = category
    certificate.revoked_by_id = actor.id
    enrollment = certificate.enrollment
    if enrollment.status == "completed":
        enrollment.status = "enrolled"
    db.session.flush()
    audit.record(
        "certificate.revoked",
        certificate,
        actor=actor,
        serial=certificate.serial,
        reason=certificate.revoked_reason,
        category=category,
    )
    if notify:
        notify_holder(certificate, "revoked")
    return certificate


def reissue(certificate, actor, reason):
    """Revoke a certificate as ``superseded`` after a correction and issue its replacement for
    the same enrolment, linked to it, in the caller's transaction. The replacement keeps the
    day the original expires (a correction is no renewal); the holder gets one message."""
    course = certificate.enrollment.course
    lock_row(Course, course.id)
    _revoke(certificate, actor, reason, "superseded", notify=False)
    issued, skipped = issue(
        course,
        actor,
        [certificate.enrollment_id],
        notify=False,
        expires_on=certificate.expires_on,
    )
    if not issued:
        raise InvalidInput(
            _(
                "The certificate cannot be issued again: %(reasons)s",
                reasons="; ".join(skipped[0][1]),
            ),
            code="not_eligible",
        )
    certificate.replaced_by_id = issued[0].id
    db.session.flush()
    audit.record("certificate.reissued", issued[0], actor=actor, replaces=certificate.serial)
    notify_holder(issued[0], "replaced", replaces=certificate)
    return issued[0]


def predecessor(certificate):
    """The certificate this one replaced after a correction, or None."""
    return db.session.scalar(
        select(Certificate).where(Certificate.replaced_by_id == certificate.id)
    )


def replacement(certificate):
    """The certificate that replaced this one after a correction, or None."""
    if certificate.replaced_by_id is None:
        return None
    return db.session.get(Certificate, certificate.replaced_by_id)


def status(certificate, today=None):
    """``revoked``, ``expired`` (its last valid day has passed) or ``valid``."""
    if certificate.revoked_at is not None:
        return "revoked"
    if certificate.expires_on is not None and certificate.expires_on < (today or local_today()):
        return "expired"
    return "valid"


# --- messages to the holder -----------------------------------------------------------------


def notify_holder(certificate, kind, **context):
    """Queue the message ``certificate_<kind>`` (issued, revoked, replaced, expiring) to the
    certificate's holder, in their language, with the verification link; not to a holder
    whose personal data were erased."""
    user = certificate.enrollment.user
    if user.anonymised_at is not None:
        return None
    return outbox.queue(
        user,
        f"certificate_{kind}",
        f"emails/certificate_{kind}",
        certificate=certificate,
        course=certificate.enrollment.course,
        verify_link=verification_url(certificate),
        claims=claims(certificate),
        revocation_labels=REVOCATION_LABELS,
        **context,
    )


def remind_expiring(days=None, today=None):
    """Remind each holder whose valid certificate expires within ``days`` days (default
    CERTIFICATE_REMIND_DAYS) and who was not reminded yet, with how to renew it: once per
    certificate (recorded on it). Returns the number of reminders queued."""
    days = current_app.config["CERTIFICATE_REMIND_DAYS"] if days is None else days
    today = today or local_today()
    due = db.session.scalars(
        select(Certificate)
        .options(joinedload(Certificate.enrollment))
        .where(
            Certificate.revoked_at.is_(None),
            Certificate.expiry_reminded_at.is_(None),
            Certificate.expires_on.is_not(None),
            Certificate.expires_on >= today,
            Certificate.expires_on <= today + timedelta(days=days),
        )
        .order_by(Certificate.expires_on, Certificate.id)
        # two runs at once (a second timer, another machine) remind each holder once
        .with_for_update(skip_locked=True, of=Certificate)
    ).all()
    now = utcnow()
    for certificate in due:
        certificate.expiry_reminded_at = now
        notify_holder(
            certificate,
            "expiring",
            days_left=(certificate.expires_on - today).days,
            renew_link=public_url("catalog.index", type=certificate.enrollment.course.type_key),
        )
    db.session.flush()
    return len(due)


def signature_valid(certificate):
    """Recompute: do the stored claims carry a valid signature by a published key?"""
    return signing.verify(certificate.claims.encode(), certificate.signature, certificate.key_id)


def claims(certificate):
    """The signed claims as a dict."""
    return json.loads(certificate.claims)
