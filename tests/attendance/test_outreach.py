"""Outreach events and school classes: partner kinds, the two course types, people reached, the
annual report's outreach section (issue 16)."""

import io
from datetime import date, time, timedelta
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from wtforms import Form, StringField
from wtforms.validators import DataRequired, Length

from lms.audit.models import AuditEntry
from lms.catalog.models import CourseSession
from lms.core.time import combine_local, local_today
from lms.course_types.base import CourseType
from lms.extensions import course_types, db
from lms.partners.models import Partner
from lms.regions.models import Regency
from tests.fixtures.api import assert_json_error
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


# --- the outreach course type --------------------------------------------------------------------


def outreach_body(partner, day, n=1, regency="18.07", audience="village", **changes):
    """A POST /api/v1/courses body of a one-day outreach event (no seats, no registration)."""
    body = {
        "code": f"SOS-{day.year}-{n:03d}",
        "title": f"Sosialisasi migrasi aman {n}",
        "type": "outreach",
        "partner_id": partner.id,
        "starts_on": day.isoformat(),
        "ends_on": day.isoformat(),
        "status": "published",
        "details": {
            "regency": regency,
            "audience": audience,
            "venue": "Balai Desa",
            "topics": ["safe_migration"],
        },
    }
    body.update(changes)
    return body


@pytest.fixture
def co_host(create_partner):
    """A co-host of outreach events with no MoU at all."""
    return create_partner(name="PWNU Lampung", kind="religious_organisation")


