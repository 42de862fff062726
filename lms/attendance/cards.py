"""Attendance cards: a printed card with a QR code for trainees without a smartphone.

A card carries a short random code (never the NIK) that identifies the card, not the person: a
lost card is revoked and a new one printed with a new code, and the old code stops working at
once. Every trainee has exactly one card in use; it is made with the account (any way an account
comes about: registration, staff, an import, a walk-in), so that reading a card (the trainee's
page, the API's GET) never has to write.

On the roster the trainer scans cards (the phone's camera, or the code typed): each scan marks
the card's holder present, or late past the check-in grace period, through ``save_marks`` with
the source ``scan``. An unknown code, a revoked one and the card of someone not on the session's
roster get one and the same answer.
"""

import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ForeignKey, String, event, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms.audit import services as audit
from lms.auth.models import User
from lms.core.types import UTCDateTime, utcnow
from lms.enrollment.models import SEAT_STATUSES, Enrollment
from lms.errors import NotFound
from lms.extensions import db

from . import services
from .models import Attendance

#: the letters of a code: no 0/O, 1/I/L, so that a code read out or typed from paper is exact
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: characters in a code (31^8: about 850 billion codes)
CODE_LENGTH = 8
#: what the QR code holds before the code, so that a card is told apart from other QR codes
QR_PREFIX = "LATIH-CARD:"


class AttendanceCard(db.Model):
    """A trainee's printed attendance card; a revoked one no longer marks anyone."""

    __tablename__ = "attendance_cards"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the trainee the card belongs to
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the short random code printed under the QR code (upper case, no dash); unique for ever
    code: Mapped[str] = mapped_column(String(16), unique=True)
    #: when the card was made (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it stopped working (replaced or revoked); None while in use
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: the trainee
    user = relationship("User")

    @property
    def printed_code(self):
        """The code as printed: two groups of four ("ABCD-EFGH")."""
        return grouped(self.code)


def new_code():
    """A fresh random card code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code):
    """A code in groups of four, easier to read out and type (typing ignores the dash)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def qr_text(card):
    """What a card's QR code holds."""
    return QR_PREFIX + card.code


def normalize(text):
    """The code in what was typed or scanned (dashes, spaces, lower case, the QR prefix or a URL
    around it are ignored), or "" when it cannot be one."""
    text = str(text or "").strip().upper()
    text = re.split(r"[:/=]", text)[-1]
    text = re.sub(r"[^0-9A-Z]", "", text)
    return text if len(text) == CODE_LENGTH else ""


@event.listens_for(Session, "after_flush")
def _cards_for_new_trainees(session, _context):
    """Every new trainee account gets its card in the same transaction (one INSERT for all the
    accounts of a flush: an import of thousands adds one statement)."""
    new = [o for o in session.new if isinstance(o, User) and o.role == "trainee"]
    if new:
        now = utcnow()
        session.connection().execute(
            insert(AttendanceCard.__table__),
            [{"user_id": user.id, "code": new_code(), "created_at": now} for user in new],
        )


def card_of(user):
    """The user's card in use, or None (an account that became a trainee later has none yet)."""
    return db.session.scalar(
        select(AttendanceCard).where(
            AttendanceCard.user_id == user.id, AttendanceCard.revoked_at.is_(None)
        )
    )


def renew(user, actor):
    """Revoke the user's card (if any) and make a new one: the old code stops working at once.

    Returns the new card. Audited.
    """
    old = card_of(user)
    if old is not None:
        old.revoked_at = utcnow()
    card = AttendanceCard(user_id=user.id, code=new_code())
    db.session.add(card)
    db.session.flush()
    audit.record(
        "card.renewed", user, actor=actor, old=old.code[-4:] if old else None, new=card.code[-4:]
    )
    return card


