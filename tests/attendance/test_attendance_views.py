"""Attendance pages: the trainer's day, QR check-in, the sign-in sheet and its import, assessments,
the course summary and its exports, a trainee's own attendance — for every role, with bad input
and missing records."""

import csv
import html
import io
import re
from datetime import time, timedelta
from urllib.parse import unquote

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from lms.attendance import services
from lms.attendance.models import Assessment, Attendance
from lms.audit.models import AuditEntry
from lms.catalog import services as catalog
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.partners.models import Partner
from tests.fixtures.clock import begun
from tests.fixtures.enrollment import enroll
from tests.fixtures.i18n import tr
from tests.fixtures.pages import count, text
from tests.fixtures.users import log_in

ROLES = [None, "trainee", "trainer", "other_trainer", "staff", "admin"]
#: what a trainer page answers to each role (the trainer is assigned to the course, the other not)
EXPECTED = {
    None: 302,
    "trainee": 403,
    "trainer": 200,
    "other_trainer": 404,
    "staff": 200,
    "admin": 200,
}


# --- helpers -------------------------------------------------------------------------------------


def marks_of(session):
    """{enrolment id: (status, source)} saved for a session."""
    db.session.rollback()
    return {
        a.enrollment_id: (a.status, a.source)
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }


def mark(session, actor, **statuses):
    """Save marks through the service: ``mark(s, staff, **{str(enrollment_id): status})``."""
    services.save_marks(
        session,
        [{"enrollment_id": int(k), "status": v} for k, v in statuses.items()],
        actor,
    )
    db.session.commit()


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def xlsx_rows(response):
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = [list(r) for r in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    return rows


def upload(data, name="sheet.csv"):
    return {"file": (io.BytesIO(data if isinstance(data, bytes) else data.encode()), name)}


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def other_trainer(create_user):
    return create_user("trainer", name="Bambang Kurniawan")


@pytest.fixture
def roles(users_by_role, other_trainer):
    return {**users_by_role, "other_trainer": other_trainer}


@pytest.fixture
def as_role(client, login, roles):
    def _as(role):
        if role is not None:
            login(roles[role])
        return client

    return _as


@pytest.fixture
def course(create_course, dummy_trainer):
    """A running course (ten days in, ten to go) taught by ``dummy_trainer``."""
    today = local_today()
    partner = db.session.get(Partner, dummy_trainer.partner_id)
    partner.mou_valid_until = today + timedelta(days=365)
    db.session.commit()
    return create_course(
        "hospitality",
        partner=partner,
        title="Tata Graha Hotel",
        title_en="Hotel Housekeeping",
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=10),
        trainers=[dummy_trainer],
        location="BLK Bandar Lampung",
    )


@pytest.fixture
def trainees(create_user, course):
    """Three trainees enrolled in the course, by name."""
    people = [
        create_user("trainee", name=name) for name in ("Ani Susanti", "Budi Santoso", "Citra Dewi")
    ]
    return [enroll(p, course, bypass_window=True) for p in people]


@pytest.fixture
def now_session(create_session, course):
    """A session that started five minutes ago (at midnight, just after it) and runs for two
    hours."""
    start = begun(minutes=5)
    return create_session(course, start, start + timedelta(hours=2), topic="Merapikan kamar")


@pytest.fixture
def code(now_session):
    value, _expires = services.current_checkin_code(now_session)
    db.session.commit()
    return value


# --- access ---------------------------------------------------------------------------------------


@pytest.fixture
def trainer_pages(course, trainees, now_session):
    s, c = now_session.id, course.id
    return [
        f"/trainer/sessions/{s}/sheet",
        f"/trainer/sessions/{s}/sheet.xlsx",
        f"/trainer/sessions/{s}/import",
        f"/trainer/courses/{c}/assessments",
        f"/trainer/courses/{c}/attendance",
        f"/trainer/courses/{c}/attendance.csv",
        f"/trainer/courses/{c}/attendance.xlsx",
    ]


@pytest.mark.parametrize("role", ROLES)
def test_trainer_pages_by_role(as_role, role, trainer_pages):
    client = as_role(role)
    for path in trainer_pages:
        response = client.get(path)
        assert response.status_code == EXPECTED[role], path
        if role is None:
            assert response.location.startswith("/login?next="), path