def test_an_outreach_event_needs_no_capacity_registration_or_mou(
    client, api_headers, staff, co_host
):
    day = local_today() + timedelta(days=3)
    response = client.post(
        "/api/v1/courses", json=outreach_body(co_host, day), headers=api_headers(staff)
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["capacity"] is None and body["seats_left"] is None
    assert body["registration_opens_at"] is None and body["registration_closes_at"] is None
    assert body["details"]["regency"] == "18.07"
    sent = outreach_body(
        co_host,
        day,
        n=2,
        capacity=None,
        registration_opens_at=None,
        registration_closes_at=None,
    )
    response = client.post("/api/v1/courses", json=sent, headers=api_headers(staff))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["capacity"] is None
    # the public course page and the staff pages show it without seats
    assert client.get(f"/api/v1/courses/{body['id']}").status_code == 200
    assert client.get(f"/courses/{body['id']}").status_code == 200


def test_a_course_people_enrol_in_still_needs_its_seats(client, api_headers, staff, co_host):
    body = outreach_body(co_host, local_today(), type="school_class")
    body["details"] = {"skill": "japanese"}
    response = client.post("/api/v1/courses", json=body, headers=api_headers(staff))
    error = assert_json_error(response, 400)
    assert set(error["fields"]) >= {"capacity", "registration_opens_at", "registration_closes_at"}


@pytest.mark.parametrize("regency", ["99.99", "Lampung Timur"])
def test_an_outreach_event_needs_a_known_regency(client, api_headers, staff, co_host, regency):
    body = outreach_body(co_host, local_today(), regency=regency)
    response = client.post("/api/v1/courses", json=body, headers=api_headers(staff, "id"))
    error = assert_json_error(response, 400)
    assert "details.regency" in error["fields"]


def test_nobody_registers_for_an_outreach_event(client, api_headers, staff, co_host, create_user):
    body = outreach_body(co_host, local_today() + timedelta(days=2))
    course_id = client.post("/api/v1/courses", json=body, headers=api_headers(staff)).get_json()[
        "id"
    ]
    trainee = create_user("trainee")
    response = client.post(
        f"/api/v1/courses/{course_id}/enrollments", json={}, headers=api_headers(trainee)
    )
    error = assert_json_error(response, 400)
    assert error["code"] == "no_registration"
    # staff may still sign in a named attendee (a walk-in): no seat limit
    walk_in = client.post(
        f"/api/v1/courses/{course_id}/enrollments",
        json={"user_id": trainee.id},
        headers=api_headers(staff),
    )
    assert walk_in.status_code == 201, walk_in.get_json()
    assert walk_in.get_json()["status"] == "enrolled"


def test_an_outreach_event_makes_no_absence_and_no_certificate(
    client, api_headers, staff, co_host, create_user, clock
):
    day = local_today()
    body = outreach_body(co_host, day)
    course_id = client.post("/api/v1/courses", json=body, headers=api_headers(staff)).get_json()[
        "id"
    ]
    session = client.post(
        f"/api/v1/courses/{course_id}/sessions",
        json={
            "starts_at": combine_local(day, time(9, 0)).isoformat(),
            "ends_at": combine_local(day, time(11, 0)).isoformat(),
        },
        headers=api_headers(staff),
    )
    assert session.status_code == 201, session.get_json()
    trainee = create_user("trainee")
    client.post(
        f"/api/v1/courses/{course_id}/enrollments",
        json={"user_id": trainee.id},
        headers=api_headers(staff),
    )
    clock.move_to(combine_local(day + timedelta(days=1), time(9, 0)))
    summary = client.get(
        f"/api/v1/courses/{course_id}/attendance-summary", headers=api_headers(staff)
    ).get_json()
    (item,) = summary["items"]
    assert item["absent"] == 0 and item["rate"] is None
    issued = client.post(
        f"/api/v1/courses/{course_id}/certificates", json={}, headers=api_headers(staff)
    ).get_json()
    assert issued["issued"] == [] and issued["skipped"]


# --- people reached ------------------------------------------------------------------------------


@pytest.fixture
def event(client, api_headers, staff, co_host, create_user, clock):
    """An outreach event today, 09:00-11:00 WIB, with its trainer; the clock at 12:00."""
    day = local_today()
    trainer = create_user("trainer", partner_id=co_host.id)
    body = outreach_body(co_host, day, trainer_ids=[trainer.id])
    course_id = client.post("/api/v1/courses", json=body, headers=api_headers(staff)).get_json()[
        "id"
    ]
    session_id = client.post(
        f"/api/v1/courses/{course_id}/sessions",
        json={
            "starts_at": combine_local(day, time(9, 0)).isoformat(),
            "ends_at": combine_local(day, time(11, 0)).isoformat(),
        },
        headers=api_headers(staff),
    ).get_json()["id"]
    clock.move_to(combine_local(day, time(12, 0)))
    return SimpleNamespace(course_id=course_id, session_id=session_id, trainer=trainer, day=day)


def test_the_trainer_records_the_people_reached_and_named_attendees_count_too(
    client, api_headers, staff, event, create_user
):
    url = f"/api/v1/sessions/{event.session_id}/reach"
    response = client.put(url, json={"people": 120}, headers=api_headers(event.trainer))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "session_id": event.session_id,
        "people": 120,
        "named": 0,
        "counted": 120,
    }
    # three walk-ins signed a sheet: two of them are marked present, one late
    ids = []
    for _n in range(3):
        user = create_user("trainee")
        ids.append(
            client.post(
                f"/api/v1/courses/{event.course_id}/enrollments",
                json={"user_id": user.id},
                headers=api_headers(staff),
            ).get_json()["id"]
        )
    marks = [
        {"enrollment_id": ids[0], "status": "present"},
        {"enrollment_id": ids[1], "status": "late"},
        {"enrollment_id": ids[2], "status": "absent"},
    ]
    client.put(
        f"/api/v1/sessions/{event.session_id}/attendance",
        json={"records": marks},
        headers=api_headers(staff),
    )
    response = client.put(url, json={"people": 1}, headers=api_headers(staff))
    assert response.get_json() == {
        "session_id": event.session_id,
        "people": 1,
        "named": 2,
        "counted": 2,
    }
    actions = db.session.scalars(
        select(AuditEntry.data)
        .where(AuditEntry.action == "session.people_reached")
        .order_by(AuditEntry.id)
    ).all()
    assert [(a["old"], a["new"]) for a in actions] == [(None, 120), (120, 1)]


