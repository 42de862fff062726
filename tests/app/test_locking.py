"""Locks on values no row holds yet (a mobile number): one statement for many values, a
bounded number of PostgreSQL's advisory locks, the same lock for a value however it is asked."""

import pytest
from sqlalchemy import text

from lms.auth.models import User
from lms.core.locking import VALUE_LOCKS, _value_key, lock_value, lock_values
from lms.extensions import db
from tests.fixtures.queries import statements

NUMBERS = [f"+62812{n:08d}" for n in range(5000)]
#: the tests below lock a column of their own: the locks of User.phone are shared by every test
#: process on the PostgreSQL database, and 5,000 numbers take nearly all of them
OWN = "phone (test_locking)"


def _advisory_locks_held():
    return db.session.scalar(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND pid = pg_backend_pid() AND granted"
        )
    )


def test_a_value_has_one_key_whoever_locks_it():
    one = _value_key(User, "phone", "+6281234567001")
    assert one == _value_key(User, "phone", "+6281234567001")
    assert one != _value_key(User, "email", "+6281234567001")  # each column its own locks
    keys = {_value_key(User, "phone", number) for number in NUMBERS}
    assert 1000 < len(keys) <= VALUE_LOCKS  # 5,000 numbers share the column's 1,024 locks


def test_an_import_s_numbers_are_locked_in_one_statement():
    with statements() as seen:
        lock_values(User, OWN, NUMBERS)
        lock_values(User, OWN, [])
    assert len(seen) == 1
    db.session.rollback()


def test_postgresql_holds_at_most_the_column_s_locks():
    """PostgreSQL's table of locks is shared by every connection (64 per connection by
    default): a file of 5,000 numbers must not take 5,000 of them."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes its write lock once")
    lock_value(User, OWN, NUMBERS[0])
    assert _advisory_locks_held() == 1
    # a transaction takes its value locks once, all in key order: one lock, then many more, is
    # no order at all (other test processes lock these numbers too, and would deadlock with it)
    db.session.rollback()
    lock_values(User, OWN, NUMBERS)
    assert _advisory_locks_held() == len({_value_key(User, OWN, n) for n in NUMBERS})
    db.session.rollback()
    assert _advisory_locks_held() == 0  # a transaction's locks end with it
