"""The Open Badges 3.0 credential of a certificate: a well-formed OpenBadgeCredential, signed as
a VC-JWT that verifies against the key published at /.well-known/jwks.json, also after the
signing key was rotated."""

import base64
import json
import re
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask_babel import force_locale
from sqlalchemy import text

from lms.auth.models import User
from lms.certificates import badges, services, signing
from lms.certificates.models import Certificate
from lms.errors import Conflict
from lms.extensions import db
from tests.certificates.test_certificate_rules import build_cohort

OB_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
URI = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$")


def b64decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify_jws(token, jwks):
    """Verify a compact JWS by the JWK Set like a wallet would: find the key by ``kid``, build an
    Ed25519 key from ``x``, check the signature over the signing input. Returns (header, payload)
    or raises InvalidSignature."""
    encoded_header, encoded_payload, encoded_signature = token.split(".")
    header = json.loads(b64decode(encoded_header))
    assert header["alg"] == "EdDSA"
    [jwk] = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519"
    key = Ed25519PublicKey.from_public_bytes(b64decode(jwk["x"]))
    key.verify(b64decode(encoded_signature), f"{encoded_header}.{encoded_payload}".encode())
    return header, json.loads(b64decode(encoded_payload))


@pytest.fixture
def cohort(create_partner, create_course, create_session, create_user):
    return build_cohort(
        create_partner,
        create_course,
        create_session,
        create_user,
        "language",
        size=2,
        title="Bahasa Mandarin Dasar",
        title_en="Basic Mandarin",
    )


@pytest.fixture
def certificate(cohort):
    issued, _ = services.issue(cohort.course, cohort.staff, [cohort.enrollments[0].id])
    db.session.commit()
    return issued[0]


@pytest.fixture
def holder_headers(api_headers, cohort):
    def _headers(lang="en"):
        return api_headers(cohort.trainees[0], lang)

    return _headers


def download(client, certificate, headers):
    response = client.get(f"/api/v1/certificates/{certificate.code}/credential", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


# --- the VC-JWT ------------------------------------------------------------------------------


def test_the_credential_verifies_against_the_published_key(client, certificate, holder_headers):
    token = download(client, certificate, holder_headers())
    jwks = client.get("/.well-known/jwks.json").get_json()
    header, payload = verify_jws(token, jwks)
    assert header["typ"] == "JWT"
    assert header["kid"] == certificate.key_id  # the key that signed the certificate itself
    assert set(header) <= {"alg", "kid", "typ", "jwk"}  # OB 3.0 allows no other header
    assert header["jwk"] == {k: v for k, v in jwks["keys"][0].items() if k in ("kty", "crv", "x")}
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]


def test_a_changed_byte_breaks_the_signature(client, certificate, holder_headers):
    token = download(client, certificate, holder_headers())
    jwks = client.get("/.well-known/jwks.json").get_json()
    head, body, signature = token.split(".")
    payload = json.loads(b64decode(body))
    payload["credentialSubject"]["identifier"][0]["identityHash"] = "Orang Lain"
    forged_body = signing.b64url(json.dumps(payload).encode())
    with pytest.raises(InvalidSignature):
        verify_jws(f"{head}.{forged_body}.{signature}", jwks)


def test_the_payload_is_a_well_formed_open_badge_credential(
    client, cohort, certificate, holder_headers
):
    _header, vc = verify_jws(
        download(client, certificate, holder_headers()),
        client.get("/.well-known/jwks.json").get_json(),
    )
    course = cohort.course
    url = f"http://localhost/verify/{certificate.code}"
    assert vc["@context"] == OB_CONTEXT
    assert vc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert vc["id"] == url
    assert vc["name"] == f"Certificate {certificate.serial}: Basic Mandarin"
    assert "Basic Mandarin" in vc["description"]  # the type's own wording
    # the issuer: a Profile with an id, a type and a name
    assert vc["issuer"] == {
        "id": "http://localhost",
        "type": ["Profile"],
        "name": "BP3MI Lampung",
        "url": "http://localhost",
    }
    # validFrom: the moment of issue, to the second, in UTC
    valid_from = datetime.fromisoformat(vc["validFrom"].replace("Z", "+00:00"))
    assert vc["validFrom"].endswith("Z")
    assert valid_from == certificate.issued_at.astimezone(UTC).replace(microsecond=0)
    # the subject: the holder by an opaque id and their name, the achievement
    subject = vc["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert URI.match(subject["id"]) and subject["id"].startswith("urn:uuid:")
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityType": "name",
            "hashed": False,
            "identityHash": "Peserta 01",
        }
    ]
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["id"] == f"http://localhost/courses/{course.id}"
    assert achievement["achievementType"] == "Certificate"
    assert achievement["name"] == "Basic Mandarin"
    assert achievement["humanCode"] == course.code
    assert achievement["fieldOfStudy"] == "Language"
    assert course.partner.name in achievement["description"]
    assert achievement["criteria"]["narrative"] == (
        "Completed the course and attended at least 80% of its sessions. "
        "Passed the final assessment."
    )
    for required in ("id", "type", "name", "description", "criteria"):
        assert achievement[required], required
    # the JWT claims of the OB 3.0 VC-JWT proof format
    assert vc["iss"] == vc["issuer"]["id"]
    assert vc["jti"] == vc["id"]
    assert vc["sub"] == subject["id"]
    assert vc["nbf"] == int(valid_from.timestamp())
    assert "vc" not in vc and "exp" not in vc


