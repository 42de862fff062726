"""Certificates: issue a course's certificates, verify one by its code, download its PDF or its
Open Badges 3.0 credential, revoke it.

The rules (eligibility, serials, signatures, revocation) live in :mod:`lms.certificates.services`;
these endpoints check who may call them, call one service, leave the commit to the request boundary
and shape the answer. The public verification answers only what a certificate states (never the
holder's NIK, birth date or contact data) and is rate-limited per address so that codes cannot be
enumerated.
"""

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from lms.auth.permissions import current_actor, roles_required
from lms.catalog.models import Course
from lms.certificates import badges, pdf, services
from lms.certificates.models import REVOCATION_CATEGORIES
from lms.core.downloads import attachment
from lms.core.time import utc_to_local
from lms.errors import NotFound
from lms.extensions import course_types, db, limiter

from .blueprint import Blueprint

blp = Blueprint("api_certificates", __name__, description="Certificates and their verification")

#: the most enrolments one issuing request may name
MAX_IDS = 1000


# --- schemas ---------------------------------------------------------------------------------


class IssueBody(Schema):
    """The body of POST /api/v1/courses/{id}/certificates: leave ``enrollment_ids`` out to
    issue to every eligible enrolment of the course."""

    enrollment_ids = fields.List(
        fields.Integer(strict=True),
        validate=validate.Length(min=1, max=MAX_IDS),
        allow_none=True,
    )


class IssuedSchema(Schema):
    code = fields.String()
    serial = fields.String()
    enrollment_id = fields.Integer()
    holder_name = fields.String()
    #: the last day it is valid; null when it does not expire
    expires_on = fields.Date(allow_none=True)


class SkippedSchema(Schema):
    enrollment_id = fields.Integer()
    #: why no certificate was issued, in the request's language
    reasons = fields.List(fields.String())


class IssueResult(Schema):
    issued = fields.List(fields.Nested(IssuedSchema))
    skipped = fields.List(fields.Nested(SkippedSchema))


class ClaimDate(fields.String):
    """A date (YYYY-MM-DD) as the signed claims state it, shown as stored."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_none", True)
        kwargs.setdefault("metadata", {"format": "date"})
        super().__init__(**kwargs)


class CertifiedCourse(Schema):
    code = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    #: the course-type key
    type = fields.String()
    #: the course type in the request's language
    type_label = fields.String()
    starts_on = ClaimDate()
    ends_on = ClaimDate()
    hours = fields.Raw(allow_none=True, metadata={"type": "integer"})


class CertificateSchema(Schema):
    """What a certificate states, from its signed claims; never contact data or identity numbers."""

    code = fields.String()
    serial = fields.String()
    #: revoked, expired (its last valid day has passed) or valid
    status = fields.String(validate=validate.OneOf(("valid", "expired", "revoked")))
    #: null when the holder's personal data were erased at their request (the certificate
    #: stays valid and verifiable; it names nobody)
    holder_name = fields.String(allow_none=True)
    course = fields.Nested(CertifiedCourse)
    #: the partner institution that ran the course
    partner = fields.String()
    issuer = fields.String()
    issued_on = ClaimDate()
    #: the last day it is valid; null when it does not expire
    expires_on = ClaimDate()
    #: null while the certificate is valid
    revoked_on = ClaimDate()
    #: the public category of a revocation (error, fraud, withdrawn, superseded); never the
    #: staff's note
    revocation_reason = fields.String(
        allow_none=True, validate=validate.OneOf(REVOCATION_CATEGORIES)
    )
    #: the code of the certificate that replaced this one after a correction
    replaced_by = fields.String(allow_none=True)
    #: the code of the certificate this one replaces
    replaces = fields.String(allow_none=True)
    #: whether the stored claims carry a valid signature by a published key
    signature_valid = fields.Boolean()
    #: the public verification page (what the QR code on the PDF opens)
    verification_url = fields.String()


class RevokeBody(Schema):
    """The body of POST /api/v1/certificates/{code}/revoke."""

    #: the staff's note: kept in the record and the audit log, never shown publicly
    reason = fields.String(required=True, validate=validate.Length(max=500))
    #: what the public reads (default withdrawn); superseded comes only with a re-issue
    category = fields.String(
        load_default="withdrawn", validate=validate.OneOf(services.REVOKE_CATEGORIES)
    )


class ReissueBody(Schema):
    """The body of POST /api/v1/certificates/{code}/reissue."""

    #: what was corrected (the staff's note; never shown publicly)
    reason = fields.String(required=True, validate=validate.Length(max=500))


# --- helpers ---------------------------------------------------------------------------------


def public_view(certificate):
    """A certificate as anyone may see it: its signed claims, its status, whether it verifies."""
    claims = _claims(certificate)
    course = claims.get("course") if isinstance(claims.get("course"), dict) else {}
    course_type = (
        course_types.get(course.get("type")) if isinstance(course.get("type"), str) else None
    )
    replacement = services.replacement(certificate)
    predecessor = services.predecessor(certificate)
    return {
        "code": certificate.code,
        "serial": claims.get("serial", certificate.serial),
        "status": services.status(certificate),
        "holder_name": claims.get("holder"),
        "course": {
            "code": course.get("code"),
            "title": course.get("title"),
            "title_en": course.get("title_en"),
            "type": course.get("type"),
            "type_label": course_type.label(_locale()) if course_type else course.get("type"),
            "starts_on": claims.get("starts_on"),
            "ends_on": claims.get("ends_on"),
            "hours": claims.get("hours"),
        },
        "partner": claims.get("partner"),
        "issuer": claims.get("issuer"),
        "issued_on": claims.get("issued_on"),
        "revoked_on": (
            utc_to_local(certificate.revoked_at).date().isoformat()
            if certificate.revoked_at
            else None
        ),
        "expires_on": claims.get("expires_on"),
        "revocation_reason": certificate.revocation_category
        if certificate.revoked_at is not None
        else None,
        "replaced_by": replacement.code if replacement is not None else None,
        "replaces": predecessor.code if predecessor is not None else None,
        "signature_valid": services.signature_valid(certificate),
        "verification_url": services.verification_url(certificate),
    }


def _claims(certificate):
    """The stored claims as a dict; a record damaged beyond JSON states nothing (and its
    signature fails)."""
    try:
        claims = services.claims(certificate)
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _locale():
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _downloadable(code):
    """The certificate, for its holder (a valid one) and staff; anyone else learns nothing."""
    return services.for_download(services.get_by_code(code), current_actor())


def _verify_limit():
    """Read at request time, so that the setting (or a test) can change it."""
    return current_app.config["VERIFY_RATE_LIMIT"]


# --- endpoints -------------------------------------------------------------------------------


@blp.route("/courses/<int:course_id>/certificates", methods=["POST"])
@roles_required("staff")
@blp.arguments(IssueBody)
@blp.response(201, IssueResult)
def issue(data, course_id):
    """Issue the course's certificates in one transaction: to every eligible enrolment, or to
    the chosen ones. An enrolment that is not eligible, or already holds a valid certificate,
    is skipped with the reasons; none ever gets a second valid certificate."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("This course does not exist."))
    issued, skipped = services.issue(course, current_actor(), data.get("enrollment_ids"))
    result = {
        "issued": [
            {
                "code": c.code,
                "serial": c.serial,
                "enrollment_id": c.enrollment_id,
                "holder_name": services.claims(c)["holder"],
                "expires_on": c.expires_on,
            }
            for c in issued
        ],
        "skipped": [
            {"enrollment_id": enrollment_id, "reasons": [str(r) for r in reasons]}
            for enrollment_id, reasons in skipped
        ],
    }
    return result


