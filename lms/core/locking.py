"""Row locks that serialise decisions inside the database transaction.

PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` on the row. SQLite has no row locks: a no-op UPDATE of the
row takes the database's write lock for the rest of the transaction (other writers wait, thanks
to the busy timeout), which is SQLite's "immediate transaction". Call it before any other write
in the transaction, so that the decision reads the latest committed state.
"""

import hashlib
from functools import cache

from sqlalchemy import ARRAY, BigInteger, bindparam, false, func, select, update

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


#: a value's advisory lock is one of this many per column: an import locking every number of its
#: file takes at most this many locks, within PostgreSQL's shared lock table (64 per connection
#: by default); two registrations with different numbers share a lock once in 1,024 times, and
#: then one waits for the other's short transaction
VALUE_LOCKS = 1024


def lock_value(model, column, value):
    """Serialise, until the transaction ends, the transactions that decide about one value of
    ``model.column`` that no row may hold yet (whose account a mobile number is): PostgreSQL, a
    transaction-level advisory lock on the value; SQLite, the database's write lock (a no-op
    UPDATE that matches no row). Call it before the check the decision rests on: a second
    transaction waits here until the first has committed, then sees what it wrote."""
    lock_values(model, column, [value])


def lock_values(model, column, values):
    """:func:`lock_value` for many values at once (an import's mobile numbers), in one statement
    whatever their number. The locks are taken in the order of their keys, so two transactions
    locking overlapping values never wait for each other in a circle, as long as each takes its
    value locks in one call: a lock taken before, in another call, is outside that order (the
    suite found the deadlock of one lock, then many, against many)."""
    keys = sorted({_value_key(model, column, value) for value in values})
    if not keys:
        return
    with lock_wait(f"{model.__tablename__}.{column}"):
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(
                update(model).where(false()).values(id=model.id),
                execution_options={"synchronize_session": False},
            )
        else:
            db.session.connection().execute(_advisory_locks(), {"keys": keys})


def _value_key(model, column, value):
    """The advisory lock's key of one value: one of :data:`VALUE_LOCKS` per column."""
    digest = hashlib.sha256(str(value).encode()).digest()
    share = int.from_bytes(digest[:8], "big") % VALUE_LOCKS
    digest = hashlib.sha256(f"{model.__tablename__}.{column}#{share}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@cache
def _advisory_locks():
    """Lock each key of the sorted array ``:keys`` in turn (the function scan yields the array's
    order, and each row's lock is taken as the row is produced)."""
    keys = func.unnest(bindparam("keys", type_=ARRAY(BigInteger))).table_valued("k")
    keys = keys.render_derived()
    return select(func.pg_advisory_xact_lock(keys.c.k)).select_from(keys)
