"""Enrolment pages: enrol from the course page, "my courses", cancel; the staff list, decisions,
adding by hand and the roster exports — for every role, with bad input and missing records."""

import csv
import io
import re
from datetime import time, timedelta

import pytest
from flask_babel import force_locale, pgettext
from openpyxl import load_workbook
from sqlalchemy import select, update

from lms.audit.models import AuditEntry
from lms.catalog.models import Course
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from lms.enrollment import services
from lms.enrollment.models import Enrollment
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.auth.test_auth import field_errors
from tests.fixtures.enrollment import enroll
from tests.fixtures.i18n import tr
from tests.fixtures.pages import as_role, count, fresh, text
from tests.fixtures.users import log_in

ROLES = [None, "trainee", "trainer", "staff", "admin"]


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def course(create_course):
    """A published hospitality course with two seats and a waitlist."""
    return create_course("hospitality", title="Tata Graha Hotel", capacity=2)


def staff_url(course, rest=""):
    return f"/manage/courses/{course.id}/enrollments/{rest}"


# --- access --------------------------------------------------------------------------------

TRAINEE_EXPECTED = {None: 302, "trainee": 200, "trainer": 403, "staff": 403, "admin": 403}
STAFF_EXPECTED = {None: 302, "trainee": 403, "trainer": 403, "staff": 200, "admin": 200}


@pytest.mark.parametrize("role", ROLES)
def test_trainee_pages_by_role(client, login, users_by_role, course, role):
    trainee = users_by_role["trainee"]
    enrollment = enroll(trainee, course)
    as_role(client, login, users_by_role, role)
    for path in ("/my/courses", f"/my/enrollments/{enrollment.id}/cancel"):
        response = client.get(path)
        assert response.status_code == TRAINEE_EXPECTED[role], path
        if role is None:
            assert response.location.startswith("/login?next="), path
    response = client.post(f"/courses/{course.id}/enrol")
    assert response.status_code == {None: 302, "trainee": 409}.get(role, 403)
    if role is None:
        assert response.location.startswith("/login?next=")
    response = client.post(f"/my/enrollments/{enrollment.id}/cancel")
    assert response.status_code == {None: 302, "trainee": 302}.get(role, 403)
    assert fresh(enrollment).status == ("cancelled" if role == "trainee" else "enrolled")


@pytest.mark.parametrize("role", ROLES)
def test_staff_pages_by_role(client, login, users_by_role, create_course, create_user, role):
    course = create_course(requires_approval=True)
    pending = enroll(create_user("trainee"), course)
    other = enroll(create_user("trainee"), course)
    # a trainer assigned to the course is refused too: the roster pages are the office's
    trainer = users_by_role["trainer"]
    db.session.get(Course, course.id).trainers = [trainer]
    db.session.commit()
    as_role(client, login, users_by_role, role)
    for path in (
        staff_url(course),
        staff_url(course, "?status=enrolled&q=trainee"),
        staff_url(course, f"{pending.id}"),
        staff_url(course, "add?q=trainee"),
        staff_url(course, "export.csv"),
        staff_url(course, "export.xlsx"),
    ):
        response = client.get(path)
        assert response.status_code == STAFF_EXPECTED[role], path
        if role is None:
            assert response.location.startswith("/login?next="), path
    posts = (
        (staff_url(course, "bulk"), {"action": "rejected", "ids": [pending.id], "reason": "x"}),
        (staff_url(course, f"{other.id}"), {"action": "cancelled"}),
        (staff_url(course, "add"), {"user_id": users_by_role["trainee"].id}),
    )
    for path, data in posts:
        response = client.post(path, data=data)
        expected = {"staff": 302, "admin": 302}.get(role, STAFF_EXPECTED[role])
        assert response.status_code == expected, path
    changed = role in ("staff", "admin")
    assert count(AuditEntry, AuditEntry.action == "enrollment.rejected") == int(changed)
    assert count(AuditEntry, AuditEntry.action == "enrollment.cancelled") == int(changed)
    assert count(Enrollment) == 2 + int(changed)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_missing_records_are_404_for_staff(
    client, login, users_by_role, course, create_course, role
):
    login(users_by_role[role])
    other = create_course()
    elsewhere = enroll(users_by_role["trainee"], other)
    for path in ("", "add", "export.csv", "export.xlsx", "1"):
        assert client.get(f"/manage/courses/999999/enrollments/{path}").status_code == 404, path
    assert client.get(staff_url(course, "999999")).status_code == 404
    # an enrolment of another course is not found under this one
    assert client.get(staff_url(course, f"{elsewhere.id}")).status_code == 404
    response = client.post(staff_url(course, f"{elsewhere.id}"), data={"action": "cancelled"})
    assert response.status_code == 404
    assert fresh(elsewhere).status == "enrolled"
    assert client.post(staff_url(course, "add"), data={"user_id": 999999}).status_code == 404
    # only trainees can be added
    response = client.post(staff_url(course, "add"), data={"user_id": users_by_role["staff"].id})
    assert response.status_code == 404


