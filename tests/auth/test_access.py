"""Access beyond the gate of each route (tests/test_access_matrix.py has every route for every
role): the login redirect, missing records, the navigation, role changes, creating accounts."""

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.extensions import db
from tests.fixtures.pages import as_role
from tests.fixtures.users import PASSWORD

ROLES = [None, "trainee", "trainer", "staff", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_profile_needs_a_login(client, login, users_by_role, role):
    as_role(client, login, users_by_role, role)
    response = client.get("/profile")
    if role is None:
        assert response.status_code == 302
        assert response.location == "/login?next=%2Fprofile"
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_missing_records_are_404(client, login, users_by_role, role):
    login(users_by_role[role])
    assert client.get("/users/999999").status_code == 404
    assert client.post("/users/999999", data={"role": "staff"}).status_code == 404
    assert client.get("/outbox/999999").status_code == 404


def test_nav_shows_staff_entries_only_to_staff(client, login, users_by_role):
    login(users_by_role["trainee"])
    page = client.get("/").get_data(as_text=True)
    assert 'href="/users/"' not in page and 'href="/outbox/"' not in page
    login(users_by_role["staff"])
    page = client.get("/").get_data(as_text=True)
    assert 'href="/users/"' in page and 'href="/outbox/"' in page


# --- role changes -------------------------------------------------------------------------------


def role_of(user_id):
    db.session.rollback()
    return db.session.get(User, user_id).role


@pytest.mark.parametrize(
    "role, status", [(None, 302), ("trainee", 403), ("trainer", 403), ("staff", 403)]
)
def test_role_change_is_admin_only(client, login, users_by_role, create_user, role, status):
    target = create_user("trainee")
    as_role(client, login, users_by_role, role)
    response = client.post(f"/users/{target.id}", data={"role": "admin", "partner_id": "0"})
    assert response.status_code == status
    assert role_of(target.id) == "trainee"


def test_staff_sees_no_role_form(client, login, dummy_staff, dummy_trainee):
    login(dummy_staff)
    page = client.get(f"/users/{dummy_trainee.id}").get_data(as_text=True)
    assert 'name="role"' not in page
    assert dummy_trainee.nik not in page  # masked
    assert dummy_trainee.nik[-4:] in page


def test_admin_changes_a_role(app, client, login, dummy_admin, dummy_trainee):
    target_client = app.test_client()
    post = {"email": dummy_trainee.email, "password": PASSWORD}
    assert target_client.post("/login", data=post).status_code == 302
    login(dummy_admin)
    page = client.get(f"/users/{dummy_trainee.id}").get_data(as_text=True)
    assert 'name="role"' in page

    response = client.post(f"/users/{dummy_trainee.id}", data={"role": "staff", "partner_id": "0"})
    assert response.status_code == 302
    assert response.location == f"/users/{dummy_trainee.id}"
    assert role_of(dummy_trainee.id) == "staff"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.role_changed"))
    assert entry.actor_id == dummy_admin.id
    assert entry.object_id == dummy_trainee.id
    assert entry.data == {"old": "trainee", "new": "staff"}
    # the person logs in again to act in the new role
    assert target_client.get("/profile").status_code == 302


def test_admin_role_change_to_trainer_needs_a_partner(
    client, login, dummy_admin, dummy_trainee, create_partner
):
    login(dummy_admin)
    response = client.post(
        f"/users/{dummy_trainee.id}", data={"role": "trainer", "partner_id": "0"}
    )
    assert response.status_code == 400
    assert role_of(dummy_trainee.id) == "trainee"
    partner = create_partner()
    response = client.post(
        f"/users/{dummy_trainee.id}", data={"role": "trainer", "partner_id": str(partner.id)}
    )
    assert response.status_code == 302
    assert role_of(dummy_trainee.id) == "trainer"
    assert db.session.get(User, dummy_trainee.id).partner_id == partner.id


def test_admin_role_change_refuses_an_unknown_role(client, login, dummy_admin, dummy_trainee):
    login(dummy_admin)
    response = client.post(f"/users/{dummy_trainee.id}", data={"role": "root", "partner_id": "0"})
    assert response.status_code == 400
    assert role_of(dummy_trainee.id) == "trainee"


# --- creating accounts in the HTML pages --------------------------------------------------------


def user_count():
    db.session.rollback()
    return db.session.scalar(select(func.count(User.id)))


def account(role, **kw):
    data = {"name": "Akun Baru", "email": f"baru.{role}@example.org", "password": PASSWORD}
    return {**data, "role": role, "partner_id": "0", **kw}


@pytest.mark.parametrize(
    "actor, role, created",
    [
        ("staff", "trainee", True),
        ("staff", "trainer", True),
        ("staff", "staff", False),
        ("staff", "admin", False),
        ("admin", "staff", True),
        ("admin", "admin", True),
    ],
)
def test_create_account_page_by_role(
    client, login, users_by_role, create_partner, actor, role, created
):
    login(users_by_role[actor])
    extra = {"partner_id": str(create_partner().id)} if role == "trainer" else {}
    before = user_count()
    response = client.post("/users/new", data=account(role, **extra))
    if created:
        assert response.status_code == 302
        user = db.session.scalar(select(User).where(User.email == f"baru.{role}@example.org"))
        assert user.role == role
        assert response.location == f"/users/{user.id}"
    else:
        assert response.status_code == 400
        assert user_count() == before


def test_create_account_page_refuses_a_taken_email(client, login, dummy_staff):
    login(dummy_staff)
    before = user_count()
    response = client.post(
        "/users/new",
        data=account("trainee", email=dummy_staff.email.upper()),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "An account with this e-mail address already exists." in response.get_data(as_text=True)
    assert user_count() == before


def test_users_page_lists_and_filters(client, login, dummy_staff, create_user):
    create_user("trainee", name="Budi Santoso")
    create_user("trainer", name="Made Sari")
    login(dummy_staff)
    page = client.get("/users/").get_data(as_text=True)
    assert "Budi Santoso" in page and "Made Sari" in page and "Rina Marlina" in page
    page = client.get("/users/?role=trainer").get_data(as_text=True)
    assert "Made Sari" in page and "Budi Santoso" not in page
    page = client.get("/users/?q=budi").get_data(as_text=True)
    assert "Budi Santoso" in page and "Made Sari" not in page


@pytest.mark.parametrize("path", ["/users/", "/outbox/"])
@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "abc", "0"])
def test_list_pages_take_any_page_number(client, login, dummy_staff, path, page):
    login(dummy_staff)
    assert client.get(path, query_string={"page": page}).status_code == 200


@pytest.mark.parametrize("q", ["%", "_", "\\"])
def test_users_page_search_takes_wildcards_literally(client, login, dummy_staff, create_user, q):
    create_user("trainee", name="Budi Santoso")
    login(dummy_staff)
    assert "Budi Santoso" in client.get("/users/").get_data(as_text=True)
    page = client.get("/users/", query_string={"q": q}).get_data(as_text=True)
    assert "Budi Santoso" not in page
