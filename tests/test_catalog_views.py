"""The public catalogue and course pages."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy import insert

from lms.catalog.models import Course
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from tests.fixtures.queries import statements

EN = {"Accept-Language": "en"}


def test_catalogue_lists_published_courses_only(client, create_course):
    create_course("language", title="Bahasa Mandarin Dasar")
    create_course("hospitality", title="Tata Graha Draf", status="draft")
    create_course("plantation", title="Sawit Arsip", status="archived")
    page = client.get("/courses/")
    assert page.status_code == 200
    assert "Bahasa Mandarin Dasar" in page.text
    assert "Tata Graha Draf" not in page.text
    assert "Sawit Arsip" not in page.text


def test_filter_by_type_and_language(client, create_course):
    create_course(
        "language", title="Mandarin A", details={"language": "zh", "target_level": "HSK1"}
    )
    create_course("language", title="Jepang B", details={"language": "ja", "target_level": "N5"})
    create_course("hospitality", title="Perhotelan C")
    page = client.get("/courses/?type=language&d_language=ja")
    assert "Jepang B" in page.text
    assert "Mandarin A" not in page.text and "Perhotelan C" not in page.text
    everything = client.get("/courses/?type=language")
    assert "Mandarin A" in everything.text and "Perhotelan C" not in everything.text


def test_multi_choice_detail_filter(client, create_course):
    create_course(
        "digital_marketing",
        title="Kelas Toko Online",
        details={"channels": ["marketplace"], "practical_assignment": "Toko"},
    )
    create_course(
        "digital_marketing",
        title="Kelas Konten",
        details={"channels": ["social_media"], "practical_assignment": "Konten"},
    )
    page = client.get("/courses/?type=digital_marketing&d_channels=social_media")
    assert "Kelas Konten" in page.text and "Kelas Toko Online" not in page.text


def test_search_partner_location_and_open_filters(client, create_course, create_partner):
    partner = create_partner(name="BLK Metro", mou_valid_until=date.today() + timedelta(days=90))
    create_course(
        "hospitality", title="Front Office", code="HSP-FO-1", partner=partner, location="Metro"
    )
    today = local_today()
    create_course(
        "hospitality",
        title="Kuliner Nanti",
        registration_opens_at=combine_local(today + timedelta(days=3), time(8)),
        registration_closes_at=combine_local(today + timedelta(days=10), time(8)),
    )
    assert "Front Office" in client.get("/courses/?q=hsp-fo").text
    assert "Front Office" in client.get("/courses/?q=front").text
    assert "Kuliner Nanti" not in client.get("/courses/?q=front").text
    assert "Front Office" in client.get(f"/courses/?partner_id={partner.id}").text
    assert "Kuliner Nanti" not in client.get(f"/courses/?partner_id={partner.id}").text
    assert "Front Office" in client.get("/courses/?location=metro").text
    open_now = client.get("/courses/?open=1").text
    assert "Front Office" in open_now and "Kuliner Nanti" not in open_now


def test_states_are_shown(client, create_course):
    today = local_today()
    create_course(
        "hospitality",
        title="Segera",
        registration_opens_at=combine_local(today + timedelta(days=3), time(8)),
        registration_closes_at=combine_local(today + timedelta(days=10), time(8)),
    )
    create_course("hospitality", title="Buka")
    create_course(
        "hospitality",
        title="Selesai",
        starts_on=today - timedelta(days=40),
        ends_on=today - timedelta(days=10),
        registration_opens_at=utcnow() - timedelta(days=60),
        registration_closes_at=combine_local(today - timedelta(days=41), time(8)),
    )
    page = client.get("/courses/", headers=EN).text
    assert "Registration opens on" in page
    assert "Open for registration" in page
    assert "Finished" in page


def test_unknown_filter_values_are_ignored(client, create_course):
    create_course("hospitality", title="Tata Graha")
    page = client.get("/courses/?type=nope&d_language=xx&partner_id=abc&page=999")
    assert page.status_code == 200


def test_catalogue_paginates(client, create_course, app):
    for _ in range(app.config["PER_PAGE"] + 3):
        create_course("entrepreneurship")
    first = client.get("/courses/", headers=EN).text
    second = client.get("/courses/?page=2", headers=EN).text
    assert "Page 1 of 2" in first
    assert second.count('class="card h-100 course-card"') == 3


def test_course_page_shows_schedule_partner_and_details(client, create_course, create_session):
    course = create_course(
        "language",
        title="Bahasa Kanton",
        title_en="Cantonese",
        details={"language": "yue", "target_level": "A2", "pass_mark": 70},
        target_groups=["cpmi"],
        min_age=18,
        max_age=35,
    )
    create_session(course, topic="Salam dan perkenalan")
    page = client.get(f"/courses/{course.id}", headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "Cantonese" in text and course.partner.name in text
    assert "Salam dan perkenalan" in text and "08:00" in text
    assert "CEFR A2" in text and "pass mark is 70" in text
    assert "Aged 18 to 35" in text
    indonesian = client.get(f"/courses/{course.id}").text
    assert "Bahasa Kanton" in indonesian


@pytest.mark.parametrize("role", [None, "trainee", "trainer"])
def test_draft_course_is_hidden_from_non_staff(client, login, users_by_role, create_course, role):
    course = create_course("hospitality", status="draft")
    if role:
        login(users_by_role[role])
    assert client.get(f"/courses/{course.id}").status_code == 404


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_see_draft_course(client, login, users_by_role, create_course, role):
    course = create_course("hospitality", status="draft")
    login(users_by_role[role])
    assert client.get(f"/courses/{course.id}").status_code == 200


def test_missing_course_is_404(client):
    assert client.get("/courses/999999").status_code == 404


def _bulk_courses(db, partner_id, count):
    now = utcnow()
    today = date.today()
    db.session.execute(
        insert(Course),
        [
            {
                "code": f"BULK-{i:05d}",
                "title": f"Kursus {i}",
                "type_key": "hospitality",
                "partner_id": partner_id,
                "capacity": 10,
                "enrolled_count": 0,
                "starts_on": today + timedelta(days=30),
                "ends_on": today + timedelta(days=60),
                "registration_opens_at": now - timedelta(days=1),
                "registration_closes_at": now + timedelta(days=20),
                "requires_approval": False,
                "waitlist": True,
                "status": "published",
                "target_groups": [],
                "details": {"specialisation": "housekeeping"},
                "created_at": now,
                "updated_at": now,
            }
            for i in range(count)
        ],
    )
    db.session.commit()


def _count_queries(call):
    with statements() as seen:
        response = call()
    assert response.status_code == 200
    return len(seen)


def test_catalogue_query_count_does_not_grow_with_courses(client, db, create_partner):
    partner = create_partner(mou_valid_until=date.today() + timedelta(days=365))
    _bulk_courses(db, partner.id, 10)
    few = _count_queries(lambda: client.get("/courses/?type=hospitality"))
    db.session.execute(Course.__table__.delete())
    db.session.commit()
    _bulk_courses(db, partner.id, 1000)
    many = _count_queries(lambda: client.get("/courses/?type=hospitality"))
    assert few == many


def test_moving_a_course_to_a_partner_without_valid_mou_is_refused(create_course, create_partner):
    from lms.catalog.services import update_course
    from lms.errors import InvalidInput

    course = create_course("hospitality")
    expired = create_partner(mou_valid_until=date.today() - timedelta(days=1))
    with pytest.raises(InvalidInput) as refused:
        update_course(course, {"partner_id": expired.id, "trainer_ids": []})
    assert "partner_id" in refused.value.fields


def test_new_dates_must_keep_the_sessions_inside(create_course, create_session):
    from lms.catalog.services import update_course
    from lms.errors import InvalidInput

    course = create_course("hospitality")
    create_session(course)  # on the first day
    with pytest.raises(InvalidInput) as refused:
        update_course(course, {"starts_on": course.starts_on + timedelta(days=1)})
    assert "starts_on" in refused.value.fields
    update_course(course, {"ends_on": course.ends_on + timedelta(days=7)})


def test_an_id_beyond_a_database_integer_is_404(client):
    assert client.get("/courses/99999999999999999999").status_code == 404