def test_missing_records_are_404_for_trainees(client, login, dummy_trainee, create_user, course):
    other = create_user("trainee")
    theirs = enroll(other, course)
    login(dummy_trainee)
    assert client.post("/courses/999999/enrol").status_code == 404
    assert client.get("/my/enrollments/999999/cancel").status_code == 404
    # someone else's enrolment does not exist for this trainee, and stays untouched
    assert client.get(f"/my/enrollments/{theirs.id}/cancel").status_code == 404
    assert client.post(f"/my/enrollments/{theirs.id}/cancel").status_code == 404
    assert fresh(theirs).status == "enrolled"


def test_a_draft_course_cannot_be_enrolled_in(client, login, dummy_trainee, create_course):
    draft = create_course(status="draft")
    login(dummy_trainee)
    assert client.post(f"/courses/{draft.id}/enrol").status_code == 404
    assert count(Enrollment) == 0


def test_my_courses_is_in_the_menu_of_trainees_only(client, login, users_by_role, english):
    for role in ROLES:
        client.delete_cookie("session")
        as_role(client, login, users_by_role, role)
        page = client.get("/").get_data(as_text=True)
        assert ('href="/my/courses"' in page) == (role == "trainee"), role


def test_the_menu_says_pelatihan_saya_in_indonesian(client, login, dummy_trainee):
    login(dummy_trainee)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "id"
    assert tr("My courses") in text(client.get("/"))


# --- the course page -----------------------------------------------------------------------


def test_anonymous_visitors_are_asked_to_log_in(client, english, course):
    response = client.get(f"/courses/{course.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'href="/login?next=/courses/{course.id}"' in page
    assert "Log in to enrol" in text(response)
    assert f"/courses/{course.id}/enrol" not in page
    # the link brings the visitor back to the course after logging in
    login_page = client.get(f"/login?next=/courses/{course.id}")
    assert login_page.status_code == 200


def test_the_course_page_has_one_enrol_button_for_a_trainee(client, login, dummy_trainee, course):
    login(dummy_trainee)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+)"', page)
    assert forms.count(f"/courses/{course.id}/enrol") == 1
    assert 'data-testid="enrol"' in page


def test_staff_and_trainers_see_no_enrol_button(client, login, users_by_role, english, course):
    login(users_by_role["staff"])
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert f"/manage/courses/{course.id}/enrollments/" in page
    assert 'data-testid="enrol"' not in page
    login(users_by_role["trainer"])
    response = client.get(f"/courses/{course.id}")
    assert "Only trainee accounts can enrol in a course." in text(response)
    assert 'data-testid="enrol"' not in response.get_data(as_text=True)


def test_enrolling_shows_the_result_on_the_course_page(client, login, create_user, english, course):
    first, second, third = (create_user("trainee") for _ in range(3))
    login(first)
    response = client.post(f"/courses/{course.id}/enrol")
    assert response.status_code == 302
    assert response.location == f"/courses/{course.id}"
    page = text(client.get(response.location))
    assert "You are enrolled. See you at the first meeting!" in page  # the flash message
    assert "You are enrolled in this course." in page  # the box
    assert 'data-testid="enrol"' not in client.get(response.location).get_data(as_text=True)

    login(second)
    client.post(f"/courses/{course.id}/enrol")
    login(third)
    response = client.post(f"/courses/{course.id}/enrol", follow_redirects=True)
    page = text(response)
    assert "you are on the waitlist at position 1." in page
    assert "You are on the waitlist: position 1." in page
    statuses = db.session.scalars(
        select(Enrollment.status).where(Enrollment.course_id == course.id).order_by(Enrollment.id)
    ).all()
    assert statuses == ["enrolled", "enrolled", "waitlisted"]
    assert count(OutboxMessage, OutboxMessage.kind == "enrollment_waitlisted") == 1


