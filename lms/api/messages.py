"""Turning marshmallow's messages into the API's ``fields`` in the request's language."""

import re

from flask_babel import gettext


def N_(message):
    """Mark a message for extraction; it is translated later, when an error is built."""
    return message


#: marshmallow's and webargs' default messages (their exact texts), translated by our catalogue;
#: tests/api/test_api_messages.py walks every field and validator to keep this list complete
MARSHMALLOW_MESSAGES = (
    # fields.Field, Schema, webargs
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Invalid JSON body."),
    # the fields' own
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid time."),
    N_("Not a valid aware datetime."),
    N_("Not a valid naive datetime."),
    N_("Not a valid aware time."),
    N_("Not a valid naive time."),
    N_("Not a valid period of time."),
    N_("Not a valid email address."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Not a valid list."),
    N_("Not a valid tuple."),
    N_("Not a valid mapping type."),
    N_("Not a valid IP address."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 interface."),
    N_("Not a valid choice."),
    # validators
    N_("Must be one of: {choices}."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("One or more of the choices you made was in: {values}."),
    N_("Must be equal to {other}."),
    N_("String does not match expected pattern."),
    N_("Invalid input."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
)

#: the messages without placeholders, matched as they are
_PLAIN = frozenset(t for t in MARSHMALLOW_MESSAGES if "{" not in t)


def _pattern(template):
    """A regex that recognises a message marshmallow formatted from ``template``."""
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$", re.DOTALL)


#: the longer templates first: "... {min}." would also match "... {min} and ... {max}."
_FORMATTED = [
    (t, _pattern(t)) for t in sorted(MARSHMALLOW_MESSAGES, key=len, reverse=True) if "{" in t
]


def translate(message):
    """A marshmallow message in the request's language, also when it was already formatted.

    A message of our own (a custom validator's, marked with ``N_``) is looked up as it is."""
    message = str(message)
    if message in _PLAIN:
        return gettext(message)
    for template, pattern in _FORMATTED:
        match = pattern.match(message)
        if match:
            return gettext(template).format(**match.groupdict())
    return gettext(message)


def _flatten(messages, prefix=""):
    """Yield (dotted field name, [messages]) from marshmallow's nested dict."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, name)
    else:
        yield prefix, [translate(m) for m in messages]


def fields_from_messages(messages):
    """webargs groups messages by location (json, query); the API names fields only."""
    fields = {}
    for location_messages in messages.values():
        for name, texts in _flatten(location_messages):
            fields.setdefault(name or "_schema", []).extend(texts)
    return fields
