"""Field attendance: walk-ins added at a session, the trainee's attendance card, card scans.

The rules live in :mod:`lms.attendance.walkins` and :mod:`lms.attendance.cards`; marks are
written by ``save_marks`` (sources ``walk_in`` and ``scan``), audited like every other mark.
"""

from flask import current_app, url_for
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from lms.attendance import cards, services, walkins
from lms.auth.permissions import current_actor, roles_required
from lms.core.downloads import attachment
from lms.errors import NotFound

from .blueprint import Blueprint
from .messages import N_


def _card_print():
    """The card files' module, imported on first use: ReportLab and segno stay out of the app's
    start and of the pages that make no card."""
    from lms.attendance import card_print

    return card_print


blp = Blueprint("api_field", __name__, description="Walk-ins, attendance cards and card scans")

CHOICE = N_("Not a valid choice.")


class WalkInBody(Schema):
    """The body of POST /api/v1/sessions/{id}/walk-ins."""

    #: full name as on the KTP
    name = fields.String(required=True, validate=validate.Length(max=200))
    #: mobile number (08..., 628..., +628...)
    phone = fields.String(required=True, validate=validate.Length(max=30))
    #: the 16-digit NIK, when the person carries their KTP
    nik = fields.String(allow_none=True, validate=validate.Length(max=40))
    #: an e-mail address, when the person has one (they can then claim the account by e-mail)
    email = fields.String(allow_none=True, validate=validate.Length(max=254))
    gender = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    #: a code from GET /api/v1/regencies
    regency = fields.String(allow_none=True)
    target_group = fields.String(allow_none=True)
    #: present (the default) or late
    status = fields.String(
        allow_none=True, validate=validate.OneOf(walkins.WALK_IN_STATUSES, error=CHOICE)
    )
    #: the client's id of this walk-in (a UUID): sent twice, the person is added once
    batch_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))


class WalkInResult(Schema):
    user_id = fields.Integer()
    enrollment_id = fields.Integer()
    #: present or late
    status = fields.String()
    #: whether an account was created (false: an existing person was found)
    created = fields.Boolean()
    name = fields.String()


class CardOut(Schema):
    #: the short code printed under the QR code (groups of four)
    code = fields.String()
    svg_url = fields.String()
    pdf_url = fields.String()


class ScanBody(Schema):
    """The body of POST /api/v1/sessions/{id}/scan."""

    #: the code read from the card's QR code, or typed (dashes and case do not matter)
    card = fields.String(required=True, validate=validate.Length(max=200))
    #: the client's id of this scan (a UUID): sent twice, it is applied once
    batch_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    #: when the card was scanned, with its offset (a scan queued offline is sent later); now
    #: when left out, without an offset, or implausible
    scanned_at = fields.DateTime(allow_none=True)


class Brief(Schema):
    id = fields.Integer()
    name = fields.String()


class ScanResult(Schema):
    enrollment_id = fields.Integer()
    trainee = fields.Nested(Brief)
    #: present, or late past the grace period (a mark already present or late stays)
    status = fields.String()
    #: how the mark was made (scan, or checkin / trainer when it was there before the scan)
    source = fields.String()


@blp.route("/sessions/<int:session_id>/walk-ins", methods=["POST"])
@roles_required("trainer", "staff")
@blp.arguments(WalkInBody)
@blp.response(201, WalkInResult)
def add_walk_in(data, session_id):
    """Add a person who walked in (the course's trainers, staff): found by NIK, e-mail, or phone
    and name, else created without a password; enrolled with the origin ``walk_in`` (409 full,
    400 not eligible, with reasons) and marked present or late."""
    actor = current_actor()
    session = services.session_for(actor, session_id)
    return walkins.add_walk_in(session, data, actor, batch_id=data.get("batch_id"))


def _own_card():
    card = cards.card_of(current_actor())
    if card is None:
        raise NotFound(_("You have no attendance card yet. Ask the office for one."))
    return card


@blp.route("/me/card")
@roles_required("trainee")
@blp.response(200, CardOut)
def my_card():
    """The trainee's attendance card: its code, its QR code (SVG) and a card to print (PDF)."""
    card = _own_card()
    return {
        "code": card.printed_code,
        "svg_url": url_for("api_field.my_card_svg", _external=True),
        "pdf_url": url_for("api_field.my_card_pdf", _external=True),
    }


@blp.route("/me/card.svg")
@roles_required("trainee")
@blp.response(200, content_type="image/svg+xml")
def my_card_svg():
    """The QR code of the trainee's card."""
    body = _card_print().qr_svg(_own_card(), _("Attendance card"))
    response = current_app.response_class(body, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("/me/card.pdf")
@roles_required("trainee")
@blp.response(200, content_type="application/pdf")
def my_card_pdf():
    """The trainee's card to print (A6, the card at wallet size)."""
    user = current_actor()
    return attachment(
        _card_print().single_pdf(user.name, _own_card()), "attendance-card.pdf", "application/pdf"
    )


@blp.route("/sessions/<int:session_id>/scan", methods=["POST"])
@roles_required("trainer", "staff")
@blp.arguments(ScanBody)
@blp.response(200, ScanResult)
def scan(data, session_id):
    """Mark the holder of a scanned or typed card (the course's trainers, staff): present, or
    late past the check-in grace period. 404 for an unknown, revoked or foreign card (one
    answer); 403 when the session may not be marked now."""
    actor = current_actor()
    session = services.session_for(actor, session_id)
    enrollment, mark = cards.scan(
        session,
        data["card"],
        actor,
        batch_id=data.get("batch_id"),
        scanned_at=data.get("scanned_at"),
    )
    return {
        "enrollment_id": enrollment.id,
        "trainee": enrollment.user,
        "status": mark.status,
        "source": mark.source,
    }
