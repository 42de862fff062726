"""Staff issue a finished course's certificates on its certificates page; a visitor on a phone
opens the verification URL of one and sees it valid; after staff revoke it on the certificate's
page, the same URL says revoked."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from tests.certificates.test_certificate_views import build_finished_course, issued_text
from tests.fixtures.browser import DESKTOP, PHONE, assert_fits_phone, log_in
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
    expect(visitor.get_by_test_id("verdict")).to_have_text("BERLAKU / VALID")
    expect(visitor.get_by_test_id("holder")).to_have_text("Ani Susanti")
    expect(visitor.get_by_test_id("serial")).to_have_text(first.serial)
    expect(visitor.get_by_test_id("signature")).to_have_attribute("data-valid", "1")
    assert_fits_phone(visitor)

    # --- staff revoke it on the certificate's page -------------------------------------------------
    staff.fill("#revoke-reason", "Peserta terbukti tidak mengikuti ujian")
    staff.get_by_test_id("revoke-category").select_option("fraud")
    staff.get_by_test_id("revoke").click()
    expect(staff.get_by_test_id("status")).to_have_text(tr("Revoked"))
    expect(staff.get_by_test_id("revoke-form")).to_have_count(0)

    # --- the same URL now says revoked --------------------------------------------------------------
    visitor.reload()
    expect(status).to_have_attribute("data-status", "revoked")
    expect(visitor.get_by_test_id("verdict")).to_have_text("DICABUT / REVOKED")
    expect(visitor.get_by_test_id("status-id")).to_contain_text(tr("Obtained by fraud"))
    expect(visitor.get_by_test_id("status-en")).to_contain_text("Obtained by fraud")
    expect(visitor.get_by_test_id("authentic-not-valid")).to_be_visible()
    expect(visitor.locator("main .text-success-emphasis")).to_have_count(0)
    expect(visitor.locator("main")).not_to_contain_text("tidak mengikuti ujian")
    assert_fits_phone(visitor)


def test_staff_reissue_and_both_verify_pages_link_each_other(
    db, new_page, live_server, create_partner, create_user, create_course, create_session
):
    finished = build_finished_course(create_partner, create_user, create_course, create_session)
    staff_user = finished.staff
    issued, _ = certificates.issue(finished.course, staff_user, [finished.ready[0].id])
    db.session.commit()
    old = issued[0]

    staff = new_page(viewport=PHONE, locale="en")
    log_in(staff, staff_user, f"/manage/certificates/{old.id}")
    staff.fill("#reissue-reason", "Name misspelt")
    staff.get_by_test_id("reissue").click()
    expect(staff.get_by_test_id("replaces")).to_be_visible()
    db.session.rollback()
    new = db.session.scalar(select(Certificate).where(Certificate.revoked_at.is_(None)))
    assert new.id != old.id

    visitor = new_page(viewport=PHONE, locale="en")
    visitor.goto(f"{live_server}/verify/{old.code}")
    expect(visitor.get_by_test_id("verdict")).to_have_text("DICABUT / REVOKED")
    expect(visitor.get_by_test_id("status-en")).to_contain_text(
        "Replaced by a corrected certificate"
    )
    visitor.get_by_test_id("replacement").get_by_role("link").click()
    expect(visitor).to_have_url(re.compile(rf"/verify/{new.code}$"))
    expect(visitor.get_by_test_id("verify-status")).to_have_attribute("data-status", "valid")
    expect(visitor.get_by_test_id("replaces")).to_contain_text(old.serial)
    assert_fits_phone(visitor)
