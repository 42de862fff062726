"""GET and POST /api/v1/users (staff, admin)."""

from flask import g
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms.auth import services
from lms.auth.models import GENDERS, ROLES, TARGET_GROUPS
from lms.auth.permissions import roles_required
from lms.errors import Forbidden
from lms.templating import mask_nik
from lms.users.services import search_users

from .blueprint import Blueprint
from .schemas import PageArgs, UserSchema, page_of, page_schema


class UserListItem(UserSchema):
    """A user in a list: the NIK masked but for its last four digits, as on the staff pages (a
    full NIK is shown one person at a time, audited, or exported with an audit entry)."""

    nik = fields.Function(lambda user: mask_nik(user.nik) or None)


UserPage = page_schema(UserListItem)


blp = Blueprint("api_users", __name__, description="User accounts")


class UserListArgs(PageArgs):
    role = fields.String(validate=validate.OneOf(ROLES))
    q = fields.String(validate=validate.Length(max=100))


class UserCreate(Schema):
    #: optional for a trainee given a phone number
    email = fields.String(allow_none=True)
    password = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    partner_id = fields.Integer(allow_none=True)
    nik = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    phone = fields.String(allow_none=True)
    regency = fields.String(allow_none=True)
    target_group = fields.String(allow_none=True, validate=validate.OneOf(TARGET_GROUPS))
    locale = fields.String(allow_none=True, validate=validate.OneOf(("id", "en")))
    preferred_channel = fields.String(allow_none=True, validate=validate.Length(max=40))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _email_or_phone(self, data, original, **_kwargs):
        # a value sent but refused has its own message already
        sent = original if isinstance(original, dict) else {}
        if not any(data.get(name) or sent.get(name) for name in ("email", "phone")):
            raise ValidationError("Missing data for required field.", "email")


@blp.route("/users")
@roles_required("staff")
@blp.arguments(UserListArgs, location="query")
@blp.response(200, UserPage)
def list_users(args):
    """Users, filtered by role and a search over name and e-mail; NIKs masked."""
    query = search_users(args.get("role"), args.get("q"))
    return page_of(query, args, lambda user: user)


@blp.route("/users", methods=["POST"])
@roles_required("staff")
@blp.arguments(UserCreate)
@blp.response(201, UserSchema)
def create_user(data):
    """Create an account; staff create trainees and trainers, admins any role."""
    actor = g.api_user
    if data["role"] in ("staff", "admin") and actor.role != "admin":
        from flask_babel import gettext as _

        raise Forbidden(_("Only an administrator can create staff or administrator accounts."))
    data["regency_code"] = data.pop("regency", None)
    g.field_names = {"regency_code": "regency"}  # the service names the column
    return services.create_user(actor=actor, **data)
