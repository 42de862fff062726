"""The check-in rate limit: one budget per trainee across the check-in page and the API, so that
a 6-digit code cannot be guessed through either."""

from flask import current_app
from flask_limiter.util import get_remote_address

from lms.auth.permissions import current_actor
from lms.extensions import limiter


def _checkin_key():
    """Per trainee (a class may share one address); per address before authentication."""
    actor = current_actor()
    if actor is not None:
        return f"checkin|{actor.id}"
    return f"checkin|{get_remote_address()}"


def _checkin_limit():
    """Read at request time, so that the setting (or a test) can change it."""
    return current_app.config["CHECKIN_RATE_LIMIT"]


#: decorator for every view that takes a check-in code
limit_checkin = limiter.shared_limit(
    _checkin_limit, scope="checkin", key_func=_checkin_key, methods=["POST"]
)
