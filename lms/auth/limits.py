"""Rate limits for logging in (the login page and POST /api/v1/tokens), password reset and
registration.

Guesses at one account's password share one budget, LOGIN_RATE_LIMIT, wherever they come from
and whichever door they use: it is keyed on the account identifier as ``authenticate`` reads it.
Each client address has LOGIN_IP_RATE_LIMIT over both doors as well. The address is
``request.remote_addr``: X-Forwarded-For counts only through ProxyFix, that is only when
PROXY_COUNT says how many proxies stand in front (lms/__init__.py), and then only the entry the
nearest of them added.
"""

from flask import current_app, request
from flask_limiter.util import get_remote_address

from lms.extensions import limiter

from .services import login_identifier


def _submitted_account():
    """The account identifier a login or reset request names (JSON or form), normalised: its
    e-mail address, or its mobile number (+62...), so that both spellings share one budget."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(data, "get"):  # a JSON list, string or number: the view answers 400
        data = {}
    return login_identifier(str(data.get("email") or data.get("phone") or ""))


def _account_key():
    return f"account|{_submitted_account()}"


def _address_key():
    return f"address|{get_remote_address()}"


def _setting(name):
    """A limit read at request time, so that the setting (or a test) can change it."""
    return lambda: current_app.config[name]


#: one budget per account and one per address, shared by the login page and the API token
login_limits = (
    limiter.shared_limit(
        _setting("LOGIN_RATE_LIMIT"), "login-account", key_func=_account_key, methods=["POST"]
    ),
    limiter.shared_limit(
        _setting("LOGIN_IP_RATE_LIMIT"), "login-address", key_func=_address_key, methods=["POST"]
    ),
)
#: entering a reset code: budgets of its own, of the login's size (guesses at a code must not
#: lock the account's logins)
reset_limits = (
    limiter.limit(_setting("LOGIN_RATE_LIMIT"), key_func=_account_key, methods=["POST"]),
    limiter.limit(_setting("LOGIN_IP_RATE_LIMIT"), key_func=_address_key, methods=["POST"]),
)
#: asking for a reset link or code: each one a message sent (an SMS the office pays for), so a
#: tighter budget per account (RESET_SEND_RATE_LIMIT), from any address: nobody fills a
#: mailbox or a phone, nor the office's SMS bill
send_limits = (
    limiter.limit(_setting("RESET_SEND_RATE_LIMIT"), key_func=_account_key, methods=["POST"]),
    limiter.limit(_setting("LOGIN_IP_RATE_LIMIT"), key_func=_address_key, methods=["POST"]),
)


def _apply(view, limits):
    for decorate in limits:
        view = decorate(view)
    return view


def limit_login(view):
    """Apply the login limits to a view (the login page, the API token)."""
    return _apply(view, login_limits)


def limit_reset(view):
    """Apply the limits of entering a reset code to a view."""
    return _apply(view, reset_limits)


def limit_reset_request(view):
    """Apply the limits of asking for a reset link or code to a view."""
    return _apply(view, send_limits)


def _refused(response):
    """A registration refused (400): the NIK, e-mail or number is taken, or the form has errors."""
    return response.status_code == 400


#: registrations per client address: all of them (REGISTER_RATE_LIMIT, generous: a class, or the
#: many phones behind a mobile operator's shared address, register together), and the refused
#: ones, which tell whether a NIK or an e-mail is registered (LOOKUP_RATE_LIMIT, tight)
registration_limits = (
    limiter.limit(_setting("REGISTER_RATE_LIMIT"), key_func=_address_key, methods=["POST"]),
    limiter.limit(
        _setting("LOOKUP_RATE_LIMIT"),
        key_func=_address_key,
        methods=["POST"],
        deduct_when=_refused,
        scope="register-refused",
    ),
)


def limit_registration(view):
    """Apply the registration limits to a view."""
    return _apply(view, registration_limits)


def _user_key():
    from flask_login import current_user

    return f"user:{current_user.get_id() and current_user.id}"


#: profile changes per account: the NIK check must not become a way to look up who is registered
limit_profile = limiter.limit(_setting("LOOKUP_RATE_LIMIT"), key_func=_user_key, methods=["POST"])
