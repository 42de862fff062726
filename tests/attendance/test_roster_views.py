"""The trainer's roster page: access for every role, the no-JavaScript save (one transaction,
all or nothing, a batch id applied once), the read-only states, the check-in QR code, the service
worker's headers, and the contract between the page and its script (API paths, messages)."""

import html
import io
import json
import re
from datetime import time, timedelta

import pytest
import segno
from sqlalchemy import select

from lms.attendance import services
from lms.attendance.models import Attendance, AttendanceBatch
from lms.audit.models import AuditEntry
from lms.catalog.models import Course, CourseSession
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from lms.enrollment import services as enrollment_services
from lms.extensions import db
from lms.partners.models import Partner
from tests.fixtures.attendance import marks_of
from tests.fixtures.clock import begun
from tests.fixtures.i18n import tr
from tests.fixtures.pages import count, text

ROLES = [None, "trainee", "trainer", "staff", "admin"]


# --- helpers (the browser tests use them too) ----------------------------------------------


def running_course(create_course, trainer, capacity=40, **kw):
    """A course that began five days ago and runs three more weeks, taught by ``trainer``."""
    today = local_today()
    partner = db.session.get(Partner, trainer.partner_id)  # a trainer teaches for their partner
    partner.mou_valid_until = today + timedelta(days=365)
    db.session.commit()
    return create_course(
        "plantation",
        partner=partner,
        title="Pemanenan Kelapa Sawit",
        title_en="Oil palm harvesting",
        capacity=capacity,
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=21),
        trainers=[trainer],
        **kw,
    )


def session_now(create_session, course, topic="Panen dan pengangkutan TBS"):
    """A meeting that began ten minutes ago (at midnight, just after it) and lasts until two
    hours from now (check-in is open)."""
    return create_session(
        course, starts_at=begun(minutes=10), ends_at=utcnow() + timedelta(hours=2), topic=topic
    )


def enrol_trainees(create_user, course, names):
    """Enrolments of new trainees, one per name, in the order given."""
    enrollments = []
    for name in names:
        user = create_user("trainee", name=name)
        enrollments.append(enrollment_services.enroll(user, course, bypass_window=True))
    db.session.commit()
    return enrollments


def roster_url(session):
    return f"/trainer/sessions/{session.id}/roster"


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture
def course(create_course, users_by_role):
    return running_course(create_course, users_by_role["trainer"])


@pytest.fixture
def session(create_session, course):
    return session_now(create_session, course)


@pytest.fixture
def trainees(create_user, course):
    return enrol_trainees(create_user, course, ["Ahmad Fauzi", "Budi Santoso", "Citra Lestari"])


@pytest.fixture
def trainer(client, login, users_by_role, english):
    login(users_by_role["trainer"])
    return users_by_role["trainer"]


def form_data(marks, batch_id=None, notes=None):
    data = {f"status-{e.id}": status for e, status in marks}
    for e, note in (notes or {}).items():
        data[f"note-{e.id}"] = note
    if batch_id:
        data["batch_id"] = batch_id
    return data


# --- access --------------------------------------------------------------------------------