def test_a_course_that_needs_approval_shows_a_pending_request(
    client, login, dummy_trainee, english, create_course
):
    course = create_course(requires_approval=True)
    login(dummy_trainee)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "Ask for a place" in page
    response = client.post(f"/courses/{course.id}/enrol", follow_redirects=True)
    page = text(response)
    assert "Your request is sent." in page
    assert "Your request awaits the approval of the office." in page
    assert db.session.scalar(select(Enrollment.status)) == "pending"


def test_every_refusal_is_shown_in_the_trainees_language(client, login, create_user, create_course):
    course = create_course(target_groups=["purna_pmi"])
    trainee = create_user("trainee", profile=False, locale="id", target_group="cpmi")
    login(trainee)
    response = client.post(f"/courses/{course.id}/enrol")
    assert response.status_code == 400
    page = text(response)
    for msgid in (
        "Complete your profile before you enrol.",
        "This course is not open to your group of participants.",
    ):
        assert tr(msgid, "id") in page, msgid
    assert 'href="/profile"' in response.get_data(as_text=True)
    assert 'data-testid="complete-profile"' in response.get_data(as_text=True)
    assert count(Enrollment) == 0


def test_a_refusal_for_a_complete_profile_has_no_profile_link(
    client, login, create_user, create_course
):
    course = create_course(min_age=40)
    trainee = create_user("trainee", locale="en")
    login(trainee)
    response = client.post(f"/courses/{course.id}/enrol")
    assert response.status_code == 400
    assert "You must be at least 40 years old on the first day." in text(response)
    assert 'data-testid="complete-profile"' not in response.get_data(as_text=True)


def test_registration_window_refusal(client, login, dummy_trainee, english, create_course):
    now = utcnow()
    course = create_course(
        registration_opens_at=now - timedelta(days=10),
        registration_closes_at=now - timedelta(days=1),
    )
    login(dummy_trainee)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert 'data-testid="enrol"' not in page  # nothing to press on a closed course
    response = client.post(f"/courses/{course.id}/enrol")
    assert response.status_code == 400
    assert "Registration for this course has closed." in text(response)


def test_enrolling_twice_or_in_a_full_course_says_why(
    client, login, create_user, english, create_course
):
    full = create_course(capacity=1, waitlist=False)
    holder, late = create_user("trainee"), create_user("trainee")
    enroll(holder, full)
    login(holder)
    response = client.post(f"/courses/{full.id}/enrol")
    assert response.status_code == 409
    assert "You are already registered for this course." in text(response)
    login(late)
    response = client.post(f"/courses/{full.id}/enrol")
    assert response.status_code == 409
    assert "This course is full." in text(response)
    assert count(Enrollment) == 1


def test_the_enrol_button_needs_the_pages_csrf_token(make_app, dummy_trainee, course):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    log_in(client, dummy_trainee)
    response = client.post(f"/courses/{course.id}/enrol")
    assert response.status_code == 400
    assert count(Enrollment) == 0
    # with the page's token it works
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    response = client.post(f"/courses/{course.id}/enrol", data={"csrf_token": token.group(1)})
    assert response.status_code == 302
    assert count(Enrollment) == 1


# --- my courses ----------------------------------------------------------------------------


def test_my_courses_lists_status_position_and_next_meetings(
    client, login, create_user, create_course, create_session, english
):
    trainee = create_user("trainee")
    soon = create_course(title_en="Housekeeping", starts_on=local_today() + timedelta(days=10))
    first = create_session(soon, topic="Tata graha dasar")
    create_session(
        soon,
        combine_local(soon.starts_on + timedelta(days=1), time(13, 30)),
        topic="Laundry",
    )
    called_off = create_session(soon, combine_local(soon.starts_on + timedelta(days=2), time(8)))
    from lms.catalog import services as catalog

    catalog.cancel_session(called_off, "Hari libur")
    db.session.commit()
    full = create_course(
        "language", capacity=1, starts_on=local_today() + timedelta(days=60), title_en="Mandarin"
    )
    enroll(create_user("trainee"), full)
    enroll(trainee, soon)
    enroll(trainee, full)
    login(trainee)
    response = client.get("/my/courses")
    assert response.status_code == 200
    page = text(response)
    assert "Housekeeping" in page and "Mandarin" in page
    assert "Enrolled" in page
    assert "On the waitlist · position 1" in page
    assert "You are on the waitlist: position 1." in page
    # the meetings in WIB, the called-off one left out
    assert f"{first.starts_at:%a}" in page
    assert "08:00–12:00 · Tata graha dasar" in page
    assert "13:30–17:30 · Laundry" in page
    assert page.count("08:00–12:00") == 1
    body = response.get_data(as_text=True)
    assert body.count('data-testid="cancel"') == 2


