"""Local (office) time and UTC: forms speak local time, the database UTC."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def office_zone():
    """The office's time zone (Asia/Jakarta, WIB, by default)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_to_utc(value):
    """A naive local datetime (as typed in a form) to an aware UTC datetime."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=office_zone())
    return value.astimezone(UTC)


def utc_to_local(value):
    """An aware datetime to the office's zone."""
    return value.astimezone(office_zone()) if value else None


def combine_local(day, clock):
    """A local date and time of day to an aware UTC datetime."""
    return local_to_utc(datetime.combine(day, clock))


def local_today():
    """Today's date in the office's zone."""
    return datetime.now(office_zone()).date()


def clock_pattern(pattern):
    """A date/time pattern with the hour written as the reader's language writes it: 08.00 in
    Indonesian (as the language's own short time format), 08:00 in English. Every time a page or
    a message shows goes through here (the ``datetime`` and ``timeformat`` filters, services that
    format a time into a sentence), so that one page never mixes the two."""
    from flask_babel import get_locale

    if str(get_locale() or "").startswith("id"):
        return pattern.replace("HH:mm", "HH.mm")
    return pattern


def format_local(value, pattern):
    """``value`` (an aware datetime) as ``pattern`` in WIB, the hour written as the reader's
    language writes it."""
    from flask_babel import format_datetime

    return format_datetime(value, clock_pattern(pattern))
