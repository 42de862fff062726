"""Staff pages for courses and their sessions under /manage: access, forms, status, clone, timetable."""

import os
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select

from lms.audit.models import AuditEntry
from lms.catalog.models import Course, CourseSession
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from lms.extensions import db
from tests.auth.test_auth import field_errors
from tests.fixtures.pages import as_role, count, fresh

ROLES = [None, "trainee", "trainer", "staff", "admin"]
#: a folder to keep the phone screenshots in (for a look by eye); unset: none taken
SCREENSHOTS = os.environ.get("LMS_TEST_SCREENSHOTS")
GET_EXPECTED = {None: 302, "trainee": 403, "trainer": 403, "staff": 200, "admin": 200}
POST_EXPECTED = {None: 302, "trainee": 403, "trainer": 403, "staff": 302, "admin": 302}


@pytest.fixture
def course(create_course, create_user):
    """A published Mandarin course with a trainer of its partner."""
    course = create_course(
        "language",
        title="Bahasa Mandarin Dasar",
        details={"language": "zh", "target_level": "HSK2", "pass_mark": 60},
    )
    trainer = create_user("trainer", name="Lina Wijaya", partner_id=course.partner_id)
    course.trainers = [trainer]
    db.session.commit()
    return course


@pytest.fixture
def session(course, create_session):
    return create_session(course, topic="Pinyin")


def local_input(day, clock):
    """A datetime-local form value."""
    return datetime.combine(day, clock).strftime("%Y-%m-%dT%H:%M")


def course_form(partner_id, trainer_ids=(), /, **changes):
    """A complete, valid language course form."""
    start = local_today() + timedelta(days=40)
    data = {
        "code": "BHS-MAN-2026-01",
        "title": "Bahasa Mandarin untuk Perawat",
        "title_en": "Mandarin for caregivers",
        "description": "Kelas Mandarin dasar.",
        "description_en": "",
        "partner_id": str(partner_id),
        "location": "Bandar Lampung",
        "capacity": "25",
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=55)).isoformat(),
        "registration_opens_at": local_input(local_today(), time(8, 0)),
        "registration_closes_at": local_input(start - timedelta(days=2), time(16, 0)),
        "waitlist": "y",
        "attendance_threshold": "75",
        "target_groups": ["cpmi", "family"],
        "min_age": "18",
        "max_age": "45",
        "trainer_ids": [str(t) for t in trainer_ids],
        "status": "draft",
        "details-language": "zh",
        "details-target_level": "HSK3",
        "details-pass_mark": "70",
        "details-lesson_hours": "200",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- access --------------------------------------------------------------------------------


