"""The one place that turns errors into HTML pages or API JSON (API.md's error envelope).

A domain error (:mod:`lms.errors`) or an HTTP error raised anywhere ends here; the request's work
is rolled back. Under /api/ the answer is JSON, never an HTML page.
"""

import time

from flask import current_app, g, jsonify, make_response, render_template
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, SecurityError

from lms.errors import LmsError
from lms.extensions import db, limiter, login_manager
from lms.web import is_api_request as wants_json

from .outage import RETRY_AFTER, database_unavailable

#: messages for plain HTTP errors, by status
HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in first."),
    403: _l("You are not allowed to do this."),
    404: _l("This page or record does not exist."),
    405: _l("This method is not allowed here."),
    409: _l("This conflicts with the current state."),
    413: _l("The upload is too large."),
    422: _l("The input is not valid."),
    429: _l("Too many requests. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again later."),
    503: _l("Latih cannot be reached for a moment. Please try again in a minute."),
}
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


def json_error(status, code, message, fields=None):
    """The API error body of API.md."""
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
    return jsonify(body), status


def _too_large():
    """413's message with the size that is accepted (MAX_CONTENT_LENGTH, in MB)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return HTTP_MESSAGES[413]
    size = format_decimal(max(round(limit / 2**20, 1), 0.1))
    return _("The upload is too large: at most %(size)s MB is accepted.", size=size)


def _http_error(error):
    if isinstance(error, SecurityError) and not wants_json():
        # a Host outside TRUSTED_HOSTS: no URL can be built, so no page with links either
        return error.get_response()
    status = error.code or 500
    message = _too_large() if status == 413 else HTTP_MESSAGES.get(status) or error.description
    if wants_json():
        messages = (getattr(error, "data", None) or {}).get("messages")
        if status == 400 and messages:
            # webargs/marshmallow validation: the API registers how its messages become fields
            fields = current_app.extensions["api_validation_fields"](messages)
            return json_error(400, "invalid", HTTP_MESSAGES[422], fields)
        answer = json_error(status, HTTP_CODES.get(status, "error"), message)
    else:
        answer = render_template("errors/error.html", status=status, message=message), status
    return with_retry_after(make_response(*answer)) if status == 429 else answer


def with_retry_after(response):
    """A 429 of a rate limit with ``Retry-After``: the seconds until the limit that was reached
    lets the next request through (the end of its window)."""
    breached = limiter.current_limit
    if breached is not None:
        wait = int(breached.reset_at - time.time())
        response.headers["Retry-After"] = str(max(1, wait))
    return response


def _domain_error(error):
    db.session.rollback()
    if wants_json():
        # an endpoint may name a service's field otherwise (g.field_names)
        names = g.get("field_names") or {}
        fields = {names.get(k, k): [str(m) for m in v] for k, v in error.fields.items()}
        return json_error(error.status, error.code, error.message, fields)
    return render_template("errors/error.html", status=error.status, message=error.message), (
        error.status
    )


def _server_error(error):
    db.session.rollback()
    if database_unavailable(getattr(error, "original_exception", None)):
        return _unavailable()
    message = _("Something went wrong on our side. Please try again later.")
    if wants_json():
        return json_error(500, "server_error", message)
    return render_template("errors/error.html", status=500, message=message), 500


def _unavailable():
    """The database is away for a moment (:mod:`lms.core.outage`): 503, to be tried again in
    ``RETRY_AFTER`` seconds; the page asks the database nothing (its menu is an anonymous
    visitor's, its language the cookie's or the browser's)."""
    status, message = 503, HTTP_MESSAGES[503]
    if wants_json():
        response, _status = json_error(status, HTTP_CODES[status], message)
    else:
        g._login_user = login_manager.anonymous_user()  # what Flask-Login's current_user reads
        response = make_response(
            render_template("errors/error.html", status=status, message=message), status
        )
    response.status_code = status
    response.headers["Retry-After"] = str(RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    """Register the handlers for every HTTP error, the domain errors and unexpected failures."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(LmsError, _domain_error)
    app.register_error_handler(500, _server_error)
