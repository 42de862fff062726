"""POST /api/v1/tokens and DELETE /api/v1/tokens/current."""

from flask import g
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validates_schema

from lms.auth import services
from lms.auth.limits import limit_login
from lms.auth.permissions import login_required
from lms.errors import InvalidInput, Unauthorized

from .blueprint import Blueprint
from .schemas import UserBrief

blp = Blueprint("api_tokens", __name__, description="Bearer tokens")


class TokenRequest(Schema):
    """An e-mail address or a mobile number (an account without e-mail), and the password."""

    email = fields.String()
    phone = fields.String()
    password = fields.String(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _one_account(self, data, **_kwargs):
        if not (data.get("email") or data.get("phone")):
            # marshmallow's own words (translated with its other messages): e-mail is the field
            raise ValidationError("Missing data for required field.", "email")


class TokenResponse(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    user = fields.Nested(UserBrief)


@blp.route("/tokens", methods=["POST"])
@limit_login
@blp.arguments(TokenRequest)
@blp.response(201, TokenResponse)
def create_token(data):
    """Exchange an e-mail address (or a mobile number) and a password for a bearer token."""
    if data.get("email"):
        user = services.authenticate(data["email"], data["password"])
        wrong = _("The e-mail or the password is wrong.")
    else:
        user = services.authenticate(data["phone"], data["password"])
        wrong = _("The mobile number or the password is wrong.")
    if user is None:
        raise Unauthorized(wrong)
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