@pytest.mark.parametrize("role", ROLES)
def test_trainer_posts_by_role(as_role, role, course, trainees, now_session):
    client = as_role(role)
    enrollment = trainees[0]
    response = client.post(
        f"/trainer/courses/{course.id}/assessments/{enrollment.id}",
        data={"score": "80", "competent": "yes"},
    )
    assert response.status_code == {200: 302}.get(EXPECTED[role], EXPECTED[role])
    response = client.post(
        f"/trainer/sessions/{now_session.id}/import",
        data=upload(f"enrollment_id,status\n{enrollment.id},hadir\n"),
    )
    assert response.status_code == {200: 302}.get(EXPECTED[role], EXPECTED[role])
    saved = EXPECTED[role] == 200
    assert count(Assessment) == (1 if saved else 0)
    assert marks_of(now_session) == ({enrollment.id: ("present", "import")} if saved else {})


@pytest.mark.parametrize("role", ROLES)
def test_today_by_role(as_role, role):
    response = as_role(role).get("/trainer/today")
    expected = {None: 302, "trainee": 403}.get(role, 200)
    assert response.status_code == expected


@pytest.mark.parametrize(
    "role,expected", [(None, 302), ("trainee", 404), ("trainer", 403), ("staff", 403)]
)
def test_own_attendance_page_by_role(as_role, role, expected, trainees):
    # the dummy trainee is not the owner of this enrolment: a 404, not a 403
    response = as_role(role).get(f"/my/enrollments/{trainees[0].id}/attendance")
    assert response.status_code == expected


