"""Login sessions: the server-side record behind a session cookie and a remember-me cookie.

The cookies carry a random token (Flask-Login's id, see ``User.get_id``); the row keeps its hash.
Logging out deletes the row, so a copy of either cookie taken before stops working at once.
Services flush; the caller commits.
"""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from lms.core.types import utcnow
from lms.extensions import db

from .models import LoginSession, User


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime():
    """REMEMBER_COOKIE_DURATION (seconds or a timedelta): no login outlives its remember cookie."""
    duration = current_app.config["REMEMBER_COOKIE_DURATION"]
    return duration if isinstance(duration, timedelta) else timedelta(seconds=int(duration))


def start(user):
    """Open a login session for ``user`` and attach it (``login_user`` then stores its token).

    The account's expired sessions are deleted on the way, so the table does not grow.
    """
    now = utcnow()
    db.session.execute(
        delete(LoginSession).where(LoginSession.user_id == user.id, LoginSession.expires_at <= now)
    )
    token = secrets.token_urlsafe(32)
    row = LoginSession(
        user_id=user.id, token_hash=_hash(token), created_at=now, expires_at=now + _lifetime()
    )
    db.session.add(row)
    db.session.flush()
    user.login_session, user.login_token = row, token
    return token


def load(token):
    """The active user of a live login session with this token, or None; one query."""
    if not isinstance(token, str) or not token:
        return None
    found = db.session.execute(
        select(User, LoginSession)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            LoginSession.token_hash == _hash(token),
            LoginSession.expires_at > utcnow(),
            User.active.is_(True),
        )
    ).first()
    if found is None:
        return None
    user, row = found
    user.login_session, user.login_token = row, token
    return user


def end(user):
    """End the login session ``user`` acts in (logout); other devices stay logged in."""
    if user.login_session is not None:
        db.session.execute(delete(LoginSession).where(LoginSession.id == user.login_session.id))
        user.login_session = user.login_token = None


def end_all(user, keep=None):
    """End every login session of ``user`` but ``keep`` (a LoginSession, or None for all)."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    db.session.execute(query)