@blp.route("/certificates/<code>")
@limiter.limit(_verify_limit)
@blp.response(200, CertificateSchema)
def verify(code):
    """Verify a certificate by its public code (anyone): valid or revoked, what it states and
    whether its signature holds. 404 for an unknown code; rate-limited per address."""
    return public_view(services.get_or_404(code))


@blp.route("/certificates/<code>/pdf")
@roles_required("trainee", "staff")
@blp.response(200, content_type="application/pdf")
def certificate_pdf(code):
    """The certificate as PDF, with a QR code to its verification page (its holder, staff).
    Staff may also download a revoked one, for the record; its holder may not (409)."""
    certificate = _downloadable(code)
    body = pdf.render(certificate, services.verification_url(certificate))
    return attachment(body, pdf.file_name(certificate), "application/pdf")


@blp.route("/certificates/<code>/credential")
@roles_required("trainee", "staff")
@blp.response(200, content_type="text/plain")
def credential(code):
    """The certificate as an Open Badges 3.0 OpenBadgeCredential, signed as a VC-JWT: a compact
    JWS (alg EdDSA, ``kid`` of the key in /.well-known/jwks.json), as text. 409 for a revoked
    certificate or one whose signature does not hold."""
    certificate = _downloadable(code)
    token = badges.credential_jwt(certificate)
    response = attachment(token, pdf.file_name(certificate, extension="jwt"), "text/plain")
    response.charset = "utf-8"
    return response


@blp.route("/certificates/<code>/revoke", methods=["POST"])
@roles_required("staff")
@blp.arguments(RevokeBody)
@blp.response(200, CertificateSchema)
def revoke(data, code):
    """Revoke a certificate (staff) with the staff's note (``reason``, never shown publicly) and
    the public ``category`` (error, fraud or withdrawn; default withdrawn); it stays verifiable,
    as revoked, and its holder is told. 409 when it is revoked already."""
    certificate = services.revoke(
        services.get_or_404(code), current_actor(), data["reason"], data["category"]
    )
    return public_view(certificate)


@blp.route("/certificates/<code>/reissue", methods=["POST"])
@roles_required("staff")
@blp.arguments(ReissueBody)
@blp.response(201, CertificateSchema)
def reissue(data, code):
    """Re-issue a certificate after a correction (staff): revokes it as ``superseded`` and issues
    its replacement for the same enrolment in one transaction; 201 the new certificate, with
    ``replaces``. 409 when it is revoked already; 400 when the enrolment is no longer eligible."""
    new = services.reissue(services.get_or_404(code), current_actor(), data["reason"])
    return public_view(new)
