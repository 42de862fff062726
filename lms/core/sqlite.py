"""SQLite settings applied to every new connection."""

import sys

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _on_connect(dbapi_connection, connection_record):
    # sqlite3 is imported by SQLAlchemy's SQLite driver, never here: a worker on PostgreSQL
    # does not load it (nor the SQLite library)
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is None or not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # enforce foreign keys; WAL lets readers go on while one writer commits
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def install_pragmas():
    """Register the connect hook once for every engine (only SQLite connections are touched)."""
    if not event.contains(Engine, "connect", _on_connect):
        event.listen(Engine, "connect", _on_connect)