def test_the_credential_follows_the_language(client, certificate, holder_headers):
    jwks = client.get("/.well-known/jwks.json").get_json()
    _h, indonesian = verify_jws(download(client, certificate, holder_headers("id")), jwks)
    _h, english = verify_jws(download(client, certificate, holder_headers("en")), jwks)
    assert indonesian["credentialSubject"]["achievement"]["name"] == "Bahasa Mandarin Dasar"
    assert indonesian["credentialSubject"]["achievement"]["fieldOfStudy"] == "Bahasa"
    assert english["credentialSubject"]["achievement"]["name"] == "Basic Mandarin"
    assert indonesian["id"] == english["id"] and indonesian["sub"] == english["sub"]


def test_the_same_certificate_gives_the_same_token(client, certificate, holder_headers):
    assert download(client, certificate, holder_headers()) == download(
        client, certificate, holder_headers()
    )


def test_an_attendance_certificate_is_a_certificate_of_completion(
    app, monkeypatch, create_partner, create_course, create_session, create_user
):
    cohort = build_cohort(
        create_partner, create_course, create_session, create_user, "digital_marketing", size=1
    )
    issued, _ = services.issue(cohort.course, cohort.staff)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://latih.example.go.id/")
    with force_locale("en"):
        vc = badges.credential(issued[0])
    achievement = vc["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["criteria"]["narrative"] == (
        "Completed the course and attended at least 100% of its sessions."
    )
    assert vc["issuer"]["id"] == "https://latih.example.go.id"
    assert vc["id"] == f"https://latih.example.go.id/verify/{issued[0].code}"


def test_the_holder_id_is_stable_and_tells_nothing(client, cohort, certificate, holder_headers):
    user = db.session.get(User, cohort.enrollments[0].user_id)
    second = services.reissue(certificate, cohort.staff, "Koreksi")
    db.session.commit()
    first_vc = badges.credential(certificate)
    second_vc = badges.credential(second)
    assert first_vc["credentialSubject"]["id"] == second_vc["credentialSubject"]["id"]
    other, _ = services.issue(cohort.course, cohort.staff, [cohort.enrollments[1].id])
    assert (
        badges.credential(other[0])["credentialSubject"]["id"]
        != first_vc["credentialSubject"]["id"]
    )
    token = download(client, second, holder_headers())
    _h, payload = verify_jws(token, client.get("/.well-known/jwks.json").get_json())
    dumped = json.dumps(payload, ensure_ascii=False)
    birth = user.birth_date
    for private in (
        user.nik,
        user.email,
        user.phone,
        birth.isoformat(),
        birth.strftime("%d/%m/%Y"),
    ):
        assert private not in dumped and private not in token


def test_no_credential_from_a_forged_record(cohort, certificate):
    db.session.execute(
        text("UPDATE certificates SET claims = :claims WHERE id = :id"),
        {"claims": certificate.claims.replace("Peserta 01", "Orang Lain"), "id": certificate.id},
    )
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(Conflict):
        badges.credential_jwt(db.session.get(Certificate, certificate.id))


def test_the_verification_url_uses_the_public_page(app, certificate, monkeypatch):
    # on the configured public address, whichever host the request came through
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://latih.example.go.id")
    with app.test_request_context("/", base_url="http://intranet.local"):
        url = services.verification_url(certificate)
    assert url == f"https://latih.example.go.id/verify/{certificate.code}"


# --- the published keys and their rotation ---------------------------------------------------


