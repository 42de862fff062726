"""The JSON API under /api/v1 (flask-smorest); its OpenAPI document is /api/v1/openapi.json."""

from flask import g, request
from flask_login import current_user
from flask_smorest import Api
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from lms.extensions import csrf
from lms.web import is_api_request


def load_token_user():
    """Authenticate an API request by its bearer token; an invalid token leaves it anonymous.

    The site's own pages (the offline roster) may call the API with the login session instead,
    but only with a valid ``X-CSRFToken`` header, so another site cannot use a visitor's cookie.
    """
    if not is_api_request():
        return
    from lms.auth.services import api_token_row

    g.api_user = g.api_token = None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        row = api_token_row(token.strip())
        if row is not None:
            g.api_token, g.api_user = row, row.user
    elif request.headers.get("X-CSRFToken") and current_user.is_authenticated:
        try:
            validate_csrf(request.headers["X-CSRFToken"])
        except ValidationError:
            return
        g.api_user = current_user._get_current_object()


def init_app(app):
    """Create the app's Api (flask-smorest keeps one app per Api) and register the blueprints.

    Every API blueprint is CSRF-exempt: the API authenticates by bearer token, never by cookie.
    """
    from . import (
        attendance,
        catalog,
        certificates,
        enrollments,
        excuses,
        field,
        groups,
        jobs,
        me,
        partners,
        regencies,
        reports,
        tokens,
        users,
    )
    from .messages import fields_from_messages

    api = Api(app)
    # the error handlers (lms.core.http) turn webargs' messages into API.md's fields with it
    app.extensions["api_validation_fields"] = fields_from_messages
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    app.before_request(load_token_user)
    for module in (
        tokens,
        me,
        users,
        regencies,
        partners,
        catalog,
        enrollments,
        groups,
        attendance,
        excuses,
        field,
        certificates,
        reports,
        jobs,
    ):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    app.extensions["lms_api"] = api
