"""URL helpers: safe redirects and absolute links for messages."""

from flask import current_app, has_request_context, url_for
from werkzeug.routing import IntegerConverter

from lms.core.inputs import DB_INT_MAX


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` that refuses ids beyond a database integer (404 rather than an overflow)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def safe_next(target, default):
    """``target`` if it is a path on this site, else ``default``.

    Browsers drop tabs and newlines from a URL ("/\\t/evil" becomes "//evil"): any control
    character is refused, as are a second slash or a backslash that turn the path into a host.
    """
    target = target or ""
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return default
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def public_base():
    """The site's public address without a trailing slash: PUBLIC_BASE_URL, never the request's
    Host (a forged one would carry a reset token away); production refuses to start without it."""
    return (current_app.config.get("PUBLIC_BASE_URL") or "http://localhost").rstrip("/")


def public_url(endpoint, **values):
    """An absolute URL on :func:`public_base`, for a message, a QR code or a credential; in a
    request or outside one (a command, a job)."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return public_base() + path
