"""What inline handlers used to do, static/js/app.js does under the page policy (no inline script
is allowed), and the navbar's Administration menu works on a phone; ``new_page`` fails a test on any
Content-Security-Policy violation."""

import re

import pytest

from lms.enrollment.services import enroll
from tests.fixtures.browser import DESKTOP, PHONE, assert_fits_phone, log_in, open_menu
from tests.fixtures.i18n import tr
from tests.reports.test_reports import Y


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


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_staff_reach_the_back_room_pages_through_the_administration_menu(
    new_page, dummy_staff, viewport
):
    from playwright.sync_api import expect

    page = new_page(viewport=viewport)
    log_in(page, dummy_staff, "/")
    for label, path in (("Users", "/users/"), ("Outbox", "/outbox/"), ("Partners", "/partners/")):
        open_menu(page)
        menu = page.locator("#mainnav")
        menu.get_by_role("button", name=tr("Administration")).or_(
            menu.get_by_role("link", name=tr("Administration"))
        ).click()
        menu.get_by_role("link", name=tr(label), exact=True).click()
        expect(page).to_have_url(re.compile(rf"{re.escape(path)}$"))
        expect(menu.get_by_test_id("admin-menu")).to_have_class(re.compile(r"\bactive\b"))
        assert_fits_phone(page)