@pytest.fixture
def pages(course, session):
    base = f"/manage/courses/{course.id}"
    return [
        "/manage/courses/",
        f"/manage/courses/?status=published&type=language&partner={course.partner_id}&q=mandarin",
        "/manage/courses/new",
        "/manage/courses/new/language",
        base,
        f"{base}/edit",
        f"{base}/clone",
        f"{base}/sessions/new",
        f"{base}/sessions/generate",
        f"{base}/sessions/{session.id}/edit",
        f"{base}/sessions/{session.id}/cancel",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_pages_by_role(client, login, users_by_role, pages, role):
    as_role(client, login, users_by_role, role)
    for path in pages:
        response = client.get(path)
        assert response.status_code == GET_EXPECTED[role], path
        if role is None:
            assert response.location.startswith("/login?next="), path


def _posts(course, session):
    """(path, form data, check that the change happened) for every POST."""
    base = f"/manage/courses/{course.id}"
    trainer_id = course.trainers[0].id
    partner_id = course.partner_id
    return [
        (
            "/manage/courses/new/language",
            course_form(partner_id, [trainer_id]),
            lambda: count(Course, Course.code == "BHS-MAN-2026-01") == 1,
        ),
        (
            f"{base}/edit",
            course_form(
                partner_id,
                [trainer_id],
                code=course.code,
                title="Judul Baru",
                starts_on=course.starts_on.isoformat(),
                ends_on=course.ends_on.isoformat(),
                registration_closes_at=local_input(course.starts_on, time(7, 0)),
            ),
            lambda: fresh(course).title == "Judul Baru",
        ),
        (f"{base}/status", {"status": "closed"}, lambda: fresh(course).status == "closed"),
        (
            f"{base}/clone",
            {"code": "CLONE-1", "starts_on": (course.starts_on + timedelta(days=70)).isoformat()},
            lambda: count(Course, Course.code == "CLONE-1") == 1,
        ),
        (
            f"{base}/sessions/new",
            {"day": course.starts_on.isoformat(), "starts": "13:00", "ends": "15:00"},
            lambda: count(CourseSession) == 2,
        ),
        (
            f"{base}/sessions/generate",
            {
                "weekdays": ["1", "3"],
                "starts": "13:00",
                "ends": "15:00",
                "first_day": course.starts_on.isoformat(),
                "weeks": "1",
            },
            lambda: count(CourseSession) == 3,
        ),
        (
            f"{base}/sessions/{session.id}/edit",
            {"day": course.starts_on.isoformat(), "starts": "09:00", "ends": "11:00"},
            lambda: fresh(session).starts_at == combine_local(course.starts_on, time(9, 0)),
        ),
        (
            f"{base}/sessions/{session.id}/cancel",
            {"reason": "Hari libur nasional"},
            lambda: fresh(session).cancelled_at is not None,
        ),
    ]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("index", range(8))
def test_posts_by_role(client, login, users_by_role, course, session, role, index):
    path, data, changed = _posts(course, session)[index]
    as_role(client, login, users_by_role, role)
    audits = count(AuditEntry)
    response = client.post(path, data=data)
    assert response.status_code == POST_EXPECTED[role], response.text
    if role is None:
        assert response.location.startswith("/login?next=")
    if role in ("staff", "admin"):
        assert response.location.startswith("/manage/courses/")
        assert changed()
    else:
        assert count(AuditEntry) == audits
        assert not changed()


def test_missing_records_are_404(client, staff, course, session, create_course, create_session):
    other = create_course("hospitality")
    foreign = create_session(other)
    for path in (
        "/manage/courses/999999",
        "/manage/courses/999999/edit",
        "/manage/courses/999999/clone",
        "/manage/courses/999999/sessions/new",
        "/manage/courses/999999/sessions/generate",
        f"/manage/courses/{course.id}/sessions/999999/edit",
        f"/manage/courses/{course.id}/sessions/999999/cancel",
        f"/manage/courses/{course.id}/sessions/{foreign.id}/edit",
        f"/manage/courses/{course.id}/sessions/{foreign.id}/cancel",
        "/manage/courses/new/no_such_type",
    ):
        assert client.get(path).status_code == 404, path
    assert (
        client.post("/manage/courses/999999/status", data={"status": "closed"}).status_code == 404
    )
    response = client.post(
        f"/manage/courses/{course.id}/sessions/{foreign.id}/cancel", data={"reason": "x"}
    )
    assert response.status_code == 404
    assert fresh(foreign).cancelled_at is None


def test_nav_shows_management_to_staff_only(client, login, users_by_role):
    login(users_by_role["trainer"])
    page = client.get("/").text
    assert 'href="/manage/courses/"' not in page and 'href="/partners/"' not in page
    login(users_by_role["admin"])
    page = client.get("/").text
    assert 'href="/manage/courses/"' in page and 'href="/partners/"' in page


# --- the list ------------------------------------------------------------------------------


def test_list_filters(client, staff, create_course, create_partner):
    partner = create_partner(name="LPK Bahasa", mou_valid_until=local_today() + timedelta(days=99))
    create_course("language", code="BHS-JPG-01", title="Bahasa Jepang", partner=partner)
    create_course("hospitality", code="HSP-01", title="Tata Graha", status="draft")
    create_course("plantation", code="KBN-01", title="Sawit", status="archived")

    def codes(query):
        response = client.get(f"/manage/courses/?{query}")
        assert response.status_code == 200
        return {c for c in ("BHS-JPG-01", "HSP-01", "KBN-01") if c in response.text}

    assert codes("") == {"BHS-JPG-01", "HSP-01", "KBN-01"}  # drafts and archived too
    assert codes("status=draft") == {"HSP-01"}
    assert codes("type=plantation") == {"KBN-01"}
    assert codes(f"partner={partner.id}") == {"BHS-JPG-01"}
    assert codes("q=graha") == {"HSP-01"}
    assert codes("q=kbn-01") == {"KBN-01"}
    assert codes("status=nonsense&type=nonsense&partner=x") == {"BHS-JPG-01", "HSP-01", "KBN-01"}


def test_list_paginates(app, client, staff, create_course, create_partner, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=99))
    for n in range(5):
        create_course("entrepreneurship", partner=partner, code=f"KWU-{n}")
    first = client.get("/manage/courses/")
    assert first.text.count("KWU-") == 2
    assert "?page=2" in first.text
    third = client.get("/manage/courses/?page=3")
    assert third.text.count("KWU-") == 1
    assert client.get("/manage/courses/?page=99").status_code == 200


