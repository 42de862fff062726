"""GET /api/v1/me."""

from flask import g

from lms.auth.permissions import login_required

from .blueprint import Blueprint
from .schemas import UserSchema

blp = Blueprint("api_me", __name__, description="The current user")


@blp.route("/me")
@login_required
@blp.response(200, UserSchema)
def me():
    """The token user's account and profile."""
    return g.api_user
