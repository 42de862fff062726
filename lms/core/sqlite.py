"""SQLite settings applied to every new connection."""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _on_connect(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
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