EXPECTED = {None: 302, "trainee": 403, "trainer": 200, "staff": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_the_roster_for_every_role(client, login, users_by_role, session, trainees, role):
    if role is not None:
        login(users_by_role[role])
    response = client.get(roster_url(session))
    assert response.status_code == EXPECTED[role]
    if role is None:
        assert response.location.startswith("/login?next=")
    response = client.post(roster_url(session), data=form_data([(trainees[0], "present")]))
    assert response.status_code == {None: 302, "trainee": 403}.get(role, 302)
    assert marks_of(session) == ({trainees[0].id: "present"} if EXPECTED[role] == 200 else {})
    qr = client.get(f"/trainer/sessions/{session.id}/check-in-qr.svg?code=000000")
    assert qr.status_code == {None: 302, "trainee": 403}.get(role, 404)  # a wrong code: 404


def test_a_trainer_of_another_course_gets_404(
    client, login, create_user, session, trainees, english
):
    login(create_user("trainer"))
    code, _expires = services.current_checkin_code(db.session.get(CourseSession, session.id))
    db.session.commit()
    for path in (
        roster_url(session),
        f"/trainer/sessions/{session.id}/check-in-qr.svg?code={code}",
        "/trainer/sessions/999999/roster",
    ):
        assert client.get(path).status_code == 404, path
    assert (
        client.post(roster_url(session), data=form_data([(trainees[0], "late")])).status_code == 404
    )
    assert marks_of(session) == {}


def test_missing_sessions_are_404_for_staff(client, login, dummy_staff):
    login(dummy_staff)
    assert client.get("/trainer/sessions/999999/roster").status_code == 404
    assert client.post("/trainer/sessions/999999/roster").status_code == 404


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_the_session_the_trainees_and_their_marks(
    client, trainer, session, trainees
):
    db.session.add(
        Attendance(session_id=session.id, enrollment_id=trainees[1].id, status="late", note="Hujan")
    )
    db.session.commit()
    response = client.get(roster_url(session))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-cache"
    page = response.get_data(as_text=True)
    shown = text(response)
    assert "Oil palm harvesting" in shown and "Panen dan pengangkutan TBS" in shown
    assert "WIB" in shown
    for enrollment in trainees:
        assert enrollment.user.name in shown
        for status in ("present", "late", "excused", "absent"):
            assert f'id="s-{enrollment.id}-{status}"' in page
    # the saved mark is preselected, its note is in the (collapsed) field
    checked = re.findall(
        r'<input type="radio"[^>]*value="(\w+)"[^>]*id="s-(\d+)-\w+"[^>]*checked', page
    )
    assert checked == [("late", str(trainees[1].id))]
    assert 'value="Hujan"' in page
    assert tr("Everyone present", "en") in shown and tr("Save", "en") in shown
    assert tr("Present", "en") + ": 0" in shown and tr("Late", "en") + ": 1" in shown
    assert tr("Not marked", "en") + ": 2" in shown
    # the form posts back to itself with a fresh batch id
    assert re.search(r'<form method="post" id="roster-form"', page)
    assert re.search(r'name="batch_id"[^>]*value="[0-9a-f-]{36}"', page)


def test_the_check_in_code_and_its_qr_code(client, trainer, session, trainees):
    response = client.get(roster_url(session))
    page = response.get_data(as_text=True)
    code, _expires = services.current_checkin_code(db.session.get(CourseSession, session.id))
    assert re.search(rf'data-testid="checkin-code">{code}<', page)
    assert f'data-code-url="/api/v1/sessions/{session.id}/check-in-code"' in page
    src = f"/trainer/sessions/{session.id}/check-in-qr.svg?code={code}"
    assert html.escape(src) in page
    qr = client.get(src)
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    # the QR code holds the absolute URL of the trainee's check-in page with the code
    expected = io.BytesIO()
    url = f"http://localhost/checkin/{session.id}?code={code}"
    segno.make(url, error="m").save(
        expected, kind="svg", scale=1, omitsize=True, xmldecl=False, title="x"
    )
    path = re.search(rb' d="([^"]+)"', expected.getvalue()).group(1)
    assert path in qr.data
    # an old or made-up code draws nothing
    assert client.get(src.replace(code, str((int(code) + 1) % 10**6).zfill(6))).status_code == 404


def test_no_check_in_panel_after_the_session(client, trainer, create_session, course, trainees):
    now = utcnow()
    earlier = create_session(
        course, starts_at=now - timedelta(hours=5), ends_at=now - timedelta(hours=1)
    )
    response = client.get(roster_url(earlier))
    assert response.status_code == 200
    assert 'data-testid="checkin"' not in response.get_data(as_text=True)
    assert 'data-testid="save"' in response.get_data(as_text=True)  # still markable


def test_an_empty_roster(client, trainer, session):
    response = client.get(roster_url(session))
    assert response.status_code == 200
    assert tr("Nobody is enrolled in this course yet.", "en") in text(response)
    assert 'data-testid="save"' not in response.get_data(as_text=True)


def test_the_page_speaks_indonesian_by_default(client, login, users_by_role, session, trainees):
    login(users_by_role["trainer"])
    shown = text(client.get(roster_url(session)))
    for label in ("Present", "Late", "Excused", "Absent", "Save"):
        assert tr(label, "id") in shown


# --- saving without JavaScript -------------------------------------------------------------


def test_the_form_saves_every_mark_in_one_request(client, trainer, session, trainees):
    first, second, third = trainees
    response = client.post(
        roster_url(session),
        data=form_data(
            [(first, "present"), (second, "late"), (third, "excused")],
            notes={third: "  Sakit, ada surat dokter  "},
        ),
    )
    assert response.status_code == 302 and response.location == roster_url(session)
    assert marks_of(session) == {first.id: "present", second.id: "late", third.id: "excused"}
    rows = db.session.scalars(select(Attendance).where(Attendance.session_id == session.id)).all()
    assert {r.source for r in rows} == {"trainer"}
    assert {r.marked_by_id for r in rows} == {trainer.id}
    assert {r.enrollment_id: r.note for r in rows}[third.id] == "Sakit, ada surat dokter"
    page = client.get(response.location)
    assert tr("Saved: %(num)s marks changed.", "en", num=3) in text(page)

    # a change is saved and audited; a cleared note is cleared
    response = client.post(
        roster_url(session),
        data=form_data(
            [(first, "present"), (second, "absent"), (third, "excused")], notes={third: ""}
        ),
    )
    assert response.status_code == 302
    assert marks_of(session)[second.id] == "absent"
    assert (
        db.session.scalar(select(Attendance.note).where(Attendance.enrollment_id == third.id))
        is None
    )
    changed = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "attendance.changed")
    ).all()
    assert [(a.data["old"], a.data["new"]) for a in changed] == [("late", "absent")]


