"""PostgreSQL driver settings applied once per process."""

import sys
import time


def resolve_psycopg_dumpers():
    """Resolve psycopg's dumpers registered by type name, once, before any thread queries.

    psycopg (before 3.3.2) swaps a type's name for the type itself on the first value of that
    type it adapts, and the swap is not thread-safe: two threads sending their first date at the
    same moment can fail with "cannot adapt type 'date'" (psycopg issue #1230). Doing every swap
    here, while the process is still single-threaded, leaves nothing to race over. Only modules
    already imported are looked at (nothing is imported for it).
    """
    try:
        from psycopg import adapters
        from psycopg.adapt import PyFormat
    except ImportError:  # pragma: no cover (psycopg is a requirement)
        return
    for fmt in (PyFormat.AUTO, PyFormat.TEXT, PyFormat.BINARY):
        names = [key for key in list(adapters._dumpers.get(fmt, {})) if isinstance(key, str)]
        for name in names:
            module_name, _dot, qualname = name.rpartition(".")
            module = sys.modules.get(module_name)
            target = module
            for part in qualname.split("."):
                target = getattr(target, part, None)
            if isinstance(target, type):
                adapters.get_dumper(target, fmt)


#: seconds a connection may rest in the pool and still be handed out without a ping: one used
#: a moment ago (by the previous request, or by this one before its commit) was working then
PING_AFTER_IDLE = 1.0
#: the connection record's info key: when the connection last went back to the pool
_RETURNED = "lms_returned_at"


def ping_when_idle(engine, idle=PING_AFTER_IDLE):
    """``pool_pre_ping`` for connections that rested in the pool ``idle`` seconds or more only.

    SQLAlchemy's pre-ping sends a ``SELECT 1`` at every checkout, a round trip and CPU in the
    worker and the server, for a connection used milliseconds before (by the previous request,
    or by this one before a commit it made early: ``transaction.commit_now``). A
    connection found dead is replaced as the pre-ping replaces it (the pool's documented
    "pessimistic disconnect handling": ``DisconnectionError`` at checkout), so a restarted
    server costs no request that comes after a pause.
    """
    from sqlalchemy import event, exc

    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection, record):
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record):
        if record is not None:
            record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, record, _proxy):
        if time.monotonic() - record.info.get(_RETURNED, 0.0) < idle:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from error
            raise


def limit_statements(engine, seconds):
    """Have PostgreSQL cancel any statement of ``engine``'s connections that runs, or waits for
    a lock, longer than ``seconds`` (``statement_timeout``, set once per new connection).

    A cancelled statement fails with SQLSTATE 57014 (query_canceled), which
    :mod:`lms.core.outage` counts as "busy for a moment": the request is answered 503 and its
    transaction rolled back. Set with ``set_config`` on the connection itself, not as a startup
    option: the URL's own ``options`` (a search path) and PGOPTIONS stay as they are, and a
    connection pooler that refuses startup options is no obstacle.
    """
    from sqlalchemy import event

    milliseconds = str(max(1, round(float(seconds) * 1000)))

    @event.listens_for(engine, "connect")
    def _limit(dbapi_connection, _record):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, false)", (milliseconds,))
        finally:
            dbapi_connection.autocommit = autocommit


def lift_statement_limit(session):
    """No ``statement_timeout`` (:func:`limit_statements`) for the rest of ``session``'s
    transaction: for a download, long by design, whose query is read in batches (the first
    batch of a sorted export waits for the whole sort). Where no limit is set, nothing is sent."""
    from flask import current_app
    from sqlalchemy import text

    if current_app.config.get("DATABASE_STATEMENT_TIMEOUT") and (
        session.get_bind().dialect.name == "postgresql"
    ):
        session.execute(text("SET LOCAL statement_timeout = 0"))
