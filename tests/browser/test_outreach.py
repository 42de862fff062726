"""On a 360 px phone: a trainer records the people an outreach event reached with the browser
offline, and the figure reaches the server exactly once when it is back online."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.catalog.models import CourseSession
from lms.core.time import local_today
from tests.attendance.test_roster_views import session_now
from tests.fixtures.browser import assert_fits_phone, log_in

pytestmark = pytest.mark.browser


def people_reached(db, session_id):
    db.session.expire_all()
    return db.session.scalar(
        select(CourseSession.people_reached).where(CourseSession.id == session_id)
    )


def test_a_trainer_records_the_people_reached_offline_on_a_phone(
    db, new_page, create_user, create_partner, create_course, create_session
):
    partner = create_partner(name="PWNU Lampung", kind="religious_organisation")
    trainer = create_user("trainer", partner_id=partner.id, name="Dewi Lestari", locale="id")
    today = local_today()
    course = create_course(
        "outreach", partner=partner, trainers=[trainer], starts_on=today, ends_on=today
    )
    session = session_now(create_session, course, topic="Migrasi aman")
    page = new_page()
    log_in(page, trainer, "/trainer/today")
    assert_fits_phone(page)
    form = page.get_by_test_id("reach-form")
    expect(form).to_be_visible()

    page.context.set_offline(True)
    page.fill(f"#people-{session.id}", "130")
    form.locator("button[type=submit]").click()
    expect(form.locator(".reach-pending")).to_be_visible()
    assert people_reached(db, session.id) is None

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(form.locator(".reach-status")).to_contain_text("130")
    expect(form.locator(".reach-pending")).to_be_hidden()
    assert people_reached(db, session.id) == 130
    assert (
        db.session.scalar(select(func.count()).where(AuditEntry.action == "session.people_reached"))
        == 1
    )
    assert_fits_phone(page)
