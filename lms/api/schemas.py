"""Marshmallow schemas shared by the API endpoints."""

from marshmallow import Schema, fields, validate

#: the highest page number accepted
MAX_PAGE = 1_000_000


class PageArgs(Schema):
    """?page= and ?per_page= (at most 100)."""

    #: bounded so that the offset fits a database integer (a huge page is bad input, not a 500)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    #: more than 100 is served as 100
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1))


def page_schema(item_schema):
    """The list body of API.md (``items``, ``page``, ``per_page``, ``total``) for one kind of
    item, named after it in the OpenAPI document (CourseSchema: CoursePage)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=item_schema.__name__.removesuffix("Schema") + "Page",
    )


def page_of(query, args, dump):
    """The list body of API.md for one page of a select, each item passed through ``dump``."""
    from lms.extensions import db

    page = db.paginate(
        query, page=args["page"], per_page=min(args["per_page"], 100), error_out=False
    )
    return {
        "items": [dump(item) for item in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
    }


class UserBrief(Schema):
    id = fields.Integer()
    role = fields.String()
    name = fields.String()


class UserSchema(Schema):
    """A user as staff and the user see it (never on a public endpoint)."""

    id = fields.Integer()
    email = fields.String(allow_none=True)
    name = fields.String()
    role = fields.String()
    partner_id = fields.Integer(allow_none=True)
    #: the channel messages go through first: email, sms, whatsapp (or a plugin's)
    preferred_channel = fields.String()
    locale = fields.String(allow_none=True)
    nik = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    gender = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    regency = fields.String(attribute="regency_code", allow_none=True)
    target_group = fields.String(allow_none=True)
    profile_complete = fields.Boolean()
    created_at = fields.DateTime()