def test_my_courses_separates_earlier_enrolments(client, login, dummy_trainee, english, course):
    enrollment = enroll(dummy_trainee, course)
    services.cancel(enrollment, dummy_trainee)
    db.session.commit()
    login(dummy_trainee)
    response = client.get("/my/courses")
    page = text(response)
    assert "You are not enrolled in any course at the moment." in page
    assert "Earlier enrolments" in page and "Cancelled" in page
    assert 'data-testid="cancel"' not in response.get_data(as_text=True)


def test_cancel_asks_for_confirmation_and_promotes_the_waitlist(
    client, login, create_user, english, create_course
):
    course = create_course(capacity=1)
    holder, waiting = create_user("trainee"), create_user("trainee")
    held = enroll(holder, course)
    queued = enroll(waiting, course)
    login(holder)
    response = client.get(f"/my/enrollments/{held.id}/cancel")
    assert response.status_code == 200
    assert "Cancel my enrolment?" in text(response)
    assert fresh(held).status == "enrolled"  # a GET changes nothing
    response = client.post(f"/my/enrollments/{held.id}/cancel")
    assert response.status_code == 302 and response.location == "/my/courses"
    assert fresh(held).status == "cancelled"
    assert fresh(queued).status == "enrolled"
    page = text(client.get("/my/courses"))
    assert f"Your enrolment in {course.code} is cancelled." in page
    # a second time: no longer active
    response = client.get(f"/my/enrollments/{held.id}/cancel")
    assert "This enrolment is no longer active." in text(response)
    response = client.post(f"/my/enrollments/{held.id}/cancel")
    assert response.status_code == 409


def test_a_started_course_cannot_be_cancelled_by_the_trainee(
    client, login, dummy_trainee, english, create_course
):
    running = create_course(starts_on=local_today() - timedelta(days=1))
    enrollment = enroll(dummy_trainee, running)
    login(dummy_trainee)
    response = client.post(f"/my/enrollments/{enrollment.id}/cancel")
    assert response.status_code == 400
    assert "The course has started; ask the office to cancel your enrolment." in text(response)
    assert fresh(enrollment).status == "enrolled"


# --- the staff list ------------------------------------------------------------------------


@pytest.fixture
def crowd(create_user, course):
    """Two enrolled, three on the waitlist (in this order) and one cancelled."""
    people = {}
    for key, name in (
        ("a", "Ani Susanti"),
        ("b", "Budi Saputra"),
        ("c", "Citra Maharani"),
        ("d", "Dedi Hidayat"),
        ("e", "Eko Pratama"),
        ("f", "Fitri Wulandari"),
    ):
        people[key] = create_user(
            "trainee", name=name, email=f"{key}.{name.split()[0].lower()}@example.org"
        )
    rows = {key: enroll(user, course) for key, user in people.items() if key != "f"}
    rows["f"] = enroll(people["f"], course)
    services.cancel(rows["f"], people["f"])
    db.session.commit()
    return rows


def test_the_list_filters_by_status_and_search(client, staff, course, crowd):
    response = client.get(staff_url(course))
    assert response.status_code == 200
    page = text(response)
    assert "2 of 2 seats taken" in page
    assert "3 on the waitlist" in page
    for name in ("Ani Susanti", "Budi Saputra", "Citra Maharani", "Fitri Wulandari"):
        assert name in page
    # waitlisted only: in waitlist order with positions
    response = client.get(staff_url(course, "?status=waitlisted"))
    page = text(response)
    assert "Ani Susanti" not in page and "Fitri Wulandari" not in page
    positions = re.findall(r"(\w+ \w+) \S+@example.org .*? On the waitlist · position (\d)", page)
    assert positions == [("Citra Maharani", "1"), ("Dedi Hidayat", "2"), ("Eko Pratama", "3")]
    # the search looks at names and e-mail addresses, within the status filter
    page = text(client.get(staff_url(course, "?q=maharani")))
    assert "Citra Maharani" in page and "Budi Saputra" not in page
    page = text(client.get(staff_url(course, "?q=b.budi@")))
    assert "Budi Saputra" in page and "Citra Maharani" not in page
    page = text(client.get(staff_url(course, "?status=enrolled&q=citra")))
    assert "No enrolment matches." in page
    # an unknown status or page is ignored, never a 500
    assert client.get(staff_url(course, "?status=bogus&page=abc")).status_code == 200
    assert client.get(staff_url(course, "?page=99999999999999")).status_code == 200