def test_choose_type_lists_enabled_types(client, staff):
    page = client.get("/manage/courses/new", headers={"Accept-Language": "en"})
    for key in ("hospitality", "plantation", "language", "entrepreneurship", "digital_marketing"):
        assert f"/manage/courses/new/{key}" in page.text
    assert "Japanese, Mandarin, Cantonese and English for work abroad" in page.text


# --- creating and editing ------------------------------------------------------------------


def test_create_form_shows_the_type_fields_and_default_threshold(client, staff, course):
    page = client.get("/manage/courses/new/language")
    assert 'name="details-language"' in page.text
    assert 'name="details-target_level"' in page.text
    assert "80%" in page.text  # the type's default as a hint
    assert 'name="trainer_ids"' in page.text and "Lina Wijaya" in page.text
    entre = client.get("/manage/courses/new/entrepreneurship")
    assert "100%" in entre.text
    assert 'name="details-business_stage"' in entre.text


def test_create_course_stores_local_times_as_utc(client, staff, course):
    trainer = course.trainers[0]
    data = course_form(course.partner_id, [trainer.id])
    response = client.post("/manage/courses/new/language", data=data)
    assert response.status_code == 302
    created = db.session.scalar(select(Course).where(Course.code == "BHS-MAN-2026-01"))
    assert response.location == f"/manage/courses/{created.id}"
    assert created.type_key == "language"
    assert created.status == "draft"
    assert created.attendance_threshold == pytest.approx(0.75)
    assert created.target_groups == ["cpmi", "family"]
    assert (created.min_age, created.max_age, created.capacity) == (18, 45, 25)
    assert created.waitlist is True and created.requires_approval is False
    assert created.details == {
        "language": "zh",
        "target_level": "HSK3",
        "pass_mark": 70,
        "lesson_hours": 200,
    }
    assert [t.id for t in created.trainers] == [trainer.id]
    # 08:00 WIB is 01:00 UTC
    assert created.registration_opens_at == datetime.combine(local_today(), time(1, 0), UTC)
    page = client.get(response.location).text
    assert "Bahasa Mandarin untuk Perawat" in page and "HSK 3" in page


def test_empty_threshold_uses_the_type_default(client, staff, course):
    data = course_form(course.partner_id, attendance_threshold="", waitlist=None)
    assert client.post("/manage/courses/new/language", data=data).status_code == 302
    created = db.session.scalar(select(Course).where(Course.code == "BHS-MAN-2026-01"))
    assert created.attendance_threshold is None
    assert created.waitlist is False  # an unticked box
    assert "(default of the type)" in client.get(f"/manage/courses/{created.id}").text


