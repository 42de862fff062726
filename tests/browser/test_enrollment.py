"""On a 360 px phone: a new trainee registers, completes the profile, joins the waitlist of a full
one-seat course, and gets the seat when the trainee holding it cancels from their own phone."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.models import User
from lms.core.time import local_today
from lms.enrollment import services
from lms.enrollment.models import Enrollment
from tests.fixtures.browser import PHONE, checked, fill_registration, open_menu, submit_login
from tests.fixtures.i18n import tr

pytestmark = pytest.mark.browser

EMAIL = "wulan.sari@example.org"
NAME = "Wulan Sari"
NIK = "1807015705950002"  # Lampung Timur, a woman born on 17 May 1995


def go_to_my_courses(page):
    open_menu(page)
    page.locator("#mainnav").get_by_role("link", name=tr("My courses"), exact=True).click()
    return checked(page, "/my/courses")


def test_waitlisted_trainee_moves_up_when_another_cancels(
    db, new_page, create_user, create_course, create_session
):
    course = create_course(
        "hospitality",
        title="Tata Graha Hotel untuk Jepang",
        capacity=1,
        starts_on=local_today() + timedelta(days=21),
    )
    create_session(course, topic="Pengenalan tata graha")
    holder = create_user("trainee", name="Rina Susanti", locale="id")
    services.enroll(holder, course)
    db.session.commit()

    # --- a new trainee registers on a phone --------------------------------------------------
    page = new_page(viewport=PHONE, locale="id")
    page.goto("/register")
    checked(page, "/register")
    fill_registration(page, EMAIL, NAME, NIK, "0812 3456 7891")
    page.locator("main form #submit").click()
    checked(page, "/")

    # --- the profile: completed and saved (the last field corrected) -------------------------
    page.goto("/profile")
    checked(page, "/profile")
    page.fill("#phone", "0812 3456 7899")
    page.locator("main form #submit").click()
    checked(page, "/profile")
    expect(page.locator(".alert-success")).to_contain_text(tr("Your profile is saved."))
    expect(page.locator(".alert-warning")).to_have_count(0)  # nothing is missing
    db.session.expire_all()
    trainee = db.session.scalars(select(User).where(User.email == EMAIL)).one()
    assert trainee.profile_complete and trainee.phone == "+6281234567899"

    # --- enrol from the course page in one tap: the course is full, so the waitlist ----------
    page.goto(f"/courses/{course.id}")
    checked(page, f"/courses/{course.id}")
    button = page.get_by_test_id("enrol")
    expect(button).to_have_text(tr("Join the waitlist"))
    button.click()
    checked(page, f"/courses/{course.id}")
    expect(page.get_by_test_id("my-status")).to_contain_text(
        tr("You are on the waitlist: position %(position)s.", position=1)
    )
    expect(page.locator(".alert-info")).to_contain_text(
        tr(
            "The course is full: you are on the waitlist at position %(position)s. "
            "You get a seat as soon as one frees up.",
            position=1,
        )
    )
    expect(page.get_by_test_id("enrol")).to_have_count(0)

    # --- "my courses" says the same ----------------------------------------------------------
    go_to_my_courses(page)
    expect(page.get_by_test_id("waitlist-position")).to_contain_text(
        tr("You are on the waitlist: position %(position)s.", position=1)
    )
    expect(page.get_by_test_id("status-waitlisted")).to_be_visible()

    # --- the trainee holding the seat cancels, from their own phone ---------------------------
    other = new_page(viewport=PHONE, locale="id")
    other.goto("/login")
    checked(other, "/login")
    submit_login(other, holder.email)
    checked(other, "/")
    go_to_my_courses(other)
    expect(other.get_by_test_id("status-enrolled")).to_be_visible()
    other.get_by_test_id("cancel").click()
    checked(other)
    expect(other.get_by_role("heading", level=1)).to_have_text(tr("Cancel my enrolment?"))
    other.get_by_test_id("confirm-cancel").click()
    checked(other, "/my/courses")
    expect(other.locator(".alert-success")).to_contain_text(
        tr("Your enrolment in %(code)s is cancelled.", code=course.code)
    )
    expect(other.get_by_test_id("status-cancelled")).to_be_visible()

    # --- the first trainee reloads "my courses": promoted, with the next meeting -------------
    page.reload()
    checked(page, "/my/courses")
    expect(page.get_by_test_id("status-enrolled")).to_be_visible()
    expect(page.get_by_test_id("waitlist-position")).to_have_count(0)
    expect(page.get_by_test_id("upcoming")).to_contain_text("08.00")  # Indonesian: 08.00
    expect(page.get_by_test_id("upcoming")).to_contain_text("Pengenalan tata graha")
    db.session.expire_all()
    statuses = dict(
        db.session.execute(
            select(Enrollment.user_id, Enrollment.status).where(Enrollment.course_id == course.id)
        ).all()
    )
    assert statuses == {holder.id: "cancelled", trainee.id: "enrolled"}
