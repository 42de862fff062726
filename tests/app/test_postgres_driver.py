"""psycopg's dumpers registered by type name are resolved before any thread queries; the
pool's pre-ping runs for connections that rested in the pool only."""

import datetime

import psycopg
import pytest
from psycopg import adapters
from psycopg.adapt import PyFormat
from sqlalchemy import create_engine, text
from sqlalchemy.pool import QueuePool

from lms.core.postgres import ping_when_idle, resolve_psycopg_dumpers


def test_type_names_are_swapped_for_the_types_once():
    resolve_psycopg_dumpers()
    for fmt in (PyFormat.AUTO, PyFormat.TEXT, PyFormat.BINARY):
        keys = adapters._dumpers[fmt]
        assert "datetime.date" not in keys and "datetime.datetime" not in keys
        assert datetime.date in keys and datetime.datetime in keys


@pytest.fixture
def engine(db):
    """A private engine on the test database (PostgreSQL only), its pool of one connection."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the pre-ping is PostgreSQL's (SQLite's file needs none)")
    engine = create_engine(db.engine.url, poolclass=QueuePool, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _pings(monkeypatch, engine):
    pings = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_back_in_the_pool_a_moment_ago_is_not_pinged(engine, monkeypatch):
    ping_when_idle(engine, idle=3600)
    pings = _pings(monkeypatch, engine)
    for _ in range(3):
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT 1")) == 1
    assert pings == []


def test_a_connection_that_rested_is_pinged_and_replaced_when_dead(engine, monkeypatch):
    ping_when_idle(engine, idle=0)
    pings = _pings(monkeypatch, engine)
    with engine.connect() as connection:
        first = connection.scalar(text("SELECT pg_backend_pid()"))
    with engine.connect() as other:  # the pool's one connection is the same one again
        assert other.scalar(text("SELECT pg_backend_pid()")) == first
    # the server ends that connection while it rests in the pool (a restart, a timeout)
    with psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(False)) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (first,))
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT pg_backend_pid()")) != first
    assert len(pings) >= 3