def test_threshold_takes_a_decimal_comma(client, staff, course):
    data = course_form(
        course.partner_id,
        attendance_threshold="87,5",
        registration_opens_at=local_input(local_today(), time(8, 0)) + ":00",
    )
    response = client.post("/manage/courses/new/language", data=data)
    assert response.status_code == 302
    created = db.session.scalar(select(Course).where(Course.code == "BHS-MAN-2026-01"))
    assert created.attendance_threshold == pytest.approx(0.875)
    assert 'value="87.5"' in client.get(f"/manage/courses/{created.id}/edit").text


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"code": ""}, "code"),
        ({"code": "has space"}, "code"),
        ({"title": ""}, "title"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "many"}, "capacity"),
        ({"starts_on": "not a date"}, "starts_on"),
        ({"registration_opens_at": ""}, "registration_opens_at"),
        ({"registration_opens_at": "0001-01-01T00:00"}, "registration_opens_at"),
        ({"ends_on": "9999-12-31"}, "ends_on"),
        ({"attendance_threshold": "120"}, "attendance_threshold"),
        ({"min_age": "10"}, "min_age"),
        ({"min_age": "40", "max_age": "20"}, "max_age"),
        ({"partner_id": "0"}, "partner_id"),
        ({"target_groups": ["martians"]}, "target_groups"),
        ({"status": "deleted"}, "status"),
        ({"details-language": "ja"}, "details-target_level"),  # HSK is not a JLPT level
        ({"details-language": ""}, "details-language"),
        ({"details-pass_mark": "150"}, "details-pass_mark"),
    ],
)
def test_create_refuses_bad_input(client, staff, course, changes, field):
    courses, audits = count(Course), count(AuditEntry)
    response = client.post(
        "/manage/courses/new/language", data=course_form(course.partner_id, **changes)
    )
    assert response.status_code == 400
    assert field in field_errors(response), field_errors(response)
    assert count(Course) == courses and count(AuditEntry) == audits


def test_service_rules_show_next_to_their_fields(client, staff, course, create_user):
    start = local_today() + timedelta(days=40)
    cases = [
        ({"code": course.code}, "code", "Another course already uses this code."),
        (
            {"ends_on": (start - timedelta(days=1)).isoformat()},
            "ends_on",
            "The course cannot end before it starts.",
        ),
        (
            {"registration_closes_at": local_input(start + timedelta(days=90), time(8, 0))},
            "registration_closes_at",
            "Registration must close by the course&#39;s last day.",
        ),
    ]
    outsider = create_user("trainer", name="Budi Orang Lain")
    cases.append(
        (
            {"trainer_ids": [str(outsider.id)]},
            "trainer_ids",
            "Budi Orang Lain works for another partner institution.",
        )
    )
    for changes, field, message in cases:
        response = client.post(
            "/manage/courses/new/language", data=course_form(course.partner_id, **changes)
        )
        assert response.status_code == 400, changes
        assert field in field_errors(response), (changes, field_errors(response))
        assert message in response.text
    assert count(Course) == 1


@pytest.mark.parametrize("valid_until", [-1, None])
def test_expired_or_missing_mou_blocks_new_courses(client, staff, create_partner, valid_until):
    until = None if valid_until is None else local_today() + timedelta(days=valid_until)
    partner = create_partner(name="BLK Lama", mou_valid_until=until)
    page = client.get("/manage/courses/new/language")
    assert "BLK Lama (MoU expired or missing)" in page.text
    response = client.post("/manage/courses/new/language", data=course_form(partner.id))
    assert response.status_code == 400
    errors = field_errors(response)
    assert any("renew it before adding courses" in m for m in errors["partner_id"])
    assert count(Course) == 0


