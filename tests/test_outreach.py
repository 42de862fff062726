"""Outreach events and school classes: partner kinds, the two course types, people reached, the
annual report's outreach section (issue 16)."""

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from lms.core.time import combine_local, local_today
from lms.extensions import course_types, db
from lms.partners.models import Partner
from tests.fixtures.i18n import tr

NEW_KINDS = ["school", "religious_organisation", "local_government", "community"]


@pytest.fixture
def staff(create_user):
    return create_user("staff")


# --- partner kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", NEW_KINDS)
def test_new_partner_kinds_need_no_mou(client, api_headers, staff, kind):
    response = client.post(
        "/api/v1/partners",
        json={"name": f"Mitra {kind}", "kind": kind},
        headers=api_headers(staff, "id"),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == kind and body["mou_number"] is None
    assert body["kind_label"] != kind and body["kind_label"]
    assert db.session.scalar(select(Partner.kind).where(Partner.id == body["id"])) == kind


def test_new_partner_kinds_are_labelled_in_both_languages(client, create_partner):
    create_partner(name="PWNU Lampung", kind="religious_organisation")
    english = client.get("/api/v1/partners", headers={"Accept-Language": "en"}).get_json()
    indonesian = client.get("/api/v1/partners", headers={"Accept-Language": "id"}).get_json()
    assert english["items"][0]["kind_label"] == "Religious organisation"
    assert indonesian["items"][0]["kind_label"] == tr("Religious organisation")


def test_partner_form_offers_the_new_kinds(client, login, staff):
    login(staff)
    page = client.get("/partners/new").get_data(as_text=True)
    for kind in NEW_KINDS:
        assert f'value="{kind}"' in page


# --- the school_class course type ----------------------------------------------------------------


def test_a_school_class_runs_in_a_school_with_sessions_and_a_participation_certificate(
    client, api_headers, staff, create_partner, create_course, create_session, create_user, clock
):
    school = create_partner(
        name="SMK Negeri 1 Metro",
        kind="school",
        mou_valid_until=local_today() + timedelta(days=400),
    )
    today = local_today()
    course = create_course(
        "school_class",
        partner=school,
        starts_on=today,
        ends_on=today + timedelta(days=180),
        target_groups=["cpmi"],
        details={"destination": "JP", "skill": "japanese", "school_year": "2026/2027"},
    )
    types = {t["key"]: t for t in client.get("/api/v1/course-types").get_json()}
    fields = {f["name"] for f in types["school_class"]["fields"]}
    assert {"destination", "skill", "school_year"} <= fields
    student = create_user("trainee", target_group="cpmi")
    enrolled = client.post(
        f"/api/v1/courses/{course.id}/enrollments",
        json={"user_id": student.id},
        headers=api_headers(staff),
    )
    assert enrolled.status_code == 201, enrolled.get_json()
    session = create_session(course, starts_at=combine_local(today, time(8, 0)))
    clock.move_to(combine_local(today, time(9, 0)))
    saved = client.put(
        f"/api/v1/sessions/{session.id}/attendance",
        json={"records": [{"enrollment_id": enrolled.get_json()["id"], "status": "present"}]},
        headers=api_headers(staff),
    )
    assert saved.status_code == 200, saved.get_json()
    summary = client.get(
        f"/api/v1/courses/{course.id}/attendance-summary", headers=api_headers(staff)
    ).get_json()
    assert summary["items"][0]["rate"] == 1.0
    course_type = course_types.get("school_class")
    assert course_type.certificate_kind == "attendance"
    with client.application.test_request_context():
        assert "kelas migran vokasi" in course_type.certificate_text(
            "id", name="Siti", course="Bahasa Jepang", hours=200, partner=school.name
        )
