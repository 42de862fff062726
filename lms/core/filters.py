"""The query-string filters of the staff lists, shared by a list and its export.

A list and its export read the same names from the query string with the same parser and narrow
their queries with the same ``apply`` (or build the same ``query``), so a download link that
carries a list's filters (``args()``) exports exactly the rows the list shows. Each area keeps
its lists' filters (``<area>/filters.py``) on this parser.

The two differ only in what a bad value does. A list forgives it and shows everything (a
mistyped link still opens a page); an export refuses it with a 400 (``strict=True``), since a
download must never hold more records than were asked for, and the trainee export holds full NIKs.
"""

import re

from flask_babel import gettext as _

from lms.core.inputs import DB_INT_MAX
from lms.core.sealed import read_term
from lms.errors import InvalidInput

#: a search text longer than this is cut
MAX_TEXT = 100


class Args:
    """Reads filters from a query string; ``strict`` turns a bad value into InvalidInput."""

    def __init__(self, args, strict=False):
        self.args = args
        self.strict = strict

    def text(self, name):
        """The stripped text of ``name`` ("" when absent), at most MAX_TEXT characters."""
        return (self.args.get(name) or "").strip()[:MAX_TEXT]

    def term(self, name):
        """A search term that may hold a NIK: the plain ``name`` or its sealed form (``qs``, see
        ``lms.core.sealed``), stripped, at most MAX_TEXT characters; an expired seal is refused."""
        text, expired = read_term(self.args, name)
        if expired:
            self.refuse(name, _("This search has expired. Search again."))
        return text.strip()[:MAX_TEXT]

    def refuse(self, name, message):
        """In strict mode raise the 400 for ``name``; else the filter is dropped (None)."""
        if self.strict:
            raise InvalidInput(message, fields={name: [message]})
        return None

    def choice(self, name, allowed, message):
        """One of ``allowed``, or None; ``message`` formats the refusal of ``value``."""
        value = self.text(name)
        if not value or value in allowed:
            return value or None
        return self.refuse(name, message(value))

    def number(self, name, message):
        """A positive database id, or None."""
        value = self.text(name)
        if not value:
            return None
        if re.fullmatch(r"[0-9]{1,10}", value) and 0 < int(value) <= DB_INT_MAX:
            return int(value)
        return self.refuse(name, message(value))


def present(values):
    """The filters set, for url_for: an empty filter stays out of the link."""
    return {name: value for name, value in values.items() if value not in (None, "")}