def test_edit_course(client, staff, course):
    page = client.get(f"/manage/courses/{course.id}/edit")
    assert page.status_code == 200
    assert f'value="{course.code}"' in page.text
    assert '<option selected value="HSK2">' in page.text
    data = course_form(
        course.partner_id,
        [t.id for t in course.trainers],
        code=course.code,
        title="Mandarin Lanjutan",
        status="published",
        **{"details-target_level": "HSK4"},
    )
    response = client.post(f"/manage/courses/{course.id}/edit", data=data)
    assert response.status_code == 302
    edited = fresh(course)
    assert edited.title == "Mandarin Lanjutan"
    assert edited.details["target_level"] == "HSK4"
    assert edited.attendance_threshold == pytest.approx(0.75)


def test_edit_refuses_bad_input(client, staff, course):
    before = (course.title, dict(course.details))
    data = course_form(
        course.partner_id, code=course.code, title="", **{"details-target_level": "N5"}
    )
    response = client.post(f"/manage/courses/{course.id}/edit", data=data)
    assert response.status_code == 400
    errors = field_errors(response)
    assert "title" in errors and "details-target_level" in errors
    edited = fresh(course)
    assert (edited.title, edited.details) == before


def test_edit_keeps_partner_of_trainers(client, staff, course, create_user):
    outsider = create_user("trainer")
    data = course_form(course.partner_id, [outsider.id], code=course.code)
    response = client.post(f"/manage/courses/{course.id}/edit", data=data)
    assert response.status_code == 400
    assert "trainer_ids" in field_errors(response)
    assert [t.id for t in fresh(course).trainers] != [outsider.id]


@pytest.fixture
def ghost_course(course):
    """A course of a type that is not installed, written as if an old plugin had made it."""
    today = local_today()
    db.session.execute(
        insert(Course).values(
            code="GHOST-1",
            title="Kursus Tipe Hilang",
            type_key="ghost",
            partner_id=course.partner_id,
            capacity=10,
            enrolled_count=0,
            starts_on=today,
            ends_on=today + timedelta(days=5),
            registration_opens_at=utcnow() - timedelta(days=2),
            registration_closes_at=utcnow() - timedelta(days=1),
            status="published",
            details={"color": "blue"},
            target_groups=[],
        )
    )
    db.session.commit()
    return db.session.scalar(select(Course).where(Course.code == "GHOST-1"))


def test_unavailable_type_is_listed_and_refuses_edit(client, staff, ghost_course):
    listing = client.get("/manage/courses/", headers={"Accept-Language": "en"})
    assert listing.status_code == 200
    assert 'data-testid="type-unavailable"' in listing.text
    page = client.get(f"/manage/courses/{ghost_course.id}")
    assert page.status_code == 200
    assert 'data-testid="type-unavailable"' in page.text
    assert f"/manage/courses/{ghost_course.id}/edit" not in page.text
    for response in (
        client.get(f"/manage/courses/{ghost_course.id}/edit"),
        client.post(f"/manage/courses/{ghost_course.id}/edit", data={"title": "Baru"}),
    ):
        assert response.status_code == 302
        assert response.location == f"/manage/courses/{ghost_course.id}"
    shown = client.get(f"/manage/courses/{ghost_course.id}").text
    assert "cannot be edited" in shown
    assert fresh(ghost_course).title == "Kursus Tipe Hilang"


# --- status --------------------------------------------------------------------------------


def test_publish_close_archive_and_back_to_draft(client, staff, create_course):
    course = create_course("hospitality", status="draft")
    page = client.get(f"/manage/courses/{course.id}").text
    assert 'value="published"' in page and 'value="draft"' not in page
    for status in ("published", "closed", "archived", "draft"):
        response = client.post(f"/manage/courses/{course.id}/status", data={"status": status})
        assert response.status_code == 302
        assert fresh(course).status == status
    changes = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "course.status_changed")
        .order_by(AuditEntry.id)
    ).all()
    assert [e.data["new"] for e in changes] == ["published", "closed", "archived", "draft"]
    assert all(e.actor_id == staff.id for e in changes)


def test_bad_status_is_400(client, staff, course):
    response = client.post(f"/manage/courses/{course.id}/status", data={"status": "deleted"})
    assert response.status_code == 400
    assert fresh(course).status == "published"