def test_the_form_is_all_or_nothing(client, trainer, session, trainees):
    first, second, third = trainees
    client.post(roster_url(session), data=form_data([(first, "late")]))
    assert marks_of(session) == {first.id: "late"}
    response = client.post(
        roster_url(session),
        data=form_data([(first, "present"), (second, "present"), (third, "asleep")]),
    )
    assert response.status_code == 400
    assert marks_of(session) == {first.id: "late"}  # nothing of the lot was saved
    page = response.get_data(as_text=True)
    assert tr("Please correct the marked fields.", "en") in text(response)
    assert tr("Not a valid choice.", "en") in text(response)
    # the rows show what was posted, the bad one in red
    assert re.search(rf'value="present"\s+id="s-{second.id}-present"[^>]*checked', page)
    assert re.search(rf'list-group-item-danger"\s+data-enrollment-id="{third.id}"', page)

    # a note without a status is refused too, with nothing saved
    response = client.post(
        roster_url(session), data=form_data([(first, "present")], notes={second: "Izin"})
    )
    assert response.status_code == 400
    assert marks_of(session) == {first.id: "late"}


def test_an_empty_form_saves_nothing(client, trainer, session, trainees):
    response = client.post(roster_url(session), data={})
    assert response.status_code == 400
    assert tr("Mark at least one trainee first.", "en") in text(response)
    assert marks_of(session) == {}


def test_a_form_sent_twice_is_saved_once(client, trainer, session, trainees):
    first, second, _third = trainees
    batch = "0f8fad5b-d9cb-469f-a165-70867728950e"
    client.post(roster_url(session), data=form_data([(first, "present")], batch_id=batch))
    # the same form again (a double tap, a re-post), even with other marks: nothing changes
    response = client.post(
        roster_url(session), data=form_data([(first, "absent"), (second, "late")], batch_id=batch)
    )
    assert response.status_code == 302
    assert marks_of(session) == {first.id: "present"}
    assert count(AttendanceBatch) == 1
    assert tr("Saved: nothing changed.", "en") in text(client.get(roster_url(session)))
    # a malformed batch id is refused
    response = client.post(
        roster_url(session), data=form_data([(first, "late")], batch_id="<script>")
    )
    assert response.status_code == 400
    assert marks_of(session) == {first.id: "present"}


