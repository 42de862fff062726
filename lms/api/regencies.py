"""GET /api/v1/regencies."""

from marshmallow import Schema, fields

from lms.regions.services import list_regencies

from .blueprint import Blueprint

blp = Blueprint("api_regencies", __name__, description="Regencies of origin")


class RegencySchema(Schema):
    code = fields.String()
    name = fields.String()


@blp.route("/regencies")
@blp.response(200, RegencySchema(many=True))
def regencies():
    """The regencies and cities a trainee can come from."""
    return list_regencies()
