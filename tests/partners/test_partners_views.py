"""Staff pages for partner institutions: list with MoU state, create, edit, trainers, courses."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.core.time import local_today
from lms.extensions import db
from lms.partners.models import Partner
from tests.auth.test_auth import field_errors
from tests.fixtures.pages import count, fresh
from tests.fixtures.users import PASSWORD

ROLES = [None, "trainee", "trainer", "staff", "admin"]
GET_EXPECTED = {None: 302, "trainee": 403, "trainer": 403, "staff": 200, "admin": 200}
POST_EXPECTED = {None: 302, "trainee": 403, "trainer": 403, "staff": 302, "admin": 302}


@pytest.fixture
def partner(create_partner):
    return create_partner(
        name="UPT Bahasa Universitas Lampung",
        kind="university",
        mou_number="MOU/12/2025",
        mou_valid_until=local_today() + timedelta(days=200),
    )


def partner_form(**changes):
    data = {
        "name": "BLK Kota Bandar Lampung",
        "kind": "vocational_centre",
        "mou_number": "MOU/07/2026",
        "mou_valid_until": (local_today() + timedelta(days=365)).isoformat(),
        "address": "Jl. Soekarno-Hatta, Bandar Lampung",
    }
    data.update(changes)
    return data


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client, login, users_by_role, partner, role):
    if role is not None:
        login(users_by_role[role])
    for path in (
        "/partners/",
        "/partners/new",
        f"/partners/{partner.id}",
        f"/partners/{partner.id}?page=2",
        f"/partners/{partner.id}/edit",
        f"/partners/{partner.id}/trainers/new",
    ):
        response = client.get(path)
        assert response.status_code == GET_EXPECTED[role], path
        if role is None:
            assert response.location.startswith("/login?next="), path


def _posts(partner):
    return [
        (
            "/partners/new",
            partner_form(),
            lambda: count(Partner, Partner.name == "BLK Kota Bandar Lampung") == 1,
        ),
        (
            f"/partners/{partner.id}/edit",
            partner_form(name="UPT Bahasa Unila"),
            lambda: fresh(partner).name == "UPT Bahasa Unila",
        ),
        (
            f"/partners/{partner.id}/trainers/new",
            {"name": "Mei Lan", "email": "mei.lan@unila.example", "password": PASSWORD},
            lambda: count(User, User.email == "mei.lan@unila.example") == 1,
        ),
    ]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("index", range(3))
def test_posts_by_role(client, login, users_by_role, partner, role, index):
    path, data, changed = _posts(partner)[index]
    if role is not None:
        login(users_by_role[role])
    audits = count(AuditEntry)
    response = client.post(path, data=data)
    assert response.status_code == POST_EXPECTED[role]
    if role is None:
        assert response.location.startswith("/login?next=")
    if role in ("staff", "admin"):
        assert response.location.startswith("/partners/")
        assert changed()
    else:
        assert not changed()
        assert count(AuditEntry) == audits


def test_missing_partner_is_404(client, staff):
    for path in ("/partners/999999", "/partners/999999/edit", "/partners/999999/trainers/new"):
        assert client.get(path).status_code == 404, path
    assert client.post("/partners/999999/edit", data=partner_form()).status_code == 404
    response = client.post(
        "/partners/999999/trainers/new",
        data={"name": "X", "email": "x@example.org", "password": PASSWORD},
    )
    assert response.status_code == 404
    assert count(User, User.email == "x@example.org") == 0


# --- the list ------------------------------------------------------------------------------


def test_list_flags_expired_and_missing_mou(client, staff, create_partner):
    today = local_today()
    create_partner(name="Mitra Berlaku", mou_valid_until=today + timedelta(days=300))
    create_partner(name="Mitra Segera Habis", mou_valid_until=today + timedelta(days=10))
    create_partner(name="Mitra Kedaluwarsa", mou_valid_until=today - timedelta(days=1))
    create_partner(name="Mitra Tanpa MoU")
    page = client.get("/partners/").text
    rows = {
        name: page[page.index(name) :][:600]
        for name in ("Mitra Berlaku", "Mitra Segera Habis", "Mitra Kedaluwarsa", "Mitra Tanpa MoU")
    }
    assert 'data-testid="mou-valid"' in rows["Mitra Berlaku"]
    assert 'data-testid="mou-expiring"' in rows["Mitra Segera Habis"]
    assert 'data-testid="mou-expired"' in rows["Mitra Kedaluwarsa"]
    assert 'data-testid="mou-missing"' in rows["Mitra Tanpa MoU"]
    assert page.count('data-testid="mou-') == 4


# --- create and edit -----------------------------------------------------------------------


def test_create_partner(client, staff):
    response = client.post("/partners/new", data=partner_form())
    assert response.status_code == 302
    partner = db.session.scalar(select(Partner))
    assert response.location == f"/partners/{partner.id}"
    assert partner.kind == "vocational_centre"
    assert partner.mou_number == "MOU/07/2026"
    assert partner.mou_valid_until == local_today() + timedelta(days=365)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "partner.created"))
    assert entry.actor_id == staff.id


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "name"),
        ({"name": "AB"}, "name"),
        ({"kind": "club"}, "kind"),
        ({"mou_valid_until": "31/12/2026"}, "mou_valid_until"),
        ({"mou_number": "x" * 101}, "mou_number"),
        ({"name": "UPT Bahasa Universitas Lampung"}, "name"),  # taken
        ({"name": "upt bahasa universitas lampung"}, "name"),  # taken, other case
    ],
)
def test_create_refuses_bad_input(client, staff, partner, changes, field):
    audits = count(AuditEntry)
    response = client.post("/partners/new", data=partner_form(**changes))
    assert response.status_code == 400
    assert field in field_errors(response), field_errors(response)
    assert count(Partner) == 1 and count(AuditEntry) == audits


def test_edit_partner(client, staff, partner):
    page = client.get(f"/partners/{partner.id}/edit").text
    assert 'value="UPT Bahasa Universitas Lampung"' in page
    assert f'value="{partner.mou_valid_until.isoformat()}"' in page
    response = client.post(
        f"/partners/{partner.id}/edit",
        data=partner_form(name=partner.name, kind="university", mou_valid_until="2024-12-31"),
    )
    assert response.status_code == 302
    edited = fresh(partner)
    assert edited.mou_valid_until == date(2024, 12, 31)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "partner.updated"))
    assert entry.data["new"]["mou_valid_until"] == "2024-12-31"
    assert 'data-testid="mou-expired"' in client.get(f"/partners/{partner.id}").text


def test_edit_refuses_bad_input(client, staff, partner, create_partner):
    create_partner(name="BLK Metro")
    for data, field in (
        (partner_form(name=""), "name"),
        (partner_form(name="BLK Metro"), "name"),
        (partner_form(mou_valid_until="kemarin"), "mou_valid_until"),
    ):
        response = client.post(f"/partners/{partner.id}/edit", data=data)
        assert response.status_code == 400
        assert field in field_errors(response)
    unchanged = fresh(partner)
    assert unchanged.name == "UPT Bahasa Universitas Lampung"
    assert unchanged.mou_number == "MOU/12/2025"


def test_clearing_the_mou_date(client, staff, partner):
    response = client.post(
        f"/partners/{partner.id}/edit", data=partner_form(name=partner.name, mou_valid_until="")
    )
    assert response.status_code == 302
    assert fresh(partner).mou_valid_until is None


# --- the partner page: trainers and courses ------------------------------------------------


def test_partner_page_lists_trainers_and_courses(
    client, staff, partner, create_user, create_course, create_partner
):
    trainer = create_user("trainer", name="Mei Lan", partner_id=partner.id)
    create_user("trainer", name="Orang Lain")  # another partner's trainer
    create_course("language", partner=partner, code="BHS-MAN-01", status="draft")
    create_course("hospitality", code="HSP-99")  # another partner's course
    page = client.get(f"/partners/{partner.id}").text
    assert "Mei Lan" in page and f"/users/{trainer.id}" in page
    assert "Orang Lain" not in page
    assert "BHS-MAN-01" in page and "HSP-99" not in page
    assert f'href="/partners/{partner.id}/trainers/new"' in page


def test_create_trainer_account(client, staff, partner):
    response = client.post(
        f"/partners/{partner.id}/trainers/new",
        data={"name": "Mei Lan", "email": "Mei.Lan@Unila.example", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.location == f"/partners/{partner.id}"
    trainer = db.session.scalar(select(User).where(User.name == "Mei Lan"))
    assert trainer.role == "trainer"
    assert trainer.partner_id == partner.id
    assert trainer.email == "mei.lan@unila.example"
    assert "Mei Lan" in client.get(response.location).text


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"name": ""}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"password": "short"}, "password"),
        ({"email": "taken@example.org"}, "email"),
    ],
)
def test_create_trainer_refuses_bad_input(client, staff, partner, create_user, changes, field):
    create_user("trainee", email="taken@example.org")
    users = count(User)
    data = {"name": "Mei Lan", "email": "mei.lan@unila.example", "password": PASSWORD, **changes}
    response = client.post(f"/partners/{partner.id}/trainers/new", data=data)
    assert response.status_code == 400
    assert field in field_errors(response), field_errors(response)
    assert count(User) == users


@pytest.mark.browser
def test_pages_fit_a_phone(new_page, dummy_staff, partner, create_user, create_course):
    from tests.fixtures.browser import assert_fits_phone, submit_login

    create_user("trainer", name="Mei Lan", partner_id=partner.id)
    create_course("language", partner=partner)
    page = new_page()
    page.goto("/login")
    submit_login(page, dummy_staff.email)
    page.wait_for_load_state()
    for path in (
        "/partners/",
        "/partners/new",
        f"/partners/{partner.id}",
        f"/partners/{partner.id}/edit",
        f"/partners/{partner.id}/trainers/new",
    ):
        assert page.goto(path).status == 200 and page.url.endswith(path), path
        assert_fits_phone(page)
