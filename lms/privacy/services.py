"""Consent to the privacy notice, a person's data export, erasure (anonymisation), NIK views.

Anonymisation removes every personal field but keeps the rows (enrolments, attendance,
certificates) and the fields reports group by (regency, target group), so past figures do not
change; certificates stay verifiable with the holder's name withheld (their claims are signed
again without the name). Free text written about the person goes too: enrolment and revocation
reasons, attendance notes, and the same texts kept in the audit log, whose entries stay (who did
what, when) without them.
"""

import json
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from lms.attendance.excuses import ExcuseRequest
from lms.attendance.models import Assessment, Attendance
from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.auth import services as auth_services
from lms.auth import sessions
from lms.certificates import signing
from lms.certificates.models import Certificate
from lms.core.types import utcnow
from lms.enrollment.models import Enrollment
from lms.errors import Conflict
from lms.extensions import db
from lms.outbox import services as outbox
from lms.outbox.models import OutboxMessage

#: what an erased person's name becomes
ANONYMOUS_NAME = "—"
#: the free-text keys an audit entry's data may hold about the person, by object type and
#: action (None: every action on that object type)
AUDIT_TEXT_KEYS = {
    ("enrollment", None): ("reason",),
    ("certificate", None): ("reason",),
    ("attendance", "attendance.note_changed"): ("old", "new"),
    ("excuse_request", None): ("note",),
}


def record_consent(user):
    """The person agreed to the current privacy notice now."""
    user.consent_at = utcnow()
    user.consent_version = current_app.config["PRIVACY_NOTICE_VERSION"]
    db.session.flush()


def reveal_nik(user, actor):
    """A staff member looks at the full NIK: allowed, and written to the audit log."""
    audit.record("user.nik_viewed", user, actor=actor)
    return user.nik


def _iso(value):
    return value.isoformat() if value is not None else None


def personal_data(user):
    """Everything Latih holds on ``user``, as JSON-ready data (and nobody else's)."""
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id).order_by(Enrollment.id)
    ).all()
    ids = [e.id for e in enrollments]
    marks = db.session.scalars(
        select(Attendance).where(Attendance.enrollment_id.in_(ids)).order_by(Attendance.id)
    ).all()
    assessments = db.session.scalars(
        select(Assessment).where(Assessment.enrollment_id.in_(ids))
    ).all()
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.enrollment_id.in_(ids)).order_by(Certificate.id)
    ).all()
    leave = db.session.scalars(
        select(ExcuseRequest).where(ExcuseRequest.enrollment_id.in_(ids)).order_by(ExcuseRequest.id)
    ).all()
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.id)
    ).all()
    entries = db.session.scalars(
        select(AuditEntry)
        .where(
            or_(
                AuditEntry.actor_id == user.id,
                (AuditEntry.object_type == "user") & (AuditEntry.object_id == user.id),
                (AuditEntry.object_type == "enrollment") & AuditEntry.object_id.in_(ids),
            )
        )
        .order_by(AuditEntry.id)
    ).all()
    return {
        "exported_at": _iso(utcnow()),
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "locale": user.locale,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "consent_at": _iso(user.consent_at),
            "consent_version": user.consent_version,
        },
        "profile": {
            "nik": user.nik,
            "birth_date": _iso(user.birth_date),
            "gender": user.gender,
            "phone": user.phone,
            "regency": user.regency.name if user.regency else None,
            "target_group": user.target_group,
        },
        "enrollments": [
            {
                "id": e.id,
                "course": {"id": e.course.id, "code": e.course.code, "title": e.course.title},
                "status": e.status,
                "created_at": _iso(e.created_at),
                "reason": e.reason,
            }
            for e in enrollments
        ],
        "attendance": [
            {
                "enrollment_id": m.enrollment_id,
                "session_id": m.session_id,
                "starts_at": _iso(m.session.starts_at),
                "status": m.status,
                "note": m.note,
                "source": m.source,
                "marked_at": _iso(m.marked_at),
            }
            for m in marks
        ],
        "assessments": [
            {"enrollment_id": a.enrollment_id, "score": a.score, "competent": a.competent}
            for a in assessments
        ],
        "excuse_requests": [
            {
                "enrollment_id": x.enrollment_id,
                "session_id": x.session_id,
                "reason": x.reason,
                "status": x.status,
                "created_at": _iso(x.created_at),
                "decided_at": _iso(x.decided_at),
                "note": x.note,
            }
            for x in leave
        ],
        "certificates": [
            {
                "serial": c.serial,
                "code": c.code,
                "issued_at": _iso(c.issued_at),
                "revoked_at": _iso(c.revoked_at),
                "revoked_reason": c.revoked_reason,
                "claims": json.loads(c.claims),
            }
            for c in certificates
        ],
        "messages": [
            {
                "created_at": _iso(m.created_at),
                "subject": m.subject,
                "body": m.body,
                "sent_at": _iso(m.sent_at),
            }
            for m in messages
        ],
        "activity": [
            {
                "at": _iso(a.at),
                "action": a.action,
                "object_type": a.object_type,
                "object_id": a.object_id,
            }
            for a in entries
        ],
    }


