"""On a 360 px phone: "Everyone present" fills only the rows nobody marked (a late QR check-in
stays late, from the check-in), and two offline saves sent after the connection is back are both
recorded as offline, the banner counting the marks waiting."""

import os
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.attendance import services
from lms.attendance.models import Attendance, AttendanceBatch
from lms.audit.models import AuditEntry
from lms.core.types import utcnow
from lms.extensions import db
from tests.attendance.test_roster_views import enrol_trainees, running_course, session_now
from tests.browser.test_attendance import (
    NAMES,
    _wait_for_offline_copy,
    field_site,  # noqa: F401 (a fixture)
    mark,
    pending_text,
    trainer,  # noqa: F401 (a fixture)
)
from tests.fixtures.browser import PHONE, assert_fits_phone, log_in
from tests.fixtures.i18n import tr
from tests.fixtures.pages import count

pytestmark = pytest.mark.browser


def saved_marks(session):
    """{enrolment id: (status, source)} of a session, read afresh."""
    db.session.rollback()
    return {
        a.enrollment_id: (a.status, a.source)
        for a in db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    }


def test_everyone_present_keeps_a_late_check_in(
    db,
    new_page,
    create_user,
    create_course,
    create_session,
    trainer,  # noqa: F811
):
    course = running_course(create_course, trainer)
    session = session_now(create_session, course)
    enrollments = enrol_trainees(create_user, course, NAMES[:5])
    came_late = enrollments[2]
    services.save_marks(
        session,
        [{"enrollment_id": came_late.id, "status": "late"}],
        came_late.user,
        source="checkin",
    )
    db.session.commit()

    page = new_page(viewport=PHONE, locale="id")
    log_in(page, trainer, f"/trainer/sessions/{session.id}/roster")
    help_text = page.get_by_test_id("all-present-help")
    expect(help_text).to_be_visible()
    expect(help_text).to_contain_text(
        tr(
            '"Everyone present" fills only the trainees nobody has marked yet: QR check-ins and '
            "marks already made stay as they are.",
            "id",
        )
    )
    page.get_by_test_id("all-present").click()
    expect(page.locator(f"#s-{came_late.id}-late")).to_be_checked()
    expect(page.locator("input[value=present]:checked")).to_have_count(4)
    assert_fits_phone(page)
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("roster-status")).to_have_text(tr("Saved.", "id"))

    marks = saved_marks(session)
    assert marks[came_late.id] == ("late", "checkin")
    assert {marks[e.id] for e in enrollments if e is not came_late} == {("present", "trainer")}
    # one audit entry per mark: the check-in's and the four the trainer made
    assert count(AuditEntry, AuditEntry.object_type == "attendance") == 5


def test_two_offline_saves_stay_offline(
    db,
    new_page,
    create_user,
    create_course,
    create_session,
    trainer,  # noqa: F811
    field_site,  # noqa: F811
):
    course = running_course(create_course, trainer)
    session = session_now(create_session, course)
    enrollments = enrol_trainees(create_user, course, NAMES[:4])
    roster = f"/trainer/sessions/{session.id}/roster"
    page = new_page(viewport=PHONE, locale="id")
    log_in(page, trainer, roster)
    _wait_for_offline_copy(page, roster)

    field_site.leave(page.context)
    mark(page, enrollments[0], "present")
    mark(page, enrollments[1], "late")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("pending-count")).to_have_text(pending_text(2))
    # a second save, one more trainee and a change of one already waiting
    mark(page, enrollments[1], "absent")
    mark(page, enrollments[2], "excused")
    page.get_by_test_id("save").click()
    # three trainees' marks wait, in two saves
    expect(page.get_by_test_id("pending-count")).to_have_text(pending_text(3))
    assert saved_marks(session) == {}

    field_site.come_back(page)
    expect(page.get_by_test_id("pending")).to_be_hidden()
    assert count(AttendanceBatch) == 2
    assert saved_marks(session) == {
        enrollments[0].id: ("present", "offline"),
        enrollments[1].id: ("absent", "offline"),
        enrollments[2].id: ("excused", "offline"),
    }
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "attendance")
    ).all()
    assert len(entries) == 4  # two new, one change, one new
    assert {e.data["source"] for e in entries} == {"offline"}


# --- the check-in page at 360 px -----------------------------------------------------------

SHOTS = os.environ.get("LATIH_SCREENSHOTS")  # a folder: the pages are saved there to look at


def one_line(page, test_id):
    """How many lines the element's text takes."""
    return page.get_by_test_id(test_id).evaluate(
        """el => { const r = document.createRange(); r.selectNodeContents(el);
                   const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
                   return tops.size; }"""
    )


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_late_check_in_says_so_in_one_word_at_360_px(
    db,
    new_page,
    create_user,
    create_course,
    create_session,
    trainer,  # noqa: F811
    lang,
):
    course = running_course(create_course, trainer)
    now = utcnow()
    session = create_session(
        course, starts_at=now - timedelta(minutes=40), ends_at=now + timedelta(hours=1)
    )
    (enrollment,) = enrol_trainees(create_user, course, ["Rina Susanti"])
    page = new_page(viewport=PHONE, locale=lang)
    checkin = f"/checkin/{session.id}"

    # a link with an expired code: said before the button
    stale = f"{checkin}?code=000000"
    code, _expires = services.current_checkin_code(session)
    if code == "000000":  # pragma: no cover - one chance in a million
        stale = f"{checkin}?code=999999"
    log_in(page, enrollment.user, stale)
    expect(page.get_by_test_id("expired")).to_contain_text(
        tr("The code in this link has expired.", lang)
    )
    assert_fits_phone(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/checkin-expired-360-{lang}.png", full_page=True)

    code, _expires = services.current_checkin_code(session)
    page.fill("#code", code)
    page.get_by_test_id("checkin-button").click()
    expect(page.get_by_test_id("result-status")).to_have_text(tr("Late", lang))
    assert one_line(page, "result-status") == 1
    assert_fits_phone(page)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/checkin-late-360-{lang}.png", full_page=True)

    # and the trainer's roster, at 360 px, shows who is who and the late check-in
    trainer.locale = lang  # the trainer's own language, as the page speaks it
    db.session.commit()
    trainer_page = new_page(viewport=PHONE, locale=lang)
    log_in(trainer_page, trainer, f"/trainer/sessions/{session.id}/roster")
    expect(trainer_page.locator(f"#s-{enrollment.id}-late")).to_be_checked()
    expect(trainer_page.get_by_test_id(f"who-{enrollment.id}")).to_contain_text(f"{enrollment.id}")
    assert_fits_phone(trainer_page)
    if SHOTS:
        trainer_page.screenshot(path=f"{SHOTS}/roster-360-{lang}.png", full_page=True)
        trainer_page.get_by_test_id(f"row-{enrollment.id}").scroll_into_view_if_needed()
        trainer_page.screenshot(path=f"{SHOTS}/roster-row-360-{lang}.png")
