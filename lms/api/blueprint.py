"""The API's Blueprint: flask-smorest's, with validation errors answered (and documented) as 400,
and every integer it reads bounded to the database's integers.

API.md answers bad input with 400 and the fields at fault; webargs' default is 422. Setting the
parser's status here keeps the OpenAPI document and the answers the same.

An id or a count beyond a 32-bit integer would reach the database and fail there (a 500 on
PostgreSQL). ``arguments`` gives every integer field of the schema it reads, nested ones too, the
database's range, unless the field sets a narrower one; the OpenAPI document shows the bounds.

A view's docstring is its summary and description in the OpenAPI document. Production runs
Python with ``-OO`` (``PYTHONOPTIMIZE=2``, deploy/systemd/latih-web@.service), which strips every
docstring from the code it loads (about 5 MB of a worker's memory, most of them SQLAlchemy's);
the API's views then have their docstrings read from their source, so the document is the same.
"""

import ast
import inspect
import sys
import textwrap

import flask_smorest
from marshmallow import Schema, fields, validate
from webargs.flaskparser import FlaskParser

from lms.core.inputs import DB_INT_MAX, DB_INT_MIN

#: the database's integer range, as a marshmallow validator
DB_INT_RANGE = validate.Range(min=DB_INT_MIN, max=DB_INT_MAX)


class ArgumentsParser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


def _within_db_range(field):
    """Whether a Range validator of ``field`` already keeps it inside the database's integers."""
    return any(
        isinstance(v, validate.Range)
        and v.min is not None
        and v.max is not None
        and v.min >= DB_INT_MIN
        and v.max <= DB_INT_MAX
        for v in field.validators
    )


def _schema_fields(schema):
    if isinstance(schema, type):
        return schema._declared_fields.values()
    return schema.fields.values()


def bound_integers(schema, seen=None):
    """Give every integer field of ``schema`` (a class or an instance), in nested schemas, lists
    and dicts too, the database's range unless it already lies within it."""
    seen = set() if seen is None else seen
    if id(schema) in seen:
        return
    seen.add(id(schema))
    for field in _schema_fields(schema):
        _bound_field(field, seen)


def _bound_field(field, seen):
    if isinstance(field, fields.Integer):
        if not _within_db_range(field):
            field.validators.append(DB_INT_RANGE)
    elif isinstance(field, fields.List):
        _bound_field(field.inner, seen)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            _bound_field(inner, seen)
    elif isinstance(field, fields.Dict):
        if field.value_field is not None:
            _bound_field(field.value_field, seen)
    elif isinstance(field, fields.Nested):
        nested = field.nested
        if not (isinstance(nested, type) and issubclass(nested, Schema)):
            nested = field.schema
        bound_integers(nested, seen)


def source_docstring(function):
    """The docstring ``function`` has in its source (None without one): the docstring itself
    when Python kept it, else read from the source file (Python stripped it: ``-OO``)."""
    function = inspect.unwrap(function)
    if function.__doc__ is not None or not sys.flags.optimize >= 2:
        return function.__doc__
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):  # no source file: nothing to document
        return None
    definition = ast.parse(source).body[0]
    return ast.get_docstring(definition, clean=False)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = ArgumentsParser()

    def add_url_rule(self, rule, endpoint=None, view_func=None, **options):
        """flask-smorest's ``add_url_rule``, the view's docstring found under ``-OO`` too."""
        if view_func is not None and view_func.__doc__ is None:
            view_func.__doc__ = source_docstring(view_func)
        return super().add_url_rule(rule, endpoint, view_func, **options)

    def arguments(self, schema, *args, **kwargs):
        """flask-smorest's ``arguments``, the schema's integers bounded first."""
        bound_integers(schema)
        return super().arguments(schema, *args, **kwargs)