def _erase_audit_texts(user):
    """Remove the free texts about ``user`` from the audit log (see AUDIT_TEXT_KEYS); the
    entries themselves stay."""
    enrollment_ids = select(Enrollment.id).where(Enrollment.user_id == user.id)
    objects = {
        "enrollment": enrollment_ids,
        "certificate": select(Certificate.id).where(Certificate.enrollment_id.in_(enrollment_ids)),
        "attendance": select(Attendance.id).where(Attendance.enrollment_id.in_(enrollment_ids)),
        "excuse_request": select(ExcuseRequest.id).where(
            ExcuseRequest.enrollment_id.in_(enrollment_ids)
        ),
    }
    conditions = []
    for (object_type, action), _keys in AUDIT_TEXT_KEYS.items():
        condition = (AuditEntry.object_type == object_type) & AuditEntry.object_id.in_(
            objects[object_type]
        )
        if action is not None:
            condition &= AuditEntry.action == action
        conditions.append(condition)
    for entry in db.session.scalars(select(AuditEntry).where(or_(*conditions))):
        keys = set()
        for (object_type, action), names in AUDIT_TEXT_KEYS.items():
            if entry.object_type == object_type and action in (None, entry.action):
                keys.update(names)
        data = entry.data or {}
        if keys & set(data):
            # a new dict: the JSON column does not notice changes made in place
            entry.data = {k: v for k, v in data.items() if k not in keys}


def anonymise(user, actor):
    """Erase a trainee's personal data at their request (audited; cannot be undone)."""
    if user.anonymised_at is not None:
        raise Conflict(_("This person's data were already erased."), code="already_anonymised")
    if user.role != "trainee":
        raise Conflict(_("Only a trainee's data can be erased here."), code="not_trainee")
    user.name = ANONYMOUS_NAME
    user.email = f"erased-{user.id}-{secrets.token_hex(4)}@invalid"
    user.password_hash = auth_services.unusable_password()
    user.nik = user.birth_date = user.gender = user.phone = user.locale = None
    user.active = False
    sessions.end_all(user)
    user.anonymised_at = utcnow()
    # messages keep their existence (delivery counts) but lose their text and address
    outbox.forget(user)
    enrollment_ids = select(Enrollment.id).where(Enrollment.user_id == user.id)
    db.session.execute(
        update(Attendance).where(Attendance.enrollment_id.in_(enrollment_ids)).values(note=None)
    )
    # why they asked for leave (often their health), and the answers
    db.session.execute(
        update(ExcuseRequest)
        .where(ExcuseRequest.enrollment_id.in_(enrollment_ids))
        .values(reason="", note=None)
    )
    # cancellation and rejection reasons
    db.session.execute(
        update(Enrollment)
        .where(Enrollment.user_id == user.id, Enrollment.reason.is_not(None))
        .values(reason=None)
    )
    for certificate in db.session.scalars(
        select(Certificate).join(Enrollment).where(Enrollment.user_id == user.id)
    ):
        claims = json.loads(certificate.claims)
        claims["holder"] = None
        claims["holder_withheld"] = True
        data = signing.canonical(claims)
        certificate.claims = data.decode()
        certificate.signature, certificate.key_id = signing.sign(data)
        certificate.revoked_reason = None
    _erase_audit_texts(user)
    db.session.flush()
    audit.record("user.anonymised", user, actor=actor)
    return user
