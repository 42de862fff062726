"""Staff create a Mandarin course with its timetable and publish it; a visitor on a phone finds it."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.catalog.models import Course
from lms.core.time import local_today
from tests.fixtures.browser import DESKTOP, PHONE, assert_fits_phone, submit_login

pytestmark = pytest.mark.browser


def _monday_after(day):
    return day + timedelta(days=(7 - day.weekday()) % 7 or 7)


def test_staff_publish_a_mandarin_course_and_a_visitor_finds_it(
    new_page, db, dummy_staff, create_partner, create_user
):
    partner = create_partner(
        name="UPT Bahasa Universitas Lampung",
        kind="university",
        mou_valid_until=local_today() + timedelta(days=365),
    )
    trainer = create_user("trainer", name="Dewi Lestari", partner_id=partner.id)
    first_day = _monday_after(local_today() + timedelta(days=20))
    last_day = first_day + timedelta(weeks=6) - timedelta(days=1)

    # --- staff, on a desktop, in English -------------------------------------------------
    staff = new_page(viewport=DESKTOP, locale="en")
    staff.goto("/login")
    submit_login(staff, dummy_staff.email)
    staff.goto("/manage/courses/new")
    staff.click("[data-testid=type-language]")
    staff.fill("#code", "BHS-MAN-T01")
    staff.fill("#title", "Bahasa Mandarin Percakapan untuk Taiwan")
    staff.fill("#title_en", "Conversational Mandarin for Taiwan")
    staff.select_option("#partner_id", str(partner.id))
    staff.fill("#location", "Gedong Meneng")
    staff.fill("#capacity", "24")
    staff.fill("#starts_on", first_day.isoformat())
    staff.fill("#ends_on", last_day.isoformat())
    staff.fill("#registration_opens_at", f"{local_today() - timedelta(days=1)}T08:00")
    staff.fill("#registration_closes_at", f"{first_day - timedelta(days=2)}T23:00")
    staff.check(f"input[name=trainer_ids][value='{trainer.id}']")
    staff.select_option("#details-language", "zh")
    staff.select_option("#details-target_level", "HSK2")
    staff.fill("#details-pass_mark", "65")
    staff.locator("form [type=submit]").last.click()
    staff.wait_for_load_state()
    course = db.session.scalar(select(Course).where(Course.code == "BHS-MAN-T01"))
    assert course is not None and course.status == "draft"
    assert course.details["language"] == "zh" and course.details["pass_mark"] == 65

    staff.get_by_role("link", name="Generate a timetable").click()
    staff.fill("#first_day", first_day.isoformat())
    staff.fill("#weeks", "6")
    staff.fill("#starts", "08:00")
    staff.fill("#ends", "12:00")
    staff.locator("form [type=submit]").last.click()
    staff.wait_for_load_state()
    db.session.expire_all()
    sessions = db.session.get(Course, course.id).sessions
    assert len(sessions) == 30  # Monday to Friday for six weeks
    assert sessions[0].starts_at.hour == 1  # 08:00 WIB is 01:00 UTC

    staff.locator("button[name=status][value=published]").click()
    staff.wait_for_load_state()
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == "published"

    # --- a visitor on a 360 px phone, in Indonesian then English --------------------------
    visitor = new_page(viewport=PHONE, locale="id")
    visitor.goto("/courses/")
    assert visitor.locator("html").get_attribute("lang") == "id"
    visitor.select_option("#type", "language")  # submits the form
    visitor.wait_for_url(re.compile(r"type=language"))
    visitor.select_option("#d_language", "zh")
    visitor.locator("form[role=search] button[type=submit]").click()
    visitor.wait_for_url(re.compile(r"d_language=zh"))
    card = visitor.get_by_role("link", name="Bahasa Mandarin Percakapan untuk Taiwan")
    assert card.is_visible()
    assert_fits_phone(visitor)

    visitor.goto("/courses/")
    visitor.fill("#q", "percakapan")
    visitor.locator("form[role=search] button[type=submit]").click()
    visitor.wait_for_url(re.compile(r"q=percakapan"))
    assert visitor.get_by_test_id("result-count").inner_text().startswith("1 ")
    card.click()
    visitor.wait_for_url(re.compile(rf"/courses/{course.id}$"))
    assert "Sen" in visitor.get_by_test_id("schedule").inner_text()  # Senin, in Indonesian
    assert_fits_phone(visitor)

    visitor.locator(".navbar-toggler").click()
    visitor.locator("button[name=locale][value=en]").click()
    visitor.wait_for_load_state()
    assert visitor.locator("html").get_attribute("lang") == "en"
    assert visitor.get_by_role("heading", name="Conversational Mandarin for Taiwan").is_visible()
    assert "Mon" in visitor.get_by_test_id("schedule").inner_text()

    # the same search through the form, in English: type, language, and words of the English title
    visitor.goto("/courses/")
    assert visitor.locator("html").get_attribute("lang") == "en"
    visitor.select_option("#type", "language")  # submits the form
    visitor.wait_for_url(re.compile(r"type=language"))
    visitor.select_option("#d_language", "zh")
    visitor.fill("#q", "conversational")
    visitor.locator("form[role=search] button[type=submit]").click()
    visitor.wait_for_url(lambda url: "d_language=zh" in url and "q=conversational" in url)
    assert visitor.get_by_test_id("result-count").inner_text() == "1 course found"
    card = visitor.get_by_role("link", name="Conversational Mandarin for Taiwan")
    assert card.is_visible()
    assert_fits_phone(visitor)
    card.click()
    visitor.wait_for_url(re.compile(rf"/courses/{course.id}$"))
    assert visitor.get_by_role("heading", name="Conversational Mandarin for Taiwan").is_visible()
