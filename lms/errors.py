"""The domain's exceptions: what a service raises when it refuses (no HTTP here; the handlers
that answer them are in :mod:`lms.core.http`)."""


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
