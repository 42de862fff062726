"""On a 360 px phone: a trainee asks for leave from a coming meeting and the trainer accepts it
on the roster (the trainee is marked excused); staff split a course into class groups, place the
trainees evenly and give a meeting to one group, whose roster then lists its members only.

With ``LMS_TEST_SCREENSHOTS`` set to a folder, each page is also saved there as a PNG."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lms.attendance.excuses import ExcuseRequest
from lms.attendance.services import save_marks
from lms.core.types import utcnow
from lms.enrollment.services import enroll
from tests.attendance.test_roster_views import running_course, session_now
from tests.browser.test_accessibility import findings
from tests.fixtures.attendance import marks_of
from tests.fixtures.browser import (
    DESKTOP,
    PHONE,
    SHOTS,
    assert_fits_phone,
    log_in,
)
from tests.fixtures.browser import shot as save_shot
from tests.fixtures.pages import count

pytestmark = pytest.mark.browser

NAMES = ["Ani Suryani", "Bayu Pratama", "Citra Lestari", "Dedi Kurniawan", "Eka Wulandari"]


def shot(page, name, lang):
    """Check the page fits the phone and axe finds nothing serious; save it when screenshots
    are asked for."""
    page.wait_for_load_state()
    assert_fits_phone(page)
    assert findings(page) == [], name
    if SHOTS:
        save_shot(page, f"{name}-{lang}")
        page.set_viewport_size(DESKTOP)
        save_shot(page, f"{name}-{lang}-desktop")
        page.set_viewport_size(PHONE)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_trainee_asks_for_leave_and_the_trainer_accepts(
    db, new_page, create_user, create_course, create_session, lang
):
    trainer = create_user("trainer", name="Dewi Lestari", locale=lang)
    trainee = create_user("trainee", name="Siti Aminah", locale=lang)
    staff = create_user("staff", name="Rina Marlina", locale=lang)
    course = running_course(create_course, trainer)
    today = session_now(create_session, course)
    starts = utcnow() + timedelta(days=2)
    coming = create_session(
        course, starts_at=starts, ends_at=starts + timedelta(hours=3), topic="Perawatan bibit"
    )
    enrollment = enroll(trainee, course, bypass_window=True)
    save_marks(today, [{"enrollment_id": enrollment.id, "status": "present"}], trainer)
    db.session.commit()

    page = new_page(viewport=PHONE, locale=lang)
    log_in(page, trainee, "/my/courses")
    expect(page.get_by_test_id("attendance-rate")).to_be_visible()
    shot(page, "my-courses", lang)
    page.get_by_test_id("leave-link").click()
    expect(page.get_by_test_id(f"coming-{coming.id}")).to_be_visible()
    page.get_by_test_id(f"coming-{coming.id}").get_by_test_id("ask-leave").click()
    shot(page, "leave-form", lang)
    page.fill("#reason", "Pemeriksaan kesehatan di kantor imigrasi")
    page.locator("main form #submit").click()
    expect(
        page.get_by_test_id(f"coming-{coming.id}").get_by_test_id("leave-status")
    ).to_be_visible()
    shot(page, "my-attendance", lang)
    assert count(ExcuseRequest, ExcuseRequest.status == "requested") == 1

    # the office sees it on the course page
    page = new_page(viewport=PHONE, locale=lang)
    log_in(page, staff, f"/manage/courses/{course.id}")
    expect(page.get_by_test_id("excuses")).to_contain_text("Pemeriksaan kesehatan")
    shot(page, "staff-course", lang)

    page = new_page(viewport=PHONE, locale=lang)
    log_in(page, trainer, f"/trainer/sessions/{today.id}/roster")
    request = page.locator("[data-testid^=excuse-]")
    expect(request).to_contain_text("Pemeriksaan kesehatan")
    request.locator("input[name=note]").fill("Semoga lancar")
    shot(page, "roster-requests", lang)
    request.get_by_test_id("accept").click()
    expect(page.locator(".alert-success[role=alert]")).to_contain_text("Siti Aminah")
    expect(page.locator("[data-testid^=excuse-]")).to_have_count(0)
    assert marks_of(coming) == {enrollment.id: "excused"}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_staff_split_a_course_into_groups(
    db, new_page, create_user, create_course, create_session, lang
):
    trainer = create_user("trainer", name="Dewi Lestari", locale=lang)
    staff = create_user("staff", name="Rina Marlina", locale=lang)
    course = running_course(create_course, trainer)
    enrollments = [
        enroll(create_user("trainee", name=name, locale=lang), course, bypass_window=True)
        for name in NAMES
    ]
    db.session.commit()
    groups_page = f"/manage/courses/{course.id}/groups"

    page = new_page(viewport=PHONE, locale=lang)
    log_in(page, staff, groups_page)
    for name in ("Kelas A", "Kelas B"):
        page.fill("#name", name)
        if name == "Kelas A":
            page.get_by_label("Dewi Lestari").check()
        page.locator("[data-testid=group-form] #submit").click()
        expect(page.get_by_test_id("group-list")).to_contain_text(name)
    page.get_by_test_id("distribute").click()
    expect(page.locator("#members select option:checked[value='']")).to_have_count(0)
    shot(page, "groups", lang)

    # a meeting of Kelas A, from the session form
    page.goto(f"/manage/courses/{course.id}/sessions/new")
    day = (utcnow() + timedelta(hours=7)).date()
    page.fill("#day", day.isoformat())
    page.fill("#starts", "07:00")
    page.fill("#ends", "09:00")
    page.fill("#topic", "Praktik kelompok A")
    page.select_option("#group_id", label="Kelas A")
    shot(page, "session-form", lang)
    page.locator("main form #submit").click()
    expect(page).to_have_url(re.compile(rf"/manage/courses/{course.id}(#sessions)?$"))
    expect(page.get_by_test_id("session-group")).to_have_text("Kelas A")

    page.goto(f"/courses/{course.id}")
    # no meeting of the whole course yet: one timetable per group
    expect(page.locator("[data-testid^=timetable-]")).to_have_count(2)
    expect(page.locator("[data-testid^=timetable-]").first).to_contain_text("Praktik kelompok A")
    shot(page, "course-timetables", lang)

    db.session.expire_all()
    members = sorted(e.user.name for e in enrollments if e.group and e.group.name == "Kelas A")
    session = next(s for s in course.sessions if s.group_id is not None)
    page = new_page(viewport=PHONE, locale=lang)
    log_in(page, trainer, f"/trainer/sessions/{session.id}/roster")
    expect(page.locator("[data-enrollment-id]")).to_have_count(len(members))
    shot(page, "group-roster", lang)
