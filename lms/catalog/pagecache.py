"""The anonymous catalogue page, rendered once per (query, language) and catalogue version.

A visitor who is not logged in (no session or remember-me cookie: no user, no flash message, no
CSRF token on the page) sees the same ``/courses/`` page as every other such visitor in their
language. Each worker keeps the last pages it rendered (an LRU of at most
``CATALOG_PAGE_CACHE_PAGES`` pages and ``CATALOG_PAGE_CACHE_BYTES`` of text), with the catalogue
version it read *before* reading the courses, and serves one again only when:

- the version in the database is still the same: ``catalog_version`` is bumped in the same
  transaction as any change to what the page shows (a course, its trainers, an enrolment —
  seats taken or freed, the waitlist —, a partner, a user's name), by the session events below,
  at the very end of the transaction (on PostgreSQL in the COMMIT's own round trip:
  ``lms.core.transaction.at_commit``; the row is locked for no round trip);
- its time has not run out: the first moment one of its courses opens or closes registration,
  the next local midnight (a course that ends becomes "finished"), and at most
  ``CATALOG_PAGE_CACHE_SECONDS`` after it was rendered (counts that depend on the time, such as
  "open for registration now", follow within that).

Reading the version first makes a stale page impossible once the change is committed: the
version read is the committed one, and the courses read after it are at least as new (on
PostgreSQL each statement sees what was committed before it; on SQLite both reads share one
snapshot). Every worker reads the same version row, so all of them drop the page at that commit.
"""

import re
import sys
from collections import OrderedDict
from datetime import time, timedelta
from functools import cache
from threading import Lock
from types import SimpleNamespace

from flask import current_app, request, session
from flask_login import current_user
from sqlalchemy import Engine, event, inspect, select
from sqlalchemy.orm import Session

from lms.core.time import combine_local, local_today
from lms.core.transaction import at_commit, forget_with_transaction
from lms.core.types import utcnow
from lms.extensions import db

from .models import CatalogVersion

#: a longer query string (a long search) is not kept
MAX_QUERY = 300
#: tables whose rows the catalogue page shows or counts
WATCHED_TABLES = frozenset({"courses", "course_trainers", "enrollments", "partners", "users"})
_FLAG = "lms_catalog_changed"


# --- the version ---------------------------------------------------------------------------------


def _changes_catalogue(obj, new):
    table = getattr(obj, "__table__", None)
    if table is None or table.name not in WATCHED_TABLES:
        return False
    if table.name == "users":
        # a trainer's name is on the cards; a new account, a login or a profile is not
        if new:
            return False
        state = inspect(obj)
        return state.deleted or state.was_deleted or state.attrs.name.history.has_changes()
    return True


@event.listens_for(Session, "after_flush")
def _note_flush(session, _context):
    if session.info.get(_FLAG):
        return
    new = session.new
    if any(_changes_catalogue(obj, obj in new) for obj in (*new, *session.dirty, *session.deleted)):
        session.info[_FLAG] = True


#: a statement that writes a table the page shows (users: by the name only, see above)
_WRITES = re.compile(
    r'\s*(?:UPDATE|INSERT INTO|DELETE FROM)\s+"?(?:courses|course_trainers|enrollments|partners)"?\s',
    re.IGNORECASE,
)


def note_change():
    """The transaction changed what the page shows by a statement the listeners below cannot
    tell (rows written without a flush: ``lms.core.rows``)."""
    db.session.info[_FLAG] = True


@event.listens_for(Engine, "before_cursor_execute")
def _note_statement(conn, _cursor, statement, _parameters, _context, _executemany):
    """Any statement writing those tables, the ORM's bulk UPDATE too (the seat taken by one
    conditional UPDATE). (Not ``do_orm_execute``: a listener there breaks ``yield_per`` streams
    with selectin loads.) Noted on the connection, forgotten at its rollback or return."""
    if _WRITES.match(statement):
        conn.info[_FLAG] = True


forget_with_transaction(_FLAG)