def test_unavailable_type_can_be_withdrawn_not_published(client, staff, ghost_course):
    page = client.get(f"/manage/courses/{ghost_course.id}").text
    assert 'value="closed"' in page and 'value="published"' not in page
    assert f"/manage/courses/{ghost_course.id}/clone" not in page
    response = client.post(f"/manage/courses/{ghost_course.id}/status", data={"status": "closed"})
    assert response.status_code == 302
    assert fresh(ghost_course).status == "closed"
    response = client.post(
        f"/manage/courses/{ghost_course.id}/status", data={"status": "published"}
    )
    assert response.status_code == 400
    assert "not available" in response.text
    assert fresh(ghost_course).status == "closed"
    # cloning needs the type's plugin too
    for response in (
        client.get(f"/manage/courses/{ghost_course.id}/clone"),
        client.post(
            f"/manage/courses/{ghost_course.id}/clone",
            data={"code": "GHOST-2", "starts_on": ghost_course.starts_on.isoformat()},
        ),
    ):
        assert response.status_code == 302
    assert count(Course, Course.code == "GHOST-2") == 0


# --- clone ---------------------------------------------------------------------------------


def test_clone_shifts_dates_and_sessions(client, staff, course, session):
    client.post(f"/manage/courses/{course.id}/sessions/{session.id}/cancel", data={"reason": "x"})
    kept = CourseSession(
        course_id=course.id,
        starts_at=combine_local(course.starts_on + timedelta(days=1), time(13, 0)),
        ends_at=combine_local(course.starts_on + timedelta(days=1), time(15, 0)),
        topic="Nada",
    )
    db.session.add(kept)
    db.session.commit()
    new_start = course.starts_on + timedelta(days=91)
    response = client.post(
        f"/manage/courses/{course.id}/clone",
        data={"code": "BHS-MAN-2026-02", "starts_on": new_start.isoformat()},
    )
    assert response.status_code == 302
    source = fresh(course)
    copy = db.session.scalar(select(Course).where(Course.code == "BHS-MAN-2026-02"))
    assert response.location == f"/manage/courses/{copy.id}"
    shift = timedelta(days=91)
    assert copy.status == "draft" and copy.enrolled_count == 0
    assert (copy.starts_on, copy.ends_on) == (new_start, source.ends_on + shift)
    assert copy.registration_opens_at == source.registration_opens_at + shift
    assert copy.registration_closes_at == source.registration_closes_at + shift
    assert copy.details == source.details and copy.title == source.title
    assert [t.id for t in copy.trainers] == [t.id for t in source.trainers]
    # the cancelled session is not copied; the other keeps its local time on the shifted day
    assert [(s.starts_at, s.topic) for s in copy.sessions] == [
        (combine_local(new_start + timedelta(days=1), time(13, 0)), "Nada")
    ]


def test_clone_refuses_bad_input(client, staff, course):
    path = f"/manage/courses/{course.id}/clone"
    for data, field in (
        ({"code": course.code, "starts_on": course.starts_on.isoformat()}, "code"),
        ({"code": "", "starts_on": course.starts_on.isoformat()}, "code"),
        ({"code": "NEW-1", "starts_on": ""}, "starts_on"),
        ({"code": "NEW-1", "starts_on": "9999-12-31"}, "starts_on"),
    ):
        response = client.post(path, data=data)
        assert response.status_code == 400
        assert field in field_errors(response)
    assert count(Course) == 1


def test_clone_refused_when_the_mou_expired(client, staff, course):
    course.partner.mou_valid_until = local_today() - timedelta(days=1)
    db.session.commit()
    response = client.post(
        f"/manage/courses/{course.id}/clone",
        data={"code": "NEW-1", "starts_on": course.starts_on.isoformat()},
    )
    assert response.status_code == 400
    assert "renew it before adding courses" in response.text
    assert count(Course) == 1


# --- sessions ------------------------------------------------------------------------------