def test_the_course_page_of_staff_links_to_its_enrolments(client, staff, course):
    page = client.get(f"/manage/courses/{course.id}").get_data(as_text=True)
    assert f'href="/manage/courses/{course.id}/enrollments/"' in page


# --- bulk decisions ------------------------------------------------------------------------


@pytest.fixture
def requests_course(create_course):
    return create_course(requires_approval=True, capacity=2)


@pytest.fixture
def pending(create_user, requests_course):
    """Three pending requests, oldest first."""
    return [
        enroll(create_user("trainee", name=name), requests_course)
        for name in ("Ayu Lestari", "Bambang Wijaya", "Cahya Kurniasih")
    ]


def test_bulk_approve_fills_the_seats_then_the_waitlist(client, staff, requests_course, pending):
    ids = [e.id for e in reversed(pending)]  # ticked in any order: the oldest request goes first
    response = client.post(
        staff_url(requests_course, "bulk?status=pending"), data={"action": "enrolled", "ids": ids}
    )
    assert response.status_code == 302
    assert response.location == staff_url(requests_course)
    assert [fresh(e).status for e in pending] == ["enrolled", "enrolled", "waitlisted"]
    assert count(AuditEntry, AuditEntry.action == "enrollment.approved") == 3
    assert fresh(requests_course).enrolled_count == 2
    page = text(client.get(staff_url(requests_course)))
    assert "3 requests approved. 1 went to the waitlist (no free seat)." in page


def test_bulk_reject_needs_a_reason(client, staff, requests_course, pending):
    ids = [e.id for e in pending[:2]]
    response = client.post(
        staff_url(requests_course, "bulk"), data={"action": "rejected", "ids": ids}
    )
    assert response.status_code == 400
    assert field_errors(response)["reason"] == [
        "Give a reason for the rejection; the trainee will read it."
    ]
    assert [fresh(e).status for e in pending] == ["pending"] * 3
    response = client.post(
        staff_url(requests_course, "bulk"),
        data={"action": "rejected", "ids": ids, "reason": "Kuota untuk kabupaten ini penuh."},
    )
    assert response.status_code == 302
    assert [fresh(e).status for e in pending] == ["rejected", "rejected", "pending"]
    assert fresh(pending[0]).reason == "Kuota untuk kabupaten ini penuh."
    assert count(OutboxMessage, OutboxMessage.kind == "enrollment_rejected") == 2


def test_bulk_approval_skips_a_row_no_longer_pending(client, staff, requests_course, pending):
    """One ticked request was decided meanwhile: the others are approved, and the page says
    which one was skipped and why."""
    services.approve(pending[1], staff)
    db.session.commit()
    ids = [e.id for e in pending]
    response = client.post(
        staff_url(requests_course, "bulk?status=pending"), data={"action": "enrolled", "ids": ids}
    )
    assert response.status_code == 302
    # the seat of the skipped one was taken already: the second approved goes to the waitlist
    assert [fresh(e).status for e in pending] == ["enrolled", "enrolled", "waitlisted"]
    assert count(AuditEntry, AuditEntry.action == "enrollment.approved") == 3
    page = text(client.get(staff_url(requests_course)))
    assert "2 requests approved. 1 went to the waitlist (no free seat)." in page
    assert (
        f"1 skipped: Bambang Wijaya (no. {pending[1].id}): no longer pending (now: Enrolled)"
        in page
    )


def test_bulk_approval_skip_in_indonesian(client, staff, requests_course, pending):
    services.cancel(pending[0], staff)
    db.session.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "id"
    response = client.post(
        staff_url(requests_course, "bulk"),
        data={"action": "enrolled", "ids": [e.id for e in pending]},
        follow_redirects=True,
    )
    page = text(response)
    status = tr("Cancelled")
    skipped = tr(
        "%(name)s (no. %(id)s): %(reason)s",
        name="Ayu Lestari",
        id=pending[0].id,
        reason=tr("no longer pending (now: %(status)s)", status=status),
    )
    assert skipped in page
    assert "no longer pending" not in page


