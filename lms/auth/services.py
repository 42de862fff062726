"""Account rules: creating users, profiles, passwords, password reset, API tokens.

Services validate, change the session and flush; the caller (view, API, CLI) commits once.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import cache
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from werkzeug.security import check_password_hash, generate_password_hash

from lms.audit import services as audit
from lms.core.locking import lock_value
from lms.core.types import utcnow
from lms.errors import Conflict, InvalidInput
from lms.extensions import db
from lms.outbox import registry as channels
from lms.regions.models import Regency

from . import sessions
from . import validation as v
from .models import GENDERS, ROLES, TARGET_GROUPS, ApiToken, OneTimeCode, User
from .passwords import personal_inputs

#: profile fields a trainee keeps up to date
PROFILE_FIELDS = ("name", "nik", "birth_date", "gender", "phone", "regency_code", "target_group")
_DUMMY_HASH = None


def hash_password(password):
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


#: how the hash of an account without a password of its own begins (werkzeug's hashes begin
#: with their method, never with this)
NO_PASSWORD = "!"


def unusable_password():
    """A password hash no password matches: an account made for someone (an import, a walk-in)
    until they set their own through "forgot password", or an erased one. Hashing a random
    password instead would cost a fraction of a second per account for nothing."""
    return NO_PASSWORD + secrets.token_urlsafe(24)


def has_password(user):
    """Whether ``user`` has set a password of their own (see :func:`unusable_password`)."""
    return not user.password_hash.startswith(NO_PASSWORD)


def clean_profile(data, errors):
    """Validate and normalise the profile fields present in ``data``; collect messages in errors."""
    clean = {}
    for key, rule in (("nik", v.normalize_nik), ("phone", v.normalize_phone)):
        if data.get(key) not in (None, ""):
            try:
                clean[key] = rule(data[key])
            except v.ValidationFailed as exc:
                errors.setdefault(key, []).append(exc.message)
        elif key in data:
            clean[key] = None
    if "name" in data:
        name = " ".join((data.get("name") or "").split())
        if len(name) < 2 or len(name) > 200:
            errors.setdefault("name", []).append(_("Please enter the full name."))
        clean["name"] = name
    if data.get("birth_date") is not None:
        try:
            v.check_birth_date(data["birth_date"])
            clean["birth_date"] = data["birth_date"]
        except v.ValidationFailed as exc:
            errors.setdefault("birth_date", []).append(exc.message)
    for key, allowed in (("gender", GENDERS), ("target_group", TARGET_GROUPS)):
        if data.get(key) not in (None, ""):
            if data[key] not in allowed:
                errors.setdefault(key, []).append(_("Not a valid choice."))
            else:
                clean[key] = data[key]
    if data.get("regency_code") not in (None, ""):
        if db.session.get(Regency, data["regency_code"]) is None:
            errors.setdefault("regency_code", []).append(_("Not a valid choice."))
        else:
            clean["regency_code"] = data["regency_code"]
    return clean


def _check_unique(clean, errors, exclude_id=None, email=None):
    """Add messages for an e-mail, NIK or phone number already used by another account.

    A phone number logs in an account without e-mail, so such an account's number is its own:
    it may be shared by accounts that all have an e-mail address (a family's phone), never
    with one that has none.
    """
    taken = {}
    if clean.get("email"):
        q = select(User.id).where(User.email == clean["email"])
        if exclude_id:
            q = q.where(User.id != exclude_id)
        if db.session.scalar(q):
            taken["email"] = [_("An account with this e-mail address already exists.")]
    if clean.get("nik"):
        q = select(User.id).where(User.nik == clean["nik"])
        if exclude_id:
            q = q.where(User.id != exclude_id)
        if db.session.scalar(q):
            taken["nik"] = [_("An account with this NIK already exists.")]
    if clean.get("phone"):
        q = select(User.email).where(User.phone == clean["phone"])
        if exclude_id:
            q = q.where(User.id != exclude_id)
        others = db.session.scalars(q).all()
        if others and (not email or any(other is None for other in others)):
            taken["phone"] = [_("An account with this mobile number already exists.")]
    return taken


def _lock_phone(clean):
    """Two requests giving one mobile number at once (a double tap on a slow phone) must not both
    pass :func:`_check_unique`: no unique index can hold its rule (a number shared by accounts
    with e-mail, never with one without), so the number is locked first and the second request
    checks once the first has committed."""
    if clean.get("phone"):
        lock_value(User, "phone", clean["phone"])


def _channel_choice(preferred, email, phone, errors, by_staff=False):
    """The preferred channel of an account with this e-mail and phone: the one chosen, which
    must exist and reach the person, or else e-mail when there is an address, or else the first
    channel that is on and reaches the phone. ``by_staff``: the refusal speaks of the person,
    not to them."""
    person = SimpleNamespace(email=email, phone=phone)
    if preferred:
        channel = channels.get(preferred)
        if channel is None:
            errors.setdefault("preferred_channel", []).append(_("Not a valid choice."))
        elif not channel.address(person):
            label = channel.label(_locale())
            errors.setdefault("preferred_channel", []).append(
                _(
                    "%(channel)s cannot reach this person: add the address or number it needs, "
                    "or choose another way.",
                    channel=label,
                )
                if by_staff
                else _(
                    "%(channel)s cannot reach you: add the address or number it needs, or choose "
                    "another way.",
                    channel=label,
                )
            )
        return preferred
    if email:
        return "email"
    for channel in channels.enabled() + channels.all_channels():
        if channel.address(person):
            return channel.key
    return "email"


def default_channel(email, phone):
    """The channel an account with this e-mail and phone gets when nobody chose one (an account
    staff create or import): e-mail with an address, else the first channel reaching the phone."""
    return _channel_choice(None, email, phone, {})


def channel_in_use(user):
    """The channel a form shows as ``user``'s choice: their preferred one when it reaches them,
    else the one they would get by default (an account whose preference was never chosen, a
    walk-in's made before it had one)."""
    channel = channels.get(user.preferred_channel)
    if channel is not None and channel.address(user):
        return user.preferred_channel
    return default_channel(user.email, user.phone)


def _locale():
    from flask_babel import get_locale

    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _personal_inputs(email, data):
    """The person's own data (``data``: cleaned profile fields) a password must not be built on."""
    own = {key: data.get(key) for key in ("name", "nik", "phone", "birth_date")}
    return personal_inputs(email=email if isinstance(email, str) else None, **own)


def create_user(*, email=None, password, name, role="trainee", actor=None, **profile):
    """Create an account after checking every rule. A trainee with a mobile number may have no
    e-mail address (they log in with the number).

    :raise InvalidInput: a field breaks a rule (``fields`` says which)
    :raise Conflict: the e-mail, NIK or (for an account without e-mail) phone number is taken
    """
    errors = {}
    clean = {}
    if (email is None or not str(email).strip()) and role == "trainee" and profile.get("phone"):
        clean["email"] = None  # a trainee with a phone number may do without
    else:
        try:
            clean["email"] = v.normalize_email(email)
        except v.ValidationFailed as exc:
            errors["email"] = [exc.message]
    if role not in ROLES:
        errors["role"] = [_("Not a valid choice.")]
    partner_id = profile.pop("partner_id", None)
    if role == "trainer" and not partner_id:
        errors["partner_id"] = [_("A trainer must belong to a partner institution.")]
    if partner_id is not None:
        from lms.partners.models import Partner

        if db.session.get(Partner, partner_id) is None:
            errors["partner_id"] = [_("Not a valid choice.")]
    locale = profile.pop("locale", None)
    preferred = profile.pop("preferred_channel", None)
    clean.update(clean_profile({"name": name, **profile}, errors))
    clean["preferred_channel"] = _channel_choice(
        preferred, clean.get("email"), clean.get("phone"), errors
    )
    try:
        v.check_password(password, _personal_inputs(clean.get("email") or email, clean))
    except v.ValidationFailed as exc:
        errors["password"] = [exc.message]
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    _lock_phone(clean)
    taken = _check_unique(clean, errors, email=clean.get("email"))
    if taken:
        raise Conflict(_("This account already exists."), fields=taken, code="taken")
    user = User(
        role=role,
        partner_id=partner_id,
        password_hash=hash_password(password),
        locale=locale if locale in current_app.config["LANGUAGES"] else None,
        **clean,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError as exc:
        # a concurrent registration took the e-mail or NIK between the check and the insert
        raise Conflict(_("This account already exists."), code="taken") from exc
    audit.record("user.created", user, actor=actor or user, role=role)
    return user


def update_profile(user, data, actor=None):
    """Update the profile fields present in ``data`` (and the preferred channel).

    :raise InvalidInput: a field breaks a rule
    :raise Conflict: the NIK (or the phone number) belongs to another account
    """
    errors = {}
    clean = clean_profile({k: data[k] for k in PROFILE_FIELDS if k in data}, errors)
    if user.email is None and "phone" in clean and not clean["phone"]:
        errors.setdefault("phone", []).append(
            _("Your account has no e-mail address: keep a mobile number to log in with.")
        )
    if data.get("preferred_channel"):
        phone = clean.get("phone", user.phone)
        clean["preferred_channel"] = _channel_choice(
            data["preferred_channel"],
            user.email,
            phone,
            errors,
            by_staff=actor is not None and actor.id != user.id,
        )
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    _lock_phone(clean)
    taken = _check_unique(clean, errors, exclude_id=user.id, email=user.email)
    if taken:
        message = (
            _("This NIK is already registered.")
            if "nik" in taken
            else _("This mobile number is already registered.")
        )
        raise Conflict(message, fields=taken, code="taken")
    for key, value in clean.items():
        setattr(user, key, value)
    if "locale" in data and data["locale"] in current_app.config["LANGUAGES"]:
        user.locale = data["locale"]
    db.session.flush()
    return user


def set_locale(user, locale):
    """Keep the user's language choice."""
    if locale in current_app.config["LANGUAGES"]:
        user.locale = locale
        db.session.flush()


def set_role(user, role, partner_id=None, actor=None):
    """Change a user's role and partner (audited); the person logs in again. A trainer needs a
    partner. Use ``lms.users.services.change_role``, which also ends course assignments that no
    longer fit."""
    if role not in ROLES:
        raise InvalidInput(_("Not a valid choice."), fields={"role": [_("Not a valid choice.")]})
    if role == "trainer" and not (partner_id or user.partner_id):
        raise InvalidInput(
            _("A trainer must belong to a partner institution."),
            fields={"partner_id": [_("A trainer must belong to a partner institution.")]},
        )
    if partner_id:
        from lms.partners.models import Partner

        if db.session.get(Partner, partner_id) is None:
            raise InvalidInput(
                _("Not a valid choice."), fields={"partner_id": [_("Not a valid choice.")]}
            )
    old_role, old_partner = user.role, user.partner_id
    user.role = role
    if partner_id:
        user.partner_id = partner_id
    sessions.end_all(user)
    db.session.flush()
    if role != old_role:
        audit.record("user.role_changed", user, actor=actor, old=old_role, new=role)
    if user.partner_id != old_partner:
        audit.record(
            "user.partner_changed", user, actor=actor, old=old_partner, new=user.partner_id
        )
    return user


def login_identifier(value):
    """The account a login names, as looked up (and as its rate limit is keyed): an e-mail
    address in lower case, or a mobile number as +62..."""
    value = (value or "").strip()
    if "@" not in value:
        try:
            return v.normalize_phone(value)
        except v.ValidationFailed:
            pass
    return value.lower()


#: accounts read for one mobile number at login (a family's phone, a trainer's typed for walk-ins)
SHARED_PHONE_LIMIT = 100


def user_by_phone(phone):
    """The active account this mobile number logs in (and sends a reset code to), or None.

    The one account that holds the number. A family's phone may be on several: accounts with an
    e-mail address log in with it, and a relative a trainer added as a walk-in has no password
    yet (they claim the account once staff add an e-mail address); the number then logs in the
    one of them without e-mail that has a password of its own, so that a relative's walk-in
    does not lock its owner out. None when that is not exactly one account.
    """
    users = db.session.scalars(
        select(User).where(User.phone == phone, User.active.is_(True)).limit(SHARED_PHONE_LIMIT)
    ).all()
    if len(users) == 1:
        return users[0]
    owners = [u for u in users if u.email is None and has_password(u)]
    return owners[0] if len(owners) == 1 else None


def authenticate(identifier, password):
    """Return the active user with this e-mail address (or mobile number) and password, or None
    (same cost either way)."""
    global _DUMMY_HASH
    identifier = login_identifier(identifier)
    if identifier.startswith("+"):
        user = user_by_phone(identifier)
    else:
        user = db.session.scalar(
            select(User).where(User.email == identifier, User.active.is_(True))
        )
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(secrets.token_hex(8))
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    user.last_login_at = utcnow()
    return user


def change_password(user, new_password, actor=None, keep=None):
    """Set a new password; every reset link, every API token and every login session but
    ``keep`` (the one the person changes it from, if any) stop working."""
    own = {k: getattr(user, k) for k in ("name", "nik", "phone", "birth_date")}
    try:
        v.check_password(new_password, _personal_inputs(user.email, own))
    except v.ValidationFailed as exc:
        raise InvalidInput(exc.message, fields={"password": [exc.message]}) from exc
    user.password_hash = hash_password(new_password)
    sessions.end_all(user, keep=keep)
    revoke_api_tokens(user)
    db.session.flush()
    audit.record("user.password_changed", user, actor=actor or user)


# --- password reset -------------------------------------------------------------------------


def _reset_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lms.password-reset")


def _password_fingerprint(user):
    """Changes whenever the password does, which makes a reset link single-use."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user):
    """A signed token for the reset link, valid until used or PASSWORD_RESET_MAX_AGE passes."""
    return _reset_serializer().dumps({"u": user.id, "f": _password_fingerprint(user)})


def user_for_reset_token(token):
    """The user a reset token belongs to, or None if it is forged, expired or already used."""
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("f") != _password_fingerprint(user):
        return None
    return user


def request_password_reset(email, link_for, locale=None):
    """Queue a reset message if an active account has this address; silent otherwise.

    ``link_for(token)`` builds the absolute URL of the reset page; ``locale`` is the language
    the request was made in (the message speaks it), else the account's.
    """
    from lms.outbox import services as outbox

    try:
        address = v.normalize_email(email)
    except v.ValidationFailed:
        return None
    user = db.session.scalar(select(User).where(User.email == address, User.active.is_(True)))
    if user is None:
        return None
    token = make_reset_token(user)
    outbox.queue(
        user,
        "password_reset",
        "emails/password_reset",
        link=link_for(token),
        minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
        locale=locale,
    )
    return user


def reset_password(token, new_password):
    """Set a new password from a reset link.

    :raise InvalidInput: the link is invalid, expired or used, or the password is too weak
    """
    user = user_for_reset_token(token)
    if user is None:
        raise InvalidInput(
            _("This reset link is invalid, has expired or was already used. Ask for a new one.")
        )
    change_password(user, new_password, actor=user)
    return user


# --- password reset by a code sent to the phone ------------------------------------------------

RESET_PURPOSE = "password_reset"


def _code_hash(user_id, code):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


def request_password_code(phone):
    """Send a one-time code to the account this mobile number logs in (:func:`user_by_phone`,
    by its channel, SMS or WhatsApp); silent when there is none. Earlier codes stop working."""
    from lms.outbox import services as outbox

    try:
        number = v.normalize_phone(phone)
    except v.ValidationFailed:
        return None
    user = user_by_phone(number)
    if user is None:
        return None
    now = utcnow()
    db.session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.user_id == user.id,
            OneTimeCode.purpose == RESET_PURPOSE,
            OneTimeCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    max_age = current_app.config["PASSWORD_CODE_MAX_AGE"]
    db.session.add(
        OneTimeCode(
            user_id=user.id,
            purpose=RESET_PURPOSE,
            code_hash=_code_hash(user.id, code),
            created_at=now,
            expires_at=now + timedelta(seconds=max_age),
        )
    )
    outbox.queue(user, "password_code", "emails/password_code", code=code, minutes=max_age // 60)
    return user


def _count_wrong_try(row):
    """Count a wrong code on ``row`` in its own transaction: the request's is rolled back
    with the error, the count must stay. The code is spent after PASSWORD_CODE_MAX_TRIES."""
    limit = current_app.config["PASSWORD_CODE_MAX_TRIES"]
    with db.engine.begin() as connection:
        connection.execute(
            update(OneTimeCode)
            .where(OneTimeCode.id == row.id)
            .values(wrong_tries=OneTimeCode.wrong_tries + 1)
        )
        connection.execute(
            update(OneTimeCode)
            .where(OneTimeCode.id == row.id, OneTimeCode.wrong_tries >= limit)
            .values(used_at=utcnow())
        )


def reset_password_with_code(phone, code, new_password):
    """Set a new password with the code sent to the phone: once, before it expires.

    :raise InvalidInput: the number or code is wrong, expired or used, or the password weak
    """
    wrong = _("This code is wrong, has expired or was already used. Ask for a new one.")
    refused = InvalidInput(wrong, fields={"code": [wrong]})
    try:
        user = user_by_phone(v.normalize_phone(phone))
    except v.ValidationFailed:
        user = None
    if user is None:
        raise refused
    now = utcnow()
    row = db.session.scalar(
        select(OneTimeCode)
        .where(
            OneTimeCode.user_id == user.id,
            OneTimeCode.purpose == RESET_PURPOSE,
            OneTimeCode.used_at.is_(None),
            OneTimeCode.expires_at > now,
        )
        .order_by(OneTimeCode.id.desc())
        .limit(1)
    )
    if row is None:
        raise refused
    given = "".join((code or "").split())
    if not hmac.compare_digest(row.code_hash, _code_hash(user.id, given)):
        _count_wrong_try(row)
        raise refused
    row.used_at = now
    change_password(user, new_password, actor=user)
    return user


# --- API tokens -----------------------------------------------------------------------------


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user):
    """Create an API token; returns (token text shown once, ApiToken row)."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=_token_hash(token),
        expires_at=utcnow() + timedelta(seconds=current_app.config["API_TOKEN_LIFETIME"]),
    )
    db.session.add(row)
    db.session.flush()
    return token, row


def api_token_row(token):
    """The live ApiToken row for a token text, or None if unknown, expired, revoked or inactive.

    One statement: the token and its user (loaded with it, ``row.user``) are read together, and
    the database checks that the token is live and the account active.
    """
    if not token:
        return None
    return db.session.scalar(_live_token(), {"token_hash": _token_hash(token), "now": utcnow()})


@cache
def _live_token():
    """The statement of :func:`api_token_row`, built once (every API request runs it)."""
    return (
        select(ApiToken)
        .join(ApiToken.user)
        .options(contains_eager(ApiToken.user))
        .where(
            ApiToken.token_hash == bindparam("token_hash"),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > bindparam("now"),
            User.active,
        )
    )


def revoke_api_token(row):
    """Stop a token from working."""
    row.revoked_at = utcnow()
    db.session.flush()


def revoke_api_tokens(user):
    """Stop every token of ``user`` from working (a password change or reset)."""
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def registration_errors(*, email, password, **profile):
    """{field: [messages]} the account rules find in a registration's inputs, without creating
    anything (no uniqueness check: that answer is the register page's one "taken" message).

    The register page asks it when its form is refused for another reason (a wrong
    confirmation), so that the person reads every error at once. Empty inputs are left to the
    form's own "required" messages.
    """
    errors = {}
    if email:
        try:
            email = v.normalize_email(email)
        except v.ValidationFailed as exc:
            errors["email"] = [exc.message]
    present = {key: value for key, value in profile.items() if value not in (None, "")}
    clean = clean_profile(present, errors)
    if password:
        try:
            v.check_password(password, _personal_inputs(email, clean))
        except v.ValidationFailed as exc:
            errors["password"] = [exc.message]
    return errors