def test_generate_form_is_prefilled_from_the_type(client, staff, create_course):
    plantation = create_course("plantation")
    page = client.get(f"/manage/courses/{plantation.id}/sessions/generate").text
    assert page.count('name="weekdays"') == 7
    assert page.count("checked") == 6  # Monday to Saturday
    assert 'value="08:00"' in page and 'value="12:00"' in page
    assert re.search(r'<input[^>]*name="weeks"[^>]*value="4"', page)
    assert f'value="{plantation.starts_on.isoformat()}"' in page


def test_generate_timetable_in_wib(client, staff, course):
    data = {
        "weekdays": ["0", "1", "2", "3", "4"],
        "starts": "08:00",
        "ends": "12:00",
        "first_day": course.starts_on.isoformat(),
        "weeks": "2",
        "location": "Lab Bahasa",
    }
    response = client.post(f"/manage/courses/{course.id}/sessions/generate", data=data)
    assert response.status_code == 302
    sessions = fresh(course).sessions
    assert len(sessions) == 10
    assert all(s.starts_at.weekday() < 5 for s in sessions)
    first = sessions[0]
    # 08:00-12:00 WIB (UTC+7) is 01:00-05:00 UTC
    assert first.starts_at.date() >= course.starts_on
    assert (first.starts_at.hour, first.ends_at.hour) == (1, 5)
    assert first.starts_at.tzinfo is not None and first.starts_at.utcoffset() == timedelta(0)
    assert all(s.location == "Lab Bahasa" for s in sessions)
    page = client.get(f"/manage/courses/{course.id}").text
    assert page.count("08:00–12:00") == 10
    # again: every day already has its session, nothing doubles
    assert (
        client.post(f"/manage/courses/{course.id}/sessions/generate", data=data).status_code == 302
    )
    assert count(CourseSession) == 10


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"weekdays": []}, "weekdays"),
        ({"weeks": "0"}, "weeks"),
        ({"weeks": "60"}, "weeks"),
        ({"weeks": "9"}, "weeks"),  # runs past the course's last day
        ({"ends": "07:00"}, "ends"),
        ({"starts": "8 am"}, "starts"),
        ({"first_day": ""}, "first_day"),
        ({"first_day": "0001-01-01"}, "first_day"),
    ],
)
def test_generate_refuses_bad_input(client, staff, course, changes, field):
    data = {
        "weekdays": ["0", "2"],
        "starts": "08:00",
        "ends": "12:00",
        "first_day": course.starts_on.isoformat(),
        "weeks": "2",
        **changes,
    }
    response = client.post(f"/manage/courses/{course.id}/sessions/generate", data=data)
    assert response.status_code == 400
    assert field in field_errors(response), field_errors(response)
    assert count(CourseSession) == 0


def test_add_session(client, staff, course):
    day = course.starts_on + timedelta(days=2)
    response = client.post(
        f"/manage/courses/{course.id}/sessions/new",
        data={"day": day.isoformat(), "starts": "19:00", "ends": "21:00", "topic": "Ujian"},
    )
    assert response.status_code == 302
    session = db.session.scalar(select(CourseSession))
    assert session.starts_at == datetime.combine(day, time(12, 0), UTC)
    assert session.ends_at == datetime.combine(day, time(14, 0), UTC)
    assert session.topic == "Ujian"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"day": "2000-01-01"}, "day"),  # outside the course dates
        ({"day": "0001-01-01", "starts": "00:00"}, "day"),
        ({"ends": "07:00"}, "ends"),
        ({"starts": ""}, "starts"),
        ({"topic": "x" * 201}, "topic"),
    ],
)
def test_add_session_refuses_bad_input(client, staff, course, changes, field):
    data = {"day": course.starts_on.isoformat(), "starts": "08:00", "ends": "12:00", **changes}
    response = client.post(f"/manage/courses/{course.id}/sessions/new", data=data)
    assert response.status_code == 400
    assert field in field_errors(response), field_errors(response)
    assert count(CourseSession) == 0


