"""Jinja filters and globals: dates in the office's zone, masked identity numbers, the navigation
per role, static URLs that change with their file."""

from datetime import UTC, datetime
from functools import lru_cache

from babel import dates as babel_dates
from flask import current_app, request
from flask_babel import format_decimal, format_time, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.assets import static_url
from lms.core.time import clock_pattern, zone_abbreviation, zone_name
from lms.i18n import gettext, locale_name, ngettext, npgettext, pgettext

#: the navigation: (endpoint, label, roles that see it; None = everyone)
NAVIGATION = (
    ("core.home", _l("Home"), None),
    ("catalog.index", _l("Courses"), None),
    ("enrollment.my_courses", _l("My courses"), ("trainee",)),
    ("certificates.mine", _l("My certificates"), ("trainee",)),
    ("attendance.today", _l("Today"), ("trainer", "staff", "admin")),
    ("manage.courses", _l("Manage courses"), ("staff", "admin")),
    ("certificates.index", _l("Certificates"), ("staff", "admin")),
    ("partners.index", _l("Partners"), ("staff", "admin")),
    ("users.index", _l("Users"), ("staff", "admin")),
    ("reports.annual", _l("Reports"), ("staff", "admin")),
    ("imports.trainees", _l("Import"), ("staff", "admin")),
    ("exports.index", _l("Export"), ("staff", "admin")),
    ("outbox.index", _l("Outbox"), ("staff", "admin")),
)


#: the office's back-room pages: one "Administration" menu, so that the bar keeps to one line
ADMINISTRATION = (
    "partners.index",
    "users.index",
    "imports.trainees",
    "exports.index",
    "outbox.index",
)


def nav_items():
    """The menu entries the current user may see."""
    role = current_user.role if current_user.is_authenticated else None
    return [
        (endpoint, label) for endpoint, label, roles in NAVIGATION if roles is None or role in roles
    ]


def nav_groups():
    """(the bar's entries, the Administration menu's entries) for the current user."""
    items = nav_items()
    return (
        [item for item in items if item[0] not in ADMINISTRATION],
        [item for item in items if item[0] in ADMINISTRATION],
    )


def mask_nik(nik):
    """Show only the last four digits of a NIK."""
    if not nik:
        return ""
    return "•" * 12 + nik[-4:]


def trainee_identity(enrollment):
    """What tells two trainees with the same name apart, as a trainer may see it: the enrolment
    number, the regency, the NIK's last four digits and the birth year (each only when known)."""

    user = enrollment.user
    parts = [_("No. %(id)s", id=enrollment.id)]
    if user.regency is not None:
        parts.append(user.regency.name)
    if user.nik:
        parts.append(_("NIK %(nik)s", nik=mask_nik(user.nik)))
    if user.birth_date is not None:
        parts.append(_("born %(year)s", year=user.birth_date.year))
    return parts


def identity_columns(enrollment):
    """The same as export cells: [enrolment no., regency, masked NIK, birth year]."""
    user = enrollment.user
    return [
        enrollment.id,
        user.regency.name if user.regency is not None else "",
        mask_nik(user.nik),
        user.birth_date.year if user.birth_date is not None else "",
    ]


def identity_headers():
    """The headers of ``identity_columns``, in the reader's language."""

    return [_("Enrolment no."), _("Regency"), _("NIK"), _("Birth year")]


def regency_names():
    """{code: name} of the regencies (a course type's regency field is shown by name)."""
    from lms.regions.services import regency_choices

    return dict(regency_choices())


def localized(obj, name):
    """An object's English variant of a text field (``<name>_en``) when the page is English."""
    if locale_name() == "en":
        return getattr(obj, f"{name}_en", None) or getattr(obj, name)
    return getattr(obj, name)


def type_label(key):
    """A course type's label in the page's language; the key itself when the type is missing."""
    from lms.extensions import course_types

    course_type = course_types.get(key)
    return course_type.label(locale_name()) if course_type else key


# --- dates: Babel's formatting, each (value, format, language, zone) worked out once ------------


@lru_cache(maxsize=8192)
def _format(value, fmt, locale, zone):
    """A date or a moment as Babel writes it; the same few dates come back on every page."""
    if isinstance(value, datetime):
        return babel_dates.format_datetime(value, fmt, tzinfo=zone, locale=locale)
    return babel_dates.format_date(value, fmt, locale=locale)


@lru_cache(maxsize=8192)
def _format_day_of(value, fmt, locale, zone):
    """The local day of a moment (as flask_babel's ``format_date`` of a datetime)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return babel_dates.format_date(value.astimezone(zone).date(), fmt, locale=locale)


def _babel_format(kind, fmt):
    """The pattern flask_babel would use (its ``_get_format``): a named format ("medium")
    becomes the app's configured pattern for it, when one is set."""
    formats = current_app.extensions["babel"].instance.date_formats
    if fmt is None:
        fmt = formats[kind]
    if fmt in ("short", "medium", "full", "long"):
        fmt = formats[f"{kind}.{fmt}"] or fmt
    return fmt


def format_date(value, fmt="medium"):
    """``|date``: the same text as flask_babel's ``format_date``, cached."""
    if not value:
        return ""
    fmt = _babel_format("date", fmt)
    if isinstance(value, datetime):
        return _format_day_of(value, fmt, locale_name(), get_timezone())
    return _format(value, fmt, locale_name(), None)


def format_datetime(value, fmt="medium"):
    """``|datetime``: the same text as flask_babel's ``format_datetime``, cached."""
    if not value:
        return ""
    fmt = _babel_format("datetime", fmt)
    return _format(value, fmt, locale_name(), get_timezone())


def init_app(app):
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, clock_pattern(fmt)) if value else ""
    )
    # (replaces Flask-Babel's own filter: the hour is written one way, see clock_pattern)
    app.jinja_env.filters["timeformat"] = lambda value, fmt="short": (
        format_time(value, clock_pattern(fmt)) if value else ""
    )
    app.jinja_env.filters["date"] = format_date
    # a count with the reader's thousands separator: 3.000 in Indonesian, 3,000 in English
    app.jinja_env.filters["number"] = lambda value: (
        format_decimal(value) if value is not None else ""
    )
    # gettext through the request's cached catalogue (flask_babel looks it up on every call)
    app.jinja_env.install_gettext_callables(
        gettext=gettext,
        ngettext=ngettext,
        pgettext=pgettext,
        npgettext=npgettext,
        newstyle=True,
    )
    app.jinja_env.filters["mask_nik"] = mask_nik
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["nav_groups"] = nav_groups
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["trainee_identity"] = trainee_identity
    app.jinja_env.globals["regency_names"] = regency_names
    app.jinja_env.globals["type_label"] = type_label
    app.jinja_env.globals["current_locale"] = locale_name
    # the office's zone, which labels every time a page shows: zone() "WIB", zone_name() the
    # words of a sentence ("Western Indonesian Time (WIB)")
    app.jinja_env.globals["zone"] = zone_abbreviation
    app.jinja_env.globals["zone_name"] = zone_name
    app.jinja_env.globals["request_path"] = lambda: request.full_path.rstrip("?")
