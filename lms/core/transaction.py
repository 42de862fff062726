"""The one transaction boundary: a request, a CLI command or a job commits once, or rolls back.

Services only flush. The boundary commits after a view returned a response below 400 and rolls back
after anything else: an error response, an exception, or a domain error that a view turned into a
form's errors or a flash message with :func:`form_errors` / :func:`flash_errors`. Views, API
endpoints, commands and jobs never commit, roll back or catch ``LmsError`` themselves (indico's
``RH.process``).
"""

from contextlib import contextmanager
from functools import wraps

import click
from flask import flash, g, has_request_context, request
from sqlalchemy import event
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
    if response.status_code < 400 and not g.get("lms_failed"):
        db.session.commit()
    else:
        db.session.rollback()
    return response


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
