"""Personal data under UU PDP: consent, the data download, audited NIK views, erasure."""

import json
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from lms.attendance import services as attendance
from lms.audit.models import AuditEntry
from lms.certificates import services as certificates
from lms.core.time import combine_local, local_today
from lms.enrollment import services as enrolment
from lms.reports.services import annual_report


@pytest.fixture
def history(db, create_course, create_user, create_session, dummy_staff):
    """Two trainees who finished a workshop: one of them is the one who asks for erasure."""
    today = local_today()
    course = create_course(
        "entrepreneurship",
        starts_on=today - timedelta(days=10),
        ends_on=today - timedelta(days=1),
    )
    siti = create_user(
        "trainee",
        name="Ṣiti Nur'aini",
        phone="0812 1111 2222",
        locale="id",
        birth_date=date(1992, 3, 9),
    )
    budi = create_user("trainee", name="Budi Santoso")
    mine = enrolment.enroll(siti, course, actor=dummy_staff, bypass_window=True)
    other = enrolment.enroll(budi, course, actor=dummy_staff, bypass_window=True)
    session = create_session(course, starts_at=combine_local(today - timedelta(days=9), time(8)))
    attendance.save_marks(
        session,
        [
            {"enrollment_id": mine.id, "status": "present", "note": "Datang dengan Ṣiti"},
            {"enrollment_id": other.id, "status": "present"},
        ],
        dummy_staff,
    )
    certificates.issue(course, dummy_staff)
    db.session.commit()
    return {"siti": siti, "budi": budi, "course": course, "mine": mine}


def test_personal_data_holds_everything_of_the_person_and_nobody_else(client, login, history):
    siti, budi = history["siti"], history["budi"]
    login(siti)
    response = client.get("/my/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == siti.email
    assert data["profile"]["nik"] == siti.nik
    assert [e["id"] for e in data["enrollments"]] == [history["mine"].id]
    assert len(data["attendance"]) == 1 and data["attendance"][0]["status"] == "present"
    assert len(data["certificates"]) == 1
    assert data["messages"]  # the enrolment message
    body = response.get_data(as_text=True)
    assert budi.name not in body and budi.email not in body and budi.nik not in body


def test_data_pages_need_a_login(client):
    assert client.get("/my/data.json").status_code == 302
    assert client.get("/my/data").status_code == 302
    assert client.get("/privacy").status_code == 200


def _database_text(db):
    """Every text value of every table, for searching."""
    chunks = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            chunks.extend(str(v) for v in row if v is not None)
    return "\n".join(chunks)


def test_erasure_removes_every_personal_field_and_keeps_the_figures(
    client, login, db, history, dummy_staff
):
    siti = history["siti"]
    personal = [siti.name, siti.email, siti.nik, siti.phone, siti.birth_date.isoformat()]
    before = annual_report(history["course"].starts_on.year)
    login(dummy_staff)
    assert client.get(f"/users/{siti.id}/erase").status_code == 200
    assert client.post(f"/users/{siti.id}/erase").status_code == 302
    db.session.expire_all()
    everything = _database_text(db)
    for value in personal:
        assert value not in everything, value
    assert annual_report(history["course"].starts_on.year) == before
    certificate = db.session.scalars(
        select(certificates.Certificate).where(
            certificates.Certificate.enrollment_id == history["mine"].id
        )
    ).one()
    assert certificates.signature_valid(certificate)
    assert certificates.claims(certificate)["holder"] is None
    again = client.post(f"/users/{siti.id}/erase")
    assert again.status_code == 409


def test_full_nik_view_is_audited_and_lists_mask_it(client, login, db, history, dummy_staff):
    siti = history["siti"]
    login(dummy_staff)
    page = client.get(f"/users/{siti.id}").get_data(as_text=True)
    assert siti.nik not in page and siti.nik[-4:] in page
    revealed = client.post(f"/users/{siti.id}/nik")
    assert revealed.status_code == 200 and siti.nik in revealed.get_data(as_text=True)
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "user.nik_viewed", AuditEntry.object_id == siti.id
        )
    )
    assert entry is not None and entry.actor_id == dummy_staff.id


@pytest.mark.parametrize("role, expected", [("trainee", 403), ("trainer", 403), (None, 302)])
def test_staff_only_privacy_actions(client, login, users_by_role, history, role, expected):
    if role:
        login(users_by_role[role])
    siti = history["siti"]
    assert client.post(f"/users/{siti.id}/nik").status_code == expected
    assert client.get(f"/users/{siti.id}/erase").status_code == expected


def test_missing_user_is_404(client, login, dummy_staff):
    login(dummy_staff)
    assert client.post("/users/999999/nik").status_code == 404


def test_only_a_trainee_can_be_erased(client, login, dummy_staff, dummy_trainer):
    login(dummy_staff)
    assert client.post(f"/users/{dummy_trainer.id}/erase").status_code == 409


def test_exporting_full_niks_is_audited(client, login, db, history, dummy_staff):
    login(dummy_staff)
    response = client.get("/exports/trainees.csv")
    assert response.status_code == 200
    assert history["siti"].nik in response.get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.nik_exported"))
    assert entry is not None and entry.actor_id == dummy_staff.id