def renew_missing(users, actor):
    """Make a card for each of ``users`` that has none in use; returns how many were made."""
    ids = [u.id for u in users]
    if not ids:
        return 0
    holding = set(
        db.session.scalars(
            select(AttendanceCard.user_id).where(
                AttendanceCard.user_id.in_(ids), AttendanceCard.revoked_at.is_(None)
            )
        )
    )
    made = 0
    for user in users:
        if user.id not in holding:
            db.session.add(AttendanceCard(user_id=user.id, code=new_code()))
            made += 1
    db.session.flush()
    if made:
        audit.record("card.made", None, actor=actor, object_type="course_cards", count=made)
    return made


def cards_of(users):
    """{user id: card in use} of many users, in one query."""
    ids = [u.id for u in users]
    if not ids:
        return {}
    return {
        c.user_id: c
        for c in db.session.scalars(
            select(AttendanceCard).where(
                AttendanceCard.user_id.in_(ids), AttendanceCard.revoked_at.is_(None)
            )
        )
    }


def roster_cards(session):
    """{code: {enrollment_id, name}} of the cards in use of a session's roster (what the roster
    page keeps on the phone to name a scan while offline; nobody else's cards)."""
    rows = db.session.execute(
        select(AttendanceCard.code, Enrollment.id, User.name)
        .join(Enrollment, Enrollment.user_id == AttendanceCard.user_id)
        .join(User, User.id == Enrollment.user_id)
        .where(
            Enrollment.course_id == session.course_id,
            Enrollment.status.in_(SEAT_STATUSES),
            AttendanceCard.revoked_at.is_(None),
        )
    ).all()
    return {code: {"enrollment_id": eid, "name": name} for code, eid, name in rows}


def not_found():
    """The one answer to an unknown, revoked or foreign card."""
    return NotFound(
        _("This card is not valid for this session: unknown, replaced, or not on the roster."),
        code="unknown_card",
    )


def status_at(session, at):
    """present, or late past the check-in grace period (the check-in's rule)."""
    grace = timedelta(minutes=current_app.config["CHECKIN_GRACE_MINUTES"])
    return "present" if at <= session.starts_at + grace else "late"


def scan_time(session, scanned_at, now):
    """When a scan happened: the time the phone recorded (a scan queued offline is sent later),
    if it is plausible (not in the future, not before the day of the session); else now."""
    if scanned_at is None:
        return now
    if scanned_at.tzinfo is None:
        return now
    if scanned_at > now + timedelta(minutes=5) or scanned_at < session.starts_at - timedelta(
        days=1
    ):
        return now
    return min(scanned_at, now)


def scan(session, text, actor, batch_id=None, scanned_at=None, now=None):
    """Mark the holder of a scanned (or typed) card on ``session``: present, or late past the
    grace period. Returns (enrolment, mark).

    A trainee already marked present or late keeps the mark (a second scan changes nothing); one
    marked absent or excused before arriving is marked by the scan.

    :raise NotFound: an unknown or revoked code, or a card of someone not on the roster (one
        answer for all three)
    :raise Forbidden: the session may not be marked now (cancelled, not yet its day, locked)
    """
    now = now or utcnow()
    code = normalize(text)
    card = (
        db.session.scalar(
            select(AttendanceCard).where(
                AttendanceCard.code == code, AttendanceCard.revoked_at.is_(None)
            )
        )
        if code
        else None
    )
    enrollment = services.roster_enrollment(session, card.user) if card is not None else None
    if enrollment is None:
        raise not_found()
    mark = services.own_mark(session, enrollment)
    if mark is None or mark.status not in ("present", "late"):
        status = status_at(session, scan_time(session, scanned_at, now))
        services.save_marks(
            session,
            [{"enrollment_id": enrollment.id, "status": status}],
            actor,
            source="scan",
            batch_id=batch_id,
            now=now,
        )
        mark = db.session.scalar(
            select(Attendance).where(
                Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id
            )
        )
        if mark is None:  # a batch applied before, and its mark changed since: as it is now
            raise not_found()
    return enrollment, mark
