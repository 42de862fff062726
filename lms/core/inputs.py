"""Input the database cannot store is refused before any view reads it.

PostgreSQL's text holds no NUL byte, and UTF-8 has no unpaired surrogate (a JSON ``"\\ud800"``):
either one in a query would end in a database error, a 500. One check before every request looks
at the path, the query string, the form fields and file names, and a JSON body, and answers a
400 that names the field (API.md's ``fields``; a page elsewhere).

Numbers have the same limit: ids and counts are 32-bit integers. ``<int:>`` URL ids are bounded
by ``lms.core.urls``, the API's arguments by its Blueprint (``lms.api.blueprint``), forms by
``LmsForm``; a view that reads a number from a query string uses ``int_arg``.
"""

import re

from flask import request
from flask_babel import gettext as _

from lms.errors import InvalidInput

#: the range of the database's integer columns (ids, counts, capacities)
DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1
#: a NUL byte, or half of a UTF-16 surrogate pair standing alone
BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def bad_text(value):
    """Whether ``value`` is text holding a character that cannot be stored."""
    return isinstance(value, str) and BAD_CHARACTER.search(value) is not None


def _shown(name):
    """A field name fit to show back: its bad characters replaced."""
    return BAD_CHARACTER.sub("\ufffd", str(name))


def _json_fault(value, name):
    """The dotted name (``records.0.note``) of the first bad key or text in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{name}.{key}" if name else str(key)
            if bad_text(key):
                return inner
            found = _json_fault(item, inner)
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _json_fault(item, f"{name}.{index}" if name else str(index))
            if found:
                return found
    elif bad_text(value):
        return name or "_schema"
    return None


def _multidict_fault(values):
    for key, value in values.items(multi=True):
        if bad_text(key) or bad_text(value):
            return key
    return None


def input_fault():
    """The name of the first field (a URL part, a query or form field, a JSON member) whose text
    cannot be stored, or None."""
    for name, value in (request.view_args or {}).items():
        if bad_text(value):
            return name
    if bad_text(request.path):
        return "path"
    found = _multidict_fault(request.args)
    if found is not None:
        return found
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.is_json:
        return _json_fault(request.get_json(silent=True), "")
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        found = _multidict_fault(request.form)
        if found is not None:
            return found
        for key, upload in request.files.items(multi=True):
            if bad_text(key) or bad_text(upload.filename):
                return key
    return None


def refuse_bad_input():
    """Before every request: a 400 naming the field that holds a character we cannot store."""
    name = input_fault()
    if name is not None:
        message = _("The text contains a character that is not allowed. Remove it and try again.")
        raise InvalidInput(message, fields={_shown(name): [message]}, code="invalid")


def int_arg(args, name):
    """The whole number ``?name=`` of a query string; None when absent or not a number.

    :raise InvalidInput: a number beyond the database's integers (no record has such an id)
    """
    raw = (args.get(name) or "").strip()
    if not re.fullmatch(r"[+-]?[0-9]+", raw):
        return None
    value = int(raw)
    if not DB_INT_MIN <= value <= DB_INT_MAX:
        message = _("The number %(value)s is out of range.", value=raw[:30])
        raise InvalidInput(message, fields={name: [message]})
    return value


def init_app(app):
    """Run the check before every other request hook, so that nothing reads bad text first."""
    app.before_request(refuse_bad_input)
