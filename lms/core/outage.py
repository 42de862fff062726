"""Which database failures mean "away for a moment", not "something is wrong".

PostgreSQL restarting, a connection dropped or refused, the connection table full, a lock that
could not be had, a statement that ran out of its time, or SQLite busy with another writer:
nothing is wrong with the request, and the same request a minute later succeeds. The person is
then told so (503 with ``Retry-After``, :mod:`lms.core.http`), and the offline queues wait and
send again. Any other database error is a fault and answers 500 as before.

Neither driver is imported here: a web worker on PostgreSQL never loads SQLite's, and the error
says which driver raised it.
"""

from sqlalchemy.exc import DBAPIError, OperationalError

#: SQLSTATEs (classes, or codes) of a PostgreSQL that is away or busy for a moment: connection
#: exceptions (class 08), insufficient resources (53: too many connections, out of memory),
#: the server shutting down or starting (57P01 admin shutdown, 57P02 crash shutdown, 57P03
#: cannot connect now), a serialization failure (40001), a deadlock (40P01), a lock not
#: available (55P03), a write sent to a standby not yet promoted during a failover (25006), and a
#: statement cancelled (57014): by the web processes' ``statement_timeout`` (a lock held too
#: long, a server too busy to finish in time; lms.core.postgres.limit_statements) or by an
#: administrator
TRANSIENT_STATES = (
    "08",
    "53",
    "57P01",
    "57P02",
    "57P03",
    "57014",
    "40001",
    "40P01",
    "55P03",
    "25006",
)

#: SQLite's primary result codes of a database another connection holds: SQLITE_BUSY, SQLITE_LOCKED
SQLITE_BUSY = (5, 6)

#: seconds a client is asked to wait before it tries again (the ``Retry-After`` header)
RETRY_AFTER = 30


def database_unavailable(error):
    """Whether ``error`` says the database is away or busy for a moment (see the module)."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:  # SQLAlchemy saw the connection die
        return True
    original = error.orig
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:  # sqlite3: extended result codes carry the primary one in the low byte
        return code & 0xFF in SQLITE_BUSY
    if not hasattr(original, "sqlstate"):  # neither psycopg nor SQLite
        return False
    if original.sqlstate is None:
        # psycopg: a failure the server never answered (refused, timed out, closed)
        return isinstance(error, OperationalError)
    return original.sqlstate.startswith(TRANSIENT_STATES)
