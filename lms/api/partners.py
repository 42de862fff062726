"""GET /api/v1/partners (anyone) and POST /api/v1/partners (staff)."""

from marshmallow import Schema, fields, validate
from sqlalchemy import select

from lms.auth.permissions import current_actor, roles_required
from lms.core.time import local_today
from lms.partners import services
from lms.partners.models import PARTNER_KINDS, Partner

from .blueprint import Blueprint
from .schemas import PageArgs, page_of, page_schema

blp = Blueprint("api_partners", __name__, description="Partner institutions")


class PartnerSchema(Schema):
    """A partner institution as the public sees it."""

    id = fields.Integer()
    name = fields.String()
    kind = fields.String(validate=validate.OneOf(PARTNER_KINDS))
    #: the kind in the request's language
    kind_label = fields.Function(lambda p: str(p.kind_label))
    mou_number = fields.String(allow_none=True)
    mou_valid_until = fields.Date(allow_none=True)
    #: whether the MoU covers today (new courses need a valid MoU)
    mou_valid = fields.Function(lambda p: p.mou_valid_on(local_today()))
    address = fields.String(allow_none=True)


PartnerPage = page_schema(PartnerSchema)


class PartnerCreate(Schema):
    name = fields.String(required=True)
    #: a message that api/validation.py translates
    kind = fields.String(
        required=True, validate=validate.OneOf(PARTNER_KINDS, error="Not a valid choice.")
    )
    mou_number = fields.String(allow_none=True)
    mou_valid_until = fields.Date(allow_none=True)
    address = fields.String(allow_none=True)


@blp.route("/partners")
@blp.arguments(PageArgs, location="query")
@blp.response(200, PartnerPage)
def list_partners(args):
    """Every partner institution, by name."""
    query = select(Partner).order_by(Partner.name, Partner.id)
    return page_of(query, args, lambda partner: partner)


@blp.route("/partners", methods=["POST"])
@roles_required("staff")
@blp.arguments(PartnerCreate)
@blp.response(201, PartnerSchema)
def create_partner(data):
    """Add a partner institution; 409 when the name is taken."""
    partner = services.create_partner(data, actor=current_actor())
    return partner
