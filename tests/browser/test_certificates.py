"""Staff issue a finished course's certificates on its certificates page; a visitor on a phone
opens the verification URL of one and sees it valid; after staff revoke it on the certificate's
page, the same URL says revoked."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.certificates.models import Certificate
from tests.certificates.test_certificate_views import build_finished_course, issued_text
from tests.fixtures.browser import DESKTOP, PHONE, assert_no_horizontal_scroll, log_in
from tests.fixtures.i18n import tr

pytestmark = pytest.mark.browser


def test_staff_issue_a_visitor_verifies_then_staff_revoke(
    db, new_page, live_server, create_partner, create_user, create_course, create_session
):
    finished = build_finished_course(create_partner, create_user, create_course, create_session)
    course = finished.course

    # --- staff issue the course's certificates ----------------------------------------------------
    staff = new_page(viewport=DESKTOP, locale="id")
    log_in(staff, finished.staff, f"/manage/courses/{course.id}")
    staff.get_by_test_id("certificates-link").click()
    expect(staff).to_have_url(re.compile(rf"/manage/courses/{course.id}/certificates$"))
    for enrollment in finished.ready:
        expect(staff.get_by_test_id(f"row-{enrollment.id}")).to_have_attribute("data-eligible", "1")
    expect(
        staff.get_by_test_id(f"row-{finished.absent.id}").get_by_test_id("reasons")
    ).to_be_visible()
    staff.get_by_test_id("issue-all").click()
    expect(staff.locator(".alert-success")).to_contain_text(issued_text(2))
    db.session.rollback()
    issued = db.session.scalars(select(Certificate).order_by(Certificate.serial)).all()
    assert len(issued) == 2
    first = next(c for c in issued if c.enrollment_id == finished.ready[0].id)
    cell = staff.get_by_test_id(f"row-{finished.ready[0].id}").get_by_test_id("certificate")
    expect(cell).to_have_text(first.serial)

    # the verification URL as the certificate carries it (the staff page shows it)
    cell.get_by_role("link").click()
    expect(staff).to_have_url(re.compile(rf"/manage/certificates/{first.id}$"))
    verify_url = staff.get_by_test_id("public-page").get_attribute("href")
    assert verify_url.endswith(f"/verify/{first.code}")

    # --- a visitor on a phone opens it: valid -----------------------------------------------------
    visitor = new_page(viewport=PHONE, locale="id")
    visitor.goto(live_server + verify_url if verify_url.startswith("/") else verify_url)
    status = visitor.get_by_test_id("verify-status")
    expect(status).to_have_attribute("data-status", "valid")
    expect(status).to_contain_text(tr("Valid"))
    expect(visitor.get_by_test_id("holder")).to_have_text("Ani Susanti")
    expect(visitor.get_by_test_id("serial")).to_have_text(first.serial)
    expect(visitor.get_by_test_id("signature")).to_have_attribute("data-valid", "1")
    assert_no_horizontal_scroll(visitor)

    # --- staff revoke it on the certificate's page -------------------------------------------------
    staff.fill("#revoke-reason", "Peserta terbukti tidak mengikuti ujian")
    staff.get_by_test_id("revoke").click()
    expect(staff.get_by_test_id("status")).to_have_text(tr("Revoked"))
    expect(staff.get_by_test_id("revoke-form")).to_have_count(0)

    # --- the same URL now says revoked --------------------------------------------------------------
    visitor.reload()
    expect(status).to_have_attribute("data-status", "revoked")
    expect(status).to_contain_text(tr("Revoked"))
    expect(visitor.get_by_test_id("revoked-on")).to_be_visible()
    expect(visitor.locator("main")).not_to_contain_text("tidak mengikuti ujian")
    assert_no_horizontal_scroll(visitor)
