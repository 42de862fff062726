"""The certificate signing key in production: ``flask lms create-signing-key`` creates it (and
rotates it, keeping the old public key published), and a missing key stops with a message that
names the command instead of a traceback."""

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lms.certificates import signing
from tests.certificates.test_certificate_rules import build_cohort
from tests.fixtures.api import assert_json_error

COMMAND = "create-signing-key"
#: what production requires besides the key (a secret key of the site's own; one process)
PRODUCTION = {
    "REQUIRE_EXTERNAL_SECRETS": True,
    "SINGLE_PROCESS": True,
    "SECRET_KEY": "a-test-secret-key-of-at-least-32-characters",
}


def _load(path):
    with open(path, "rb") as handle:
        return serialization.load_pem_private_key(handle.read(), password=None)


def invoke(app, *args):
    """Run ``flask lms ARGS`` on ``app`` (in its own app context: the test's is another app's)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["lms", *args])


def _production_like(make_app, key):
    """An app that, like production, must be given its key (it never generates one)."""
    return make_app(CERTIFICATE_KEY_FILE=str(key), **PRODUCTION)


@pytest.fixture
def key_app(make_app, tmp_path):
    return _production_like(make_app, tmp_path / "keys" / "signing.pem")


def test_the_command_creates_a_private_key_only_its_owner_reads(key_app):
    key = key_app.config["CERTIFICATE_KEY_FILE"]
    result = invoke(key_app, COMMAND)
    assert result.exit_code == 0, result.output
    assert key in result.output
    assert isinstance(_load(key), Ed25519PrivateKey)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    # the app signs with it, and publishes its public half
    with key_app.app_context():
        kid = signing.key_id(signing.signing_key().public_key())
    assert kid in result.output
    jwks = key_app.test_client().get("/.well-known/jwks.json").get_json()
    assert [k["kid"] for k in jwks["keys"]] == [kid]


def test_the_key_defaults_to_the_instance_folder(make_app, tmp_path, monkeypatch):
    other = make_app(CERTIFICATE_KEY_FILE=None, **PRODUCTION)
    monkeypatch.setattr(other, "instance_path", str(tmp_path / "instance"))
    result = invoke(other, COMMAND)
    assert result.exit_code == 0, result.output
    assert os.path.exists(tmp_path / "instance" / "certificate-signing-key.pem")


def test_an_existing_key_is_never_overwritten(key_app):
    key = key_app.config["CERTIFICATE_KEY_FILE"]
    invoke(key_app, COMMAND)
    before = Path(key).read_bytes()
    result = invoke(key_app, COMMAND)
    assert result.exit_code == 1
    assert "exists already" in result.output and "--rotate" in result.output
    assert "Traceback" not in result.output
    assert Path(key).read_bytes() == before


def test_a_rotation_keeps_the_old_key_published(key_app):
    key = key_app.config["CERTIFICATE_KEY_FILE"]
    invoke(key_app, COMMAND)
    with key_app.app_context():
        data = b"signed before the rotation"
        signature, old_kid = signing.sign(data)

    result = invoke(key_app, COMMAND, "--rotate")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    retired = os.path.join(signing.retired_folder(key), f"{old_kid}.pem")
    assert retired in result.output
    with open(retired, "rb") as handle:
        assert b"PRIVATE" not in handle.read()  # only the public half is kept
    with key_app.app_context():
        new_kid = signing.key_id(signing.signing_key().public_key())
        assert new_kid != old_kid
        assert signing.verify(data, signature, old_kid)  # signed before, still verifies
        assert signing.sign(data)[1] == new_kid  # signed now, with the new key
    jwks = key_app.test_client().get("/.well-known/jwks.json").get_json()
    assert [k["kid"] for k in jwks["keys"]] == [new_kid, old_kid]  # current first

    # a second rotation keeps both earlier keys
    invoke(key_app, COMMAND, "--rotate")
    jwks = key_app.test_client().get("/.well-known/jwks.json").get_json()
    assert len(jwks["keys"]) == 3 and {new_kid, old_kid} < {k["kid"] for k in jwks["keys"]}


def test_rotate_without_a_key_creates_one(key_app):
    result = invoke(key_app, COMMAND, "--rotate")
    assert result.exit_code == 0, result.output
    assert os.path.exists(key_app.config["CERTIFICATE_KEY_FILE"])


# --- a missing key in production -----------------------------------------------------------------


def test_a_command_that_signs_names_the_missing_key_and_the_command(key_app):
    result = invoke(key_app, "seed-demo")
    assert result.exit_code == 1
    assert "certificate signing key" in result.output
    assert "flask --app lms lms create-signing-key" in result.output
    assert "Traceback" not in result.output
    assert not os.path.exists(key_app.config["CERTIFICATE_KEY_FILE"])  # never generated


def test_issuing_through_the_api_answers_503_and_writes_nothing(
    key_app, create_partner, create_course, create_session, create_user, api_headers, caplog
):
    cohort = build_cohort(
        create_partner, create_course, create_session, create_user, "language", size=1
    )
    response = key_app.test_client().post(
        f"/api/v1/courses/{cohort.course.id}/certificates",
        json={"enrollment_ids": [cohort.enrollments[0].id]},
        headers=api_headers(cohort.staff),
    )
    assert_json_error(response, 503, "unavailable")
    assert "create-signing-key" in caplog.text  # the operator reads what to do in the log
    from lms.certificates.models import Certificate
    from lms.extensions import db

    assert db.session.query(Certificate).count() == 0


def test_the_published_keys_answer_503_without_a_key(key_app):
    response = key_app.test_client().get("/.well-known/jwks.json")
    assert response.status_code == 503