def test_bulk_reject_skips_a_cancelled_row(client, staff, requests_course, pending, create_user):
    services.cancel(pending[2], staff)
    db.session.commit()
    response = client.post(
        staff_url(requests_course, "bulk"),
        data={
            "action": "rejected",
            "ids": [e.id for e in pending],
            "reason": "Tidak memenuhi syarat",
        },
        follow_redirects=True,
    )
    assert "Cahya Kurniasih" in text(response) and "2 requests rejected." in text(response)
    assert [fresh(e).status for e in pending] == ["rejected", "rejected", "cancelled"]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "enrolled"},  # nothing ticked
        {"action": "enrolled", "ids": ["abc"]},
        {"action": "enrolled", "ids": ["999999"]},  # not in this course
        {"action": "promoted", "ids": ["1"]},
        {"ids": ["1"]},
    ],
)
def test_bulk_bad_input_is_400(client, staff, requests_course, pending, data):
    if data.get("ids") == ["1"]:
        data = {**data, "ids": [str(pending[0].id)]}
    response = client.post(staff_url(requests_course, "bulk"), data=data)
    assert response.status_code == 400
    assert [fresh(e).status for e in pending] == ["pending"] * 3


def test_bulk_refuses_an_enrolment_of_another_course(
    client, staff, requests_course, pending, create_course, create_user
):
    other = create_course(requires_approval=True)
    elsewhere = enroll(create_user("trainee"), other)
    response = client.post(
        staff_url(requests_course, "bulk"),
        data={"action": "enrolled", "ids": [pending[0].id, elsewhere.id]},
    )
    assert response.status_code == 400
    assert "Some of the ticked enrolments are not in this course." in text(response)
    assert fresh(pending[0]).status == "pending" and fresh(elsewhere).status == "pending"


# --- one enrolment -------------------------------------------------------------------------


def test_the_enrolment_page_masks_the_nik_and_shows_the_history(client, staff, course, crowd):
    enrollment = crowd["f"]
    nik = enrollment.user.nik
    response = client.get(staff_url(course, f"{enrollment.id}"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert nik not in body
    assert "•" * 12 + nik[-4:] in body
    page = text(response)
    assert "Put on the waitlist" in page and "Cancelled" in page  # the history
    assert 'data-testid="move-enrolled"' in body  # enrol again


def test_every_move_is_audited(client, staff, requests_course, pending, create_user):
    first, second, third = pending
    url = staff_url(requests_course, "{}")

    def move(enrollment, action, reason=""):
        return client.post(url.format(enrollment.id), data={"action": action, "reason": reason})

    # approve
    assert move(first, "enrolled").status_code == 302
    assert fresh(first).status == "enrolled"
    # reject needs a reason
    response = move(second, "rejected")
    assert response.status_code == 400
    assert field_errors(response)["reason"]
    assert move(second, "rejected", "Dokumen belum lengkap").status_code == 302
    assert (fresh(second).status, fresh(second).reason) == ("rejected", "Dokumen belum lengkap")
    # enrol again (a seat is free: capacity 2, one taken)
    assert move(second, "enrolled").status_code == 302
    assert fresh(second).status == "enrolled"
    # approve the third: the course is full, so the waitlist
    assert move(third, "enrolled").status_code == 302
    assert fresh(third).status == "waitlisted"
    # cancel (staff may at any time): the seat goes to the waitlist's head at once
    assert move(first, "cancelled", "Mengundurkan diri").status_code == 302
    assert fresh(first).status == "cancelled"
    assert fresh(third).status == "enrolled"
    actions = db.session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "enrollment", AuditEntry.actor_id == staff.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "enrollment.approved",
        "enrollment.rejected",
        "enrollment.enrolled",
        "enrollment.approved",
        "enrollment.cancelled",
        "enrollment.promoted",
    ]


def test_move_up_from_the_waitlist_out_of_turn(client, staff, course, crowd):
    # one more seat, without the automatic promotion: staff pick who moves up
    db.session.execute(update(Course).where(Course.id == course.id).values(capacity=3))
    db.session.commit()
    last = crowd["e"]
    response = client.post(staff_url(course, f"{last.id}"), data={"action": "enrolled"})
    assert response.status_code == 302
    assert fresh(last).status == "enrolled"
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "enrollment.promoted")
    ).one()
    assert entry.data == {"by_hand": True} and entry.actor_id == staff.id
    # the course is full again: the next one cannot move up
    response = client.post(staff_url(course, f"{crowd['c'].id}"), data={"action": "enrolled"})
    assert response.status_code == 409
    assert "This course is full." in text(response)
    assert fresh(crowd["c"]).status == "waitlisted"


