"""On a 360 px phone: a trainer adds a walk-in from the roster and marks trainees by typing the
code of their attendance cards, online and offline (sent once on reconnect); a trainee's card
page. Screenshots of the pages go to $LATIH_SHOTS when it is set (tests.fixtures.browser.shot)."""

import os

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lms.attendance import cards
from lms.attendance.models import Attendance
from lms.attendance.walkins import WalkIn
from lms.auth.models import User
from lms.enrollment.models import Enrollment
from lms.extensions import db
from tests.attendance.test_roster_views import enrol_trainees, running_course, session_now
from tests.browser.test_accessibility import findings
from tests.browser.test_attendance import FieldSite
from tests.fixtures.browser import (
    DESKTOP,
    PHONE,
    assert_fits_phone,
    expect_image_loaded,
    log_in,
    shot,
)
from tests.fixtures.i18n import tr

pytestmark = pytest.mark.browser

os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")


def fresh_count(model, *where):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def trainer(create_user):
    return create_user("trainer", name="Dewi Lestari", locale="id")


@pytest.fixture
def field_site(app, monkeypatch):
    return FieldSite(app, monkeypatch)


def _wait_for_offline_copy(page, roster):
    """The service worker controls the page and keeps the page and field.js."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(
        """async (roster) => {
            const names = await caches.keys();
            const pages = names.find(n => n.startsWith('latih-roster-pages'));
            const assets = names.find(n => n.startsWith('latih-roster-assets'));
            if (!pages || !assets) return false;
            const kept = await (await caches.open(pages)).keys();
            const files = (await (await caches.open(assets)).keys()).map(r => new URL(r.url).pathname);
            return kept.some(r => new URL(r.url).pathname === roster)
                && files.includes('/static/js/field.js');
        }""",
        arg=roster,
    )


@pytest.mark.parametrize("locale", ["id", "en"])
def test_walk_ins_and_card_scans_on_a_phone(
    db, new_page, create_user, create_course, create_session, trainer, locale
):
    trainer.locale = locale
    db.session.commit()
    course = running_course(create_course, trainer)
    session = session_now(create_session, course)
    enrollments = enrol_trainees(create_user, course, ["Ani Suryani", "Budi Santoso"])
    roster = f"/trainer/sessions/{session.id}/roster"
    page = new_page(viewport=PHONE, locale=locale)
    log_in(page, trainer, roster)
    assert_fits_phone(page)

    # a walk-in
    page.get_by_test_id("walk-in").locator("summary").click()
    page.get_by_test_id("walk-in-submit").click()  # nothing typed yet
    expect(page.locator("[data-role=walk-in-error]")).to_have_text(
        tr("Enter the name and the mobile number.", locale)
    )
    page.fill("#walk-in-name", "Wati Susanti")
    page.fill("#walk-in-phone", "0812 7000 1111")
    page.fill("#walk-in-nik", "")
    shot(page, f"roster-walk-in-{locale}")
    page.get_by_test_id("walk-in-submit").click()
    expect(page.get_by_test_id("walk-in-added")).to_contain_text("Wati Susanti")
    expect(page.get_by_test_id("field-pending")).to_be_hidden()
    expect(page.locator("[data-walk-in]")).to_contain_text("Wati Susanti")  # on the list
    walk_in = db.session.scalars(select(WalkIn)).one()
    assert db.session.get(Enrollment, walk_in.enrollment_id).origin == "walk_in"
    assert fresh_count(Attendance, Attendance.source == "walk_in") == 1

    # scanning: the code typed under the QR code
    page.get_by_test_id("scan").locator("summary").click()
    code = cards.card_of(enrollments[1].user).code
    page.fill("#scan-code", cards.grouped(code).lower())
    page.get_by_test_id("scan-submit").click()
    expect(page.get_by_test_id("scan-last")).to_contain_text("Budi Santoso")
    expect(page.locator(f"#s-{enrollments[1].id}-present")).to_be_checked()
    page.fill("#scan-code", "ZZZZ-ZZZZ")
    page.get_by_test_id("scan-submit").click()
    with_locale = tr("Unknown card: not on this session's roster, or replaced.", locale)
    expect(page.get_by_test_id("scan-last")).to_have_text(with_locale)
    assert_fits_phone(page)
    shot(page, f"roster-scan-{locale}")
    assert fresh_count(Attendance, Attendance.source == "scan") == 1


def test_walk_ins_and_scans_made_offline_are_sent_once(
    db, new_page, create_user, create_course, create_session, trainer, field_site
):
    course = running_course(create_course, trainer)
    session = session_now(create_session, course)
    enrollments = enrol_trainees(create_user, course, ["Ani Suryani", "Budi Santoso"])
    roster = f"/trainer/sessions/{session.id}/roster"
    page = new_page(viewport=PHONE, locale="id")
    log_in(page, trainer, roster)
    _wait_for_offline_copy(page, roster)

    field_site.leave(page.context)
    page.get_by_test_id("walk-in").locator("summary").click()
    page.fill("#walk-in-name", "Wati Susanti")
    page.fill("#walk-in-phone", "081270001111")
    page.get_by_test_id("walk-in-submit").click()
    expect(page.get_by_test_id("walk-in-added")).to_contain_text("Wati Susanti")
    page.get_by_test_id("scan").locator("summary").click()
    page.fill("#scan-code", cards.card_of(enrollments[0].user).code)
    page.get_by_test_id("scan-submit").click()
    # named offline from the roster's own cards
    expect(page.get_by_test_id("scan-last")).to_contain_text("Ani Suryani")
    expect(page.get_by_test_id("field-pending")).to_be_visible()
    assert fresh_count(WalkIn) == 0 and fresh_count(Attendance) == 0

    # the page opens again from the phone's copy: the queue is still there
    page.reload()
    expect(page.get_by_test_id("field-pending")).to_be_visible()
    field_site.come_back(page)
    expect(page.get_by_test_id("field-pending")).to_be_hidden()
    assert fresh_count(WalkIn) == 1
    assert fresh_count(User, User.name == "Wati Susanti") == 1
    assert fresh_count(Attendance, Attendance.source == "walk_in") == 1
    assert fresh_count(Attendance, Attendance.source == "scan") == 1
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('latih.field'))") == []


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_trainee_sees_and_prints_the_card(db, new_page, create_user, locale):
    trainee = create_user("trainee", name="Siti Rahmawati", locale=locale)
    page = new_page(viewport=PHONE, locale=locale)
    log_in(page, trainee, "/profile")
    expect(page.get_by_test_id("profile-card")).to_be_visible()
    page.get_by_test_id("profile-card-link").click()
    code = cards.card_of(trainee).printed_code
    expect(page.get_by_test_id("card-code")).to_have_text(code)
    expect(page.get_by_test_id("card-name")).to_have_text("Siti Rahmawati")
    qr = page.locator(".attendance-card img")
    expect_image_loaded(qr)
    assert_fits_phone(page)
    shot(page, f"card-{locale}")
    # a new card: a new code
    page.get_by_test_id("card-renew").click()
    expect(page.get_by_test_id("card-code")).not_to_have_text(code)


@pytest.mark.parametrize("locale", ["id", "en"])
def test_staff_see_walk_ins_and_print_cards(
    db, new_page, create_user, create_course, create_session, trainer, locale
):
    from lms.attendance.walkins import add_walk_in

    course = running_course(create_course, trainer)
    session = session_now(create_session, course)
    enrol_trainees(create_user, course, ["Ani Suryani", "Budi Santoso"])
    result = add_walk_in(session, {"name": "Wati Susanti", "phone": "081270001111"}, trainer)
    db.session.commit()
    staff = create_user("staff", name="Rina Marlina", locale=locale)
    page = new_page(viewport=PHONE, locale=locale)
    enrolments = f"/manage/courses/{course.id}/enrollments/"
    log_in(page, staff, enrolments)
    page.get_by_test_id("filter-walk-in").click()
    expect(page.get_by_test_id(f"walk-in-{result['enrollment_id']}")).to_be_visible()
    expect(page.locator("tbody tr")).to_have_count(1)
    assert_fits_phone(page)
    shot(page, f"staff-walk-ins-{locale}")
    page.goto(f"/users/{result['user_id']}")
    expect(page.get_by_test_id("walk-in-badge")).to_be_visible()
    page.get_by_test_id("edit-profile").click()
    page.fill("#email", "wati@example.org")
    # messages by e-mail from now on (the phone's channel was chosen for her until now)
    page.select_option("#preferred_channel", "email")
    assert_fits_phone(page)
    assert findings(page) == []
    shot(page, f"staff-walk-in-profile-{locale}")
    page.locator("main form #submit").click()
    expect(page.get_by_test_id("walk-in-badge")).to_be_visible()
    expect(page.locator("main")).to_contain_text("wati@example.org")
    page.goto(f"/manage/courses/{course.id}/cards")
    expect(page.get_by_test_id("cards-pdf")).to_be_visible()
    assert_fits_phone(page)
    shot(page, f"staff-cards-{locale}")
    page.set_viewport_size(DESKTOP)
    shot(page, f"staff-cards-desktop-{locale}")
    page.goto(f"/trainer/sessions/{session.id}/roster")
    page.get_by_test_id("walk-in").locator("summary").click()
    shot(page, f"roster-desktop-{locale}")
