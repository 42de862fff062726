"""The one transaction boundary: a request, a CLI command or a job commits once, or rolls back.

Services only flush. The boundary commits after a view returned a response below 400 and rolls back
after anything else: an error response, an exception, or a domain error that a view turned into a
form's errors or a flash message with :func:`form_errors` / :func:`flash_errors`. Views, API
endpoints, commands and jobs never commit, roll back or catch ``LmsError`` themselves (indico's
``RH.process``), but through this module (:func:`discard`, :func:`commit_now`).
"""

from contextlib import contextmanager
from functools import wraps

import click
from flask import flash, g, has_request_context, request
from sqlalchemy import Engine, Pool, event
from sqlalchemy.orm import Session

from lms.errors import LmsError
from lms.extensions import db

#: methods that must not change a record; reading may still be audited (an export of NIKs)
READ_ONLY_METHODS = ("GET", "HEAD")
#: tables a read may write to
READ_LOG_TABLES = {"audit_log"}


@event.listens_for(Session, "after_flush")
def _note_writes(session, _context):
    """Remember which tables a request's flushes changed, for the read-only check of finish()."""
    if has_request_context():
        changed = {o.__table__.name for o in (*session.new, *session.dirty, *session.deleted)}
        if changed - READ_LOG_TABLES:
            g.lms_wrote = g.get("lms_wrote", set()) | (changed - READ_LOG_TABLES)


def finish(response):
    """Commit the request's work when its response succeeded; roll it back otherwise.

    A failed commit raises, so that the error handlers answer it (a 409 for a conflict, never a
    half-written change).
    """
    if request.method in READ_ONLY_METHODS and g.get("lms_wrote"):
        # a page or an API read that changes a record: a bug, whatever its answer
        raise RuntimeError(f"{request.method} {request.path} wrote {sorted(g.lms_wrote)}")
    if not db.session().in_transaction():
        return response  # committed already (commit_now) and nothing since
    if response.status_code < 400 and not g.get("lms_failed"):
        db.session.commit()
    else:
        db.session.rollback()
    return response


def commit_now():
    """Commit the request's work at once, the loaded objects kept as they are (not expired):
    for a decision taken under a row lock (a seat in a course) whose answer is only read, so
    that the lock ends with the decision, not after the answer is built. Anything the request
    writes afterwards is its own transaction, which the boundary commits or rolls back as
    usual. Called by the view of a single decision, never by a service (a service's caller may
    have more to write in the same transaction)."""
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        db.session.commit()
    finally:
        session.expire_on_commit = expire


#: connection.info keys: the transaction commits without waiting for the disk (commit_early);
#: the statements sent with its COMMIT (at_commit). Both are forgotten at a rollback or when the
#: connection goes back to the pool.
_EARLY = "lms_commit_early"
_AT_COMMIT = "lms_at_commit"


