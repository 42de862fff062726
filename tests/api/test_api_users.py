"""GET and POST /api/v1/users: who may, validation, conflicts, languages, pagination, filters."""

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.extensions import db
from tests.fixtures.i18n import tr
from tests.fixtures.users import PASSWORD

EN = {"Accept-Language": "en"}
ROLES = [None, "trainee", "trainer", "staff", "admin"]


def json_error(response, status, code=None):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json
    error = response.get_json()["error"]
    assert isinstance(error["message"], str) and error["message"]
    if code:
        assert error["code"] == code
    return error


def user_count():
    db.session.rollback()
    return db.session.scalar(select(func.count(User.id)))


def new_user(role="trainee", **kw):
    body = {
        "email": f"new.{role}@example.org",
        "password": PASSWORD,
        "name": f"Baru {role.title()}",
        "role": role,
    }
    body.update(kw)
    return body


def trainee_profile(**kw):
    profile = {
        "nik": "1807.0157.0595.0042",
        "birth_date": "1995-05-17",
        "gender": "female",
        "phone": "0812 3456 7890",
        "regency": "18.02",
        "target_group": "purna_pmi",
    }
    profile.update(kw)
    return profile


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, status",
    [(None, 401), ("trainee", 403), ("trainer", 403), ("staff", 200), ("admin", 200)],
)
def test_list_users_by_role(client, api_headers, users_by_role, role, status):
    response = client.get("/api/v1/users", headers=api_headers(users_by_role[role]))
    assert response.status_code == status
    if status == 200:
        body = response.get_json()
        assert body["total"] == 4
        assert {u["role"] for u in body["items"]} == {"trainee", "trainer", "staff", "admin"}
    else:
        json_error(response, status, {401: "unauthorized", 403: "forbidden"}[status])


@pytest.mark.parametrize(
    "actor, role, status",
    [
        (None, "trainee", 401),
        ("trainee", "trainee", 403),
        ("trainer", "trainee", 403),
        ("trainee", "admin", 403),
        ("staff", "trainee", 201),
        ("staff", "trainer", 201),
        ("staff", "staff", 403),
        ("staff", "admin", 403),
        ("admin", "trainee", 201),
        ("admin", "trainer", 201),
        ("admin", "staff", 201),
        ("admin", "admin", 201),
    ],
)
def test_create_user_by_role(
    client, api_headers, users_by_role, create_partner, actor, role, status
):
    extra = {"partner_id": create_partner().id} if role == "trainer" else {}
    headers = api_headers(users_by_role[actor])
    before = user_count()
    response = client.post("/api/v1/users", json=new_user(role, **extra), headers=headers)
    if status != 201:
        json_error(response, status)
        assert user_count() == before
        return
    assert response.status_code == 201
    body = response.get_json()
    assert body["role"] == role
    assert body["email"] == f"new.{role}@example.org"
    assert "password" not in body and "password_hash" not in body
    created = db.session.get(User, body["id"])
    assert created.role == role
    assert created.password_hash != PASSWORD
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "user.created", AuditEntry.object_id == created.id
        )
    )
    assert entry.actor_id == users_by_role[actor].id


def test_created_user_can_get_a_token(client, api_headers, dummy_staff):
    client.post("/api/v1/users", json=new_user(), headers=api_headers(dummy_staff))
    response = client.post(
        "/api/v1/tokens", json={"email": "new.trainee@example.org", "password": PASSWORD}
    )
    assert response.status_code == 201


def test_create_trainee_with_profile(client, api_headers, dummy_staff):
    body = new_user(email="  Ani.Lestari@Example.ORG ", **trainee_profile())
    response = client.post("/api/v1/users", json=body, headers=api_headers(dummy_staff))
    assert response.status_code == 201
    created = response.get_json()
    assert created["email"] == "ani.lestari@example.org"
    assert created["nik"] == "1807015705950042"
    assert created["phone"] == "+6281234567890"
    assert created["regency"] == "18.02"
    assert created["birth_date"] == "1995-05-17"
    assert created["gender"] == "female"
    assert created["target_group"] == "purna_pmi"
    assert created["profile_complete"] is True


# --- conflicts ----------------------------------------------------------------------------------


def test_taken_email_is_a_409(client, api_headers, dummy_staff, create_user):
    create_user("trainee", email="ani@example.org")
    before = user_count()
    response = client.post(
        "/api/v1/users", json=new_user(email="ANI@example.org"), headers=api_headers(dummy_staff)
    )
    error = json_error(response, 409, "taken")
    assert error["fields"] == {"email": ["An account with this e-mail address already exists."]}
    assert user_count() == before


