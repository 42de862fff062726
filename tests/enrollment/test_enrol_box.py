"""The course page's enrol box tells the truth before the tap: a trainee the enrol service would
refuse reads why and gets no enrol button; a full course without a waitlist says it is full."""

from datetime import timedelta

import pytest

from lms.core.time import local_today
from tests.fixtures.enrollment import enroll
from tests.fixtures.i18n import tr
from tests.fixtures.pages import text

ENROL_BUTTON = 'data-testid="enrol"'


def _page(client, course):
    response = client.get(f"/courses/{course.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True), text(response)


def test_an_eligible_trainee_gets_the_button_and_no_reason(
    client, login, create_user, create_course
):
    course = create_course()
    login(create_user("trainee", locale="en"))
    html, page = _page(client, course)
    assert ENROL_BUTTON in html
    assert 'data-testid="refusals"' not in html


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_trainee_outside_the_target_group_reads_why_before_tapping(
    client, login, create_user, create_course, locale
):
    course = create_course(target_groups=["purna_pmi"])
    login(create_user("trainee", locale=locale, target_group="cpmi"))
    html, page = _page(client, course)
    assert ENROL_BUTTON not in html
    assert tr("This course is not open to your group of participants.", locale) in page


def test_too_young_and_too_old_are_told_before_tapping(client, login, create_user, create_course):
    login(create_user("trainee", locale="en"))  # born 1995
    young = create_course(min_age=60)
    html, page = _page(client, young)
    assert ENROL_BUTTON not in html
    assert "You must be at least 60 years old on the first day." in page
    old = create_course(max_age=18)
    html, page = _page(client, old)
    assert ENROL_BUTTON not in html
    assert "You must be at most 18 years old on the first day." in page


def test_an_overlapping_course_is_named_before_tapping(client, login, create_user, create_course):
    trainee = create_user("trainee", locale="en")
    held = create_course()
    enroll(trainee, held)
    other = create_course(starts_on=held.starts_on + timedelta(days=3))
    login(trainee)
    html, page = _page(client, other)
    assert ENROL_BUTTON not in html
    assert f"You are already enrolled in {held.code}, which runs at the same time." in page


def test_the_active_enrolment_cap_is_told_before_tapping(
    app, client, login, create_user, create_course
):
    trainee = create_user("trainee", locale="en")
    cap = app.config["MAX_ACTIVE_ENROLLMENTS"]
    start = local_today() + timedelta(days=30)
    for i in range(cap):
        # one after the other: no overlap, only the cap
        course = create_course(
            starts_on=start + timedelta(days=40 * i), ends_on=start + timedelta(days=40 * i + 5)
        )
        enroll(trainee, course)
    late = create_course(
        starts_on=start + timedelta(days=40 * cap), ends_on=start + timedelta(days=40 * cap + 5)
    )
    login(trainee)
    html, page = _page(client, late)
    assert ENROL_BUTTON not in html
    assert f"You can hold at most {cap} active enrolments at a time." in page


@pytest.mark.parametrize("role", [None, "trainee"])
def test_a_full_course_without_a_waitlist_says_it_is_full(
    client, login, create_user, create_course, role
):
    course = create_course(capacity=1, waitlist=False)
    enroll(create_user("trainee"), course)
    if role:
        login(create_user("trainee", locale="id"))
    html, page = _page(client, course)
    assert ENROL_BUTTON not in html
    assert tr("This course is full, and it has no waitlist.", "id") in page
    assert tr("Registration for this course is not open.", "id") not in page
