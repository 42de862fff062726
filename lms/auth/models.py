"""User accounts (with the trainee profile), login sessions and API tokens."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

ROLES = ("trainee", "trainer", "staff", "admin")
ROLE_LABELS = {
    "trainee": _l("Trainee"),
    "trainer": _l("Trainer"),
    "staff": _l("Staff"),
    "admin": _l("Administrator"),
}
GENDERS = ("male", "female")
GENDER_LABELS = {"male": _l("Male"), "female": _l("Female")}
TARGET_GROUPS = ("cpmi", "purna_pmi", "family", "general")
TARGET_GROUP_LABELS = {
    "cpmi": _l("Prospective migrant worker (CPMI)"),
    "purna_pmi": _l("Returned migrant worker (purna PMI)"),
    "family": _l("Family of a migrant worker"),
    "general": _l("General public"),
}


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(UserMixin, db.Model):
    """A person who can log in; trainees carry their profile on the same row."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(f"gender IS NULL OR {_in('gender', GENDERS)}", name="gender"),
        CheckConstraint(
            f"target_group IS NULL OR {_in('target_group', TARGET_GROUPS)}", name="target_group"
        ),
        CheckConstraint("locale IS NULL OR locale IN ('id', 'en')", name="locale"),
        CheckConstraint("role != 'trainer' OR partner_id IS NOT NULL", name="trainer_partner"),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: login name, stored lower-case; unique. None for a trainee known by phone (registered so,
    #: or a walk-in: staff may add one later and the person claims the account by the reset)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    #: werkzeug password hash
    password_hash: Mapped[str] = mapped_column(String(255))
    #: full name as on the KTP (identity card)
    name: Mapped[str] = mapped_column(String(200))
    #: one of ROLES
    role: Mapped[str] = mapped_column(String(16), default="trainee", index=True)
    #: the partner institution a trainer works for
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    #: preferred UI language ("id" or "en"); None follows the browser
    locale: Mapped[str | None] = mapped_column(String(5))
    #: a deactivated account cannot log in
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: NIK, the 16-digit national identity number; never shown publicly
    nik: Mapped[str | None] = mapped_column(String(16), unique=True)
    #: date of birth; never shown publicly
    birth_date: Mapped[date | None] = mapped_column(Date)
    #: one of GENDERS
    gender: Mapped[str | None] = mapped_column(String(8))
    #: mobile number normalised to +62...; never shown publicly; logs in an account without e-mail
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    #: the channel messages go through first (key of an lms.channels entry point: email, sms,
    #: whatsapp); the others that reach the person follow when it fails
    preferred_channel: Mapped[str] = mapped_column(
        String(40), default="email", server_default="email"
    )
    #: regency of origin
    regency_code: Mapped[str | None] = mapped_column(ForeignKey("regencies.code"), index=True)
    #: one of TARGET_GROUPS
    target_group: Mapped[str | None] = mapped_column(String(16))
    #: when the account was made (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the last successful log-in (UTC)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the person agreed to the privacy notice, and to which version of it (UU PDP)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the privacy notice version the person agreed to (PRIVACY_NOTICE_VERSION)
    consent_version: Mapped[str | None] = mapped_column(String(20))
    #: set when the personal data were erased at the person's request; the row stays for counts
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: a trainer's partner institution
    partner = relationship("Partner", back_populates="trainers")
    #: the regency or city of origin
    regency = relationship("Regency")

    #: the login session this object acts in during a request (set by lms.auth.sessions); not a
    #: column: one account may be logged in on several devices
    login_session = None
    #: the token of that login session, which the session and remember-me cookies carry
    login_token = None

    def get_id(self):
        """Flask-Login id: the login session's token, so that ending it ends its cookies too."""
        if self.login_token is None:
            raise RuntimeError("start a login session (lms.auth.sessions.start) before login_user")
        return self.login_token

    # UserMixin compares users by get_id, which is a login session's token here: compare rows
    def __eq__(self, other):
        if not isinstance(other, User):
            return NotImplemented
        if self.id is None or other.id is None:
            return self is other
        return self.id == other.id

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__

    @property
    def is_active(self):
        return self.active

    @property
    def is_staff(self):
        """Staff and admins manage the office's data."""
        return self.role in ("staff", "admin")

    @property
    def profile_complete(self):
        """Whether the trainee profile holds everything enrolment needs."""
        return all(
            (
                self.nik,
                self.birth_date,
                self.gender,
                self.phone,
                self.regency_code,
                self.target_group,
            )
        )

    @property
    def role_label(self):
        return ROLE_LABELS[self.role]

    def __repr__(self):
        return f"<User {self.id} {self.email or self.phone} {self.role}>"


class LoginSession(db.Model):
    """One login on one device: its session cookie and remember-me cookie carry its token.

    Logging out deletes it, so a copy of either cookie stops working; a password change or
    reset deletes every other one of the account.
    """

    __tablename__ = "login_sessions"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose login it is
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: hex SHA-256 of the token; the token itself lives only in the person's cookies
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: when the person logged in (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the login ends at this time at the latest, remembered or not (REMEMBER_COOKIE_DURATION)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    #: whose login it is
    user = relationship("User")


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_active", "user_id", "revoked_at"),)

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose token it is
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: hex SHA-256 of the token; the token itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: when it was issued (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the token stops working at this time
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set when the token is revoked (logout through the API)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: whose token it is
    user = relationship("User")


class OneTimeCode(db.Model):
    """A short code sent to a person's phone (a password reset without e-mail): single-use,
    expiring, and spent after a few wrong tries. Only its keyed hash is stored."""

    __tablename__ = "one_time_codes"

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: whose code it is
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: what it is for, e.g. "password_reset"
    purpose: Mapped[str] = mapped_column(String(40))
    #: hex HMAC-SHA-256 of the code under the app's secret key
    code_hash: Mapped[str] = mapped_column(String(64))
    #: when it was made (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: it stops working at this time (UTC)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set when it was used (or replaced by a newer code); it never works again
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: wrong codes entered against it
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)

    #: whose code it is
    user = relationship("User")