def test_the_same_batch_twice_changes_nothing(client, api_headers, event):
    url = f"/api/v1/sessions/{event.session_id}/reach"
    headers = api_headers(event.trainer)
    first = client.put(url, json={"people": 80, "batch_id": "b-1"}, headers=headers)
    assert first.get_json()["people"] == 80
    client.put(url, json={"people": 90, "batch_id": "b-2"}, headers=headers)
    again = client.put(url, json={"people": 80, "batch_id": "b-1"}, headers=headers)
    assert again.status_code == 200 and again.get_json()["people"] == 90
    assert (
        db.session.scalar(
            select(CourseSession.people_reached).where(CourseSession.id == event.session_id)
        )
        == 90
    )


@pytest.mark.parametrize("people", [-1, 100_001, "12", 1.5, True, None])
def test_a_bad_figure_is_refused(client, api_headers, event, people):
    response = client.put(
        f"/api/v1/sessions/{event.session_id}/reach",
        json={"people": people},
        headers=api_headers(event.trainer, "id"),
    )
    error = assert_json_error(response, 400)
    assert "people" in error["fields"]


def test_only_an_event_that_counts_people_records_them(
    client, api_headers, staff, create_course, create_session
):
    course = create_course("hospitality")
    session = create_session(course)
    response = client.put(
        f"/api/v1/sessions/{session.id}/reach", json={"people": 5}, headers=api_headers(staff)
    )
    assert assert_json_error(response, 400)["code"] == "not_counted"


def test_who_may_record_the_people_reached(client, api_headers, event, create_user):
    url = f"/api/v1/sessions/{event.session_id}/reach"
    assert client.put(url, json={"people": 5}).status_code == 401
    trainee = create_user("trainee")
    assert client.put(url, json={"people": 5}, headers=api_headers(trainee)).status_code == 403
    other = create_user("trainer")
    assert client.put(url, json={"people": 5}, headers=api_headers(other)).status_code == 404


def test_a_cancelled_or_future_event_records_nothing(client, api_headers, staff, event, clock):
    clock.move_to(combine_local(event.day - timedelta(days=1), time(12, 0)))
    response = client.put(
        f"/api/v1/sessions/{event.session_id}/reach",
        json={"people": 5},
        headers=api_headers(event.trainer),
    )
    assert_json_error(response, 403)


def test_the_today_page_lists_the_event_with_a_form_for_the_people_reached(client, login, event):
    login(event.trainer)
    page = client.get("/trainer/today")
    assert page.status_code == 200
    assert 'data-testid="reach-form"' in page.text
    response = client.post(f"/trainer/sessions/{event.session_id}/reach", data={"people": "75"})
    assert response.status_code == 303
    assert (
        db.session.scalar(
            select(CourseSession.people_reached).where(CourseSession.id == event.session_id)
        )
        == 75
    )
    page = client.get("/trainer/today")
    assert 'value="75"' in page.text


@pytest.mark.parametrize("people", ["", "-4", "banyak"])
def test_the_today_page_refuses_a_bad_figure(client, login, event, people):
    login(event.trainer)
    response = client.post(f"/trainer/sessions/{event.session_id}/reach", data={"people": people})
    assert response.status_code == 400
    assert "invalid-feedback" in response.text
    assert (
        db.session.scalar(
            select(CourseSession.people_reached).where(CourseSession.id == event.session_id)
        )
        is None
    )


# --- the annual report ---------------------------------------------------------------------------


