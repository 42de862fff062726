"""The catalogue API: course types, partners, courses and sessions, for every role."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, insert, select

from lms.catalog import services as catalog
from lms.catalog.models import Course, CourseSession, course_trainers
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.partners.models import Partner
from tests.fixtures.api import assert_json_error
from tests.fixtures.catalog import DETAILS, insert_courses
from tests.fixtures.i18n import tr
from tests.fixtures.queries import statements_of
from tests.fixtures.users import valid_nik

ROLES = [None, "trainee", "trainer", "staff", "admin"]
#: what a role that may not call a staff endpoint gets
REFUSED = {None: 401, "trainee": 403, "trainer": 403}
BUILT_IN_TYPES = [
    "hospitality",
    "plantation",
    "language",
    "entrepreneurship",
    "digital_marketing",
    "school_class",
    "outreach",
]


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def headers(api_headers, create_user):
    """Request headers for a role (None: anonymous), in English unless told; one user per role,
    made on first use (a trainer brings a partner of their own)."""
    users = {}

    def _headers(role, lang="en"):
        if role is not None and role not in users:
            users[role] = create_user(role)
        return api_headers(users.get(role), lang)

    return _headers


@pytest.fixture
def partner(create_partner):
    """A partner whose MoU runs for another year."""
    return create_partner(
        name="BLK Kota Bandar Lampung",
        kind="vocational_centre",
        mou_number="MOU/BP3MI-LPG/2026/07",
        mou_valid_until=local_today() + timedelta(days=365),
    )


@pytest.fixture
def trainer(create_user, partner):
    """A trainer of ``partner`` with a full profile (none of which may leak)."""
    return create_user(
        "trainer",
        name="Dewi Anggraini",
        email="dewi.trainer@example.org",
        partner_id=partner.id,
        nik=valid_nik(4242),
        birth_date=date(1988, 3, 9),
        phone="081298765432",
    )


def course_body(partner, **changes):
    """A valid POST /api/v1/courses body (a hospitality course starting in a month)."""
    starts = local_today() + timedelta(days=30)
    body = {
        "code": "HSP-2026-07",
        "title": "Tata Graha Hotel",
        "title_en": "Hotel housekeeping",
        "type": "hospitality",
        "partner_id": partner.id,
        "capacity": 25,
        "starts_on": starts.isoformat(),
        "ends_on": (starts + timedelta(days=41)).isoformat(),
        "registration_opens_at": (utcnow() - timedelta(days=1)).isoformat(),
        "registration_closes_at": (starts - timedelta(days=1)).isoformat() + "T23:59:00+07:00",
        "requires_approval": False,
        "waitlist": True,
        "details": {"specialisation": "housekeeping", "destination": "JP"},
    }
    body.update(changes)
    return body


def iso_local(day, clock):
    """A local (WIB) date and time as ISO 8601 with its offset."""
    return datetime.combine(day, clock).isoformat() + "+07:00"


# --- GET /api/v1/course-types -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_course_types_are_public(client, headers, role):
    response = client.get("/api/v1/course-types", headers=headers(role))
    assert response.status_code == 200
    types = response.get_json()
    assert [t["key"] for t in types] == sorted(BUILT_IN_TYPES)
    for course_type in types:
        assert {"key", "label", "fields"} <= set(course_type)
        for field in course_type["fields"]:
            assert {"name", "label", "type", "required"} <= set(field)
            assert field["type"] in {"string", "integer", "number", "boolean", "date", "choice"}
            assert isinstance(field["required"], bool)
            if field["type"] == "choice":
                assert field["choices"]
                assert all(set(c) == {"value", "label"} for c in field["choices"])
            else:
                assert "choices" not in field


@pytest.mark.parametrize("lang", ["en", "id"])
def test_course_type_labels_follow_the_language(client, lang):
    def text(english):
        return english if lang == "en" else tr(english)

    response = client.get("/api/v1/course-types", headers={"Accept-Language": lang})
    types = {t["key"]: t for t in response.get_json()}
    hospitality = types["hospitality"]
    assert hospitality["label"] == {"en": "Hospitality", "id": "Perhotelan"}[lang]
    assert types["language"]["label"] == {"en": "Language", "id": "Bahasa"}[lang]
    fields = {f["name"]: f for f in hospitality["fields"]}
    assert fields["lesson_hours"] == {
        "name": "lesson_hours",
        "label": text("Lesson hours"),
        "type": "integer",
        "required": False,
    }
    specialisation = fields["specialisation"]
    assert specialisation["label"] == text("Specialisation")
    assert specialisation["type"] == "choice" and specialisation["required"] is True
    choices = {c["value"]: c["label"] for c in specialisation["choices"]}
    assert choices["housekeeping"] == text("Housekeeping")


def test_course_type_labels_differ_between_languages(client):
    english = client.get("/api/v1/course-types", headers={"Accept-Language": "en"}).get_json()
    indonesian = client.get("/api/v1/course-types", headers={"Accept-Language": "id"}).get_json()
    for en, id_ in zip(english, indonesian, strict=True):
        assert en["key"] == id_["key"]
        assert en["label"] != id_["label"]
        assert [f["name"] for f in en["fields"]] == [f["name"] for f in id_["fields"]]
        assert en["fields"][0]["label"] != id_["fields"][0]["label"]


def test_language_field_of_digital_marketing_is_a_multiple_choice(client):
    types = {t["key"]: t for t in client.get("/api/v1/course-types").get_json()}
    channels = {f["name"]: f for f in types["digital_marketing"]["fields"]}["channels"]
    assert channels["type"] == "choice" and channels["multiple"] is True


def test_a_disabled_type_is_not_offered(app, client, monkeypatch):
    enabled = {k: v for k, v in app.extensions["course_types"].items() if k != "plantation"}
    monkeypatch.setitem(app.extensions, "course_types", enabled)
    keys = [t["key"] for t in client.get("/api/v1/course-types").get_json()]
    assert "plantation" not in keys and "hospitality" in keys


# --- partners -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_partner_list_is_public(client, headers, create_partner, partner, role):
    create_partner(name="Akademi Lama", kind="university", mou_valid_until=date(2020, 1, 31))
    create_partner(name="Tanpa MoU", kind="other")
    response = client.get("/api/v1/partners", headers=headers(role))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == count(Partner) and body["page"] == 1 and body["per_page"] == 20
    by_name = {p["name"]: p for p in body["items"]}
    assert [p["name"] for p in body["items"]] == sorted(by_name)
    item = by_name["BLK Kota Bandar Lampung"]
    assert {"id", "name", "kind", "mou_number", "mou_valid_until", "mou_valid"} <= set(item)
    assert item["id"] == partner.id
    assert item["kind"] == "vocational_centre"
    assert item["mou_number"] == "MOU/BP3MI-LPG/2026/07"
    assert item["mou_valid_until"] == partner.mou_valid_until.isoformat()
    assert item["mou_valid"] is True
    assert by_name["Akademi Lama"]["mou_valid"] is False
    assert by_name["Akademi Lama"]["mou_valid_until"] == "2020-01-31"
    assert by_name["Tanpa MoU"]["mou_valid"] is False
    assert by_name["Tanpa MoU"]["mou_valid_until"] is None


def test_partner_list_pages(client, create_partner):
    for n in range(5):
        create_partner(name=f"Mitra {n}")
    body = client.get("/api/v1/partners?per_page=2&page=3").get_json()
    assert body["total"] == 5 and body["page"] == 3 and body["per_page"] == 2
    assert [p["name"] for p in body["items"]] == ["Mitra 4"]


def test_partner_kind_label_follows_the_language(client, partner):
    english = client.get("/api/v1/partners", headers={"Accept-Language": "en"}).get_json()
    indonesian = client.get("/api/v1/partners", headers={"Accept-Language": "id"}).get_json()
    assert english["items"][0]["kind_label"] == "Vocational training centre"
    assert indonesian["items"][0]["kind_label"] == tr("Vocational training centre")
    assert indonesian["items"][0]["kind_label"] != "Vocational training centre"


@pytest.mark.parametrize("role", ROLES)
def test_create_partner_needs_staff(client, headers, role):
    body = {
        "name": "UPT Bahasa Universitas Lampung",
        "kind": "university",
        "mou_number": "MOU/12/2026",
        "mou_valid_until": (local_today() + timedelta(days=400)).isoformat(),
    }
    response = client.post("/api/v1/partners", json=body, headers=headers(role))
    if role in REFUSED:
        assert_json_error(response, REFUSED[role])
        assert count(Partner) == (1 if role == "trainer" else 0)  # the trainer's own partner
        return
    assert response.status_code == 201
    created = response.get_json()
    assert created["name"] == "UPT Bahasa Universitas Lampung"
    assert created["kind"] == "university"
    assert created["mou_number"] == "MOU/12/2026"
    assert created["mou_valid_until"] == body["mou_valid_until"]
    assert created["mou_valid"] is True
    assert db.session.get(Partner, created["id"]).name == body["name"]


def test_create_partner_with_a_name_only_and_kind(client, headers):
    response = client.post(
        "/api/v1/partners",
        json={"name": "LPK Sinar Jaya", "kind": "company"},
        headers=headers("staff"),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["mou_number"] is None and body["mou_valid_until"] is None
    assert body["mou_valid"] is False


@pytest.mark.parametrize("name", ["BLK Kota Bandar Lampung", "blk  kota bandar LAMPUNG"])
def test_create_partner_refuses_a_taken_name(client, headers, partner, name):
    response = client.post(
        "/api/v1/partners", json={"name": name, "kind": "other"}, headers=headers("staff")
    )
    error = assert_json_error(response, 409, "taken")
    assert error["fields"] == {"name": ["A partner with this name already exists."]}
    assert count(Partner) == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "university"}, "name"),
        ({"name": "LPK Baru"}, "kind"),
        ({"name": "LPK Baru", "kind": "hospital"}, "kind"),
        (
            {"name": "LPK Baru", "kind": "company", "mou_valid_until": "31/12/2027"},
            "mou_valid_until",
        ),
        ({"name": "X", "kind": "company"}, "name"),
        ({"name": "LPK Baru", "kind": "company", "website": "x"}, "website"),
    ],
)
def test_create_partner_validates(client, headers, body, field):
    response = client.post("/api/v1/partners", json=body, headers=headers("staff"))
    error = assert_json_error(response, 400, "invalid")
    assert field in error["fields"]
    assert count(Partner) == 0


def test_create_partner_errors_in_indonesian(client, headers):
    response = client.post(
        "/api/v1/partners", json={"name": "LPK Baru"}, headers=headers("staff", "id")
    )
    error = assert_json_error(response, 400)
    assert error["fields"]["kind"] == ["Kolom wajib ini belum diisi."]
    response = client.post(
        "/api/v1/partners",
        json={"name": "LPK Baru", "kind": "hospital"},
        headers=headers("staff", "id"),
    )
    assert assert_json_error(response, 400)["fields"] == {"kind": ["Pilihan tidak valid."]}


# --- GET /api/v1/courses ------------------------------------------------------------------------


@pytest.fixture
def courses_by_status(create_course, partner):
    """One hospitality course in each status, by status."""
    return {
        status: create_course(partner=partner, status=status, title=f"Kursus {status}")
        for status in ("draft", "published", "closed", "archived")
    }


@pytest.mark.parametrize("role", ROLES)
def test_course_list_shows_published_and_closed_to_the_public(
    client, headers, courses_by_status, role
):
    response = client.get("/api/v1/courses", headers=headers(role))
    assert response.status_code == 200
    body = response.get_json()
    statuses = sorted(item["status"] for item in body["items"])
    if role in ("staff", "admin"):
        assert statuses == ["archived", "closed", "draft", "published"]
    else:
        assert statuses == ["closed", "published"]
    assert body["total"] == len(statuses)


@pytest.mark.parametrize("role, expected", [("staff", ["draft"]), ("admin", ["draft"])])
def test_staff_filter_by_status(client, headers, courses_by_status, role, expected):
    body = client.get("/api/v1/courses?status=draft", headers=headers(role)).get_json()
    assert [i["status"] for i in body["items"]] == expected


@pytest.mark.parametrize("role", [None, "trainee", "trainer"])
def test_status_filter_never_reveals_drafts(client, headers, courses_by_status, role):
    drafts = client.get("/api/v1/courses?status=draft", headers=headers(role)).get_json()
    assert drafts["items"] == [] and drafts["total"] == 0
    closed = client.get("/api/v1/courses?status=closed", headers=headers(role)).get_json()
    assert [i["status"] for i in closed["items"]] == ["closed"]


def test_course_list_item(client, create_course, partner, trainer):
    course = create_course(
        partner=partner,
        trainers=[trainer],
        title="Tata Graha",
        title_en="Housekeeping",
        capacity=12,
        location="Bandar Lampung",
    )
    response = client.get("/api/v1/courses", headers={"Accept-Language": "en"})
    (item,) = response.get_json()["items"]
    assert item["id"] == course.id
    assert item["code"] == course.code
    assert item["title"] == "Tata Graha" and item["title_en"] == "Housekeeping"
    assert item["type"] == "hospitality" and item["type_label"] == "Hospitality"
    assert item["partner"] == {"id": partner.id, "name": "BLK Kota Bandar Lampung"}
    assert item["trainers"] == [{"id": trainer.id, "name": "Dewi Anggraini"}]
    assert item["capacity"] == 12
    assert item["enrolled_count"] == 0
    assert item["waitlist_count"] == 0
    assert item["seats_left"] == 12
    assert item["status"] == "published"
    assert item["state"] == "open"
    assert item["starts_on"] == course.starts_on.isoformat()
    assert item["details"] == {
        "specialisation": "housekeeping",
        "destination": "JP",
        "lesson_hours": 120,
    }
    assert item["location"] == "Bandar Lampung"
    opens = datetime.fromisoformat(item["registration_opens_at"])
    assert opens.utcoffset() is not None and opens == course.registration_opens_at


def test_course_list_pages(client, create_course, partner):
    today = local_today()
    for n in range(25):
        create_course(partner=partner, starts_on=today + timedelta(days=10 + n))
    first = client.get("/api/v1/courses?per_page=10").get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 10, 25)
    assert len(first["items"]) == 10
    starts = [i["starts_on"] for i in first["items"]]
    assert starts == sorted(starts, reverse=True)  # newest start first
    last = client.get("/api/v1/courses?per_page=10&page=3").get_json()
    assert len(last["items"]) == 5 and last["page"] == 3
    beyond = client.get("/api/v1/courses?per_page=10&page=9").get_json()
    assert beyond["items"] == [] and beyond["total"] == 25
    seen = set()
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/courses?per_page=10&page={page}").get_json()
        seen |= {i["id"] for i in body["items"]}
    assert len(seen) == 25
    default = client.get("/api/v1/courses").get_json()
    assert default["per_page"] == 20 and len(default["items"]) == 20
    capped = client.get("/api/v1/courses?per_page=500").get_json()
    assert capped["per_page"] == 100 and len(capped["items"]) == 25


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=0", "page"),
        ("per_page=0", "per_page"),
        ("page=x", "page"),
        ("partner_id=abc", "partner_id"),
        ("open=perhaps", "open"),
        ("status=secret", "status"),
    ],
)
def test_course_list_refuses_bad_parameters(client, query, field):
    response = client.get(f"/api/v1/courses?{query}")
    error = assert_json_error(response, 400, "invalid")
    assert field in error["fields"]


def test_course_list_filters_by_type(client, create_course, partner):
    create_course("hospitality", partner=partner)
    language = create_course("language", partner=partner)
    body = client.get("/api/v1/courses?type=language").get_json()
    assert [i["id"] for i in body["items"]] == [language.id]
    assert client.get("/api/v1/courses?type=unknown").get_json()["items"] == []


def test_course_list_filters_by_partner(client, create_course, create_partner, partner):
    other = create_partner(
        name="UPTD BLK Metro", mou_valid_until=local_today() + timedelta(days=30)
    )
    mine = create_course(partner=partner)
    create_course(partner=other)
    body = client.get(f"/api/v1/courses?partner_id={partner.id}").get_json()
    assert [i["id"] for i in body["items"]] == [mine.id]
    assert body["items"][0]["partner"]["id"] == partner.id


@pytest.mark.parametrize("q", ["MANDARIN", "taiwan", "bhs-man"])
def test_course_list_searches_titles_and_code(client, create_course, partner, q):
    wanted = create_course(
        "language",
        partner=partner,
        code="BHS-MAN-2026-01",
        title="Bahasa Mandarin",
        title_en="Mandarin for Taiwan",
    )
    create_course(partner=partner, title="Tata Graha", title_en="Housekeeping")
    body = client.get(f"/api/v1/courses?q={q}").get_json()
    assert [i["id"] for i in body["items"]] == [wanted.id]


def test_course_list_filters_open_registration(client, create_course, partner):
    today = local_today()
    now = utcnow()
    open_now = create_course(partner=partner)
    create_course(  # registration opens next week
        partner=partner,
        registration_opens_at=now + timedelta(days=7),
        registration_closes_at=combine_local(today + timedelta(days=20), time(23, 59)),
    )
    create_course(  # registration closed yesterday
        partner=partner,
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=20),
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=1),
    )
    create_course(partner=partner, status="closed")  # closed by staff
    create_course(partner=partner, status="draft")
    body = client.get("/api/v1/courses?open=true").get_json()
    assert [i["id"] for i in body["items"]] == [open_now.id]
    assert body["items"][0]["state"] == "open"
    everything = client.get("/api/v1/courses?open=false").get_json()
    assert everything["total"] == 4


def test_course_list_combines_filters(client, create_course, create_partner, partner):
    other = create_partner(
        name="UPTD BLK Metro", mou_valid_until=local_today() + timedelta(days=30)
    )
    wanted = create_course("language", partner=partner, title="Bahasa Jepang Dasar")
    create_course("language", partner=other, title="Bahasa Jepang Dasar")
    create_course("hospitality", partner=partner, title="Bahasa Jepang untuk hotel")
    url = f"/api/v1/courses?type=language&partner_id={partner.id}&q=jepang&open=true"
    assert [i["id"] for i in client.get(url).get_json()["items"]] == [wanted.id]


def test_course_list_counts_seats_and_waitlist(client, create_course, create_user, partner):
    full = create_course(partner=partner, capacity=2)
    waiting = [create_user("trainee") for _ in range(3)]
    full.enrolled_count = 2
    for position, user in enumerate(waiting, start=1):
        db.session.add(
            Enrollment(
                course_id=full.id, user_id=user.id, status="waitlisted", waitlist_position=position
            )
        )
    db.session.commit()
    (item,) = client.get("/api/v1/courses").get_json()["items"]
    assert item["enrolled_count"] == 2
    assert item["seats_left"] == 0
    assert item["waitlist_count"] == 3
    assert item["state"] == "waitlist"
    detail = client.get(f"/api/v1/courses/{full.id}").get_json()
    assert (detail["seats_left"], detail["waitlist_count"], detail["state"]) == (0, 3, "waitlist")


# --- the list's queries do not grow with the catalogue -------------------------------------------


def _bulk_courses(partner, trainer, trainee, first, n):
    """Insert ``n`` published courses fast, each with a trainer and a waitlisted trainee."""
    courses = insert_courses([partner.id], first, n, spread=True)
    ids = [course_id for course_id, _partner_id in courses]
    db.session.execute(
        insert(course_trainers), [{"course_id": cid, "user_id": trainer.id} for cid in ids]
    )
    db.session.execute(
        insert(Enrollment),
        [
            {
                "course_id": cid,
                "user_id": trainee.id,
                "status": "waitlisted",
                "waitlist_position": 1,
            }
            for cid in ids
        ],
    )
    db.session.commit()


@pytest.mark.parametrize("role", [None, "staff"])
def test_course_list_queries_do_not_grow_with_courses(
    app, client, headers, partner, trainer, create_user, role
):
    trainee = create_user("trainee")
    request_headers = headers(role)

    def page():
        return client.get("/api/v1/courses?per_page=100", headers=request_headers)

    _bulk_courses(partner, trainer, trainee, 0, 10)
    small, few = statements_of(page)
    assert len(small.get_json()["items"]) == 10

    _bulk_courses(partner, trainer, trainee, 10, 990)
    assert count(Course) == 1000
    large, many = statements_of(page)
    body = large.get_json()
    assert body["total"] == 1000 and len(body["items"]) == 100
    assert all(i["waitlist_count"] == 1 for i in body["items"])
    assert all(i["trainers"] == [{"id": trainer.id, "name": trainer.name}] for i in body["items"])
    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= 8, "\n".join(few)


# --- GET /api/v1/courses/{id} -------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "status, public", [("published", True), ("closed", True), ("draft", False), ("archived", False)]
)
def test_course_detail_visibility(client, headers, courses_by_status, role, status, public):
    course = courses_by_status[status]
    response = client.get(f"/api/v1/courses/{course.id}", headers=headers(role))
    if public or role in ("staff", "admin"):
        assert response.status_code == 200
        assert response.get_json()["status"] == status
    else:
        error = assert_json_error(response, 404, "not_found")
        assert error["message"] == "This course does not exist."


def test_an_assigned_trainer_sees_a_draft(client, api_headers, create_course, partner, trainer):
    draft = create_course(partner=partner, trainers=[trainer], status="draft")
    response = client.get(f"/api/v1/courses/{draft.id}", headers=api_headers(trainer))
    assert response.status_code == 200
    sessions = client.get(f"/api/v1/courses/{draft.id}/sessions", headers=api_headers(trainer))
    assert sessions.status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_course_detail_of_a_missing_course(client, headers, role):
    response = client.get("/api/v1/courses/987654", headers=headers(role, "id"))
    error = assert_json_error(response, 404, "not_found")
    assert error["message"] == tr("This course does not exist.")
    assert error["message"] != "This course does not exist."


def test_course_detail(client, create_course, partner, trainer):
    course = create_course(
        "language",
        partner=partner,
        trainers=[trainer],
        title="Bahasa Mandarin untuk Taiwan",
        title_en="Mandarin for Taiwan",
        description="Kelas pagi.",
        attendance_threshold=0.75,
        target_groups=["cpmi"],
        min_age=18,
        max_age=40,
    )
    response = client.get(f"/api/v1/courses/{course.id}", headers={"Accept-Language": "id"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["type"] == "language" and body["type_label"] == "Bahasa"
    assert body["type_available"] is True
    assert body["title"] == "Bahasa Mandarin untuk Taiwan"
    assert body["title_en"] == "Mandarin for Taiwan"
    assert body["description"] == "Kelas pagi."
    assert body["partner"] == {"id": partner.id, "name": partner.name}
    assert body["trainers"] == [{"id": trainer.id, "name": "Dewi Anggraini"}]
    assert (body["capacity"], body["enrolled_count"], body["waitlist_count"]) == (20, 0, 0)
    assert body["seats_left"] == 20
    assert body["status"] == "published" and body["state"] == "open"
    assert body["attendance_threshold"] == 0.75
    assert body["target_groups"] == ["cpmi"]
    assert (body["min_age"], body["max_age"]) == (18, 40)
    assert body["details"]["language"] == "zh" and body["details"]["target_level"] == "HSK2"
    assert body["requires_approval"] is False and body["waitlist"] is True
    date.fromisoformat(body["starts_on"])
    assert datetime.fromisoformat(body["registration_closes_at"]).utcoffset() is not None
    english = client.get(f"/api/v1/courses/{course.id}", headers={"Accept-Language": "en"})
    assert english.get_json()["type_label"] == "Language"


@pytest.mark.parametrize("path", ["/api/v1/courses", "/api/v1/courses/{id}"])
def test_trainers_contact_and_identity_are_never_shown(
    client, create_course, partner, trainer, path
):
    course = create_course(partner=partner, trainers=[trainer])
    text = client.get(path.format(id=course.id)).get_data(as_text=True)
    assert "Dewi Anggraini" in text
    for secret in (trainer.email, trainer.nik, trainer.phone, "1988-03-09", "0812987", "98765432"):
        assert secret not in text
    for forbidden in ("email", "nik", "phone", "birth_date", "role"):
        assert f'"{forbidden}"' not in text


@pytest.mark.parametrize(
    "state, changes",
    [
        ("upcoming", {"opens_in": 3}),
        ("closed", {"status": "closed"}),
        ("full", {"full": True, "waitlist": False}),
        ("finished", {"past": True}),
    ],
)
def test_course_state(client, create_course, partner, state, changes):
    today, now = local_today(), utcnow()
    overrides = {}
    if "opens_in" in changes:
        overrides["registration_opens_at"] = now + timedelta(days=changes["opens_in"])
    if "status" in changes:
        overrides["status"] = changes["status"]
    if "waitlist" in changes:
        overrides["waitlist"] = changes["waitlist"]
    if changes.get("past"):
        overrides.update(
            starts_on=today - timedelta(days=40),
            ends_on=today - timedelta(days=10),
            registration_opens_at=now - timedelta(days=60),
            registration_closes_at=now - timedelta(days=41),
        )
    course = create_course(partner=partner, **overrides)
    if changes.get("full"):
        course.enrolled_count = course.capacity
        db.session.commit()
    body = client.get(f"/api/v1/courses/{course.id}").get_json()
    assert body["state"] == state


# --- courses of a type that is not installed ----------------------------------------------------


@pytest.fixture
def without_hospitality(app, monkeypatch):
    """Hospitality switched off (as COURSE_TYPES_DISABLED or an uninstalled package would)."""
    enabled = {k: v for k, v in app.extensions["course_types"].items() if k != "hospitality"}
    monkeypatch.setitem(app.extensions, "course_types", enabled)


def test_a_course_of_an_unavailable_type_still_lists_and_shows(
    client, headers, create_course, partner, request
):
    course = create_course("hospitality", partner=partner, title="Tata Graha")
    request.getfixturevalue("without_hospitality")
    body = client.get("/api/v1/courses").get_json()
    (item,) = body["items"]
    assert item["id"] == course.id
    assert item["type"] == "hospitality"
    assert item["type_label"] is None and item["type_available"] is False
    filtered = client.get("/api/v1/courses?type=hospitality").get_json()
    assert [i["id"] for i in filtered["items"]] == [course.id]
    detail = client.get(f"/api/v1/courses/{course.id}")
    assert detail.status_code == 200
    assert detail.get_json()["details"]["specialisation"] == "housekeeping"
    sessions = client.get(f"/api/v1/courses/{course.id}/sessions")
    assert sessions.status_code == 200


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_course_of_an_unavailable_type_cannot_be_edited(
    client, headers, create_course, partner, request, lang
):
    course = create_course("hospitality", partner=partner, title="Tata Graha")
    request.getfixturevalue("without_hospitality")
    response = client.patch(
        f"/api/v1/courses/{course.id}", json={"title": "Baru"}, headers=headers("staff", lang)
    )
    error = assert_json_error(response, 400, "invalid")
    message = "This course type is not available; the course cannot be edited."
    assert error["fields"]["type"] == [message if lang == "en" else tr(message)]
    db.session.expire_all()
    assert db.session.get(Course, course.id).title == "Tata Graha"


def test_a_course_of_an_unavailable_type_cannot_be_created(
    client, headers, partner, without_hospitality
):
    response = client.post("/api/v1/courses", json=course_body(partner), headers=headers("staff"))
    error = assert_json_error(response, 400)
    assert error["fields"]["type"] == ["Not a valid choice."]


# --- POST /api/v1/courses -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_create_course_needs_staff(client, headers, partner, role):
    response = client.post("/api/v1/courses", json=course_body(partner), headers=headers(role))
    if role in REFUSED:
        assert_json_error(response, REFUSED[role])
        assert count(Course) == 0
        return
    assert response.status_code == 201
    assert count(Course) == 1


def test_create_course(client, headers, partner, trainer):
    body = course_body(
        partner,
        trainer_ids=[trainer.id],
        attendance_threshold=0.9,
        status="published",
        location="Bandar Lampung",
        description="Praktik di hotel mitra.",
        target_groups=["cpmi", "purna_pmi"],
    )
    response = client.post("/api/v1/courses", json=body, headers=headers("staff", "id"))
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    course = db.session.get(Course, created["id"])
    assert course.code == "HSP-2026-07"
    assert course.type_key == "hospitality"
    assert course.details == {
        "specialisation": "housekeeping",
        "destination": "JP",
        "lesson_hours": None,
    }
    assert [t.id for t in course.trainers] == [trainer.id]
    assert course.registration_closes_at == datetime.fromisoformat(
        body["registration_closes_at"]
    ).astimezone(UTC)
    assert created["code"] == "HSP-2026-07"
    assert created["type_label"] == "Perhotelan"
    assert created["status"] == "published" and created["state"] == "open"
    assert created["capacity"] == 25 and created["seats_left"] == 25
    assert created["enrolled_count"] == 0 and created["waitlist_count"] == 0
    assert created["partner"] == {"id": partner.id, "name": partner.name}
    assert created["trainers"] == [{"id": trainer.id, "name": trainer.name}]
    assert created["attendance_threshold"] == 0.9
    assert created["target_groups"] == ["cpmi", "purna_pmi"]
    assert created["starts_on"] == body["starts_on"]
    assert datetime.fromisoformat(created["registration_closes_at"]) == datetime.fromisoformat(
        body["registration_closes_at"]
    )


def test_a_new_course_is_a_draft_by_default(client, headers, partner):
    response = client.post("/api/v1/courses", json=course_body(partner), headers=headers("admin"))
    assert response.status_code == 201
    assert response.get_json()["status"] == "draft"
    assert response.get_json()["state"] == "closed"
    course_id = response.get_json()["id"]
    assert client.get(f"/api/v1/courses/{course_id}").status_code == 404


@pytest.mark.parametrize("type_key", BUILT_IN_TYPES)
def test_create_a_course_of_every_type(client, headers, partner, type_key):
    body = course_body(partner, type=type_key, details=DETAILS[type_key], code=f"K-{type_key}")
    response = client.post("/api/v1/courses", json=body, headers=headers("staff"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["type"] == type_key
    for name, value in DETAILS[type_key].items():
        assert response.get_json()["details"][name] == value


def _post_invalid(client, headers, body, lang="en"):
    response = client.post("/api/v1/courses", json=body, headers=headers("staff", lang))
    error = assert_json_error(response, 400, "invalid")
    assert count(Course) == 0
    return error["fields"]


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"type": "cooking"}, "type", "Not a valid choice."),
        ({"type": None}, "type", "Field may not be null."),
        ({"capacity": 0}, "capacity", "Enter a number of seats from 1 to 10000."),
        ({"capacity": -3}, "capacity", "Enter a number of seats from 1 to 10000."),
        ({"capacity": 10001}, "capacity", "Enter a number of seats from 1 to 10000."),
        ({"capacity": "20"}, "capacity", "Not a valid integer."),
        ({"capacity": True}, "capacity", "Not a valid integer."),
        ({"code": "x"}, "code", None),
        ({"title": "  "}, "title", "This field is required."),
        ({"starts_on": "2026-02-30"}, "starts_on", "Not a valid date."),
        ({"starts_on": "01/03/2026"}, "starts_on", "Not a valid date."),
        ({"registration_opens_at": "tomorrow"}, "registration_opens_at", "Not a valid datetime."),
        ({"status": "hidden"}, "status", "Not a valid choice."),
        ({"attendance_threshold": 1.5}, "attendance_threshold", None),
        ({"target_groups": ["tourists"]}, "target_groups.0", "Not a valid choice."),
        ({"partner_id": 999999}, "partner_id", "Not a valid choice."),
        ({"details": "housekeeping"}, "details", "Not a valid mapping type."),
        ({"room": "A1"}, "room", "Unknown field."),
        ({"min_age": 30, "max_age": 20}, "max_age", None),
    ],
)
def test_create_course_validates(client, headers, partner, changes, field, message):
    fields = _post_invalid(client, headers, course_body(partner, **changes))
    assert field in fields, fields
    if message:
        assert fields[field] == [message]


@pytest.mark.parametrize(
    "missing",
    [
        "code",
        "title",
        "type",
        "partner_id",
        "capacity",
        "starts_on",
        "ends_on",
        "registration_opens_at",
        "registration_closes_at",
        "requires_approval",
        "waitlist",
    ],
)
def test_create_course_requires_the_fields_of_the_contract(client, headers, partner, missing):
    body = course_body(partner)
    del body[missing]
    fields = _post_invalid(client, headers, body)
    assert fields == {missing: ["Missing data for required field."]}


def test_create_course_reports_every_missing_field_at_once(client, headers):
    fields = _post_invalid(client, headers, {})
    assert {"code", "title", "type", "partner_id", "capacity", "waitlist"} <= set(fields)


def test_create_course_refuses_an_unknown_details_field(client, headers, partner):
    body = course_body(partner, details={"specialisation": "spa", "destination": "", "wifi": True})
    fields = _post_invalid(client, headers, body)
    assert fields == {"details.wifi": ["Unknown field."]}


def test_create_course_refuses_a_bad_details_value(client, headers, partner):
    body = course_body(
        partner, details={"specialisation": "juggling", "destination": "", "lesson_hours": 0}
    )
    fields = _post_invalid(client, headers, body)
    assert set(fields) == {"details.specialisation", "details.lesson_hours"}


def test_optional_details_may_be_left_out(client, headers, partner):
    body = course_body(partner, details={"specialisation": "spa"})
    response = client.post("/api/v1/courses", json=body, headers=headers("staff"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["details"]["specialisation"] == "spa"


def test_details_errors_in_indonesian(client, headers, partner):
    body = course_body(partner, details={"specialisation": "juggling"})
    response = client.post("/api/v1/courses", json=body, headers=headers("staff", "id"))
    error = assert_json_error(response, 400)
    assert error["fields"] == {"details.specialisation": ["Pilihan tidak valid."]}


def test_create_course_needs_the_required_details(client, headers, partner):
    fields = _post_invalid(client, headers, course_body(partner, details={"destination": "JP"}))
    assert set(fields) == {"details.specialisation"}


def test_the_type_checks_its_own_rules(client, headers, partner):
    body = course_body(
        partner,
        type="language",
        details={"language": "ja", "target_level": "HSK3"},  # an HSK level for Japanese
    )
    fields = _post_invalid(client, headers, body)
    assert fields == {
        "details.target_level": ["This level does not belong to the chosen language's scale."]
    }


def test_create_course_refuses_an_end_before_the_start(client, headers, partner):
    body = course_body(partner)
    body["ends_on"] = (date.fromisoformat(body["starts_on"]) - timedelta(days=1)).isoformat()
    fields = _post_invalid(client, headers, body)
    assert fields["ends_on"] == ["The course cannot end before it starts."]


def test_create_course_refuses_registration_closing_after_the_end(client, headers, partner):
    body = course_body(partner)
    ends = date.fromisoformat(body["ends_on"])
    body["registration_closes_at"] = iso_local(ends + timedelta(days=1), time(8, 0))
    fields = _post_invalid(client, headers, body)
    assert fields == {
        "registration_closes_at": ["Registration must close by the course's last day."]
    }


def test_registration_may_close_on_the_last_day_in_local_time(client, headers, partner):
    body = course_body(partner)
    ends = date.fromisoformat(body["ends_on"])
    # 23:30 WIB on the last day is 16:30 UTC the same day; 00:30 WIB the next day is not
    body["registration_closes_at"] = iso_local(ends, time(23, 30))
    response = client.post("/api/v1/courses", json=body, headers=headers("staff"))
    assert response.status_code == 201
    body["code"] = "HSP-2026-08"
    body["registration_closes_at"] = (
        datetime.combine(ends, time(17, 30)).isoformat() + "+00:00"
    )  # 00:30 WIB next day
    response = client.post("/api/v1/courses", json=body, headers=headers("staff"))
    assert "registration_closes_at" in assert_json_error(response, 400)["fields"]


def test_create_course_refuses_registration_closing_before_it_opens(client, headers, partner):
    body = course_body(partner)
    body["registration_opens_at"] = body["registration_closes_at"]
    body["registration_closes_at"] = (utcnow() - timedelta(days=2)).isoformat()
    fields = _post_invalid(client, headers, body)
    assert fields == {"registration_closes_at": ["Registration cannot close before it opens."]}


@pytest.mark.parametrize("name", ["registration_opens_at", "registration_closes_at"])
def test_create_course_refuses_a_naive_datetime(client, headers, partner, name):
    body = course_body(partner)
    body[name] = body[name][:19]  # no offset
    assert "+" not in body[name]
    fields = _post_invalid(client, headers, body)
    assert fields == {name: ["Give the time with its UTC offset, e.g. 2026-07-01T08:00:00+07:00."]}


def test_a_zulu_datetime_is_accepted(client, headers, partner):
    body = course_body(partner)
    body["registration_opens_at"] = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.post("/api/v1/courses", json=body, headers=headers("staff"))
    assert response.status_code == 201


def test_create_course_refuses_a_taken_code(client, headers, create_course, partner):
    create_course(partner=partner, code="HSP-2026-07")
    body = course_body(partner, code="hsp-2026-07")
    response = client.post("/api/v1/courses", json=body, headers=headers("staff"))
    error = assert_json_error(response, 400)
    assert error["fields"]["code"] == ["Another course already uses this code."]
    assert count(Course) == 1


@pytest.mark.parametrize("valid_until", [-1, None])
def test_an_expired_mou_blocks_course_creation(client, headers, create_partner, valid_until):
    lapsed = create_partner(
        name="LPK Kedaluwarsa",
        mou_valid_until=None if valid_until is None else local_today() + timedelta(valid_until),
    )
    fields = _post_invalid(client, headers, course_body(lapsed))
    assert fields == {
        "partner_id": [
            "The MoU of this partner has expired or has no end date; renew it before adding courses."
        ]
    }


def test_a_mou_valid_until_today_still_allows_a_course(client, headers, create_partner):
    partner = create_partner(name="LPK Hari Ini", mou_valid_until=local_today())
    response = client.post("/api/v1/courses", json=course_body(partner), headers=headers("staff"))
    assert response.status_code == 201


def test_a_trainer_of_another_partner_is_refused(client, headers, create_user, partner):
    stranger = create_user("trainer", name="Budi Santoso")  # works for another partner
    fields = _post_invalid(client, headers, course_body(partner, trainer_ids=[stranger.id]))
    assert fields == {"trainer_ids": ["Budi Santoso works for another partner institution."]}


@pytest.mark.parametrize("role", ["trainee", "staff"])
def test_only_trainers_can_be_assigned(client, headers, create_user, partner, role):
    user = create_user(role)
    fields = _post_invalid(client, headers, course_body(partner, trainer_ids=[user.id, 999999]))
    assert fields == {"trainer_ids": [f"Not a trainer: {user.id}.", "Not a trainer: 999999."]}


def test_create_course_errors_in_indonesian(client, headers, partner):
    body = course_body(partner, capacity=0, details={"specialisation": "spa", "wifi": "ya"})
    body["registration_opens_at"] = body["registration_opens_at"][:19]
    response = client.post("/api/v1/courses", json=body, headers=headers("staff", "id"))
    error = assert_json_error(response, 400, "invalid")
    # marshmallow's checks come first: the naive time is refused before the rules are checked
    naive = "Give the time with its UTC offset, e.g. 2026-07-01T08:00:00+07:00."
    assert error["fields"] == {"registration_opens_at": [tr(naive)]}
    assert error["fields"]["registration_opens_at"] != [naive]

    body = course_body(partner, capacity=0, details={"specialisation": "spa", "wifi": "ya"})
    response = client.post("/api/v1/courses", json=body, headers=headers("staff", "id"))
    error = assert_json_error(response, 400, "invalid")
    assert error["message"] == "Mohon perbaiki isian yang ditandai."
    seats = "Enter a number of seats from 1 to 10000."
    assert error["fields"]["capacity"] == [tr(seats)] != [seats]
    assert error["fields"]["details.wifi"] == ["Kolom tidak dikenal."]

    english = client.post("/api/v1/courses", json=body, headers=headers("staff", "en"))
    error = assert_json_error(english, 400)
    assert error["message"] == "Please correct the marked fields."
    assert error["fields"]["capacity"] == [seats]
    assert error["fields"]["details.wifi"] == ["Unknown field."]


@pytest.mark.parametrize(
    "data, content_type",
    [("{", "application/json"), ("[1, 2]", "application/json"), ("code=HSP", "text/plain")],
)
def test_create_course_answers_a_malformed_body_with_a_json_400(
    client, headers, data, content_type
):
    response = client.post(
        "/api/v1/courses", data=data, headers={**headers("staff"), "Content-Type": content_type}
    )
    assert_json_error(response, 400)
    assert count(Course) == 0


# --- PATCH /api/v1/courses/{id} -----------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_update_course_needs_staff(client, headers, create_course, partner, role):
    course = create_course(partner=partner, title="Lama")
    response = client.patch(
        f"/api/v1/courses/{course.id}", json={"title": "Baru"}, headers=headers(role)
    )
    db.session.expire_all()
    if role in REFUSED:
        assert_json_error(response, REFUSED[role])
        assert db.session.get(Course, course.id).title == "Lama"
        return
    assert response.status_code == 200
    assert response.get_json()["title"] == "Baru"
    assert db.session.get(Course, course.id).title == "Baru"


def test_an_assigned_trainer_cannot_edit(client, api_headers, create_course, partner, trainer):
    course = create_course(partner=partner, trainers=[trainer])
    response = client.patch(
        f"/api/v1/courses/{course.id}", json={"capacity": 5}, headers=api_headers(trainer)
    )
    assert_json_error(response, 403)


def test_update_a_missing_course(client, headers):
    response = client.patch("/api/v1/courses/424242", json={"title": "X"}, headers=headers("staff"))
    assert_json_error(response, 404)


def test_update_course_is_partial(client, headers, create_course, partner, trainer):
    course = create_course(partner=partner, title="Tata Graha", capacity=20)
    before = client.get(f"/api/v1/courses/{course.id}", headers=headers("staff")).get_json()
    response = client.patch(
        f"/api/v1/courses/{course.id}",
        json={"capacity": 30, "title_en": None, "trainer_ids": [trainer.id], "status": "closed"},
        headers=headers("staff"),
    )
    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    assert after["capacity"] == 30 and after["seats_left"] == 30
    assert after["title_en"] is None
    assert after["status"] == "closed" and after["state"] == "closed"
    assert after["trainers"] == [{"id": trainer.id, "name": trainer.name}]
    unchanged = set(before) - {
        "capacity",
        "seats_left",
        "title_en",
        "trainers",
        "status",
        "state",
    }
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


def test_update_course_merges_details(client, headers, create_course, partner):
    course = create_course(partner=partner)
    response = client.patch(
        f"/api/v1/courses/{course.id}",
        json={"details": {"lesson_hours": 200, "destination": "TW"}},
        headers=headers("staff"),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["details"] == {
        "specialisation": "housekeeping",
        "destination": "TW",
        "lesson_hours": 200,
    }
    cleared = client.patch(
        f"/api/v1/courses/{course.id}",
        json={"details": {"lesson_hours": None}},
        headers=headers("staff"),
    )
    assert cleared.get_json()["details"]["lesson_hours"] is None


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"capacity": 0}, "capacity"),
        ({"type": "language"}, "type"),
        ({"title": None}, "title"),
        ({"details": {"specialisation": "juggling"}}, "details.specialisation"),
        ({"details": {"sauna": True}}, "details.sauna"),
        ({"registration_opens_at": "2026-03-01T08:00:00"}, "registration_opens_at"),
        ({"status": "deleted"}, "status"),
        ({"room": "A1"}, "room"),
    ],
)
def test_update_course_validates(client, headers, create_course, partner, patch, field):
    course = create_course(partner=partner)
    response = client.patch(f"/api/v1/courses/{course.id}", json=patch, headers=headers("staff"))
    error = assert_json_error(response, 400, "invalid")
    assert field in error["fields"], error["fields"]


def test_update_course_checks_the_dates_as_they_would_be_saved(
    client, headers, create_course, partner
):
    course = create_course(partner=partner)
    too_early = (course.starts_on - timedelta(days=1)).isoformat()
    response = client.patch(
        f"/api/v1/courses/{course.id}", json={"ends_on": too_early}, headers=headers("staff")
    )
    assert assert_json_error(response, 400)["fields"]["ends_on"]
    late = iso_local(course.ends_on + timedelta(days=2), time(9, 0))
    response = client.patch(
        f"/api/v1/courses/{course.id}",
        json={"registration_closes_at": late},
        headers=headers("staff"),
    )
    assert assert_json_error(response, 400)["fields"]["registration_closes_at"]


def test_capacity_cannot_drop_below_the_enrolled(client, headers, create_course, partner):
    course = create_course(partner=partner, capacity=10)
    course.enrolled_count = 6
    db.session.commit()
    response = client.patch(
        f"/api/v1/courses/{course.id}", json={"capacity": 5}, headers=headers("staff")
    )
    error = assert_json_error(response, 400)
    assert error["fields"]["capacity"] == [
        "6 trainees are already enrolled; the capacity cannot be lower."
    ]


def test_changing_the_partner_keeps_trainers_consistent(
    client, headers, create_course, create_partner, partner, trainer
):
    course = create_course(partner=partner, trainers=[trainer])
    other = create_partner(
        name="UPTD BLK Metro", mou_valid_until=local_today() + timedelta(days=90)
    )
    response = client.patch(
        f"/api/v1/courses/{course.id}", json={"partner_id": other.id}, headers=headers("staff")
    )
    error = assert_json_error(response, 400)
    assert error["fields"] == {
        "trainer_ids": ["Dewi Anggraini works for another partner institution."]
    }
    response = client.patch(
        f"/api/v1/courses/{course.id}",
        json={"partner_id": other.id, "trainer_ids": []},
        headers=headers("staff"),
    )
    assert response.status_code == 200
    assert response.get_json()["partner"]["id"] == other.id
    assert response.get_json()["trainers"] == []


# --- sessions -----------------------------------------------------------------------------------


def session_body(course, day_offset=0, start=time(8, 0), end=time(12, 0), **changes):
    day = course.starts_on + timedelta(days=day_offset)
    body = {
        "starts_at": iso_local(day, start),
        "ends_at": iso_local(day, end),
        "topic": "Pengenalan tata graha",
        "location": "Ruang 2",
    }
    body.update(changes)
    return body


@pytest.mark.parametrize("role", ROLES)
def test_add_session_needs_staff(client, headers, create_course, partner, role):
    course = create_course(partner=partner)
    response = client.post(
        f"/api/v1/courses/{course.id}/sessions", json=session_body(course), headers=headers(role)
    )
    if role in REFUSED:
        assert_json_error(response, REFUSED[role])
        assert count(CourseSession) == 0
        return
    assert response.status_code == 201
    assert count(CourseSession) == 1


def test_add_session(client, headers, create_course, partner):
    course = create_course(partner=partner)
    body = session_body(course)
    response = client.post(
        f"/api/v1/courses/{course.id}/sessions", json=body, headers=headers("staff")
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created["topic"] == "Pengenalan tata graha" and created["location"] == "Ruang 2"
    assert created["cancelled"] is False and created["cancel_reason"] is None
    starts = datetime.fromisoformat(created["starts_at"])
    assert starts.utcoffset() is not None
    assert starts == datetime.fromisoformat(body["starts_at"])
    assert starts.astimezone(UTC).hour == 1  # 08:00 WIB
    session = db.session.get(CourseSession, created["id"])
    assert session.course_id == course.id
    assert session.ends_at == combine_local(course.starts_on, time(12, 0))


def test_staff_may_record_a_session_in_the_past(client, headers, create_course, partner):
    today = local_today()
    course = create_course(
        partner=partner,
        starts_on=today - timedelta(days=20),
        ends_on=today + timedelta(days=5),
    )
    body = session_body(course, day_offset=1)
    response = client.post(
        f"/api/v1/courses/{course.id}/sessions", json=body, headers=headers("staff")
    )
    assert response.status_code == 201
    assert datetime.fromisoformat(response.get_json()["starts_at"]) < utcnow()


def test_add_session_to_a_missing_course(client, headers, create_course, partner):
    course = create_course(partner=partner)
    response = client.post(
        "/api/v1/courses/555555/sessions", json=session_body(course), headers=headers("staff")
    )
    assert_json_error(response, 404)


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"end": time(7, 0)}, "ends_at", "A session must end after it starts."),
        ({"end": time(8, 0)}, "ends_at", "A session must end after it starts."),
        ({"day_offset": -1}, "starts_at", None),
        ({"day_offset": 400}, "starts_at", None),
        ({"starts_at": "2026-03-01T08:00:00"}, "starts_at", None),
        ({"ends_at": "2026-03-01 12:00"}, "ends_at", None),
        ({"ends_at": "later"}, "ends_at", "Not a valid datetime."),
        ({"topic": "x" * 201}, "topic", "At most 200 characters."),
        ({"teacher": "Dewi"}, "teacher", "Unknown field."),
    ],
)
def test_add_session_validates(client, headers, create_course, partner, changes, field, message):
    course = create_course(partner=partner)
    changes = dict(changes)  # the parameter is shared by every backend run
    layout = {k: changes.pop(k) for k in ("day_offset", "end") if k in changes}
    body = session_body(course, **layout, **changes)
    response = client.post(
        f"/api/v1/courses/{course.id}/sessions", json=body, headers=headers("staff")
    )
    error = assert_json_error(response, 400, "invalid")
    assert field in error["fields"], error["fields"]
    if message:
        assert error["fields"][field] == [message]
    assert count(CourseSession) == 0


def test_add_session_refuses_naive_times(client, headers, create_course, partner, request):
    course = create_course(partner=partner)
    body = session_body(course)
    body["starts_at"] = body["starts_at"][:19]
    body["ends_at"] = body["ends_at"][:19]
    response = client.post(
        f"/api/v1/courses/{course.id}/sessions", json=body, headers=headers("staff", "id")
    )
    error = assert_json_error(response, 400)
    naive = tr("Give the time with its UTC offset, e.g. 2026-07-01T08:00:00+07:00.")
    assert error["fields"] == {"starts_at": [naive], "ends_at": [naive]}


@pytest.mark.parametrize("role", ROLES)
def test_session_list(client, headers, create_course, create_session, partner, role):
    course = create_course(partner=partner)
    later = create_session(
        course, starts_at=combine_local(course.starts_on + timedelta(days=1), time(13, 0))
    )
    first = create_session(course, topic="Pembukaan", location="Aula")
    called_off = create_session(
        course, starts_at=combine_local(course.starts_on + timedelta(days=2), time(8, 0))
    )
    catalog.cancel_session(called_off, "Banjir")
    db.session.commit()
    response = client.get(f"/api/v1/courses/{course.id}/sessions", headers=headers(role))
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 3 and body["page"] == 1
    items = body["items"]
    assert [i["id"] for i in items] == [first.id, later.id, called_off.id]
    for item in items:
        assert {
            "id",
            "starts_at",
            "ends_at",
            "topic",
            "location",
            "cancelled",
            "cancel_reason",
        } <= set(item)
        assert datetime.fromisoformat(item["starts_at"]).utcoffset() is not None
        assert datetime.fromisoformat(item["ends_at"]).utcoffset() is not None
    assert items[0]["topic"] == "Pembukaan" and items[0]["location"] == "Aula"
    assert items[0]["cancelled"] is False and items[0]["cancel_reason"] is None
    assert items[2]["cancelled"] is True and items[2]["cancel_reason"] == "Banjir"
    assert datetime.fromisoformat(items[0]["starts_at"]) == combine_local(
        course.starts_on, time(8, 0)
    )


def test_session_list_pages(client, create_course, create_session, partner):
    course = create_course(partner=partner)
    for day in range(5):
        create_session(
            course, starts_at=combine_local(course.starts_on + timedelta(days=day), time(8, 0))
        )
    body = client.get(f"/api/v1/courses/{course.id}/sessions?per_page=2&page=2").get_json()
    assert body["total"] == 5 and len(body["items"]) == 2 and body["per_page"] == 2


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", ["draft", "archived"])
def test_sessions_of_a_hidden_course(client, headers, courses_by_status, role, status):
    course = courses_by_status[status]
    response = client.get(f"/api/v1/courses/{course.id}/sessions", headers=headers(role))
    if role in ("staff", "admin"):
        assert response.status_code == 200
    else:
        assert_json_error(response, 404)


def test_sessions_of_a_missing_course(client):
    assert_json_error(client.get("/api/v1/courses/31337/sessions"), 404)


# --- the contract's paths are documented ----------------------------------------------------------


def test_openapi_documents_the_catalogue(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {
        "/api/v1/course-types": {"get"},
        "/api/v1/partners": {"get", "post"},
        "/api/v1/courses": {"get", "post"},
        "/api/v1/courses/{course_id}": {"get", "patch"},
        "/api/v1/courses/{course_id}/sessions": {"get", "post"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