def test_edit_session(client, staff, course, session):
    page = client.get(f"/manage/courses/{course.id}/sessions/{session.id}/edit").text
    assert 'value="08:00"' in page and 'value="Pinyin"' in page
    day = course.starts_on + timedelta(days=1)
    data = {"day": day.isoformat(), "starts": "10:00", "ends": "12:30", "topic": "Nada"}
    response = client.post(f"/manage/courses/{course.id}/sessions/{session.id}/edit", data=data)
    assert response.status_code == 302
    moved = fresh(session)
    assert moved.starts_at == combine_local(day, time(10, 0))
    assert moved.ends_at == combine_local(day, time(12, 30))
    assert moved.topic == "Nada"
    bad = client.post(
        f"/manage/courses/{course.id}/sessions/{session.id}/edit",
        data={**data, "ends": "09:00"},
    )
    assert bad.status_code == 400
    assert "ends" in field_errors(bad)
    assert fresh(session).ends_at == combine_local(day, time(12, 30))


def test_cancel_session(client, staff, course, session):
    path = f"/manage/courses/{course.id}/sessions/{session.id}/cancel"
    empty = client.post(path, data={"reason": "  "})
    assert empty.status_code == 400
    assert "reason" in field_errors(empty)
    assert fresh(session).cancelled_at is None
    response = client.post(path, data={"reason": "Hari libur nasional"})
    assert response.status_code == 302
    cancelled = fresh(session)
    assert cancelled.cancelled_at is not None
    assert cancelled.cancel_reason == "Hari libur nasional"
    page = client.get(f"/manage/courses/{course.id}").text
    assert 'data-testid="session-cancelled"' in page
    assert "<del>" in page and "Hari libur nasional" in page
    # a cancelled session can be neither edited nor cancelled again
    assert client.get(path).status_code == 302
    edit = client.post(
        f"/manage/courses/{course.id}/sessions/{session.id}/edit",
        data={"day": course.starts_on.isoformat(), "starts": "09:00", "ends": "10:00"},
    )
    assert edit.status_code == 302
    assert fresh(session).starts_at == combine_local(course.starts_on, time(8, 0))


# --- on a phone ----------------------------------------------------------------------------


@pytest.mark.browser
def test_pages_fit_a_phone(new_page, dummy_staff, course, session, ghost_course):
    from tests.fixtures.browser import assert_fits_phone, submit_login

    client_session = CourseSession(
        course_id=course.id,
        starts_at=combine_local(course.starts_on, time(13, 0)),
        ends_at=combine_local(course.starts_on, time(15, 0)),
        cancelled_at=utcnow(),
        cancel_reason="Hari libur nasional; ruang kelas dipakai ujian",
    )
    db.session.add(client_session)
    db.session.commit()
    page = new_page()
    page.goto("/login")
    submit_login(page, dummy_staff.email)
    page.wait_for_load_state()
    base = f"/manage/courses/{course.id}"
    for path in (
        "/manage/courses/",
        "/manage/courses/new",
        "/manage/courses/new/digital_marketing",
        "/manage/courses/new/language",
        base,
        f"/manage/courses/{ghost_course.id}",
        f"{base}/edit",
        f"{base}/clone",
        f"{base}/sessions/new",
        f"{base}/sessions/generate",
        f"{base}/sessions/{session.id}/edit",
        f"{base}/sessions/{session.id}/cancel",
    ):
        response = page.goto(path)
        assert response.status == 200 and page.url.endswith(path), path
        assert_fits_phone(page)
        if SCREENSHOTS:
            page.screenshot(
                path=f"{SCREENSHOTS}/{path.strip('/').replace('/', '_')}.png", full_page=True
            )
    # a refused form, messages next to the fields, still fits
    page.goto("/manage/courses/new/language")
    page.locator("form [type=submit]").last.click()
    page.wait_for_load_state()
    assert page.locator(".invalid-feedback").count() > 3
    assert_fits_phone(page)