def test_a_year_of_outreach_appears_exactly_in_the_annual_report(
    client, api_headers, staff, create_partner, create_user, login
):
    """63 events reaching 5,970 people, entered through the API, as the office's year was."""
    year = local_today().year - 1
    headers = api_headers(staff)
    regencies = client.get("/api/v1/regencies").get_json()
    partners = [
        create_partner(name="SMK Negeri 1 Metro", kind="school"),
        create_partner(name="PWNU Lampung", kind="religious_organisation"),
        create_partner(name="Disnakertrans Lampung Timur", kind="local_government"),
        create_partner(name="Himpunan Mahasiswa", kind="community"),
        create_partner(name="Universitas Lampung", kind="university"),
    ]
    expected = {"by_regency": {}, "by_partner_kind": {}, "by_month": {}}

    def add_event(n, day, hour=9, regency=None, partner=None, people=None):
        regency = regency or regencies[n % len(regencies)]
        partner = partner or partners[n % len(partners)]
        body = outreach_body(partner, day, n=n, regency=regency["code"])
        course = client.post("/api/v1/courses", json=body, headers=headers)
        assert course.status_code == 201, course.get_json()
        session = client.post(
            f"/api/v1/courses/{course.get_json()['id']}/sessions",
            json={
                "starts_at": combine_local(day, time(hour, 0)).isoformat(),
                "ends_at": combine_local(day, time(hour + 2, 0)).isoformat(),
            },
            headers=headers,
        )
        assert session.status_code == 201, session.get_json()
        if people is not None:
            saved = client.put(
                f"/api/v1/sessions/{session.get_json()['id']}/reach",
                json={"people": people, "batch_id": f"reach-{n}"},
                headers=headers,
            )
            assert saved.status_code == 200, saved.get_json()
        return course.get_json()["id"], session.get_json()["id"], regency, partner

    # 62 events counted at the door, and a last one whose 5 named attendees are its figure
    figures = [90 + (n % 10) for n in range(62)]
    figures[0] += 5965 - sum(figures)
    figures.append(5)
    events = []
    for n, people in enumerate(figures):
        day = date(year, 1 + n % 12, 1 + n % 28)
        # the last event's head count is low: its 5 named attendees count instead (the larger)
        recorded = 3 if n == 62 else people
        course_id, session_id, regency, partner = add_event(n, day, people=recorded)
        events.append((course_id, session_id))
        month = f"{year}-{day.month:02d}"
        by_month = expected["by_month"].setdefault(month, {"events": 0, "people": 0})
        by_month["events"] += 1
        by_month["people"] += people
        by_regency = expected["by_regency"]
        by_regency[regency["name"]] = by_regency.get(regency["name"], 0) + people
        by_kind = expected["by_partner_kind"]
        by_kind[partner.kind] = by_kind.get(partner.kind, 0) + people
    last_course, last_session = events[-1]
    walk_ins = []
    for _n in range(5):
        user = create_user("trainee")
        walk_ins.append(
            client.post(
                f"/api/v1/courses/{last_course}/enrollments",
                json={"user_id": user.id},
                headers=headers,
            ).get_json()["id"]
        )
    marked = client.put(
        f"/api/v1/sessions/{last_session}/attendance",
        json={"records": [{"enrollment_id": e, "status": "present"} for e in walk_ins]},
        headers=headers,
    )
    assert marked.status_code == 200, marked.get_json()

    # none of these count: a cancelled event, one on the last evening of the year before, and
    # one that has not started yet
    cancelled, _s, _r, _p = add_event(100, date(year, 6, 1), people=400)
    course = db.session.get(CourseSession, _s)
    course.cancelled_at = combine_local(date(year, 5, 30), time(8, 0))
    db.session.commit()
    add_event(101, date(year - 1, 12, 31), hour=20, people=300)
    add_event(102, local_today() + timedelta(days=1))

    response = client.get(f"/api/v1/reports/annual?year={year}", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    outreach = body["outreach"]
    assert outreach["events"] == 63
    assert outreach["people"] == 5970
    assert outreach["by_regency"] == expected["by_regency"]
    assert outreach["by_partner_kind"] == expected["by_partner_kind"]
    assert {m: v for m, v in outreach["by_month"].items() if v["events"]} == expected["by_month"]
    # the breakdowns add up
    assert sum(outreach["by_regency"].values()) == 5970
    assert sum(outreach["by_partner_kind"].values()) == 5970
    assert sum(m["people"] for m in outreach["by_month"].values()) == 5970
    assert sum(m["events"] for m in outreach["by_month"].values()) == 63
    # outreach audiences are no trainees, and events no training sessions
    assert body["trainees"] == 0 and body["enrollments"] == 0
    assert body["sessions_held"] == 0 and body["by_course_type"] == {}

    # the page and its files show the same figures
    login(staff)
    page = client.get(f"/reports/annual?year={year}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert 'data-figure="outreach.people"' in page.text
    assert "5,970" in page.text
    workbook = client.get(f"/reports/annual.xlsx?year={year}")
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.data))
    cells = [c.value for ws in sheet.worksheets for row in ws.iter_rows() for c in row]
    assert 5970 in cells and 63 in cells
    pdf = client.get(f"/reports/annual.pdf?year={year}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


# --- a third-party type that counts people -------------------------------------------------------


class VillageMeetingDetails(Form):
    kabupaten = StringField("Kabupaten", validators=[DataRequired(), Length(max=8)])


class VillageMeeting(CourseType):
    """A third party's type: it counts people, with its regency under another name."""

    key = "village_meeting"
    labels = {"id": "Musyawarah desa", "en": "Village meeting"}
    details_form = VillageMeetingDetails
    enrols = False
    counts_people = True
    requires_mou = False
    regency_field = "kabupaten"
    certificate_wording = {"id": "{name}", "en": "{name}"}


def test_a_third_party_type_that_counts_people_works_with_no_core_change(
    app, monkeypatch, client, api_headers, staff, co_host
):
    monkeypatch.setitem(app.extensions["course_types"], "village_meeting", VillageMeeting())
    year = local_today().year - 1
    day = date(year, 3, 14)
    headers = api_headers(staff)
    body = outreach_body(co_host, day, type="village_meeting", details={"kabupaten": "18.04"})
    course = client.post("/api/v1/courses", json=body, headers=headers)
    assert course.status_code == 201, course.get_json()
    assert course.get_json()["capacity"] is None
    session = client.post(
        f"/api/v1/courses/{course.get_json()['id']}/sessions",
        json={
            "starts_at": combine_local(day, time(19, 0)).isoformat(),
            "ends_at": combine_local(day, time(21, 0)).isoformat(),
        },
        headers=headers,
    ).get_json()
    saved = client.put(
        f"/api/v1/sessions/{session['id']}/reach", json={"people": 41}, headers=headers
    )
    assert saved.status_code == 200, saved.get_json()
    report = client.get(f"/api/v1/reports/annual?year={year}", headers=headers).get_json()
    regency = db.session.get(Regency, "18.04").name
    assert report["outreach"]["events"] == 1 and report["outreach"]["people"] == 41
    assert report["outreach"]["by_regency"] == {regency: 41}
    assert report["outreach"]["by_month"][f"{year}-03"] == {"events": 1, "people": 41}
    assert report["sessions_held"] == 0


def test_the_event_page_promises_no_certificate_or_registration(client, create_course, co_host):
    course = create_course("outreach", partner=co_host)
    page = client.get(f"/courses/{course.id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "No registration: people are counted on the day" in page.text
    assert "Certificate of attendance" not in page.text
    assert "A complete profile" not in page.text


def test_staff_choose_an_events_regency_by_name(client, login, staff, co_host):
    """The outreach form offers the regencies by name; the course keeps the code (issue 16)."""
    login(staff)
    page = client.get("/manage/courses/new/outreach", headers={"Accept-Language": "id"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    choice = html.split('data-testid="regency-choice"', 1)[1].split("</select>", 1)[0]
    assert '<option value="18.07">Lampung Timur</option>' in choice
    assert "18.07" not in choice.replace('value="18.07"', "")  # the code is never shown