def test_an_impossible_move_is_refused_with_the_reason(client, staff, course, crowd):
    enrolled = crowd["a"]
    response = client.post(staff_url(course, f"{enrolled.id}"), data={"action": "enrolled"})
    assert response.status_code == 400
    assert "This change of status is not possible." in text(response)
    response = client.post(staff_url(course, f"{enrolled.id}"), data={"action": "completed"})
    assert response.status_code == 400
    assert "Not a valid choice." in text(response)
    response = client.post(
        staff_url(course, f"{enrolled.id}"), data={"action": "rejected", "reason": "x"}
    )
    assert response.status_code == 409
    assert "Only a pending or waitlisted request can be rejected." in text(response)
    assert fresh(enrolled).status == "enrolled"


# --- adding by hand ------------------------------------------------------------------------


def test_staff_find_trainees_by_name_email_or_full_nik(client, staff, course, create_user):
    siti = create_user("trainee", name="Siti Aminah", email="siti.aminah@example.org")
    create_user("trainer", name="Siti Trainer")
    response = client.get(staff_url(course, "add?q=aminah"))
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Siti Aminah" in body and "Siti Trainer" not in body
    assert siti.nik not in body and "•" * 12 + siti.nik[-4:] in body
    assert "Siti Aminah" in text(client.get(staff_url(course, "add?q=SITI.AMINAH@")))
    # a NIK is searched through the form (POST), and kept out of the URL
    found = client.post(staff_url(course, "add"), data={"q": siti.nik}, follow_redirects=True)
    assert "Siti Aminah" in text(found) and siti.nik not in found.request.full_path
    # part of a NIK finds nobody (it would let one guess a NIK digit by digit)
    part = client.post(staff_url(course, "add"), data={"q": siti.nik[:8]}, follow_redirects=True)
    assert "No trainee matches." in text(part)


def test_staff_add_a_trainee_after_registration_closed(client, staff, create_user, create_course):
    now = utcnow()
    closed = create_course(
        capacity=1,
        registration_opens_at=now - timedelta(days=10),
        registration_closes_at=now - timedelta(days=1),
    )
    first, second = create_user("trainee"), create_user("trainee")
    response = client.post(staff_url(closed, "add?q=trainee"), data={"user_id": first.id})
    assert response.status_code == 302
    added = db.session.scalars(select(Enrollment).where(Enrollment.user_id == first.id)).one()
    assert (added.status, added.decided_by_id) == ("enrolled", staff.id)
    # seats still count: the next one waits
    client.post(staff_url(closed, "add"), data={"user_id": second.id})
    assert (
        db.session.scalars(select(Enrollment.status).where(Enrollment.user_id == second.id)).one()
        == "waitlisted"
    )
    # the list of results says who is already in the course
    page = text(client.get(staff_url(closed, "add?q=trainee")))
    assert page.count("Already registered") == 2


def test_the_add_button_says_enrol_someone_in_indonesian(client, staff, create_user, create_course):
    course = create_course()
    trainee = create_user("trainee")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "id"
    page = client.get(staff_url(course, "add?q=trainee")).get_data(as_text=True)
    button = page.split(f'data-testid="add-{trainee.id}">', 1)[1].split("<", 1)[0]
    with force_locale("id"):
        assert button == pgettext("staff enrols a trainee", "Enrol") == "Daftarkan"


def test_adding_by_hand_shows_refusals_and_conflicts(client, staff, create_user, create_course):
    full = create_course(capacity=1, waitlist=False)
    enroll(create_user("trainee"), full)
    incomplete = create_user("trainee", name="Tanpa Profil", profile=False)
    late = create_user("trainee", name="Terlambat Datang")
    response = client.post(staff_url(full, "add?q=tanpa"), data={"user_id": incomplete.id})
    assert response.status_code == 400
    page = text(response)
    assert "Tanpa Profil cannot be enrolled:" in page
    assert "Complete your profile before you enrol." in page
    assert "Tanpa Profil" in page  # the search results are still there
    response = client.post(staff_url(full, "add"), data={"user_id": late.id})
    assert response.status_code == 409
    assert "This course is full." in text(response)
    response = client.post(staff_url(full, "add"), data={"user_id": "abc"})
    assert response.status_code == 400
    assert count(Enrollment, Enrollment.course_id == full.id) == 1


# --- exports -------------------------------------------------------------------------------