def test_taken_nik_is_a_409(client, api_headers, dummy_staff, create_user):
    create_user("trainee", nik="1807015705950042")
    before = user_count()
    response = client.post(
        "/api/v1/users", json=new_user(**trainee_profile()), headers=api_headers(dummy_staff)
    )
    error = json_error(response, 409, "taken")
    assert error["fields"] == {"nik": ["An account with this NIK already exists."]}
    assert user_count() == before


def test_taken_in_indonesian(client, api_headers, dummy_staff, create_user):
    create_user("trainee", email="ani@example.org")
    response = client.post(
        "/api/v1/users",
        json=new_user(email="ani@example.org"),
        headers=api_headers(dummy_staff, lang="id"),
    )
    error = json_error(response, 409, "taken")
    english = "An account with this e-mail address already exists."
    assert error["fields"]["email"] == [tr(english)]
    assert error["message"] == tr("This account already exists.")


# --- invalid values -----------------------------------------------------------------------------

INVALID = [
    (
        {"nik": "1807011713950001"},
        "nik",
        "This is not a valid NIK. Please check the number on your KTP.",
    ),
    ({"nik": "12345"}, "nik", "The NIK must be exactly 16 digits."),
    (
        {"phone": "0721 481234"},
        "phone",
        "Enter an Indonesian mobile number, for example 0812 3456 7890 or +62 812 3456 7890.",
    ),
    (
        {"password": "password1"},
        "password",
        "This password is too easy to guess: many people use it. Add a few uncommon words.",
    ),
    ({"email": "ani.example.org"}, "email", "This is not a valid e-mail address."),
    ({"birth_date": "2020-01-01"}, "birth_date", "Please check the birth date."),
    ({"regency": "31.71"}, "regency", "Not a valid choice."),
    ({"name": "A"}, "name", "Please enter the full name."),
]


@pytest.mark.parametrize("change, field, english", INVALID)
def test_invalid_value_is_a_400_with_fields(
    client, api_headers, dummy_staff, change, field, english
):
    body = new_user(**{**trainee_profile(), **change})
    before = user_count()
    response = client.post("/api/v1/users", json=body, headers=api_headers(dummy_staff))
    error = json_error(response, 400, "invalid")
    assert error["fields"] == {field: [english]}
    assert user_count() == before


@pytest.mark.parametrize("change, field, english", INVALID)
def test_invalid_value_in_indonesian(client, api_headers, dummy_staff, change, field, english):
    body = new_user(**{**trainee_profile(), **change})
    response = client.post("/api/v1/users", json=body, headers=api_headers(dummy_staff, "id"))
    error = json_error(response, 400, "invalid")
    expected = tr(english)
    assert error["fields"] == {field: [expected]}
    assert error["message"] == tr("Please correct the marked fields.")
    if expected != english:  # translated: nothing English left
        assert english not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"role": "root"}, "role"),
        ({"gender": "other"}, "gender"),
        ({"target_group": "tourist"}, "target_group"),
        ({"birth_date": "17-05-1995"}, "birth_date"),
        ({"partner_id": "abc"}, "partner_id"),
        ({"email": None}, "email"),
        ({"locale": "fr"}, "locale"),
        ({"shoe_size": 42}, "shoe_size"),
    ],
)
def test_schema_errors_are_a_400_with_fields(client, api_headers, dummy_staff, change, field):
    body = {**new_user(), **change}
    before = user_count()
    response = client.post("/api/v1/users", json=body, headers=api_headers(dummy_staff))
    error = json_error(response, 400, "invalid")
    assert list(error["fields"]) == [field]
    assert all(isinstance(m, str) for m in error["fields"][field])
    assert user_count() == before


@pytest.mark.parametrize("missing", ["email", "password", "name", "role"])
def test_missing_field_is_a_400(client, api_headers, dummy_staff, missing):
    body = new_user()
    body.pop(missing)
    response = client.post("/api/v1/users", json=body, headers=api_headers(dummy_staff))
    error = json_error(response, 400, "invalid")
    assert error["fields"] == {missing: ["Missing data for required field."]}


