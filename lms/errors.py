"""Domain exceptions and the one place that turns errors into HTML pages or API JSON."""

from flask import g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, SecurityError


class LmsError(Exception):
    """Base of the domain errors; ``status`` is the HTTP status it maps to."""

    status = 400
    code = "invalid"

    def __init__(self, message, fields=None, code=None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class InvalidInput(LmsError):
    """Bad or inadmissible input (400); ``fields`` maps a field to its messages."""

    status = 400
    code = "invalid"


class Unauthorized(LmsError):
    """Not authenticated, or bad credentials (401)."""

    status = 401
    code = "unauthorized"


class Forbidden(LmsError):
    """Authenticated but not allowed (403)."""

    status = 403
    code = "forbidden"


class NotFound(LmsError):
    """Absent, or not visible to this user (404)."""

    status = 404
    code = "not_found"


class Conflict(LmsError):
    """A state conflict (409): already enrolled, full, already issued."""

    status = 409
    code = "conflict"


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
}


def wants_json():
    """API paths always answer JSON."""
    return request.path.startswith("/api/")


def json_error(status, code, message, fields=None):
    """The API error body of API.md."""
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
    return jsonify(body), status


def _http_error(error):
    if isinstance(error, SecurityError) and not wants_json():
        # a Host outside TRUSTED_HOSTS: no URL can be built, so no page with links either
        return error.get_response()
    status = error.code or 500
    message = HTTP_MESSAGES.get(status) or error.description
    if wants_json():
        messages = (getattr(error, "data", None) or {}).get("messages")
        if status == 400 and messages:
            # webargs/marshmallow validation (lms.api.blueprint): the messages per field, translated
            from lms.api.validation import fields_from_messages

            return json_error(400, "invalid", HTTP_MESSAGES[422], fields_from_messages(messages))
        return json_error(status, HTTP_CODES.get(status, "error"), message)
    return render_template("errors/error.html", status=status, message=message), status


def _domain_error(error):
    from lms.extensions import db

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
    from lms.extensions import db

    db.session.rollback()
    message = _("Something went wrong on our side. Please try again later.")
    if wants_json():
        return json_error(500, "server_error", message)
    return render_template("errors/error.html", status=500, message=message), 500


def init_app(app):
    """Register the handlers for every HTTP error, the domain errors and unexpected failures."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(LmsError, _domain_error)
    app.register_error_handler(500, _server_error)
