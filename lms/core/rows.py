"""New ORM objects written by a Core statement instead of a flush, on a busy path.

A flush of two new objects costs more CPU than the rest of an enrolment's writes, and one round
trip each; one statement of the caller's (data-modifying CTEs) can write several rows at once.
:func:`insert_values` gives such a statement the values a flush would have written; :func:`hold`
then puts each object in the session as a flush leaves it: persistent, its attributes as
written. What the session's ``after_flush`` listeners would have noted (a message to deliver, a
change to the catalogue) the caller notes itself.
"""

from sqlalchemy import inspect
from sqlalchemy.orm import make_transient_to_detached

from lms.extensions import db


def insert_values(obj, prefix=""):
    """{``prefix`` + column: value} that a flush would INSERT for the new ``obj``: its
    attributes, with the columns' Python-side defaults filled in (and every column set on
    ``obj`` as written, as a flush leaves it). The primary key is left to the database."""
    values = {}
    for prop in inspect(obj).mapper.column_attrs:
        column = prop.columns[0]
        if column.primary_key:
            continue
        value = obj.__dict__.get(prop.key)
        default = column.default
        if value is None and default is not None:
            value = default.arg(None) if default.is_callable else default.arg
        if prop.key not in obj.__dict__ or value is not obj.__dict__[prop.key]:
            setattr(obj, prop.key, value)  # as written: nothing left to load afterwards
        values[prefix + column.key] = value
    return values


def hold(obj, pk):
    """Make the new ``obj``, written with the primary key ``pk``, persistent in the session,
    its attributes as written (nothing is expired, nothing is written again)."""
    session = db.session()
    if obj in session:  # pending (added by the code that made it): written already
        session.expunge(obj)
    setattr(obj, inspect(obj).mapper.primary_key[0].key, pk)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
