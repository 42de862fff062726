"""Walk-ins (POST /api/v1/sessions/{id}/walk-ins): found or created, enrolled with the origin
walk_in by the usual seat and eligibility rules, marked, audited, idempotent by batch id; the
account claimed later through the password reset."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lms.attendance import cards
from lms.attendance.models import Attendance
from lms.attendance.walkins import WalkIn
from lms.audit.models import AuditEntry
from lms.auth import services as auth_services
from lms.auth.models import User
from lms.core.types import utcnow
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from lms.users import services as users
from tests.fixtures.api import assert_json_error
from tests.fixtures.attendance import ACTORS
from tests.fixtures.users import PASSWORD, valid_nik

ALLOWED = {
    None: 401,
    "trainee": 403,
    "outsider": 403,
    "trainer": 201,
    "other_trainer": 404,
    "staff": 201,
    "admin": 201,
}


def url(session):
    return f"/api/v1/sessions/{session.id}/walk-ins"


def mark_of(session, enrollment_id):
    db.session.expire_all()
    return db.session.scalar(
        select(Attendance).where(
            Attendance.session_id == session.id, Attendance.enrollment_id == enrollment_id
        )
    )


@pytest.mark.parametrize("who", ACTORS)
def test_who_may_add_a_walk_in(client, as_, live, who):
    body = {"name": "Wati Susanti", "phone": "0812 7000 1111"}
    response = client.post(url(live), json=body, headers=as_(who))
    if ALLOWED[who] != 201:
        assert_json_error(response, ALLOWED[who])
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(WalkIn)) == 0
        return
    assert response.status_code == 201, response.get_json()


def test_a_new_person_is_created_enrolled_and_marked(client, as_, classroom, live):
    before = classroom.course.enrolled_count
    response = client.post(
        url(live),
        json={"name": "  Wati   Susanti ", "phone": "0812-7000-1111", "nik": valid_nik(7001)},
        headers=as_("trainer"),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["created"] is True and body["status"] == "present"
    user = db.session.get(User, body["user_id"])
    assert user.name == "Wati Susanti" and user.phone == "+6281270001111"
    assert user.nik == valid_nik(7001) and user.email is None and user.role == "trainee"
    assert cards.card_of(user) is not None  # a card to scan at the next meeting
    # no password works until the person claims the account
    assert auth_services.authenticate(user.email, "") is None
    assert not user.password_hash.startswith(("scrypt", "pbkdf2"))
    enrollment = db.session.get(Enrollment, body["enrollment_id"])
    assert enrollment.user_id == user.id and enrollment.status == "enrolled"
    assert enrollment.origin == "walk_in"
    db.session.refresh(classroom.course)
    assert classroom.course.enrolled_count == before + 1
    mark = mark_of(live, enrollment.id)
    assert mark.status == "present" and mark.source == "walk_in"
    assert mark.marked_by_id == classroom.trainer.id
    actions = set(
        db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor_id == classroom.trainer.id)
        )
    )
    assert {"user.created", "enrollment.enrolled"} <= actions
    # no e-mail: their messages wait for a channel that reaches a phone (SMS or WhatsApp)
    kinds = db.session.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.user_id == user.id)
    ).all()
    assert kinds == ["enrollment_enrolled"]


def test_late_when_the_trainer_says_so(client, as_, live):
    response = client.post(
        url(live),
        json={"name": "Wati Susanti", "phone": "081270001111", "status": "late"},
        headers=as_("trainer"),
    )
    assert response.get_json()["status"] == "late"
    assert mark_of(live, response.get_json()["enrollment_id"]).status == "late"


def test_found_by_nik(client, as_, create_user, live):
    known = create_user("trainee", name="Yuni Nugroho")
    response = client.post(
        url(live),
        json={"name": "Yuni N.", "phone": "081299990000", "nik": known.nik},
        headers=as_("trainer"),
    )
    body = response.get_json()
    assert response.status_code == 201 and body["created"] is False
    assert body["user_id"] == known.id


def test_found_by_phone_and_name_but_not_by_phone_alone(client, as_, create_user, live):
    known = create_user("trainee", name="Yuni Nugroho", phone="081277778888")
    same = client.post(
        url(live), json={"name": "yuni  nugroho", "phone": "+6281277778888"}, headers=as_("trainer")
    ).get_json()
    assert same["user_id"] == known.id and same["created"] is False
    # her mother, on the same phone, is somebody else
    mother = client.post(
        url(live), json={"name": "Sri Wahyuni", "phone": "081277778888"}, headers=as_("trainer")
    ).get_json()
    assert mother["created"] is True and mother["user_id"] != known.id


def test_a_relative_s_walk_in_leaves_the_phone_s_owner_her_login(client, as_, create_user, live):
    """A family shares one phone. The daughter registered with it and has no e-mail: the number
    is her login. Her mother walks in with the same number, and so does an aunt whose NIK finds
    her account (with an e-mail address, no phone yet). Both are recorded with the number, and
    it still logs the daughter in and brings her, not them, a reset code."""
    daughter = create_user("trainee", email=False, name="Ayu Lestari", phone="081277778888")
    aunt = create_user("trainee", name="Dewi Anggraini", phone=None)
    mother = client.post(
        url(live), json={"name": "Sri Wahyuni", "phone": "081277778888"}, headers=as_("trainer")
    ).get_json()
    found = client.post(
        url(live),
        json={"name": "Dewi A.", "phone": "081277778888", "nik": aunt.nik},
        headers=as_("trainer"),
    ).get_json()
    assert mother["created"] is True and found["user_id"] == aunt.id
    db.session.expire_all()
    holders = db.session.scalars(select(User.id).where(User.phone == "+6281277778888")).all()
    assert sorted(holders) == sorted([daughter.id, mother["user_id"], aunt.id])
    assert auth_services.authenticate("081277778888", PASSWORD).id == daughter.id
    assert auth_services.request_password_code("081277778888").id == daughter.id
    db.session.rollback()


def test_someone_already_on_the_roster_is_only_marked(client, as_, classroom, live):
    trainee = classroom.trainee
    before = classroom.course.enrolled_count
    body = client.post(
        url(live),
        json={"name": trainee.name, "phone": trainee.phone, "nik": trainee.nik},
        headers=as_("trainer"),
    ).get_json()
    assert body["enrollment_id"] == classroom.enrollment.id and body["created"] is False
    db.session.refresh(classroom.course)
    assert classroom.course.enrolled_count == before
    assert db.session.get(Enrollment, body["enrollment_id"]).origin == "registration"
    assert mark_of(live, classroom.enrollment.id).status == "present"


def test_a_batch_sent_twice_adds_one_person(client, as_, live):
    body = {"name": "Wati Susanti", "phone": "081270001111", "batch_id": "b7a4c3d2-0001"}
    first = client.post(url(live), json=body, headers=as_("trainer"))
    second = client.post(url(live), json=body, headers=as_("trainer"))
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert (
        db.session.scalar(select(func.count()).select_from(User).where(User.name == "Wati Susanti"))
        == 1
    )


def test_a_full_course_is_not_overbooked(client, as_, make_classroom, create_session):
    room = make_classroom(2, capacity=2, waitlist=True)
    starts = utcnow() - timedelta(minutes=5)
    session = create_session(room.course, starts_at=starts, ends_at=starts + timedelta(hours=3))
    response = client.post(
        url(session),
        json={"name": "Wati Susanti", "phone": "081270001111"},
        headers=as_(room.trainer),
    )
    assert_json_error(response, 409, "full")
    db.session.rollback()  # read what the request committed
    assert (
        db.session.scalar(select(func.count()).select_from(User).where(User.name == "Wati Susanti"))
        == 0
    )


def test_not_eligible_with_reasons(client, as_, classroom, live):
    classroom.course.max_age = 30
    db.session.commit()
    response = client.post(
        url(live),
        json={"name": "Pak Tua", "phone": "081270002222", "birth_date": "1960-01-01"},
        headers=as_("trainer", "id"),
    )
    error = assert_json_error(response, 400, "too_old")
    assert error["fields"]["enrollment"] and "30" in error["fields"]["enrollment"][0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "081270001111"}, "name"),
        ({"name": "Wati"}, "phone"),
        ({"name": "Wati Susanti", "phone": "12"}, "phone"),
        ({"name": "Wati Susanti", "phone": "081270001111", "nik": "123"}, "nik"),
        ({"name": "Wati Susanti", "phone": "081270001111", "status": "absent"}, "status"),
        ({"name": "Wati Susanti", "phone": "081270001111", "email": "not-an-address"}, "email"),
        ({"name": "Wati Susanti", "phone": "081270001111", "regency": "99.99"}, "regency"),
        ({"name": "Wati Susanti", "phone": "081270001111", "gender": "x"}, "gender"),
    ],
)
def test_bad_fields(client, as_, live, body, field):
    error = assert_json_error(client.post(url(live), json=body, headers=as_("trainer")), 400)
    assert field in error["fields"]


def test_a_locked_session_refuses(client, as_, classroom, add_meeting):
    old = add_meeting(classroom.course, 0)  # ten days ago: locked for the trainer
    response = client.post(
        url(old), json={"name": "Wati Susanti", "phone": "081270001111"}, headers=as_("trainer")
    )
    assert_json_error(response, 403)


def test_the_account_is_claimed_by_the_password_reset(client, as_, live, login, staff):
    body = client.post(
        url(live),
        json={"name": "Wati Susanti", "phone": "081270001111", "email": "wati@example.org"},
        headers=as_("trainer"),
    ).get_json()
    user = db.session.get(User, body["user_id"])
    assert user.email == "wati@example.org"
    assert auth_services.authenticate("wati@example.org", PASSWORD) is None
    auth_services.request_password_reset("wati@example.org", lambda token: f"/reset/{token}")
    db.session.commit()
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "password_reset")
    ).one()
    assert message.recipient == "wati@example.org"
    token = message.body.split("/reset/")[1].split()[0]
    auth_services.reset_password(token, "Kebun-sawit-Wati-2026")
    db.session.commit()
    assert auth_services.authenticate("wati@example.org", "Kebun-sawit-Wati-2026").id == user.id


def test_phone_only_walk_in_is_claimable_once_staff_add_an_e_mail(client, as_, live, login):
    body = client.post(
        url(live), json={"name": "Wati Susanti", "phone": "081270001111"}, headers=as_("trainer")
    ).get_json()
    user = db.session.get(User, body["user_id"])
    # nobody can ask for a reset yet: the account has no address
    assert auth_services.request_password_reset("", lambda t: t) is None
    users.complete_profile(
        user, {"email": "wati@example.org", "birth_date": date(1990, 3, 4)}, actor=None
    )
    db.session.commit()
    assert auth_services.request_password_reset("wati@example.org", lambda t: t).id == user.id


def test_the_course_list_says_who_walked_in(client, as_, classroom, live):
    body = client.post(
        url(live), json={"name": "Wati Susanti", "phone": "081270001111"}, headers=as_("trainer")
    ).get_json()
    listed = client.get(
        f"/api/v1/courses/{classroom.course.id}/enrollments?per_page=100", headers=as_("trainer")
    ).get_json()["items"]
    origins = {item["id"]: item["origin"] for item in listed}
    assert origins[body["enrollment_id"]] == "walk_in"
    assert origins[classroom.enrollment.id] == "registration"