@pytest.mark.parametrize("role", ["staff", "admin", "trainer"])
def test_missing_records_are_404(as_role, role, course, trainees):
    client = as_role(role)
    for path in (
        "/trainer/sessions/999999/sheet",
        "/trainer/sessions/999999/sheet.xlsx",
        "/trainer/sessions/999999/import",
        "/trainer/courses/999999/assessments",
        "/trainer/courses/999999/attendance",
        "/trainer/courses/999999/attendance.csv",
        "/trainer/courses/999999/attendance.xlsx",
        "/trainer/sessions/99999999999/sheet",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post("/trainer/sessions/999999/import").status_code == 404
    assert client.post("/trainer/courses/999999/assessments/1", data={}).status_code == 404
    response = client.post(f"/trainer/courses/{course.id}/assessments/999999", data={"score": 5})
    assert response.status_code == 404


def test_missing_records_are_404_for_trainees(as_role, dummy_trainee, course):
    enrollment = enroll(dummy_trainee, course, bypass_window=True)
    client = as_role("trainee")
    assert client.get("/checkin/999999").status_code == 404
    assert client.post("/checkin/999999", data={"code": "123456"}).status_code == 404
    assert client.get("/my/enrollments/999999/attendance").status_code == 404
    assert client.get(f"/my/enrollments/{enrollment.id}/attendance").status_code == 200


def test_the_menu_shows_today_to_trainers_and_staff(as_role, english):
    for role, shown in (("trainee", False), ("trainer", True), ("staff", True), ("admin", True)):
        page = as_role(role).get("/").get_data(as_text=True)
        assert ('href="/trainer/today"' in page) is shown, role


def test_the_staff_course_page_links_to_the_summary(as_role, course):
    page = as_role("staff").get(f"/manage/courses/{course.id}").get_data(as_text=True)
    assert f'href="/trainer/courses/{course.id}/attendance"' in page


# --- the trainer's day ----------------------------------------------------------------------------


def test_today_lists_the_trainers_sessions_only(
    as_role, english, create_course, create_session, create_user, course, trainees, now_session
):
    mark(now_session, create_user("staff"), **{str(trainees[0].id): "present"})
    other = create_course(
        "language", starts_on=course.starts_on, ends_on=course.ends_on, title_en="Mandarin"
    )
    start = begun(minutes=30)
    foreign = create_session(other, start, start + timedelta(hours=1))
    tomorrow = create_session(
        course, combine_local(local_today() + timedelta(days=1), time(9, 0)), topic="Linen"
    )
    far = create_session(course, combine_local(local_today() + timedelta(days=9), time(9, 0)))

    response = as_role("trainer").get("/trainer/today")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-testid="session-{now_session.id}"' in page
    assert f'data-testid="session-{foreign.id}"' not in page  # not the trainer's course
    assert "1 of 3 marked" in text(response)
    assert f'href="/trainer/sessions/{now_session.id}/roster"' in page
    assert "BLK Bandar Lampung" in text(response)
    # the next days, collapsed; not beyond a week
    assert re.search(r"<details[^>]*data-testid=\"next-days\"", page)
    assert f'data-testid="later-{tomorrow.id}"' in page
    assert f'data-testid="later-{far.id}"' not in page
    # the trainer's courses lead to the summary and the assessments
    assert f'href="/trainer/courses/{course.id}/attendance"' in page
    assert f'href="/trainer/courses/{course.id}/assessments"' in page
    assert f'href="/trainer/courses/{other.id}/attendance"' not in page


def test_staff_see_the_sessions_of_every_course(
    as_role, english, create_course, create_session, course, now_session
):
    other = create_course("language", starts_on=course.starts_on, ends_on=course.ends_on)
    start = begun(minutes=30)
    foreign = create_session(other, start, start + timedelta(hours=1))
    page = as_role("staff").get("/trainer/today").get_data(as_text=True)
    assert f'data-testid="session-{now_session.id}"' in page
    assert f'data-testid="session-{foreign.id}"' in page
    assert f'href="/trainer/courses/{other.id}/attendance"' in page


def test_today_says_when_there_is_no_session(as_role, english, course):
    response = as_role("trainer").get("/trainer/today")
    assert "No session today." in text(response)


def test_a_cancelled_session_shows_no_roster_link(as_role, english, now_session, dummy_staff):
    catalog.cancel_session(now_session, "Banjir", actor=dummy_staff)
    db.session.commit()
    page = as_role("trainer").get("/trainer/today").get_data(as_text=True)
    assert f'data-testid="session-{now_session.id}"' in page
    assert "Cancelled" in page
    assert f"/trainer/sessions/{now_session.id}/roster" not in page


# --- check-in -------------------------------------------------------------------------------------


def test_anonymous_check_in_goes_to_login_and_back(client, now_session):
    response = client.get(f"/checkin/{now_session.id}?code=123456")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    assert unquote(response.location.split("next=", 1)[1]) == (
        f"/checkin/{now_session.id}?code=123456"
    )
    assert client.post(f"/checkin/{now_session.id}", data={"code": "1"}).status_code == 302


@pytest.mark.parametrize("role", ["trainer", "staff"])
def test_only_trainees_check_in(as_role, role, now_session):
    assert as_role(role).get(f"/checkin/{now_session.id}").status_code == 403


def test_the_qr_link_shows_the_session_and_one_button(
    as_role, english, dummy_trainee, course, now_session, code
):
    enroll(dummy_trainee, course, bypass_window=True)
    response = as_role("trainee").get(f"/checkin/{now_session.id}?code={code}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Hotel Housekeeping" in text(response)
    assert "Merapikan kamar" in text(response)
    assert f'name="code" value="{code}"' in page
    assert page.count('data-testid="checkin-button"') == 1
    assert 'name="csrf_token"' in page


def test_without_a_code_the_page_asks_for_it(
    as_role, english, dummy_trainee, course, now_session, code
):
    enroll(dummy_trainee, course, bypass_window=True)
    client = as_role("trainee")
    page = client.get(f"/checkin/{now_session.id}").get_data(as_text=True)
    assert re.search(
        r'<input[^>]*name="code"[^>]*type="text"|<input[^>]*type="text"[^>]*name="code"', page
    )
    assert 'inputmode="numeric"' in page
    # the typed code checks in
    response = client.post(f"/checkin/{now_session.id}", data={"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 200
    assert marks_of(now_session) == {
        e.id: ("present", "checkin") for e in db.session.scalars(select(Enrollment))
    }


def test_checking_in_says_present_in_big_letters(
    as_role, english, dummy_trainee, course, now_session, code
):
    enrollment = enroll(dummy_trainee, course, bypass_window=True)
    response = as_role("trainee").post(f"/checkin/{now_session.id}", data={"code": code})
    assert response.status_code == 200
    assert re.search(r'class="checkin-result[^"]*"[^>]*>Present<', response.get_data(as_text=True))
    assert marks_of(now_session) == {enrollment.id: ("present", "checkin")}


def test_after_the_grace_period_a_check_in_is_late(
    as_role, english, dummy_trainee, course, create_session
):
    enrollment = enroll(dummy_trainee, course, bypass_window=True)
    start = utcnow() - timedelta(minutes=40)
    session = create_session(course, start, start + timedelta(hours=2))
    code, _expires = services.current_checkin_code(session)
    db.session.commit()
    response = as_role("trainee").post(f"/checkin/{session.id}", data={"code": code})
    assert response.status_code == 200
    assert "Late" in text(response)
    assert marks_of(session) == {enrollment.id: ("late", "checkin")}


def test_a_second_check_in_is_a_conflict(
    as_role, english, dummy_trainee, course, now_session, code
):
    enroll(dummy_trainee, course, bypass_window=True)
    client = as_role("trainee")
    assert client.post(f"/checkin/{now_session.id}", data={"code": code}).status_code == 200
    response = client.post(f"/checkin/{now_session.id}", data={"code": code})
    assert response.status_code == 409
    assert "You are already marked Present for this session." in text(response)
    # opening the QR link again says so without a button
    page = client.get(f"/checkin/{now_session.id}?code={code}")
    assert page.status_code == 200
    assert 'data-testid="already"' in page.get_data(as_text=True)
    assert 'data-testid="checkin-button"' not in page.get_data(as_text=True)


def test_a_trainers_mark_stands(
    as_role, english, dummy_trainee, dummy_trainer, course, now_session, code
):
    enrollment = enroll(dummy_trainee, course, bypass_window=True)
    mark(now_session, dummy_trainer, **{str(enrollment.id): "excused"})
    response = as_role("trainee").post(f"/checkin/{now_session.id}", data={"code": code})
    assert response.status_code == 409
    assert marks_of(now_session) == {enrollment.id: ("excused", "trainer")}


def test_a_wrong_or_expired_code_is_refused(
    as_role, english, dummy_trainee, course, now_session, code
):
    enroll(dummy_trainee, course, bypass_window=True)
    client = as_role("trainee")
    wrong = "000000" if code != "000000" else "111111"
    old, _expires = services.current_checkin_code(now_session, utcnow() - timedelta(minutes=3))
    for bad in (wrong, old, "12ab"):
        if bad == code:
            continue
        response = client.post(f"/checkin/{now_session.id}", data={"code": bad})
        assert response.status_code == 400, bad
        assert "This code is wrong or has expired." in text(response)
        # the box to type the code is offered again
        assert 'data-testid="checkin-form"' in response.get_data(as_text=True)
    assert client.post(f"/checkin/{now_session.id}", data={}).status_code == 400
    assert marks_of(now_session) == {}


def test_outside_the_window_the_page_says_when_it_opens(
    as_role, english, dummy_trainee, course, create_session
):
    enroll(dummy_trainee, course, bypass_window=True)
    start = utcnow() + timedelta(hours=3)
    if combine_local(local_today() + timedelta(days=1), time(0)) <= start:
        start = utcnow() - timedelta(hours=5)  # late evening: a session that has ended instead
    session = create_session(course, start, start + timedelta(hours=1))
    code, _expires = services.current_checkin_code(session)
    db.session.commit()
    client = as_role("trainee")
    page = client.get(f"/checkin/{session.id}?code={code}")
    assert page.status_code == 200
    assert "Check-in is open from" in text(page)
    assert 'data-testid="checkin-button"' not in page.get_data(as_text=True)
    response = client.post(f"/checkin/{session.id}", data={"code": code})
    assert response.status_code == 400
    assert "Check-in is open from" in text(response)
    assert marks_of(session) == {}


def test_a_cancelled_session_refuses_check_in(
    as_role, english, dummy_trainee, dummy_staff, course, now_session, code
):
    enroll(dummy_trainee, course, bypass_window=True)
    catalog.cancel_session(now_session, "Banjir", actor=dummy_staff)
    db.session.commit()
    response = as_role("trainee").post(f"/checkin/{now_session.id}", data={"code": code})
    assert response.status_code == 400
    assert "This session was cancelled." in text(response)


def test_a_trainee_not_enrolled_is_told_so(as_role, english, dummy_trainee, now_session, code):
    client = as_role("trainee")
    response = client.get(f"/checkin/{now_session.id}?code={code}")
    assert response.status_code == 404
    assert "This session does not exist, or you are not enrolled in its course." in text(response)
    assert "Hotel Housekeeping" not in text(response)
    response = client.post(f"/checkin/{now_session.id}", data={"code": code})
    assert response.status_code == 404
    assert marks_of(now_session) == {}


def test_the_reason_is_in_the_trainees_language(
    client, login, create_user, course, now_session, code
):
    trainee = create_user("trainee", locale="id")
    enroll(trainee, course, bypass_window=True)
    login(trainee)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(f"/checkin/{now_session.id}", data={"code": wrong})
    assert response.status_code == 400
    expected = tr("This code is wrong or has expired. Scan the code on the trainer's screen again.")
    assert expected in text(response)
    assert '<html lang="id">' in response.get_data(as_text=True)


def test_check_in_needs_the_pages_csrf_token(make_app, dummy_trainee, course, now_session, code):
    enroll(dummy_trainee, course, bypass_window=True)
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    log_in(client, dummy_trainee)
    assert client.post(f"/checkin/{now_session.id}", data={"code": code}).status_code == 400
    assert marks_of(now_session) == {}
    page = client.get(f"/checkin/{now_session.id}?code={code}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/checkin/{now_session.id}", data={"code": code, "csrf_token": token})
    assert response.status_code == 200


def test_guessing_codes_is_throttled(make_app, dummy_trainee, course, now_session):
    enroll(dummy_trainee, course, bypass_window=True)
    app = make_app(CHECKIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    log_in(client, dummy_trainee)
    statuses = [
        client.post(f"/checkin/{now_session.id}", data={"code": f"{n:06d}"}).status_code
        for n in range(5)
    ]
    assert statuses[-1] == 429
    # the page itself is not throttled
    assert client.get(f"/checkin/{now_session.id}").status_code == 200


# --- the sign-in sheet ----------------------------------------------------------------------------


def test_the_sheet_prints_on_a4(as_role, english, course, trainees, now_session):
    response = as_role("trainer").get(f"/trainer/sessions/{now_session.id}/sheet")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "@media print" in page
    assert "size: A4" in page
    assert page.count('data-testid="sheet-row"') == 3
    for enrollment in trainees:
        assert enrollment.user.name in page
        assert f'<td class="id-col">{enrollment.id}</td>' in page
    assert "Signature" in text(response)
    assert f'href="/trainer/sessions/{now_session.id}/sheet.xlsx"' in page


def test_the_xlsx_sheet_is_prefilled(as_role, course, trainees, now_session, dummy_trainer):
    mark(now_session, dummy_trainer, **{str(trainees[1].id): "late"})
    response = as_role("trainer").get(f"/trainer/sessions/{now_session.id}/sheet.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = xlsx_rows(response)
    assert tuple(rows[0]) == services.SHEET_COLUMNS
    by_id = {r[0]: r for r in rows[1:]}
    assert set(by_id) == {e.id for e in trainees}
    status = services.SHEET_COLUMNS.index("status")
    assert [by_id[trainees[1].id][1], by_id[trainees[1].id][status]] == ["Budi Santoso", "late"]
    assert by_id[trainees[0].id][status] in (None, "")


def test_a_filled_in_xlsx_sheet_imports(as_role, english, course, trainees, now_session):
    client = as_role("trainer")
    rows = xlsx_rows(client.get(f"/trainer/sessions/{now_session.id}/sheet.xlsx"))
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(rows[0])
    for row, status in zip(rows[1:], ("hadir", "T", "izin"), strict=True):
        filled = dict(zip(rows[0], row, strict=True))
        filled.update(status=status, note="sakit" if status == "izin" else None)
        sheet.append([filled[column] for column in rows[0]])
    out = io.BytesIO()
    workbook.save(out)
    response = client.post(
        f"/trainer/sessions/{now_session.id}/import", data=upload(out.getvalue(), "lembar.xlsx")
    )
    assert response.status_code == 302
    assert response.location == f"/trainer/sessions/{now_session.id}/roster"
    assert marks_of(now_session) == {
        trainees[0].id: ("present", "import"),
        trainees[1].id: ("late", "import"),
        trainees[2].id: ("excused", "import"),
    }


# --- the import ---------------------------------------------------------------------------------


def test_an_import_is_all_or_nothing_with_a_row_report(
    as_role, english, course, trainees, now_session, create_course, create_user
):
    stranger = enroll(create_user("trainee"), create_course("language"))
    a, b, c = (e.id for e in trainees)
    sheet = (
        "enrollment_id,name,status,note\n"
        f"{a},Ani,hadir,\n"  # row 2: fine
        f"{b},Budi,maybe,\n"  # row 3: not a status
        f"{stranger.id},Orang lain,hadir,\n"  # row 4: not on the roster
        f"x{c},Citra,izin,\n"  # row 5: not a number
        f"{a},Ani,alpa,\n"  # row 6: twice
    )
    client = as_role("trainer")
    response = client.post(f"/trainer/sessions/{now_session.id}/import", data=upload(sheet))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved: correct these rows and upload again." in text(response)
    report = re.findall(r'<tr data-testid="report-row">\s*<th[^>]*>([^<]+)</th>', page)
    assert report == ["row 3", "row 4", "row 5", "row 6"]
    assert "maybe is not a status" in text(response)
    assert f"Nobody with the id {stranger.id} is on this session's roster." in text(response)
    assert f"The id x{c} is not a number." in text(response)
    assert "This trainee is marked twice." in text(response)
    assert marks_of(now_session) == {}
    assert count(AuditEntry, AuditEntry.action == "attendance.saved") == 0


def test_a_good_csv_imports_and_says_how_many(as_role, english, course, trainees, now_session):
    a, b, c = (e.id for e in trainees)
    sheet = f"enrollment_id;status\n{a};H\n{b};a\n{c};\n"  # a blank status is refused
    client = as_role("trainer")
    response = client.post(f"/trainer/sessions/{now_session.id}/import", data=upload(sheet))
    assert response.status_code == 400
    assert "row 4" in text(response)
    sheet = f"enrollment_id;status\n{a};H\n{b};a\n"
    response = client.post(f"/trainer/sessions/{now_session.id}/import", data=upload(sheet))
    assert response.status_code == 302
    assert marks_of(now_session) == {a: ("present", "import"), b: ("absent", "import")}
    assert count(AuditEntry, AuditEntry.action == "attendance.saved") == 1
    response = client.get(f"/trainer/sessions/{now_session.id}/import")
    assert "2 marks saved." in text(response)


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"name,note\nAni,x\n", "sheet.csv", "The file needs the columns"),
        (b"%PDF-1.4 binary", "sheet.pdf", "Upload a CSV or XLSX file."),
        (b"", "sheet.csv", "The file is empty."),
        (b"enrollment_id,status\n", "sheet.csv", "The file has no rows."),
    ],
)
def test_a_bad_file_is_refused_next_to_the_field(
    as_role, english, course, trainees, now_session, data, name, message
):
    response = as_role("trainer").post(
        f"/trainer/sessions/{now_session.id}/import", data=upload(data, name)
    )
    assert response.status_code == 400
    assert message in text(response)
    assert 'class="form-control is-invalid"' in response.get_data(as_text=True)
    assert marks_of(now_session) == {}


def test_an_import_without_a_file_is_refused(as_role, english, now_session):
    response = as_role("trainer").post(f"/trainer/sessions/{now_session.id}/import", data={})
    assert response.status_code == 400
    assert "This field is required." in text(response)


def test_a_future_session_cannot_be_imported(as_role, english, course, trainees, create_session):
    session = create_session(course, combine_local(local_today() + timedelta(days=2), time(8, 0)))
    client = as_role("trainer")
    page = client.get(f"/trainer/sessions/{session.id}/import")
    assert "Attendance can be marked from the day of the session." in text(page)
    response = client.post(
        f"/trainer/sessions/{session.id}/import",
        data=upload(f"enrollment_id,status\n{trainees[0].id},hadir\n"),
    )
    assert response.status_code == 403
    assert marks_of(session) == {}


# --- assessments -------------------------------------------------------------------------------


def test_the_assessment_list_has_a_form_per_trainee(as_role, english, course, trainees):
    response = as_role("trainer").get(f"/trainer/courses/{course.id}/assessments")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for enrollment in trainees:
        assert f'action="/trainer/courses/{course.id}/assessments/{enrollment.id}"' in page
        assert f'id="score-{enrollment.id}"' in page
    assert page.count('data-testid="save"') == 3


def test_saving_an_assessment(as_role, english, course, trainees):
    client = as_role("trainer")
    enrollment = trainees[0]
    response = client.post(
        f"/trainer/courses/{course.id}/assessments/{enrollment.id}",
        data={"score": "72,5", "competent": "yes"},
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/assessments#trainee-{enrollment.id}")
    db.session.rollback()
    result = db.session.scalar(select(Assessment))
    assert (result.enrollment_id, result.score, result.competent) == (enrollment.id, 72.5, True)
    assert count(AuditEntry, AuditEntry.action == "assessment.recorded") == 1
    page = client.get(f"/trainer/courses/{course.id}/assessments")
    assert "The assessment of Ani Susanti is saved." in text(page)
    assert 'value="72.5"' in page.get_data(as_text=True)
    # competent alone, later: not yet competent
    response = client.post(
        f"/trainer/courses/{course.id}/assessments/{enrollment.id}", data={"competent": "no"}
    )
    assert response.status_code == 302
    db.session.rollback()
    result = db.session.scalar(select(Assessment))
    assert (result.score, result.competent) == (None, False)


@pytest.mark.parametrize(
    "data,message",
    [
        ({"score": "150"}, "Number must be between 0 and 100."),
        ({"score": "-1", "competent": "yes"}, "Number must be between 0 and 100."),
        ({"score": "banyak"}, "Not a valid float value."),
        ({"score": "nan"}, "Number must be between 0 and 100."),
        ({"competent": "maybe"}, "Not a valid choice."),
        ({}, "Give a score or say whether the trainee is competent."),
    ],
)
def test_a_bad_assessment_is_refused_on_its_row(as_role, english, course, trainees, data, message):
    enrollment = trainees[1]
    response = as_role("trainer").post(
        f"/trainer/courses/{course.id}/assessments/{enrollment.id}", data=data
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    row = re.search(
        rf'<li[^>]*data-testid="assessment-{enrollment.id}".*?</li>', page, flags=re.S
    ).group(0)
    assert message in html.unescape(row)
    assert "list-group-item-danger" in row
    assert count(Assessment) == 0


def test_an_assessment_of_another_course_or_a_cancelled_trainee(
    as_role, english, course, trainees, create_course, create_user
):
    client = as_role("staff")
    elsewhere = enroll(create_user("trainee"), create_course("language"))
    response = client.post(
        f"/trainer/courses/{course.id}/assessments/{elsewhere.id}", data={"score": "90"}
    )
    assert response.status_code == 404
    db.session.rollback()
    cancelled = db.session.get(Enrollment, trainees[2].id)
    cancelled.status = "cancelled"
    db.session.commit()
    response = client.post(
        f"/trainer/courses/{course.id}/assessments/{cancelled.id}", data={"score": "90"}
    )
    assert response.status_code == 409
    assert "Only an enrolled trainee can be assessed." in text(response)
    assert count(Assessment) == 0


# --- the course summary and its exports ---------------------------------------------------------


@pytest.fixture
def history(course, trainees, create_session, dummy_staff):
    """Three held sessions, one cancelled, one to come; Ani always there, Budi mostly absent,
    Citra excused once and late once (100 %)."""
    today = local_today()
    held = [
        create_session(course, combine_local(today - timedelta(days=d), time(8, 0)))
        for d in (3, 2, 1)
    ]
    cancelled = create_session(course, combine_local(today - timedelta(days=4), time(8, 0)))
    catalog.cancel_session(cancelled, "Libur", actor=dummy_staff)
    upcoming = create_session(course, combine_local(today + timedelta(days=2), time(8, 0)))
    db.session.commit()
    a, b, c = (str(e.id) for e in trainees)
    mark(held[0], dummy_staff, **{a: "present", b: "present", c: "excused"})
    mark(held[1], dummy_staff, **{a: "present", b: "absent", c: "late"})
    mark(held[2], dummy_staff, **{a: "late"})  # Budi and Citra not marked: absent
    return {"held": held, "cancelled": cancelled, "upcoming": upcoming}


def test_the_matrix_highlights_who_falls_below(as_role, english, course, trainees, history):
    response = as_role("trainer").get(f"/trainer/courses/{course.id}/attendance")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    a, b, c = trainees
    assert re.search(rf'<tr class="below" data-testid="row-{b.id}" data-below="1"', page)
    assert re.search(rf'<tr class="below" data-testid="row-{c.id}" data-below="1"', page)
    assert re.search(rf'<tr class="" data-testid="row-{a.id}">', page)
    assert "2 trainees below it" in text(response)
    assert "Attendance needed: 80%" in text(response)
    # three held and one upcoming column; the cancelled session is left out
    header = re.search(r"<thead>.*?</thead>", page, flags=re.S).group(0)
    assert header.count('class="session') == 4
    assert header.count('class="session upcoming"') == 1
    row_a = re.search(rf'data-testid="row-{a.id}".*?</tr>', page, flags=re.S).group(0)
    assert re.findall(r'class="att-mark att-(\w+)"', row_a) == ["present", "present", "late"]
    assert '<td class="upcoming"></td>' in row_a
    row_c = re.search(rf'data-testid="row-{c.id}".*?</tr>', page, flags=re.S).group(0)
    assert re.findall(r'class="att-mark att-(\w+)"', row_c) == ["excused", "late", "none"]
    # the legend explains the letters; the matrix scrolls inside its own box
    assert 'data-testid="legend"' in page
    assert 'class="matrix-scroll' in page


def test_the_matrix_initials_are_in_the_readers_language(as_role, course, trainees, history):
    page = as_role("trainer").get(f"/trainer/courses/{course.id}/attendance")
    legend = re.search(r'data-testid="legend".*?</ul>', page.get_data(as_text=True), re.S)
    with force_locale("id"):
        from flask_babel import pgettext

        initial = pgettext("attendance initial", "P")
    assert f'<span class="att-mark att-present">{initial}</span>' in legend.group(0)


def test_the_matrix_exports_as_csv_and_xlsx(as_role, english, course, trainees, history):
    client = as_role("staff")
    a, b, c = trainees
    response = client.get(f"/trainer/courses/{course.id}/attendance.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = csv_rows(response)
    assert rows[0][:5] == ["Name", "Enrolment no.", "Regency", "NIK", "Birth year"]
    assert len(rows[0]) == 1 + 4 + 4 + 7
    assert rows[0][-7:] == [
        "Attendance rate (%)",
        "Present",
        "Late",
        "Excused",
        "Absent",
        "Held sessions",
        "Below the threshold",
    ]
    by_name = {r[0]: [r[0], *r[5:]] for r in rows[1:]}
    assert by_name["Ani Susanti"][1:5] == ["Present", "Present", "Late", ""]
    assert by_name["Ani Susanti"][5:] == ["100.0", "2", "1", "0", "0", "3", "No"]
    assert by_name["Budi Santoso"][5:] == ["33.3", "1", "0", "0", "2", "3", "Yes"]
    assert by_name["Citra Dewi"][5:] == ["50.0", "0", "1", "1", "1", "3", "Yes"]
    assert {r[0]: r[1] for r in rows[1:]} == {e.user.name: str(e.id) for e in trainees}

    response = client.get(f"/trainer/courses/{course.id}/attendance.xlsx")
    assert response.status_code == 200
    rows = xlsx_rows(response)
    assert [str(h) for h in rows[0]][-1] == "Below the threshold"
    by_name = {r[0]: [r[0], *r[5:]] for r in rows[1:]}
    assert by_name["Budi Santoso"][1:4] == ["Present", "Absent", None]
    assert by_name["Budi Santoso"][5] == pytest.approx(33.3)
    assert by_name["Budi Santoso"][-1] == "Yes"


def test_an_empty_course_has_an_empty_matrix(as_role, english, course):
    response = as_role("trainer").get(f"/trainer/courses/{course.id}/attendance")
    assert response.status_code == 200
    assert "Nobody is enrolled in this course yet." in text(response)
    rows = csv_rows(as_role("trainer").get(f"/trainer/courses/{course.id}/attendance.csv"))
    assert len(rows) == 1


# --- a trainee's own attendance -------------------------------------------------------------------


def test_my_courses_shows_the_rate_and_links_the_details(
    as_role, english, course, trainees, history, login
):
    budi = trainees[1]
    login(budi.user)
    response = as_role(None).get("/my/courses")
    page = response.get_data(as_text=True)
    assert "Attendance: 33%" in text(response)
    assert f'href="/my/enrollments/{budi.id}/attendance"' in page


def test_my_attendance_lists_each_held_session(as_role, english, course, trainees, history, login):
    budi = trainees[1]
    login(budi.user)
    client = as_role(None)
    response = client.get(f"/my/enrollments/{budi.id}/attendance")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.findall(r'data-testid="status"[^>]*>([^<]+)<', page) == [
        "Present",
        "Absent",
        "Not marked",
    ]
    for s in history["held"]:
        assert f'data-testid="session-{s.id}"' in page
    assert f'data-testid="session-{history["upcoming"].id}"' not in page
    assert f'data-testid="session-{history["cancelled"].id}"' not in page
    assert "33%" in text(response)
    assert 'data-testid="below"' in page
    # someone else's attendance is not found
    assert client.get(f"/my/enrollments/{trainees[0].id}/attendance").status_code == 404