def test_a_trainee_of_another_course_cannot_be_marked(
    client, trainer, session, trainees, create_course, create_user
):
    other_course = create_course()
    (stranger,) = enrol_trainees(create_user, other_course, ["Orang Lain"])
    response = client.post(
        roster_url(session), data=form_data([(trainees[0], "present"), (stranger, "present")])
    )
    assert response.status_code == 302  # the stranger's field is not a row of the page: ignored
    assert marks_of(session) == {trainees[0].id: "present"}


# --- read-only states ----------------------------------------------------------------------


def _locked_session(create_session, course):
    """A meeting that ended longer ago than trainers may still change it."""
    day = local_today() - timedelta(days=4)
    return create_session(
        course, starts_at=combine_local(day, time(8, 0)), ends_at=combine_local(day, time(12, 0))
    )


def assert_read_only(response):
    page = response.get_data(as_text=True)
    radios = re.findall(r'<input type="radio"[^>]*>', page)
    assert radios and all("disabled" in r for r in radios)
    assert 'data-testid="save"' not in page and 'data-testid="all-present"' not in page
    assert 'data-testid="checkin"' not in page
    assert 'data-readonly="1"' in page


def test_a_locked_session_is_read_only_for_its_trainer(
    client, trainer, create_session, course, trainees
):
    locked = _locked_session(create_session, course)
    db.session.add(Attendance(session_id=locked.id, enrollment_id=trainees[0].id, status="late"))
    db.session.commit()
    response = client.get(roster_url(locked))
    assert response.status_code == 200
    assert "ask the office to change it" in text(response)
    assert tr("The roster is shown read-only.", "en") in text(response)
    assert_read_only(response)
    assert re.search(
        rf'value="late"\s+id="s-{trainees[0].id}-late"[^>]*checked', response.get_data(as_text=True)
    )
    response = client.post(roster_url(locked), data=form_data([(trainees[0], "present")]))
    assert response.status_code == 403
    assert_read_only(response)
    assert marks_of(locked) == {trainees[0].id: "late"}


def test_staff_may_still_change_a_locked_session(
    client, login, dummy_staff, create_session, course, trainees
):
    locked = _locked_session(create_session, course)
    login(dummy_staff)
    response = client.get(roster_url(locked))
    assert 'data-testid="save"' in response.get_data(as_text=True)
    response = client.post(roster_url(locked), data=form_data([(trainees[0], "excused")]))
    assert response.status_code == 302
    assert marks_of(locked) == {trainees[0].id: "excused"}


def test_future_and_cancelled_sessions_are_read_only(
    client, trainer, create_session, course, trainees
):
    later = create_session(
        course, starts_at=combine_local(local_today() + timedelta(days=2), time(8, 0))
    )
    response = client.get(roster_url(later))
    assert tr("Attendance can be marked from the day of the session.", "en") in text(response)
    assert_read_only(response)

    called_off = session_now(create_session, course)
    called_off = db.session.get(CourseSession, called_off.id)
    called_off.cancelled_at = utcnow()
    db.session.commit()
    response = client.get(roster_url(called_off))
    assert tr("This session was cancelled.", "en") in text(response)
    assert_read_only(response)
    assert (
        client.post(roster_url(called_off), data=form_data([(trainees[0], "present")])).status_code
        == 403
    )
    assert marks_of(called_off) == {}


# --- the service worker and the script's contract ------------------------------------------


def test_the_service_worker_is_served_from_the_root(client):
    with client.get("/sw.js") as response:
        body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.mimetype == "text/javascript"
    assert "addEventListener('fetch'" in body and "trainer\\/sessions\\/\\d+\\/roster" in body


