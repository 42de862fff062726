"""Jinja filters and globals: dates in WIB, masked identity numbers, the navigation per role,
static URLs that change with their file."""

from flask import request
from flask_babel import format_date, format_datetime, format_decimal, format_time, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.core.assets import static_url
from lms.core.time import clock_pattern

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


def regency_names():
    """{code: name} of the regencies (a course type's regency field is shown by name)."""
    from lms.regions.services import regency_choices

    return dict(regency_choices())


def localized(obj, name):
    """An object's English variant of a text field (``<name>_en``) when the page is English."""
    if str(get_locale()) == "en":
        return getattr(obj, f"{name}_en", None) or getattr(obj, name)
    return getattr(obj, name)


def type_label(key):
    """A course type's label in the page's language; the key itself when the type is missing."""
    from lms.extensions import course_types

    course_type = course_types.get(key)
    return course_type.label(get_locale()) if course_type else key


def init_app(app):
    app.jinja_env.filters["datetime"] = lambda value, fmt="medium": (
        format_datetime(value, clock_pattern(fmt)) if value else ""
    )
    # (replaces Flask-Babel's own filter: the hour is written one way, see clock_pattern)
    app.jinja_env.filters["timeformat"] = lambda value, fmt="short": (
        format_time(value, clock_pattern(fmt)) if value else ""
    )
    app.jinja_env.filters["date"] = lambda value, fmt="medium": (
        format_date(value, fmt) if value else ""
    )
    # a count with the reader's thousands separator: 3.000 in Indonesian, 3,000 in English
    app.jinja_env.filters["number"] = lambda value: (
        format_decimal(value) if value is not None else ""
    )
    app.jinja_env.filters["mask_nik"] = mask_nik
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["nav_groups"] = nav_groups
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["localized"] = localized
    app.jinja_env.globals["regency_names"] = regency_names
    app.jinja_env.globals["type_label"] = type_label
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["request_path"] = lambda: request.full_path.rstrip("?")