@event.listens_for(Session, "before_commit")
def _bump(session):
    """Raise the version in the transaction that changed the catalogue, just before its commit."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # (the commit would flush after this hook; the flush notes the change)
    written = session.in_transaction() and session.connection().info.pop(_FLAG, False)
    if session.info.pop(_FLAG, False) or written:
        # on PostgreSQL sent with the COMMIT, in its round trip: the one row every such
        # transaction locks is held for no round trip (no CatalogVersion object is ever loaded
        # into a session: nothing to synchronise)
        at_commit(session.connection(), _BUMP)


#: the bump, run last in every transaction that changes the catalogue
_BUMP = f"UPDATE {CatalogVersion.__tablename__} SET version = version + 1"


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop(_FLAG, None)


def current_version():
    """The committed catalogue version (None when the row is missing: nothing is cached)."""
    return db.session.scalar(_statements().version)


@cache
def _statements():
    """The version's read, built once (it runs for every anonymous catalogue page)."""
    table = CatalogVersion.__table__
    return SimpleNamespace(version=select(table.c.version).where(table.c.id == 1))


# --- the pages -----------------------------------------------------------------------------------


class PageCache:
    """Rendered pages per (language, query string): (version, expires, body), the least
    recently used dropped first beyond ``size`` pages or ``max_bytes`` of text (the memory the
    strings take; a larger page is not kept). The app's come from CATALOG_PAGE_CACHE_PAGES and
    CATALOG_PAGE_CACHE_BYTES."""

    def __init__(self, size, max_bytes):
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self.pages = OrderedDict()
        self.lock = Lock()

    def _drop(self, key):
        self.bytes -= sys.getsizeof(self.pages.pop(key)[2])

    def get(self, key, version, now):
        with self.lock:
            entry = self.pages.get(key)
            if entry is None:
                return None
            if entry[0] != version or now >= entry[1]:
                self._drop(key)
                return None
            self.pages.move_to_end(key)
            return entry[2]

    def put(self, key, version, expires, body):
        size = sys.getsizeof(body)
        if size > self.max_bytes:
            return
        with self.lock:
            if key in self.pages:
                self._drop(key)
            self.pages[key] = (version, expires, body)
            self.bytes += size
            while len(self.pages) > self.size or self.bytes > self.max_bytes:
                self._drop(next(iter(self.pages)))

    def clear(self):
        with self.lock:
            self.pages.clear()
            self.bytes = 0


def init_app(app):
    app.config.setdefault("CATALOG_PAGE_CACHE_SECONDS", 60)
    app.extensions["catalog_pages"] = PageCache(
        int(app.config["CATALOG_PAGE_CACHE_PAGES"]), int(app.config["CATALOG_PAGE_CACHE_BYTES"])
    )


def anonymous_request():
    """Whether the request can carry nothing of one person: a GET without a session or
    remember-me cookie or credentials (so no user, no flash message, no form token), for a short
    query."""
    config = current_app.config
    return (
        request.method == "GET"
        and "Authorization" not in request.headers
        and int(config.get("CATALOG_PAGE_CACHE_SECONDS") or 0) > 0
        and len(request.query_string) <= MAX_QUERY
        and config["SESSION_COOKIE_NAME"] not in request.cookies
        and config.get("REMEMBER_COOKIE_NAME", "remember_token") not in request.cookies
    )


def expiry(items, now):
    """When a page of these courses may change with the time alone."""
    ends = [
        now + timedelta(seconds=int(current_app.config["CATALOG_PAGE_CACHE_SECONDS"])),
        combine_local(local_today() + timedelta(days=1), time(0, 0)),
    ]
    for course in items:
        for moment in (course.registration_opens_at, course.registration_closes_at):
            if moment is not None and moment > now:
                ends.append(moment)
    return min(ends)


def cached(locale, render):
    """The anonymous page from this worker's cache, or ``render()`` → (body, items) kept for the
    next visitor. Returns the body (str), or None when this request must not use the cache."""
    if not anonymous_request():
        return None
    version = current_version()  # first: the pages read after it are at least this new
    if version is None:
        return None
    pages = current_app.extensions["catalog_pages"]
    key = (locale, request.query_string)
    now = utcnow()
    body = pages.get(key, version, now)
    if body is not None:
        return body
    body, items = render()
    if not current_user.is_authenticated and not session.modified:
        pages.put(key, version, expiry(items, now), body)
    return body
