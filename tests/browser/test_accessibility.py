"""Accessibility beyond the main pages' axe walk (in test_main_pages): the keyboard, tap targets,
and axe-core on the attendance pages of the field, on a phone and a desktop."""

from datetime import time

import pytest

from tests.browser.test_main_pages import findings
from tests.fixtures.browser import DESKTOP, PHONE, TIMEOUT_MS, log_in, logged_in_state

pytestmark = pytest.mark.browser


def test_a_keyboard_sees_where_it_is_and_can_skip_the_menu(new_page, dummy_trainee):
    """The first Tab reaches the skip link, which moves on to the page's content; focus on the
    blue bar shows as a white ring."""
    from playwright.sync_api import expect

    page = new_page(viewport=DESKTOP, locale="id")
    log_in(page, dummy_trainee, "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()

    # after a key press, a focused element shows its ring (:focus-visible)
    page.locator(".navbar .nav-link").first.focus()
    ring = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, s.outlineColor, s.outlineWidth]; })()"
    )
    assert ring == ["solid", "rgb(255, 255, 255)", "3px"]


def test_what_people_tap_in_the_field_is_at_least_44_px_high(new_page, dummy_trainee):
    page = new_page(viewport=PHONE, locale="id")
    log_in(page, dummy_trainee, "/my/courses")
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll(
                 'footer a, main .btn, main .btn-sm, main p > a:only-child:not(.link-in-text)'))
             .filter(el => el.offsetParent !== null)
             .map(el => [el.textContent.trim(), el.getBoundingClientRect().height])
             .filter(([, height]) => height < 44)"""
    )
    assert small == []
    assert page.locator("footer a").count() >= 2


def _axe_pages(browser, live_server, visits, viewports):
    """axe's findings on each (user, path), at each viewport, in both languages (one login a
    user)."""
    found = []
    for user, paths in visits:
        state = logged_in_state(browser, live_server, user)
        for viewport in viewports:
            for locale in ("id", "en"):
                context = browser.new_context(
                    viewport=viewport, locale=locale, base_url=live_server, storage_state=state
                )
                context.set_default_timeout(TIMEOUT_MS)
                page = context.new_page()
                for path in paths:
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    found += [
                        f"{viewport['width']}px {locale} {path}: {item}" for item in findings(page)
                    ]
                context.close()
    return found


@pytest.fixture
def field_pages(db, make_classroom, add_meeting, create_user, create_course):
    """The trainer's attendance grid with a trainee below the threshold (red on pink), the
    sign-in sheet, the trainee's home with attendance and next meeting, and a course page that
    tells a trainee why they cannot enrol."""
    from lms.attendance import services as attendance

    room = make_classroom(3)
    sessions = [add_meeting(room.course, day=-d) for d in (3, 2, 1)]
    for n, session in enumerate(sessions):
        marks = [
            {"enrollment_id": e.id, "status": "absent" if (i == 0 and n) else "present"}
            for i, e in enumerate(room.enrollments)
        ]
        attendance.save_marks(session, marks, room.staff)
    upcoming = add_meeting(room.course, day=0, start=time(20, 0))
    db.session.commit()
    closed_to_them = create_course(target_groups=["purna_pmi"])
    course = room.course
    return [
        (
            room.trainer,
            [
                f"/trainer/courses/{course.id}/attendance",
                f"/trainer/sessions/{upcoming.id}/sheet",
            ],
        ),
        (room.trainee, ["/", f"/courses/{closed_to_them.id}"]),
    ]


def test_the_grid_the_sheet_and_the_trainees_pages_have_no_serious_findings(
    browser, live_server, field_pages
):
    """On a phone and a desktop, in both languages."""
    found = _axe_pages(browser, live_server, field_pages, [PHONE, DESKTOP])
    assert not found, "axe found:\n" + "\n".join(found)


def test_the_sign_in_sheets_scrolling_table_is_reachable_by_keyboard(new_page, field_pages):
    from playwright.sync_api import expect

    trainer, (grid, sheet) = field_pages[0]
    page = new_page(viewport=PHONE, locale="id")
    log_in(page, trainer, sheet)
    region = page.get_by_test_id("sheet-scroll")
    expect(region).to_have_attribute("tabindex", "0")
    expect(region).to_have_attribute("role", "region")
    assert region.get_attribute("aria-label")
    region.focus()
    expect(region).to_be_focused()


SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
        'footer a, main .btn, main .btn-sm, main p > a:only-child:not(.link-in-text), main .nav-link, main nav a'))
    .filter(el => el.offsetParent !== null)
    .map(el => [el.textContent.trim(), el.getBoundingClientRect().height])
    .filter(([, height]) => height < 44)"""


def test_tap_targets_on_the_field_pages_are_at_least_44_px(
    browser, live_server, field_pages, dummy_staff
):
    """The trainer's grid and sheet, the trainee's home and course page, the staff's import
    page and reports: every button, back link, tab and footer link is at least 44 px high."""
    visits = [*field_pages, (dummy_staff, ["/imports/trainees", "/reports/annual"])]
    small = []
    for user, paths in visits:
        state = logged_in_state(browser, live_server, user)
        context = browser.new_context(
            viewport=PHONE, locale="id", base_url=live_server, storage_state=state
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        for path in paths:
            page.goto(path)
            small += [(path, *item) for item in page.evaluate(SMALL_TARGETS)]
        context.close()
    assert small == []
