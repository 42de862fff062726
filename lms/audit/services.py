"""Writing audit entries (in the caller's transaction; append-only) and reading a record's."""

from flask import has_request_context, request
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import joinedload

from lms.core.types import utcnow
from lms.extensions import db

from .models import AuditEntry


def record(action, obj=None, actor=None, object_type=None, object_id=None, **data):
    """Add an audit entry for ``action`` on ``obj`` by ``actor``; flushed with the caller's work."""
    if obj is not None:
        object_type = object_type or type(obj).__name__.lower()
        object_id = obj.id
    entry = AuditEntry(
        action=action,
        actor_id=getattr(actor, "id", None),
        object_type=object_type or "",
        object_id=object_id,
        data=data,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def entry_values(action, object_type, object_id=None, actor=None, **data):
    """The columns of an entry (the request's address with them), for a statement that writes
    it: :func:`write`, or a caller's statement that writes the object with it."""
    return {
        "at": utcnow(),
        "action": action,
        "actor_id": getattr(actor, "id", None),
        "object_type": object_type,
        "object_id": object_id,
        "data": data,
        "ip": request.remote_addr if has_request_context() else None,
    }


def write(action, obj, actor=None, **data):
    """:func:`record`, written at once with one INSERT of its own (nothing added to the session,
    no flush): for a busy path whose object was flushed already. Same row, same transaction.
    Returns the entry's id."""
    # Core's INSERT on the session's connection: compiled once, no ORM bulk path
    values = entry_values(action, type(obj).__name__.lower(), obj.id, actor, **data)
    return db.session.connection().execute(_INSERT, values).scalar_one()


def amend(entry_id, action):
    """Correct the action of an entry :func:`write` made in this transaction, when what it
    recorded turned out otherwise before the commit (an enrolment written for its likely
    outcome: ``lms.enrollment.services.enroll``). Nobody saw the first action."""
    db.session.connection().execute(_AMEND, {"entry_id": entry_id, "action": action})


_INSERT = insert(AuditEntry.__table__).returning(AuditEntry.id)
_AMEND = (
    update(AuditEntry.__table__)
    .where(AuditEntry.id == bindparam("entry_id"))
    .values(action=bindparam("action"))
)


def history(obj):
    """The entries about ``obj``, oldest first, with who made them."""
    return db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .where(AuditEntry.object_type == type(obj).__name__.lower(), AuditEntry.object_id == obj.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
