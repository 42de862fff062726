"""psycopg's dumpers registered by type name are resolved before any thread queries."""

import datetime

from psycopg import adapters
from psycopg.adapt import PyFormat

from lms.core.postgres import resolve_psycopg_dumpers


def test_type_names_are_swapped_for_the_types_once():
    resolve_psycopg_dumpers()
    for fmt in (PyFormat.AUTO, PyFormat.TEXT, PyFormat.BINARY):
        keys = adapters._dumpers[fmt]
        assert "datetime.date" not in keys and "datetime.datetime" not in keys
        assert datetime.date in keys and datetime.datetime in keys
