"""Row locks that serialise decisions inside the database transaction.

PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` on the row. SQLite has no row locks: a no-op UPDATE of the
row takes the database's write lock for the rest of the transaction (other writers wait, thanks
to the busy timeout), which is SQLite's "immediate transaction". Call it before any other write
in the transaction, so that the decision reads the latest committed state.
"""

import hashlib
from functools import cache

from sqlalchemy import bindparam, false, func, select, update

from lms.extensions import db

from .metrics import lock_wait


def lock_row(model, pk):
    """Lock one row of ``model`` until the transaction ends (the wait goes to /metrics)."""
    with lock_wait(model.__tablename__):
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(
                update(model).where(model.id == pk).values(id=model.id),
                execution_options={"synchronize_session": False},
            )
        else:
            # FOR NO KEY UPDATE: as exclusive between deciders, but rows that only refer to this
            # one (an enrolment's foreign key takes FOR KEY SHARE) are written alongside. Run
            # as Core on the session's connection (no ORM statement path: it loads no object),
            # after the flush the session's own execute would have done first
            session = db.session()
            if session.autoflush:
                session.flush()
            session.connection().execute(_lock_statement(model), {"pk": pk})


@cache
def _lock_statement(model):
    """``SELECT id FROM <table> WHERE id = :pk FOR NO KEY UPDATE``, built once per model."""
    return select(model.id).where(model.id == bindparam("pk")).with_for_update(key_share=True)


def lock_value(model, column, value):
    """Serialise, until the transaction ends, the transactions that decide about one value of
    ``model.column`` that no row may hold yet (whose account a mobile number is): PostgreSQL, a
    transaction-level advisory lock on the value; SQLite, the database's write lock (a no-op
    UPDATE that matches no row). Call it before the check the decision rests on: a second
    transaction waits here until the first has committed, then sees what it wrote."""
    with lock_wait(f"{model.__tablename__}.{column}"):
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(
                update(model).where(false()).values(id=model.id),
                execution_options={"synchronize_session": False},
            )
        else:
            digest = hashlib.sha256(f"{model.__tablename__}.{column}={value}".encode()).digest()
            key = int.from_bytes(digest[:8], "big", signed=True)
            db.session.connection().execute(_advisory_lock(), {"key": key})


@cache
def _advisory_lock():
    return select(func.pg_advisory_xact_lock(bindparam("key")))
