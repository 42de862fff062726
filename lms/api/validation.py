"""Turning marshmallow's messages into the API's ``fields`` in the request's language."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

#: marshmallow's default messages, marked so that the catalogue translates them
MARSHMALLOW_MESSAGES = (
    _l("Missing data for required field."),
    _l("Field may not be null."),
    _l("Unknown field."),
    _l("Invalid input type."),
    _l("Invalid value."),
    _l("Not a valid string."),
    _l("Not a valid integer."),
    _l("Not a valid number."),
    _l("Not a valid boolean."),
    _l("Not a valid date."),
    _l("Not a valid datetime."),
    _l("Not a valid email address."),
    _l("Not a valid list."),
    _l("Not a valid mapping type."),
    _l("Not a valid choice."),
    _l("Shorter than minimum length {min}."),
    _l("Longer than maximum length {max}."),
    _l("Must be greater than or equal to {min}."),
    _l("Must be less than or equal to {max}."),
    _l("Must be greater than or equal to {min} and less than or equal to {max}."),
    _l("Length must be between {min} and {max}."),
)


def _flatten(messages, prefix=""):
    """Yield (dotted field name, [messages]) from marshmallow's nested dict."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, name)
    else:
        yield prefix, [gettext(str(m)) for m in messages]


def fields_from_messages(messages):
    """webargs groups messages by location (json, query); the API names fields only."""
    fields = {}
    for location_messages in messages.values():
        for name, texts in _flatten(location_messages):
            fields.setdefault(name or "_schema", []).extend(texts)
    return fields
