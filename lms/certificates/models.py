"""Certificates and their per-year serial counters."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

#: the public categories of a revocation: what a verifier may read (the staff's note stays private)
REVOCATION_CATEGORIES = ("error", "fraud", "withdrawn", "superseded")


class Certificate(db.Model):
    """A certificate issued for an enrolment; revoked ones stay for verification."""

    __tablename__ = "certificates"
    __table_args__ = (
        # never two valid certificates for one enrolment
        Index(
            "uq_certificates_valid_enrollment",
            "enrollment_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        # an enrolment's certificates; with revoked_at, the annual report finds the valid ones
        # from the index alone
        Index("ix_certificates_enrollment_revoked", "enrollment_id", "revoked_at"),
        CheckConstraint(
            "revocation_category IS NULL OR revocation_category IN ({})".format(
                ", ".join(repr(c) for c in REVOCATION_CATEGORIES)
            ),
            name="revocation_category",
        ),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the enrolment it certifies
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"))
    #: human-readable serial, e.g. LPG/BHS/2026/00042; unique
    serial: Mapped[str] = mapped_column(String(64), unique=True)
    #: public verification code (unguessable); unique
    code: Mapped[str] = mapped_column(String(32), unique=True)
    #: who issued it
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: when it was issued (UTC)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when it was revoked (UTC); None while valid
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the staff's reason for revoking it (never shown publicly)
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    #: the public category of the revocation, one of REVOCATION_CATEGORIES; None while valid
    revocation_category: Mapped[str | None] = mapped_column(String(16))
    #: who revoked it
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the certificate that replaced this one after a correction
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    #: the last day it is valid (local date; also in the signed claims); None: it does not expire
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    #: when its holder was reminded that it expires soon (UTC); None until then
    expiry_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the signed claims, as canonical JSON
    claims: Mapped[str] = mapped_column(Text)
    #: Ed25519 signature of ``claims``, base64url
    signature: Mapped[str] = mapped_column(String(128))
    #: id of the signing key (JWK ``kid``)
    key_id: Mapped[str] = mapped_column(String(64))

    #: the enrolment it certifies
    enrollment = relationship("Enrollment")


class SerialCounter(db.Model):
    """The last serial number used per scope and year; bumped under a row lock."""

    __tablename__ = "serial_counters"

    #: scope of the sequence, e.g. "certificate"
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: the year of issue the counter numbers
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the last sequence number given out that year
    last_value: Mapped[int] = mapped_column(Integer, default=0)
