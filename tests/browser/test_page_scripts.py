"""What inline handlers used to do, static/js/app.js does under the page policy (no inline script
is allowed); ``new_page`` fails a test on any Content-Security-Policy violation."""

import re

import pytest

from lms.enrollment.services import enroll
from tests.fixtures.browser import DESKTOP, log_in
from tests.test_reports import Y


@pytest.mark.browser
def test_page_behaviours_run_under_the_policy(
    db, new_page, dummy_staff, create_user, create_course
):
    """Tick every row, print, send a filter on change; ``new_page`` fails on any CSP violation."""
    from playwright.sync_api import expect

    course = create_course(requires_approval=True, capacity=2)
    requests = [enroll(create_user("trainee"), course) for _ in range(2)]
    db.session.commit()
    page = new_page(viewport=DESKTOP)
    # not subject to the page's policy: counts the calls instead of opening the print dialog
    page.add_init_script("window.print = () => { window.printed = (window.printed || 0) + 1; };")
    log_in(page, dummy_staff, f"/manage/courses/{course.id}/enrollments/")

    tick_all = page.locator("#tick-all")
    expect(tick_all).to_be_visible()
    tick_all.check()
    for enrollment in requests:
        expect(page.locator(f"#tick-{enrollment.id}")).to_be_checked()
    tick_all.uncheck()
    for enrollment in requests:
        expect(page.locator(f"#tick-{enrollment.id}")).not_to_be_checked()

    page.goto(f"/reports/annual?year={Y}")
    page.locator("[data-print]").click()
    assert page.evaluate("window.printed") == 1

    page.goto("/courses/")
    page.select_option("#type", "language")
    expect(page).to_have_url(re.compile(r"/courses/\?(.*&)?type=language(&|$)"))
