"""Rules for identity data: NIK, Indonesian phone numbers, e-mail syntax, password strength
(lms/auth/passwords.py)."""

import re
from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l

#: ASCII digits only (``\d`` and ``str.isdigit`` also take full-width or Arabic-Indic digits)
NIK_RE = re.compile(r"^[0-9]{16}$")
#: a mobile number after the country or trunk prefix: 8, then 8 to 11 more digits
MOBILE_RE = re.compile(r"^8[0-9]{8,11}$")


class ValidationFailed(ValueError):
    """A value broke a rule; ``message`` is a lazy translated string."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def normalize_nik(value):
    """Return the NIK as 16 digits or raise ValidationFailed.

    A NIK is 16 digits: province (2), regency (2), district (2), birth date DDMMYY with 40 added
    to the day for women (6), and a serial (4). The structure is checked, not only the length.
    """
    nik = re.sub(r"[\s.-]", "", value or "")
    if not NIK_RE.match(nik):
        raise ValidationFailed(_l("The NIK must be exactly 16 digits."))
    province = int(nik[0:2])
    day, month = int(nik[6:8]), int(nik[8:10])
    if day > 40:
        day -= 40
    if province < 11 or not (1 <= month <= 12) or not (1 <= day <= 31) or nik[12:] == "0000":
        raise ValidationFailed(_l("This is not a valid NIK. Please check the number on your KTP."))
    return nik


def normalize_phone(value):
    """Return an Indonesian mobile number as +628... or raise ValidationFailed.

    Accepts 08xx, 628xx and +628xx, with spaces, dots, dashes or brackets.
    """
    raw = re.sub(r"[\s().-]", "", value or "")
    if raw.startswith("+62"):
        rest = raw[3:]
    elif raw.startswith("62"):
        rest = raw[2:]
    elif raw.startswith("0"):
        rest = raw[1:]
    else:
        rest = None
    if rest is None or not MOBILE_RE.match(rest):
        raise ValidationFailed(
            _l(
                "Enter an Indonesian mobile number, for example 0812 3456 7890 or +62 812 3456 7890."
            )
        )
    return "+62" + rest


def same_name(a, b):
    """Whether two spellings name the same person as a mobile number shared by a family can
    tell them apart: the same words, whatever their case and spacing."""
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def normalize_email(value):
    """Return the address, lower-cased, checked by syntax only (no DNS look-up)."""
    # imported on first use: the public pages never check an address
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email((value or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(_l("This is not a valid e-mail address.")) from exc
    return result.normalized.lower()


def check_password(password, personal=()):
    """Raise ValidationFailed for a password that is too short or too easy to guess.

    ``personal`` is the person's own data (``passwords.personal_inputs``): a password built on
    it is easy to guess for anyone who knows the person.
    """
    from .passwords import weakness

    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password or "") < minimum:
        raise ValidationFailed(_l("The password must have at least %(n)s characters.", n=minimum))
    reason = weakness(password, personal)
    if reason is not None:
        raise ValidationFailed(reason)


def check_birth_date(value, today=None):
    """Raise ValidationFailed for a birth date in the future or of a person under 15 or over 80."""
    today = today or date.today()
    age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
    if value > today or not 15 <= age <= 80:
        raise ValidationFailed(_l("Please check the birth date."))
