"""The JSON API under /api/v1 (flask-smorest); its OpenAPI document is /api/v1/openapi.json."""

from flask import g, request

from lms.extensions import api, csrf


def load_token_user():
    """Authenticate a request by its bearer token; an invalid token leaves it anonymous."""
    from lms.auth.services import api_token_row

    g.api_user = g.api_token = None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        row = api_token_row(token.strip())
        if row is not None:
            g.api_token, g.api_user = row, row.user


def init_app(app):
    """Register the API blueprints; each is CSRF-exempt (token auth, no cookies)."""
    from . import me, regencies, tokens, users

    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for module in (tokens, me, users, regencies):
        module.blp.before_request(load_token_user)
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix="/api/v1")
