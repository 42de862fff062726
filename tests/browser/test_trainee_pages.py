"""A trainee on a phone: the registration form shows every error after one tap, the course page
says why there is no enrol button, and the home says what comes next; nothing is wider than
the screen."""

import re

import pytest

from tests.fixtures.browser import PHONE, assert_fits_phone, fill_registration, log_in
from tests.fixtures.enrollment import enroll
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.browser


def test_one_tap_on_register_shows_every_error(new_page):
    from playwright.sync_api import expect

    page = new_page(viewport=PHONE, locale="id")
    page.goto("/register")
    fill_registration(page, "siti.example.org", "Siti Rahma", "12345", "(0721) 481234")
    page.fill("#confirm", PASSWORD + "x")
    page.locator("main form [type=submit]").first.click()
    for field in ("email", "confirm", "nik", "phone"):
        expect(page.locator(f"#{field}.is-invalid")).to_have_count(1)
    expect(page.locator(".invalid-feedback:visible")).to_have_count(4)
    assert_fits_phone(page)


def test_the_course_page_says_why_before_the_tap(new_page, create_user, create_course):
    from playwright.sync_api import expect

    trainee = create_user("trainee", target_group="cpmi", locale="id")
    course = create_course("entrepreneurship", target_groups=["purna_pmi"])
    page = new_page(viewport=PHONE, locale="id")
    log_in(page, trainee, f"/courses/{course.id}")
    expect(page.get_by_test_id("refusals")).to_be_visible()
    expect(page.get_by_test_id("enrol")).to_have_count(0)
    assert_fits_phone(page)


def test_the_home_says_what_comes_next(new_page, create_user, create_course, create_session):
    from playwright.sync_api import expect

    trainee = create_user("trainee", locale="id")
    course = create_course(location="BLK Metro")
    create_session(course)
    enrollment = enroll(trainee, course)
    page = new_page(viewport=PHONE, locale="id")
    log_in(page, trainee, "/")
    card = page.get_by_test_id(f"step-{enrollment.id}")
    expect(card.get_by_test_id("next-meeting")).to_contain_text("08.00–12.00 WIB")
    expect(card.get_by_test_id("next-meeting")).to_contain_text("BLK Metro")
    card.get_by_role("link", name=course.title).click()
    expect(page).to_have_url(re.compile(rf"/courses/{course.id}$"))
    assert_fits_phone(page)
