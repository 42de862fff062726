"""POST /api/v1/tokens and DELETE /api/v1/tokens/current."""

from flask import g
from flask_babel import gettext as _
from marshmallow import Schema, fields

from lms.auth import services
from lms.auth.limits import limit_login
from lms.auth.permissions import login_required
from lms.errors import InvalidInput, Unauthorized

from .blueprint import Blueprint
from .schemas import UserBrief

blp = Blueprint("api_tokens", __name__, description="Bearer tokens")


class TokenRequest(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True)


class TokenResponse(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    user = fields.Nested(UserBrief)


@blp.route("/tokens", methods=["POST"])
@limit_login
@blp.arguments(TokenRequest)
@blp.response(201, TokenResponse)
def create_token(data):
    """Exchange an e-mail and password for a bearer token."""
    user = services.authenticate(data["email"], data["password"])
    if user is None:
        raise Unauthorized(_("The e-mail or the password is wrong."))
    token, row = services.issue_api_token(user)
    return {"token": token, "expires_at": row.expires_at, "user": user}


@blp.route("/tokens/current", methods=["DELETE"])
@login_required
@blp.response(204)
def revoke_token():
    """Revoke the token used for this request."""
    if g.api_token is None:
        raise InvalidInput(_("This request was not made with a token."), code="no_token")
    services.revoke_api_token(g.api_token)
