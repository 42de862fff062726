"""The pages of field attendance: the roster's walk-in form (and its no-JavaScript save) and scan
panel with the roster's cards, the trainee's card page, staff printing cards (one, a course's in
bulk) and making new ones, walk-ins flagged on the staff lists, staff completing a walk-in's
profile."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.attendance import cards
from lms.attendance.models import Attendance
from lms.attendance.walkins import WalkIn, add_walk_in
from lms.auth.models import User
from lms.core.types import utcnow
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.outbox import registry as channels
from tests.fixtures.i18n import tr
from tests.fixtures.pages import count, fresh, text


def roster(session):
    return f"/trainer/sessions/{session.id}/roster"


def embedded(page, element_id):
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S
    )
    return json.loads(match.group(1))


def walk_in(classroom, session, **data):
    result = add_walk_in(
        session, {"name": "Wati Susanti", "phone": "081270001111", **data}, classroom.trainer
    )
    db.session.commit()
    return result


# --- the roster ---------------------------------------------------------------------------------


def test_the_roster_offers_walk_ins_and_scans_with_its_own_cards(client, login, classroom, live):
    login(classroom.trainer)
    page = client.get(roster(live)).get_data(as_text=True)
    assert 'id="walk-in-form"' in page and 'id="scan-form"' in page
    assert "js/field.js" in page
    codes = embedded(page, "field-cards")
    assert {v["enrollment_id"] for v in codes.values()} == {e.id for e in classroom.enrollments}
    assert cards.card_of(classroom.outsider).code not in codes
    assert classroom.trainee.nik not in page
    messages = embedded(page, "field-messages")
    assert messages["unknown"] == tr("Unknown card: not on this session's roster, or replaced.")


def test_a_locked_roster_offers_neither(client, login, classroom, add_meeting):
    old = add_meeting(classroom.course, 0)  # ten days ago: locked for the trainer
    login(classroom.trainer)
    page = client.get(roster(old)).get_data(as_text=True)
    assert 'id="walk-in-form"' not in page and "field-cards" not in page


def test_a_walk_in_without_javascript(client, login, classroom, live):
    login(classroom.trainer)
    response = client.post(
        f"/trainer/sessions/{live.id}/walk-ins",
        data={"name": "Wati Susanti", "phone": "0812 7000 1111", "late": "y", "batch_id": "b-1"},
    )
    assert response.status_code == 303 and response.location.endswith(roster(live) + "#walk-in")
    page = client.get(roster(live))
    assert tr("%(name)s is added and marked.", name="Wati Susanti") in text(page)
    assert "Wati Susanti" in text(page)  # on the roster now
    walk = db.session.scalars(select(WalkIn)).one()
    assert walk.status == "late"
    mark = db.session.scalar(
        select(Attendance).where(Attendance.enrollment_id == walk.enrollment_id)
    )
    assert mark.source == "walk_in" and mark.status == "late"
    # the same form sent again adds nobody
    client.post(
        f"/trainer/sessions/{live.id}/walk-ins",
        data={"name": "Wati Susanti", "phone": "0812 7000 1111", "batch_id": "b-1"},
    )
    assert count(WalkIn) == 1


def test_a_refused_walk_in_says_why(client, login, make_classroom, create_session):
    room = make_classroom(2, capacity=2)
    starts = utcnow() - timedelta(minutes=5)
    session = create_session(room.course, starts_at=starts, ends_at=starts + timedelta(hours=3))
    login(room.trainer)
    client.post(
        f"/trainer/sessions/{session.id}/walk-ins", data={"name": "Wati Susanti", "phone": "0812"}
    )
    assert count(WalkIn) == 0
    client.post(
        f"/trainer/sessions/{session.id}/walk-ins",
        data={"name": "Wati Susanti", "phone": "081270001111"},
    )
    assert tr("This course is full.") in text(client.get(roster(session)))
    assert count(User, User.name == "Wati Susanti") == 0


def test_another_trainer_cannot_add_a_walk_in(client, login, classroom, live):
    login(classroom.other_trainer)
    response = client.post(
        f"/trainer/sessions/{live.id}/walk-ins",
        data={"name": "Wati Susanti", "phone": "081270001111"},
    )
    assert response.status_code == 404
    assert count(WalkIn) == 0


# --- the trainee's card -------------------------------------------------------------------------


def test_the_trainee_sees_the_card_on_the_profile_and_its_page(client, login, classroom):
    login(classroom.trainee)
    code = cards.card_of(classroom.trainee).printed_code
    assert code in text(client.get("/profile"))
    page = client.get("/my/card")
    assert page.status_code == 200
    assert code in text(page) and classroom.trainee.name in text(page)
    assert classroom.trainee.nik not in page.get_data(as_text=True)
    svg = client.get("/my/card.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    pdf = client.get("/my/card.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_the_trainee_makes_a_new_card(client, login, classroom):
    old = cards.card_of(classroom.trainee).code
    login(classroom.trainee)
    response = client.post("/my/card/renew")
    assert response.status_code == 303
    db.session.rollback()
    new = cards.card_of(classroom.trainee).code
    assert new != old
    assert cards.grouped(new) in text(client.get("/my/card"))


@pytest.mark.parametrize("who", ["trainer", "staff"])
def test_other_roles_have_no_card_page(client, login, classroom, who):
    login(getattr(classroom, who))
    assert client.get("/my/card").status_code == 403
    assert client.get("/my/card.pdf").status_code == 403


# --- staff ------------------------------------------------------------------------------------


def test_staff_print_a_courses_cards_and_make_the_missing_ones(client, login, classroom):
    # one trainee lost the card and nobody made a new one yet
    cards.card_of(classroom.trainee).revoked_at = utcnow()
    db.session.commit()
    login(classroom.staff)
    page = client.get(f"/manage/courses/{classroom.course.id}/cards")
    assert page.status_code == 200
    assert 'data-testid="cards-make"' in page.get_data(as_text=True)
    assert "(1)" in text(page)
    pdf = client.get(f"/manage/courses/{classroom.course.id}/cards.pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    client.post(f"/manage/courses/{classroom.course.id}/cards")
    db.session.rollback()
    assert all(cards.card_of(t) is not None for t in classroom.trainees)


def test_staff_make_a_trainee_a_new_card(client, login, classroom):
    old = cards.card_of(classroom.trainee).code
    login(classroom.staff)
    detail = text(client.get(f"/users/{classroom.trainee.id}"))
    assert cards.grouped(old) in detail
    client.post(f"/users/{classroom.trainee.id}/card/renew")
    db.session.rollback()
    assert cards.card_of(classroom.trainee).code != old
    pdf = client.get(f"/users/{classroom.trainee.id}/card.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # a trainer has no card: 404
    assert client.get(f"/users/{classroom.trainer.id}/card.pdf").status_code == 404


def test_staff_see_walk_ins_flagged_and_filter_them(client, login, classroom, live):
    result = walk_in(classroom, live)
    login(classroom.staff)
    enrolments = f"/manage/courses/{classroom.course.id}/enrollments/"
    page = client.get(enrolments).get_data(as_text=True)
    assert f'data-testid="walk-in-{result["enrollment_id"]}"' in page
    only = client.get(enrolments + "?origin=walk_in").get_data(as_text=True)
    assert "Wati Susanti" in only and classroom.trainee.name not in only
    users = client.get("/users/?q=Wati").get_data(as_text=True)
    assert f'data-testid="walk-in-user-{result["user_id"]}"' in users
    assert 'data-testid="walk-in-badge"' in client.get(f"/users/{result['user_id']}").get_data(
        as_text=True
    )


def test_staff_complete_a_walk_ins_profile(client, login, classroom, live):
    result = walk_in(classroom, live)
    login(classroom.staff)
    page = client.get(f"/users/{result['user_id']}/profile")
    assert page.status_code == 200
    response = client.post(
        f"/users/{result['user_id']}/profile",
        data={
            "name": "Wati Susanti",
            "email": "Wati@Example.org",
            "phone": "081270001111",
            "birth_date": "1990-03-04",
            "gender": "female",
            "regency_code": "18.07",
            "target_group": "cpmi",
            "nik": "",
        },
    )
    assert response.status_code == 302
    user = fresh(db.session.get(User, result["user_id"]))
    assert user.email == "wati@example.org" and user.gender == "female"
    assert user.regency_code == "18.07"
    # an address taken by someone else is refused
    response = client.post(
        f"/users/{result['user_id']}/profile",
        data={"name": "Wati Susanti", "email": classroom.trainee.email},
    )
    assert response.status_code == 400
    assert fresh(user).email == "wati@example.org"


def test_staff_choose_how_a_walk_in_gets_messages(client, login, classroom, live):
    """A walk-in without e-mail gets messages by a channel that reaches their phone; staff
    completing the profile see it chosen and may change it, never to one that cannot reach the
    person (with a message about the person, in their language)."""
    result = walk_in(classroom, live)
    user_id = result["user_id"]
    first = db.session.get(User, user_id).preferred_channel
    assert first in ("sms", "whatsapp")  # the first that reaches a phone, never e-mail
    other = "sms" if first == "whatsapp" else "whatsapp"
    login(classroom.staff)
    page = client.get(f"/users/{user_id}/profile", headers={"Accept-Language": "id"}).text
    chosen = re.search(r'<option selected value="([a-z]+)"|<option value="([a-z]+)" selected', page)
    assert chosen and first in chosen.groups()
    form = {"name": "Wati Susanti", "phone": "081270001111"}
    refused = client.post(
        f"/users/{user_id}/profile",
        data={**form, "preferred_channel": "email"},
        headers={"Accept-Language": "id"},
    )
    assert refused.status_code == 400
    assert (
        tr(
            "%(channel)s cannot reach this person: add the address or number it needs, or choose "
            "another way.",
            "id",
            channel=channels.get("email").label("id"),
        )
        in refused.text
    )
    assert fresh(db.session.get(User, user_id)).preferred_channel == first
    unknown = client.post(f"/users/{user_id}/profile", data={**form, "preferred_channel": "fax"})
    assert unknown.status_code == 400
    assert fresh(db.session.get(User, user_id)).preferred_channel == first
    saved = client.post(f"/users/{user_id}/profile", data={**form, "preferred_channel": other})
    assert saved.status_code == 302
    assert fresh(db.session.get(User, user_id)).preferred_channel == other
    # an address given in the same form may be the channel at once
    both = {**form, "email": "wati@example.org", "preferred_channel": "email"}
    assert client.post(f"/users/{user_id}/profile", data=both).status_code == 302
    user = fresh(db.session.get(User, user_id))
    assert (user.email, user.preferred_channel) == ("wati@example.org", "email")


def test_the_profile_of_a_trainer_is_not_staffs_to_complete(client, login, classroom):
    login(classroom.staff)
    assert client.get(f"/users/{classroom.trainer.id}/profile").status_code == 404


def test_a_walk_in_enrolment_says_its_origin(classroom, live):
    result = walk_in(classroom, live)
    assert db.session.get(Enrollment, result["enrollment_id"]).origin == "walk_in"
    assert classroom.enrollment.origin == "registration"