def test_the_page_gives_its_script_every_message_and_url(client, trainer, session, trainees):
    response = client.get(roster_url(session))
    page = response.get_data(as_text=True)
    messages = json.loads(
        html.unescape(re.search(r'id="roster-messages">(.*?)</script>', page, re.S).group(1))
    )
    with client.get(re.search(r'src="(/static/js/roster\.js\?v=\w+)"', page).group(1)) as script:
        source = script.get_data(as_text=True)
    assert script.status_code == 200
    used = set(re.findall(r"\bT\.(\w+)", source))
    assert used and used <= set(messages), used - set(messages)
    assert messages["pending_one"] == "{num} change not yet sent"
    assert messages["pending_other"] == "{num} changes not yet sent"
    assert "{seconds}" in messages["countdown"]
    assert f'data-api-url="/api/v1/sessions/{session.id}/attendance"' in page
    assert 'data-sw-url="/sw.js"' in page and 'data-sw-scope="/"' in page


def test_the_script_saves_through_the_api_with_the_login_and_csrf_token(
    client, trainer, session, trainees
):
    """What roster.js does: PUT the marks with the page's CSRF token and a batch id, twice."""
    page = client.get(roster_url(session)).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    api = re.search(r'data-api-url="([^"]+)"', page).group(1)
    body = {
        "records": [{"enrollment_id": trainees[0].id, "status": "late", "note": ""}],
        "batch_id": "5b0d1f43-6c7a-4b0e-9a55-2f8c1f7d9e10",
        "source": "offline",
    }
    headers = {"X-CSRFToken": token}
    assert client.put(api, json=body, headers=headers).get_json() == {"saved": 1}
    assert client.put(api, json=body, headers=headers).get_json() == {"saved": 0}
    assert marks_of(session) == {trainees[0].id: "late"}
    assert db.session.scalar(select(Attendance.source)) == "offline"
    # without the token the login alone does not reach the API
    assert client.put(api, json={**body, "batch_id": "other"}).status_code == 401
    code_url = re.search(r'data-code-url="([^"]+)"', page).group(1)
    answer = client.get(code_url, headers=headers).get_json()
    assert set(answer) >= {"code", "expires_at", "rotates_at"}


def test_a_check_in_shows_on_the_roster(client, login, session, trainees, users_by_role):
    mark = Attendance(
        session_id=session.id,
        enrollment_id=trainees[2].id,
        status="present",
        source="checkin",
        marked_by_id=trainees[2].user_id,
        marked_at=combine_local(local_today(), time(8, 5)),
    )
    db.session.add(mark)
    db.session.commit()
    login(users_by_role["trainer"])
    assert "QR check-in 08:05" in text(
        client.get(roster_url(session), headers={"Accept-Language": "en"})
    )
    assert db.session.get(Course, session.course_id) is not None


def test_saving_the_whole_form_keeps_an_unchanged_check_in(client, trainer, session, trainees):
    first, second, _third = trainees
    db.session.add(
        Attendance(
            session_id=session.id,
            enrollment_id=first.id,
            status="present",
            source="checkin",
            marked_by_id=first.user_id,
        )
    )
    db.session.commit()
    # the form sends every row; the trainee's own check-in is left as it was
    response = client.post(
        roster_url(session), data=form_data([(first, "present"), (second, "late")])
    )
    assert response.status_code == 302
    rows = {
        a.enrollment_id: (a.status, a.source, a.marked_by_id)
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }
    assert rows == {
        first.id: ("present", "checkin", first.user_id),
        second.id: ("late", "trainer", trainer.id),
    }
    # the trainer's change of a checked-in trainee overrides the check-in
    client.post(roster_url(session), data=form_data([(first, "late"), (second, "late")]))
    assert marks_of(session) == {first.id: "late", second.id: "late"}
    assert (
        db.session.scalar(select(Attendance.source).where(Attendance.enrollment_id == first.id))
        == "trainer"
    )
    # nothing changed: nothing is written
    response = client.post(roster_url(session), data=form_data([(first, "late"), (second, "late")]))
    assert response.status_code == 302
    assert tr("Saved: nothing changed.", "en") in text(client.get(roster_url(session)))