def test_trainer_needs_a_partner(client, api_headers, dummy_staff):
    headers = api_headers(dummy_staff)
    response = client.post("/api/v1/users", json=new_user("trainer"), headers=headers)
    error = json_error(response, 400, "invalid")
    assert error["fields"] == {"partner_id": ["A trainer must belong to a partner institution."]}
    response = client.post(
        "/api/v1/users", json=new_user("trainer", partner_id=999999), headers=headers
    )
    assert json_error(response, 400)["fields"] == {"partner_id": ["Not a valid choice."]}


def test_malformed_body_is_a_400_json(client, api_headers, dummy_staff):
    headers = {**api_headers(dummy_staff), "Content-Type": "application/json"}
    response = client.post("/api/v1/users", data='{"email": ', headers=headers)
    json_error(response, 400)
    response = client.post("/api/v1/users", data="[1, 2]", headers=headers)
    json_error(response, 400)


# --- list: pagination and filters ---------------------------------------------------------------


@pytest.fixture
def many_trainees(create_user):
    return [create_user("trainee", name=f"Peserta {i:02d}") for i in range(25)]


def list_users(client, headers, **query):
    response = client.get("/api/v1/users", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_list_pagination(client, api_headers, dummy_staff, many_trainees):
    headers = api_headers(dummy_staff)
    first = list_users(client, headers)
    assert (first["page"], first["per_page"], first["total"]) == (1, 20, 26)
    assert len(first["items"]) == 20
    page = list_users(client, headers, page=3, per_page=10)
    assert (page["page"], page["per_page"], page["total"]) == (3, 10, 26)
    assert len(page["items"]) == 6
    beyond = list_users(client, headers, page=9, per_page=10)
    assert beyond["items"] == [] and beyond["total"] == 26
    # every user exactly once over the pages, ordered by name
    names = [
        u["name"]
        for p in (1, 2, 3)
        for u in list_users(client, headers, page=p, per_page=10)["items"]
    ]
    assert len(names) == len(set(names)) == 26
    assert names == sorted(names)


def test_per_page_above_100_is_served_as_100(client, api_headers, dummy_staff, create_user):
    headers = api_headers(dummy_staff)
    body = list_users(client, headers, per_page=500)
    assert body["per_page"] == 100
    assert body["total"] == 1


@pytest.mark.parametrize(
    "query",
    [
        {"page": 0},
        {"per_page": 0},
        {"page": "x"},
        {"per_page": -5},
        {"role": "root"},
        {"page": 10**20},  # would overflow the database's offset
    ],
)
def test_bad_list_arguments_are_a_400(client, api_headers, dummy_staff, query):
    response = client.get("/api/v1/users", query_string=query, headers=api_headers(dummy_staff))
    error = json_error(response, 400, "invalid")
    assert set(error["fields"]) == set(query)


def test_list_filters(client, api_headers, users_by_role, create_user):
    create_user("trainee", name="Budi Santoso", email="budi@desa.example.org")
    create_user("trainee", name="Wayan Budiarta", email="wayan@example.org")
    create_user("trainer", name="Made Sari", email="made.budi@example.org")
    headers = api_headers(users_by_role["staff"])

    trainers = list_users(client, headers, role="trainer")
    assert {u["name"] for u in trainers["items"]} == {"Dewi Lestari", "Made Sari"}
    assert trainers["total"] == 2

    budi = list_users(client, headers, q="BUDI")
    assert {u["name"] for u in budi["items"]} == {"Budi Santoso", "Wayan Budiarta", "Made Sari"}

    assert {u["name"] for u in list_users(client, headers, q="budi", role="trainee")["items"]} == {
        "Budi Santoso",
        "Wayan Budiarta",
    }
    assert list_users(client, headers, q="desa.example")["total"] == 1
    assert list_users(client, headers, q="nobody-matches")["items"] == []


@pytest.mark.parametrize("q", ["%", "_", "\\"])
def test_list_search_takes_wildcards_literally(client, api_headers, dummy_staff, create_user, q):
    create_user("trainee", name="Plain Name")
    response = list_users(client, api_headers(dummy_staff), q=q)
    assert response["total"] == 0


def test_the_list_masks_the_nik_and_hides_the_password(
    client, api_headers, dummy_staff, dummy_trainee
):
    body = list_users(client, api_headers(dummy_staff), role="trainee")
    (item,) = body["items"]
    assert item["nik"] == "•" * 12 + dummy_trainee.nik[-4:]
    assert dummy_trainee.nik not in str(body)
    assert (item["email"], item["phone"]) == (dummy_trainee.email, dummy_trainee.phone)
    assert "password_hash" not in item
