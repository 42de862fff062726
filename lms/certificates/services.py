"""Certificate rules: eligibility by the course type's rule, issuing with gapless serials,
revoking, re-issuing, and verifying signatures.

Issuing locks the course row (two staff issuing at once are serialised, so an enrolment never
gets two valid certificates) and takes serial numbers from a per-year counter row that is bumped
in the same transaction, so numbers have no gaps and no repeats.
"""

import secrets
from dataclasses import dataclass

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


def claims_for(enrollment, serial, code, issued_at):
    """What a certificate states, as signed (no NIK, birth date or contact data)."""
    course = enrollment.course
    course_type = course_type_of(course)
    return {
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
    }


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


def _make(enrollment, serial, issued_at, actor):
    code = new_code()
    claims = claims_for(enrollment, serial, code, issued_at)
    data = signing.canonical(claims)
    signature, kid = signing.sign(data)
    return Certificate(
        enrollment_id=enrollment.id,
        serial=serial,
        code=code,
        issued_by_id=actor.id,
        issued_at=issued_at,
        claims=data.decode(),
        signature=signature,
        key_id=kid,
    )


def issue(course, actor, enrollment_ids=None, today=None):
    """Issue certificates to the eligible enrolments of a course (all, or the chosen ones).

    Returns (issued certificates, skipped [(enrollment id, reasons)]). One transaction: the
    caller commits; an enrolment never gets a second valid certificate.
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
        for enrollment, serial in zip(ready, _serials(course, len(ready), issued_at), strict=True):
            certificate = _make(enrollment, serial, issued_at, actor)
            db.session.add(certificate)
            enrollment.status = "completed"
            issued.append(certificate)
        try:
            db.session.flush()
        except IntegrityError as exc:
            raise Conflict(
                _("A certificate was issued at the same time; try again."), code="already_issued"
            ) from exc
        for certificate in issued:
            audit.record(
                "certificate.issued",
                certificate,
                actor=actor,
                serial=certificate.serial,
                enrollment=certificate.enrollment_id,
            )
    return issued, skipped


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


def revoke(certificate, actor, reason):
    """Revoke a certificate with a reason; it stays verifiable as revoked."""
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for the revocation.")
        raise InvalidInput(message, fields={"reason": [message]})
    if certificate.revoked_at is not None:
        raise Conflict(_("This certificate is already revoked."), code="already_revoked")
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason[:500]
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
    )
    return certificate


def reissue(certificate, actor, reason):
    """Revoke a certificate after a correction and issue its replacement, linked to it."""
    course = certificate.enrollment.course
    lock_row(Course, course.id)
    revoke(certificate, actor, reason)
    issued, skipped = issue(course, actor, [certificate.enrollment_id])
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
    return issued[0]


def signature_valid(certificate):
    """Recompute: do the stored claims carry a valid signature by a published key?"""
    return signing.verify(certificate.claims.encode(), certificate.signature, certificate.key_id)


def claims(certificate):
    """The signed claims as a dict."""
    import json

    return json.loads(certificate.claims)
