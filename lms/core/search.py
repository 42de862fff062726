"""Searching text columns with LIKE, taking the user's text literally."""

from sqlalchemy import func, or_


def contains(columns, text):
    """A condition: any of ``columns`` contains ``text`` (case-insensitive; % and _ literal)."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(*(func.lower(column).like(pattern, escape="\\") for column in columns))
