"""The JSON API under /api/v1 (flask-smorest); its OpenAPI document is /api/v1/openapi.json."""

from flask import g, request
from flask_smorest import Api

from lms.extensions import csrf


def load_token_user():
    """Authenticate an API request by its bearer token; an invalid token leaves it anonymous."""
    if not request.path.startswith("/api/"):
        return
    from lms.auth.services import api_token_row

    g.api_user = g.api_token = None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        row = api_token_row(token.strip())
        if row is not None:
            g.api_token, g.api_user = row, row.user


def init_app(app):
    """Create the app's Api (flask-smorest keeps one app per Api) and register the blueprints.

    Every API blueprint is CSRF-exempt: the API authenticates by bearer token, never by cookie.
    """
    from . import catalog, me, partners, regencies, tokens, users

    api = Api(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    app.before_request(load_token_user)
    for module in (tokens, me, users, regencies, partners, catalog):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.extensions["lms_api"] = api