def test_the_jwks_lists_the_current_key(client, certificate):
    body = client.get("/.well-known/jwks.json").get_json()
    current = signing.signing_key().public_key()
    assert body == {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": signing.b64url(
                    current.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
                ),
                "kid": signing.key_id(current),
                "use": "sig",
                "alg": "EdDSA",
            }
        ]
    }


def _public_pem(private_path, public_path):
    """Keep only the public half of a key file (what stays published after a rotation)."""
    with open(private_path, "rb") as handle:
        key = serialization.load_pem_private_key(handle.read(), password=None)
    public_path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


@pytest.mark.parametrize("kept", ["key-file", "public-half"])
def test_old_certificates_still_verify_after_a_key_rotation(
    make_app, tmp_path, cohort, api_headers, kept
):
    old_key = tmp_path / "old" / "signing.pem"
    before = make_app(CERTIFICATE_KEY_FILE=str(old_key))
    staff, holder = api_headers(cohort.staff), api_headers(cohort.trainees[0])
    response = before.test_client().post(
        f"/api/v1/courses/{cohort.course.id}/certificates",
        json={"enrollment_ids": [cohort.enrollments[0].id]},
        headers=staff,
    )
    [issued] = response.get_json()["issued"]
    old_kid = before.test_client().get("/.well-known/jwks.json").get_json()["keys"][0]["kid"]
    old_token = (
        before.test_client()
        .get(f"/api/v1/certificates/{issued['code']}/credential", headers=holder)
        .get_data(as_text=True)
    )

    # the rotation: the key file moves to the old keys (or only its public half stays)
    retired = tmp_path / "retired" / "signing-2025.pem"
    retired.parent.mkdir()
    if kept == "key-file":
        old_key.rename(retired)
    else:
        _public_pem(old_key, retired)
        old_key.unlink()
    new_key = tmp_path / "new" / "signing.pem"
    after = make_app(CERTIFICATE_KEY_FILE=str(new_key), CERTIFICATE_OLD_PUBLIC_KEYS=[str(retired)])
    client = after.test_client()
    jwks = client.get("/.well-known/jwks.json").get_json()
    kids = [k["kid"] for k in jwks["keys"]]
    assert len(kids) == 2 and old_kid in kids and kids[0] != old_kid  # current key first

    # the old certificate still verifies, and so does the credential signed before
    body = client.get(f"/api/v1/certificates/{issued['code']}").get_json()
    assert body["signature_valid"] is True and body["status"] == "valid"
    header, _payload = verify_jws(old_token, jwks)
    assert header["kid"] == old_kid
    # a credential downloaded now is signed by the new key, and verifies too
    new_token = client.get(
        f"/api/v1/certificates/{issued['code']}/credential", headers=holder
    ).get_data(as_text=True)
    header, _payload = verify_jws(new_token, jwks)
    assert header["kid"] == kids[0]
    # a certificate issued after the rotation is signed by the new key
    response = client.post(
        f"/api/v1/courses/{cohort.course.id}/certificates",
        json={"enrollment_ids": [cohort.enrollments[1].id]},
        headers=staff,
    )
    [fresh] = response.get_json()["issued"]
    assert (
        db.session.get(
            Certificate,
            db.session.scalar(db.select(Certificate.id).where(Certificate.code == fresh["code"])),
        ).key_id
        == kids[0]
    )
    assert client.get(f"/api/v1/certificates/{fresh['code']}").get_json()["signature_valid"]

    # had the old key not stayed published, the old certificate would no longer verify
    forgetful = make_app(CERTIFICATE_KEY_FILE=str(new_key))
    body = forgetful.test_client().get(f"/api/v1/certificates/{issued['code']}").get_json()
    assert body["signature_valid"] is False


def test_old_keys_may_be_given_as_one_string(make_app, tmp_path):
    first, second = tmp_path / "a.pem", tmp_path / "b.pem"
    for path in (first, second):
        other = make_app(CERTIFICATE_KEY_FILE=str(path))
        with other.app_context():
            signing.signing_key()
    _public_pem(first, tmp_path / "a.pub.pem")
    _public_pem(second, tmp_path / "b.pub.pem")
    app = make_app(
        CERTIFICATE_KEY_FILE=str(tmp_path / "c.pem"),
        CERTIFICATE_OLD_PUBLIC_KEYS=f"{tmp_path / 'a.pub.pem'}, {tmp_path / 'b.pub.pem'}",
    )
    assert len(app.test_client().get("/.well-known/jwks.json").get_json()["keys"]) == 3
