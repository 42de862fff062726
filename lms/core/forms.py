"""Form helpers shared by every area, and WTForms messages in the app's own catalogue.

WTForms ships no Indonesian catalogue; its messages are listed here so that ours translates
them, and every form (``LmsForm`` and the course types' detail forms) reads them through Babel.
"""

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import NumberRange, ValidationError

from lms.core.inputs import DB_INT_MAX, DB_INT_MIN
from lms.i18n import babel_translations

#: WTForms' own messages, marked for extraction (the msgids are WTForms' exact texts)
WTFORMS_MESSAGES = (
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be between %(min)d and %(max)d characters long."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("This field is required."),
    _l("Invalid input."),
    _l("Invalid email address."),
    _l("Invalid value, must be one of: %(values)s."),
    _l("Invalid value, can't be any of: %(values)s."),
    _l("Invalid Choice: could not coerce."),
    _l("Not a valid choice."),
    _l("Invalid choice(s): one or more data inputs could not be coerced."),
    _l("Not a valid datetime value."),
    _l("Not a valid date value."),
    _l("Not a valid time value."),
    _l("Not a valid integer value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
)
#: WTForms' plural messages: never called, written as ngettext calls so that extraction sees them
WTFORMS_PLURALS = (
    lambda n: ngettext(
        "Field must be at least %(min)d character long.",
        "Field must be at least %(min)d characters long.",
        n,
    ),
    lambda n: ngettext(
        "Field cannot be longer than %(max)d character.",
        "Field cannot be longer than %(max)d characters.",
        n,
    ),
    lambda n: ngettext(
        "'%(value)s' is not a valid choice for this field.",
        "'%(value)s' are not valid choices for this field.",
        n,
    ),
)


def _fits_the_database(form, field):
    """An integer field's number must fit the database's integers (ids, counts)."""
    if field.data is not None and not DB_INT_MIN <= field.data <= DB_INT_MAX:
        message = field.gettext("Number must be between %(min)s and %(max)s.")
        raise ValidationError(message % {"min": DB_INT_MIN, "max": DB_INT_MAX})


def _within_db_range(field):
    return any(
        isinstance(v, NumberRange)
        and v.min is not None
        and v.max is not None
        and v.min >= DB_INT_MIN
        and v.max <= DB_INT_MAX
        for v in field.validators
    )


class LmsForm(FlaskForm):
    """Base of every form in the app: CSRF from Flask-WTF, messages from our catalogue, and
    every integer field bounded to the database's integers unless it sets a narrower range."""

    class Meta:
        def get_translations(self, form):
            return babel_translations

        def bind_field(self, form, unbound_field, options):
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, IntegerField) and not _within_db_range(field):
                field.validators = [*field.validators, _fits_the_database]
            return field


def apply_errors(form, error, details_form=None, rename=None):
    """Put a service error's field messages next to their fields; what has no field is flashed.

    ``rename`` maps a service's field name to the form's; ``details.<name>`` goes to
    ``details_form`` (a course type's own fields).
    """
    rename = rename or {}
    unplaced = []
    for name, messages in error.fields.items():
        name = rename.get(name, name)
        if name.startswith("details.") and details_form is not None:
            field = details_form._fields.get(name.removeprefix("details."))
        else:
            field = form._fields.get(name)
        if field is None:
            unplaced.extend(str(m) for m in messages)
        else:
            field.errors = list(field.errors) + [str(m) for m in messages]
    if unplaced or not error.fields:
        flash(" ".join(unplaced) or str(error.message), "danger")


def error_text(error):
    """A domain error as one line for a flash message: its field messages, or its message."""
    return " ".join(str(m) for messages in error.fields.values() for m in messages) or str(
        error.message
    )


def form_status(form):
    """400 when a submitted form has errors, so that bad input never answers 200."""
    return 400 if form.errors else 200
