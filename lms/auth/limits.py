"""Rate limits for logging in (HTML form and API token)."""

from flask import current_app, request
from flask_limiter.util import get_remote_address

from lms.extensions import limiter


def _account_key():
    """Address plus the e-mail being tried: slows guessing one account without locking a class."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(data, "get"):  # a JSON list, string or number: the view answers 400
        data = {}
    email = str(data.get("email") or "").strip().lower()
    return f"{get_remote_address()}|{email}"


login_limits = (
    limiter.limit(
        lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_account_key, methods=["POST"]
    ),
    limiter.limit(lambda: current_app.config["LOGIN_IP_RATE_LIMIT"], methods=["POST"]),
)


def limit_login(view):
    """Apply both login limits to a view."""
    for decorate in login_limits:
        view = decorate(view)
    return view
