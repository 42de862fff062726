"""Static files for a phone on slow mobile data: URLs that carry a hash of the file's content
(``?v=``), kept a year by the browser when the hash matches, and no session cookie on them.

A URL whose hash does not match the file (an old page asking after a deploy) still gets the
file, with ``Cache-Control: no-cache``: the browser asks again next time.
"""

import hashlib
import os
from functools import cache

from flask import current_app, request, url_for
from flask.sessions import SecureCookieSessionInterface

#: the endpoints that serve static files: the app's own and Bootstrap-Flask's
ASSET_ENDPOINTS = frozenset({"static", "bootstrap.static"})


@cache
def _file_hash(path, mtime):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:10]


def _folder(endpoint):
    """The folder an asset endpoint serves from."""
    if endpoint == "static":
        return current_app.static_folder
    return current_app.blueprints[endpoint.rpartition(".")[0]].static_folder


def asset_version(filename, endpoint="static"):
    """A short hash of a static file's content; "0" when the file is missing."""
    path = os.path.join(_folder(endpoint), filename)
    try:
        return _file_hash(path, os.stat(path).st_mtime_ns)
    except OSError:
        return "0"


def static_url(filename, endpoint="static"):
    """The URL of a static file with a short hash of its content: a changed script or style sheet
    gets a new URL, so no phone keeps running an old copy from its cache."""
    return url_for(endpoint, filename=filename, v=asset_version(filename, endpoint))


def cache_hashed_assets(response):
    """A static file asked for under its current hash is kept a year and never revalidated."""
    if request.endpoint not in ASSET_ENDPOINTS or response.status_code not in (200, 304):
        return response
    version = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if version and filename and version == asset_version(filename, request.endpoint):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = int(current_app.config["STATIC_IMMUTABLE_MAX_AGE"])
        response.cache_control.immutable = True
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that a static file never sets the cookie nor says
    ``Vary: Cookie`` (a new session cookie after logging in would otherwise miss the cache)."""

    def open_session(self, app, request):
        # no cookie (an API client with a token, a first visit): an empty session, without
        # building the signing serializer for a cookie that is not there
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if request.endpoint in ASSET_ENDPOINTS and not session.modified:
            return
        super().save_session(app, session, response)


def init_app(app):
    app.session_interface = SessionInterface()
    app.after_request(cache_hashed_assets)
