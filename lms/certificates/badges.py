"""A certificate as an Open Badges 3.0 OpenBadgeCredential, signed as a VC-JWT.

The credential states what the certificate's signed claims state (holder, course, type,
partner, dates, hours, serial) and nothing else: no NIK, birth date or contact data. The holder
is named by an ``IdentityObject`` of type "name" and identified by an opaque ``urn:uuid`` that
stands for the holder on this site (the same for every certificate of that person). Once the
holder's personal data were erased the claims name nobody: the credential then has no
``identifier`` (it is optional in Open Badges 3.0) rather than an identity without a value.

The VC-JWT follows the JSON Web Token proof format of Open Badges 3.0: the JWT payload is the
credential itself with the registered claims ``iss`` (issuer.id), ``jti`` (id), ``sub``
(credentialSubject.id), ``nbf`` (validFrom) and, for a certificate that expires, ``exp``
(validUntil: the end of its last valid day); the JOSE header holds ``alg`` "EdDSA", ``kid``
(the key's id in /.well-known/jwks.json), ``typ`` "JWT" and the public ``jwk`` itself, so that
a wallet can check the signature without a second request. It is signed by the certificate key
of :mod:`lms.certificates.signing`.
"""

import json
import uuid
from datetime import UTC, date, time, timedelta

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from lms.catalog.services import course_type_of
from lms.core.time import combine_local
from lms.core.urls import public_base, public_url
from lms.errors import Conflict
from lms.extensions import course_types

from . import pdf, services, signing

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
TYPE = ["VerifiableCredential", "OpenBadgeCredential"]
#: the 1EdTech JSON schema of an OpenBadgeCredential (for validators that check it)
SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}
#: Open Badges achievementType by the course type's certificate kind
ACHIEVEMENT_TYPES = {"competence": "Certificate", "attendance": "CertificateOfCompletion"}


# --- addresses --------------------------------------------------------------------------------


def _course_url(course_id):
    return public_url("catalog.detail", course_id=course_id)


def holder_id(user_id):
    """An opaque, stable URI for a holder: a name-based UUID of the site and the account."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{public_base()}/holders/{user_id}"))


# --- the credential ---------------------------------------------------------------------------


def _locale():
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def _criteria(course, course_type):
    """The rule that earned the certificate, in words."""
    if course_type is None:
        return _("Completed the course.")
    parts = [
        _(
            "Completed the course and attended at least %(threshold)s%% of its sessions.",
            threshold=round(course_type.threshold_for(course) * 100),
        )
    ]
    if course_type.requires_assessment:
        parts.append(_("Passed the final assessment."))
    return " ".join(parts)


def credential(certificate):
    """The OpenBadgeCredential (a dict) of a certificate, in the request's language."""
    claims = services.claims(certificate)
    enrollment = certificate.enrollment
    course = enrollment.course
    course_type = course_type_of(course) or course_types.get(claims["course"]["type"])
    locale = _locale()
    title = services.course_title(claims, locale)
    type_label = course_type.label(locale) if course_type else claims["course"]["type"]
    url = services.verification_url(certificate)
    issued_at = certificate.issued_at.astimezone(UTC).replace(microsecond=0)
    issuer = {
        "id": public_base(),
        "type": ["Profile"],
        "name": claims.get("issuer") or current_app.config["OFFICE_NAME"],
        "url": public_base(),
    }
    withheld = pdf.holder_withheld(claims)
    if course_type is not None:
        description = course_type.certificate_text(
            locale,
            **({"facts": claims["course"]["facts"]} if claims["course"].get("facts") else {}),
            name=_("Name withheld at the holder's request") if withheld else claims["holder"],
            course=title,
            hours=claims["hours"],
            partner=claims["partner"],
        )
    else:
        description = title
    achievement = {
        "id": _course_url(course.id),
        "type": ["Achievement"],
        "achievementType": ACHIEVEMENT_TYPES.get(claims["course"].get("kind"), "Certificate"),
        "name": title,
        "description": _(
            "%(type)s training at %(partner)s from %(start)s to %(end)s, %(hours)s lesson hours.",
            type=type_label,
            partner=claims["partner"],
            start=claims["starts_on"],
            end=claims["ends_on"],
            hours=claims["hours"],
        ),
        "criteria": {"narrative": _criteria(course, course_type)},
        "humanCode": claims["course"]["code"],
        "fieldOfStudy": type_label,
    }
    subject = {"id": holder_id(enrollment.user_id), "type": ["AchievementSubject"]}
    if not withheld:
        subject["identifier"] = [
            {
                "type": "IdentityObject",
                "identityType": "name",
                "hashed": False,
                "identityHash": claims["holder"],
            }
        ]
    subject["achievement"] = achievement
    body = {
        "@context": list(CONTEXT),
        "id": url,
        "type": list(TYPE),
        "name": _("Certificate %(serial)s: %(course)s", serial=claims["serial"], course=title),
        "description": description,
        "issuer": issuer,
        "validFrom": issued_at.isoformat().replace("+00:00", "Z"),
        "credentialSubject": subject,
        "credentialSchema": [dict(SCHEMA)],
    }
    until = valid_until(claims)
    if until is not None:
        body["validUntil"] = until.isoformat().replace("+00:00", "Z")
    return body


def valid_until(claims):
    """The end of the certificate's last valid day (midnight after it, in the office's zone) as
    a UTC datetime, or None when it does not expire."""
    if not claims.get("expires_on"):
        return None
    last_day = date.fromisoformat(claims["expires_on"])
    return combine_local(last_day + timedelta(days=1), time(0)).astimezone(UTC)


def _json(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def credential_jwt(certificate, locale=None):
    """The certificate's OpenBadgeCredential as a compact JWS (EdDSA), signed now with the
    current certificate key; ``locale`` picks the language (default: the request's).

    :raise Conflict: the certificate is revoked, or its stored claims no longer carry a valid
        signature (a credential is never minted from data that does not verify)
    """
    if locale is not None:
        with force_locale(locale):
            return credential_jwt(certificate)
    if certificate.revoked_at is not None:
        raise Conflict(
            _("This certificate was revoked: it can no longer be downloaded."), code="revoked"
        )
    if not services.signature_valid(certificate):
        raise Conflict(
            _("The signature of this certificate does not hold; ask the office to re-issue it."),
            code="signature_invalid",
        )
    body = credential(certificate)
    payload = {
        **body,
        "iss": body["issuer"]["id"],
        "jti": body["id"],
        "sub": body["credentialSubject"]["id"],
        "nbf": int(certificate.issued_at.timestamp()),
    }
    until = valid_until(services.claims(certificate))
    if until is not None:
        payload["exp"] = int(until.timestamp())
    public_key = signing.signing_key().public_key()
    kid = signing.key_id(public_key)
    jwk = next(k for k in signing.jwks()["keys"] if k["kid"] == kid)
    header = {
        "alg": "EdDSA",
        "kid": kid,
        "typ": "JWT",
        "jwk": {name: jwk[name] for name in ("kty", "crv", "x")},
    }
    signing_input = f"{signing.b64url(_json(header))}.{signing.b64url(_json(payload))}"
    signature, _kid = signing.sign(signing_input.encode("ascii"))  # the same current key
    return f"{signing_input}.{signature}"


def decode(token):
    """(header, payload) of a compact JWS, unverified (for tests and tools)."""
    header, payload, _signature = token.split(".")
    return json.loads(signing.b64url_decode(header)), json.loads(signing.b64url_decode(payload))