def commit_early():
    """Let this transaction's commit release its locks before its WAL reaches the disk
    (PostgreSQL; nothing on SQLite); the answer still waits for the disk.

    A decision serialised by a row lock (a seat in a course) holds the lock until the commit; a
    synchronous commit holds it through the disk's flush too (3-4 ms on a virtual disk), so one
    course decides at most a few hundred requests a second whatever the CPU. The commit is then
    sent as ``SET LOCAL synchronous_commit TO off; COMMIT; SELECT pg_current_xact_id()`` in one
    round trip (:func:`_commit_in_one_round_trip`): the commit record is written and the locks
    released at once, and the next decider goes on; the last statement is a second, empty
    transaction of its own that writes a commit record, so its synchronous commit waits, as
    every synchronous commit does, until the WAL up to it, the first commit included, is on
    disk, and only then does the round trip end. Many requests wait for the disk together
    (PostgreSQL flushes their commits at once), none of them under a lock, and none is answered
    before its work is durable. What a crash before the flush loses, it loses in the WAL's
    order: nobody was told.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.connection().info[_EARLY] = True


def at_commit(connection, statement):
    """Run ``statement`` (SQL without parameters) last in ``connection``'s transaction: on
    PostgreSQL in the COMMIT's own round trip (a row it locks is held for no round trip at
    all), elsewhere at once."""
    if connection.dialect.name == "postgresql":
        connection.info.setdefault(_AT_COMMIT, []).append(statement)
    else:
        connection.exec_driver_sql(statement)


@event.listens_for(Engine, "commit")
def _commit_in_one_round_trip(connection):
    """PostgreSQL, a transaction with statements to send at its commit or an early commit: one
    simple query holds them, the COMMIT and, for an early commit, the wait for the disk
    (:func:`commit_early`). The driver's own commit, which SQLAlchemy calls next, then finds no
    transaction open and sends nothing."""
    last = connection.info.pop(_AT_COMMIT, None)
    early = connection.info.pop(_EARLY, False)
    if not (last or early):
        return
    sql = [*(last or ())]
    if early:
        sql += ["SET LOCAL synchronous_commit TO off", "COMMIT", "SELECT pg_current_xact_id()"]
    else:
        sql.append("COMMIT")
    connection.exec_driver_sql("; ".join(sql))


def forget_with_transaction(*keys):
    """Forget the ``connection.info`` ``keys`` (notes about the open transaction) at its
    rollback and when the connection goes back to the pool."""

    def at_rollback(connection):
        if connection.invalidated:
            # the connection died (the server restarted): its info cannot be reached until the
            # rollback ends, and the pool's checkin forgets the keys with it
            return
        for key in keys:
            connection.info.pop(key, None)

    def on_return(_dbapi_connection, record):
        for key in keys:
            record.info.pop(key, None)

    event.listen(Engine, "rollback", at_rollback)
    event.listen(Pool, "checkin", on_return)


forget_with_transaction(_EARLY, _AT_COMMIT)


def discard():
    """Roll the request's changes back now (the page then shows what is stored) and for good:
    whatever its response, nothing of it is committed."""
    db.session.rollback()
    g.lms_failed = True


class Outcome:
    """What :func:`attempt` saw: ``error`` is the domain error raised inside, or None."""

    error = None


@contextmanager
def attempt():
    """Run service calls whose refusal the view answers itself (a page with the reasons).

    A domain error raised inside is kept on the yielded :class:`Outcome` and the request's changes
    are rolled back.
    """
    outcome = Outcome()
    try:
        yield outcome
    except LmsError as error:
        discard()
        outcome.error = error


@contextmanager
def form_errors(form, details_form=None, rename=None):
    """Run a service call for a form; a domain error becomes the form's errors.

    The request's changes are then rolled back, and the view re-renders the form (with the status
    of :func:`lms.core.forms.form_status`, a 400). ``details_form`` and ``rename`` are those of
    :func:`lms.core.forms.apply_errors`.
    """
    from lms.core.forms import apply_errors

    with attempt() as outcome:
        yield
    if outcome.error is not None:
        apply_errors(form, outcome.error, details_form, rename)


@contextmanager
def flash_errors(category="danger"):
    """Run a service call for a button; a domain error becomes a flash message.

    The request's changes are then rolled back; the view goes on (usually to a redirect).
    """
    with attempt() as outcome:
        yield
    if outcome.error is not None:
        flash(str(outcome.error.message), category)


def error_lines(error):
    """A domain error for a terminal: its message, then each field's messages on a line (fields
    renamed by ``g.field_names``)."""
    names = g.get("field_names") or {}
    lines = [str(error.message)]
    for field, messages in error.fields.items():
        lines.append(f"  {names.get(field, field)}: " + "; ".join(str(m) for m in messages))
    return "\n".join(lines)


def command(f):
    """A CLI command's (or a job's) boundary: commit once when it returns, unless it discarded
    its work; roll back on any exception, and stop with status 1 and the message on a domain
    error."""

    @wraps(f)
    def wrapper(*args, **kwargs):
        # a command may run in an app context that outlives it (tests, a job worker)
        g.pop("lms_failed", None)
        g.pop("field_names", None)
        try:
            result = f(*args, **kwargs)
        except LmsError as error:
            db.session.rollback()
            raise click.ClickException(error_lines(error)) from error
        except BaseException:
            db.session.rollback()
            raise
        if g.get("lms_failed"):
            db.session.rollback()
        else:
            db.session.commit()
        return result

    return wrapper
