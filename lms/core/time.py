"""Local (office) time and UTC: forms speak local time, the database UTC."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


def office_zone():
    """The office's time zone (Asia/Jakarta, WIB, by default)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def zone_abbreviation():
    """The office zone's short name, which every time a page shows is labelled with: WIB, WITA or
    WIT for Indonesia's zones (tzdata's own abbreviations), another zone's abbreviation, or its
    offset from UTC ("UTC+08") where the zone has no name."""
    name = datetime.now(office_zone()).tzname()
    return f"UTC{name}" if name[0] in "+-" else name


#: ``zone_abbreviation()`` for a label written once, at import (a form field's): read when shown
ZONE = LazyString(zone_abbreviation)

#: the long names of Indonesia's zones, by their short names
ZONE_NAMES = {
    "WIB": _l("Western Indonesian Time (WIB)"),
    "WITA": _l("Central Indonesian Time (WITA)"),
    "WIT": _l("Eastern Indonesian Time (WIT)"),
}


def zone_name():
    """The office zone's name in a sentence ("Times are shown in ..."): Indonesia's zones in the
    reader's language, another zone by its short name."""
    short = zone_abbreviation()
    return str(ZONE_NAMES.get(short, short))


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
    """``value`` (an aware datetime) as ``pattern`` in the office's zone, the hour written as the
    reader's language writes it."""
    from flask_babel import format_datetime

    return format_datetime(value, clock_pattern(pattern))
