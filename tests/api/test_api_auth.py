"""The API's authentication: tokens, /me, and the contract's conventions (JSON errors, OpenAPI)."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.auth.models import ApiToken
from lms.core.types import utcnow
from lms.extensions import db
from tests.fixtures.api import assert_json_error
from tests.fixtures.i18n import tr
from tests.fixtures.pages import csrf_token
from tests.fixtures.users import PASSWORD

EN = {"Accept-Language": "en"}


# --- POST /api/v1/tokens ------------------------------------------------------------------------


def test_token_is_issued(client, dummy_trainer):
    before = utcnow()
    response = client.post(
        "/api/v1/tokens", json={"email": dummy_trainer.email.upper(), "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["token"], str) and len(body["token"]) >= 32
    assert body["user"] == {"id": dummy_trainer.id, "role": "trainer", "name": "Dewi Lestari"}
    expires = datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() is not None
    assert timedelta(days=29) < expires - before <= timedelta(days=30, minutes=1)

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["id"] == dummy_trainer.id


def test_tokens_are_stored_hashed(client, dummy_trainee):
    response = client.post(
        "/api/v1/tokens", json={"email": dummy_trainee.email, "password": PASSWORD}
    )
    token = response.get_json()["token"]
    db.session.rollback()
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == dummy_trainee.id))
    assert row is not None
    assert token not in row.token_hash
    values = [str(getattr(row, c.key)) for c in ApiToken.__table__.columns]
    assert not any(token in value for value in values)
    assert len(row.token_hash) == 64


@pytest.mark.parametrize(
    "email, password",
    [("trainee@example.org", "wrong-password"), ("nobody@example.org", PASSWORD)],
)
def test_token_refused_on_bad_credentials(client, create_user, email, password):
    create_user("trainee", email="trainee@example.org")
    response = client.post(
        "/api/v1/tokens", json={"email": email, "password": password}, headers=EN
    )
    error = assert_json_error(response, 401, "unauthorized")
    assert error["message"] == "The e-mail or the password is wrong."
    db.session.rollback()
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_token_refused_in_indonesian(client, dummy_trainee):
    response = client.post(
        "/api/v1/tokens",
        json={"email": dummy_trainee.email, "password": "wrong-password"},
        headers={"Accept-Language": "id"},
    )
    error = assert_json_error(response, 401)
    assert error["message"] == tr("The e-mail or the password is wrong.")


def test_token_refused_for_a_deactivated_user(client, dummy_trainee):
    dummy_trainee.active = False
    db.session.commit()
    response = client.post(
        "/api/v1/tokens", json={"email": dummy_trainee.email, "password": PASSWORD}
    )
    assert_json_error(response, 401)


@pytest.mark.parametrize(
    "body, missing",
    [({"password": PASSWORD}, "email"), ({"email": "a@example.org"}, "password"), ({}, "email")],
)
def test_token_missing_field_is_a_400_with_fields(client, body, missing):
    response = client.post("/api/v1/tokens", json=body, headers=EN)
    error = assert_json_error(response, 400, "invalid")
    assert error["fields"][missing] == ["Missing data for required field."]


def test_token_missing_field_in_indonesian(client):
    response = client.post(
        "/api/v1/tokens", json={"password": PASSWORD}, headers={"Accept-Language": "id"}
    )
    error = assert_json_error(response, 400, "invalid")
    assert error["fields"]["email"] == [tr("Missing data for required field.")]
    assert error["message"] == tr("The input is not valid.")


@pytest.mark.parametrize(
    "data, content_type",
    [
        ('{"email": "a@example.org", "password": ', "application/json"),
        ("not json at all", "application/json"),
        ('["a@example.org", "x"]', "application/json"),
        ('"a@example.org"', "application/json"),
        ("12", "application/json"),
        ("null", "application/json"),
    ],
)
def test_malformed_json_is_a_400_json(client, data, content_type):
    response = client.post("/api/v1/tokens", data=data, content_type=content_type, headers=EN)
    assert_json_error(response, 400)


def test_form_body_instead_of_json_is_a_400_json(client):
    response = client.post(
        "/api/v1/tokens", data={"email": "a@example.org", "password": PASSWORD}, headers=EN
    )
    assert_json_error(response, 400)


# --- token lifetime and revocation --------------------------------------------------------------


def test_expired_token_is_a_401(client, api_headers, dummy_trainee):
    headers = api_headers(dummy_trainee)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == dummy_trainee.id))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")


def test_token_of_a_deactivated_user_is_a_401(client, api_headers, dummy_trainee):
    headers = api_headers(dummy_trainee)
    dummy_trainee.active = False
    db.session.commit()
    assert_json_error(client.get("/api/v1/me", headers=headers), 401)


def test_delete_current_token(client, api_headers, dummy_trainee):
    headers = api_headers(dummy_trainee)
    other = api_headers(dummy_trainee)
    response = client.delete("/api/v1/tokens/current", headers=headers)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert_json_error(client.get("/api/v1/me", headers=headers), 401)
    assert_json_error(client.delete("/api/v1/tokens/current", headers=headers), 401)
    # only the token used is revoked
    assert client.get("/api/v1/me", headers=other).status_code == 200


def test_delete_current_token_needs_a_token(client):
    assert_json_error(client.delete("/api/v1/tokens/current"), 401)


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_bad_authorization_is_a_401(client, dummy_trainee, authorization):
    response = client.get("/api/v1/me", headers={"Authorization": authorization, **EN})
    error = assert_json_error(response, 401, "unauthorized")
    assert error["message"] == "Please log in first."


def test_session_cookie_does_not_authenticate_the_api(client, login, dummy_staff):
    login(dummy_staff)
    assert_json_error(client.get("/api/v1/me"), 401)
    assert_json_error(client.get("/api/v1/users"), 401)


def test_bearer_token_does_not_open_html_pages(client, api_headers, dummy_staff):
    response = client.get("/users/", headers=api_headers(dummy_staff))
    assert response.status_code == 302
    assert response.location.startswith("/login")


# --- GET /api/v1/me -----------------------------------------------------------------------------


def test_me_of_a_trainee(client, api_headers, dummy_trainee):
    response = client.get("/api/v1/me", headers=api_headers(dummy_trainee))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == dummy_trainee.id
    assert body["email"] == dummy_trainee.email
    assert body["name"] == "Siti Rahmawati"
    assert body["role"] == "trainee"
    assert body["nik"] == dummy_trainee.nik
    assert body["birth_date"] == "1995-05-17"
    assert body["phone"] == dummy_trainee.phone
    assert body["regency"] == "18.07"
    assert body["target_group"] == "cpmi"
    assert body["profile_complete"] is True
    assert "password_hash" not in body and "session_version" not in body


def test_me_of_a_trainer_has_the_partner(client, api_headers, dummy_trainer):
    body = client.get("/api/v1/me", headers=api_headers(dummy_trainer)).get_json()
    assert body["role"] == "trainer"
    assert body["partner_id"] == dummy_trainer.partner_id is not None


def test_me_needs_a_token(client):
    assert_json_error(client.get("/api/v1/me", headers=EN), 401, "unauthorized")


# --- reference data and the document ------------------------------------------------------------


def test_regencies(client):
    response = client.get("/api/v1/regencies")
    assert response.status_code == 200
    items = response.get_json()
    assert len(items) == 15
    assert all(set(item) == {"code", "name"} for item in items)
    by_code = {item["code"]: item["name"] for item in items}
    assert by_code["18.07"] == "Lampung Timur"
    assert by_code["18.71"] == "Kota Bandar Lampung"
    assert {"Lampung Tengah", "Lampung Selatan", "Kota Metro"} <= set(by_code.values())
    assert [item["name"] for item in items] == sorted(by_code.values())


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] and doc["info"]["version"]
    paths = doc["paths"]
    expected = {
        "/api/v1/tokens": {"post"},
        "/api/v1/tokens/current": {"delete"},
        "/api/v1/me": {"get"},
        "/api/v1/users": {"get", "post"},
        "/api/v1/regencies": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, paths[path].keys())
    # every operation documents its responses; every reference resolves
    for path, item in paths.items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                assert operation.get("responses"), (path, method)
                # bad input is documented as it is answered (API.md): 400, never 422
                assert "422" not in operation["responses"], (path, method)
    assert "400" in paths["/api/v1/users"]["post"]["responses"]
    schemas = doc.get("components", {}).get("schemas", {})
    text = response.get_data(as_text=True)
    for name in re.findall(r'"#/components/schemas/([^"]+)"', text):
        assert name in schemas, name
    assert "201" in paths["/api/v1/tokens"]["post"]["responses"]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/api/v1/nothing-here"),
        ("get", "/api/v1/"),
        ("get", "/api/v1/users/999999/nothing"),
        ("post", "/api/v1/nothing-here"),
        ("get", "/api/v2/me"),
    ],
)
def test_unknown_api_path_is_a_json_404(client, method, path):
    response = getattr(client, method)(path, headers=EN)
    error = assert_json_error(response, 404, "not_found")
    assert "<html" not in response.get_data(as_text=True)
    assert error["message"] == "This page or record does not exist."


def test_wrong_method_is_a_json_405(client):
    response = client.put("/api/v1/tokens", json={})
    assert_json_error(response, 405, "method_not_allowed")


def test_site_pages_may_call_the_api_with_the_session_and_a_csrf_header(client, login, dummy_staff):
    login(dummy_staff)
    token = csrf_token(client)
    me = client.get("/api/v1/me", headers={"X-CSRFToken": token})
    assert me.status_code == 200
    assert me.get_json()["id"] == dummy_staff.id
    assert client.get("/api/v1/me", headers={"X-CSRFToken": "forged"}).status_code == 401
    revoke = client.delete("/api/v1/tokens/current", headers={"X-CSRFToken": token})
    assert revoke.status_code == 400