HEADER = [
    "Name",
    "E-mail",
    "Phone",
    "Regency or city",
    "Participant group",
    "Status",
    "Waitlist position",
    "Enrolled at (WIB)",
]


def read_csv(response):
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_csv_export_streams_the_roster(client, staff, course, crowd):
    response = client.get(staff_url(course, "export.csv"))
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert f'filename="roster-{course.code}.csv"' in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == HEADER
    assert len(rows) == 7
    by_name = {row[0]: row for row in rows[1:]}
    ani = by_name["Ani Susanti"]
    user = crowd["a"].user
    assert ani[1:7] == [
        user.email,
        user.phone,
        "Lampung Timur",
        "Prospective migrant worker (CPMI)",
        "Enrolled",
        "",
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", ani[7])
    assert by_name["Dedi Hidayat"][5:7] == ["On the waitlist", "2"]
    # the status filter of the list applies
    rows = read_csv(client.get(staff_url(course, "export.csv?status=waitlisted")))
    assert [(r[0], r[6]) for r in rows[1:]] == [
        ("Citra Maharani", "1"),
        ("Dedi Hidayat", "2"),
        ("Eko Pratama", "3"),
    ]


def test_csv_export_in_indonesian(client, login, dummy_staff, course, crowd):
    login(dummy_staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "id"
    rows = read_csv(client.get(staff_url(course, "export.csv?status=enrolled")))
    assert rows[0][0] == tr("Name")
    assert rows[1][5] == tr("Enrolled")


def test_xlsx_export_reads_back(client, staff, course, crowd):
    response = client.get(staff_url(course, "export.xlsx?status=waitlisted"))
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "roster-" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert [(r[0], r[5], r[6]) for r in rows[1:]] == [
        ("Citra Maharani", "On the waitlist", 1),
        ("Dedi Hidayat", "On the waitlist", 2),
        ("Eko Pratama", "On the waitlist", 3),
    ]
    enrolled_at = rows[1][7]
    created = fresh(crowd["c"]).created_at
    assert abs((enrolled_at - created.replace(tzinfo=None)) - timedelta(hours=7)) < timedelta(
        seconds=1
    )


def test_exports_keep_formulas_out(client, staff, course, create_user):
    sly = create_user("trainee", name='=HYPERLINK("http://evil.example","klik")')
    enroll(sly, course)
    rows = read_csv(client.get(staff_url(course, "export.csv")))
    assert rows[1][0].startswith("'=")
    assert rows[1][2].startswith("+62")  # a phone number stays as it is
    sheet = load_workbook(
        io.BytesIO(client.get(staff_url(course, "export.xlsx")).get_data())
    ).active
    cell = sheet["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_an_empty_roster_exports_its_header(client, staff, course):
    assert read_csv(client.get(staff_url(course, "export.csv"))) == [HEADER]
    sheet = load_workbook(
        io.BytesIO(client.get(staff_url(course, "export.xlsx")).get_data())
    ).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [HEADER]


def test_huge_ids_are_not_found_never_a_500(client, login, dummy_staff, dummy_trainee, course):
    huge = 10**30
    login(dummy_staff)
    assert client.get(f"/manage/courses/{huge}/enrollments/").status_code == 404
    assert client.get(staff_url(course, f"{huge}")).status_code == 404
    for ids in ([str(huge)], ["-5"], ["0"]):
        response = client.post(staff_url(course, "bulk"), data={"action": "enrolled", "ids": ids})
        assert response.status_code == 400, ids
    assert client.post(staff_url(course, "add"), data={"user_id": str(huge)}).status_code == 400
    login(dummy_trainee)
    assert client.get(f"/my/enrollments/{huge}/cancel").status_code == 404
    assert client.post(f"/courses/{huge}/enrol").status_code == 404


def test_an_ended_course_is_history_without_a_cancel_button(
    client, login, dummy_trainee, english, create_course
):
    ended = create_course(
        title_en="Finished batch",
        starts_on=local_today() - timedelta(days=40),
        ends_on=local_today() - timedelta(days=10),
    )
    # enrolled by the office after the fact (the registration window is long closed)
    services.enroll(dummy_trainee, ended, actor=dummy_trainee, bypass_window=True)
    db.session.commit()
    login(dummy_trainee)
    response = client.get("/my/courses")
    page = text(response)
    assert "You are not enrolled in any course at the moment." in page
    assert "Earlier enrolments" in page and "Finished batch" in page
    assert 'data-testid="cancel"' not in response.get_data(as_text=True)
