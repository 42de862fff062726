"""A large file's import in Chromium on a phone: the check runs as a job whose page shows the
report (every rejected row, the accepted ones in figures) without sideways scrolling and without
serious axe findings, in both languages; the report's button hands the file to the import job,
whose page ends with the outcome."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lms.auth.models import User
from lms.extensions import db
from tests.browser.test_main_pages import findings
from tests.fixtures.browser import DESKTOP, PHONE, assert_fits_phone, log_in, shot
from tests.imports.test_import_jobs import rows
from tests.imports.test_imports import csv_bytes

pytestmark = pytest.mark.browser


#: how much of the progress bar its fill covers
FILL_SHARE = """() => document.querySelector('[data-job-fill]').getBoundingClientRect().width
    / document.querySelector('[data-job-bar]').getBoundingClientRect().width"""


def _check(page, data):
    page.set_input_files(
        "[data-testid=import-form] input[type=file]",
        files=[{"name": "peserta.csv", "mimeType": "text/csv", "buffer": data}],
    )
    page.locator("[data-testid=import-form] button[name=check]").click()


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_large_file_is_checked_then_imported_by_jobs(
    app, monkeypatch, new_page, create_user, locale
):
    monkeypatch.setitem(app.config, "JOBS_IMPORT_MIN_ROWS", 20)
    staff = create_user("staff", locale=locale)
    db.session.commit()
    page = new_page(PHONE, locale)
    log_in(page, staff, "/imports/trainees")

    # a file with two rejected rows: the report lists them, nothing can be imported
    _check(page, csv_bytes(rows(30, bad={3: ("nik", "123"), 7: ("email", "not-an-address")})))
    expect(page.get_by_test_id("job-status")).to_be_visible()
    # the finished check's bar is full (the page's script sets its width, no inline style);
    # the script asks nothing more of a finished job (no polling, no reload)
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/api/v1/jobs/" in r.url else None)
    expect(page.locator("[data-job-bar]")).to_have_attribute("aria-valuenow", "100")
    assert page.evaluate(FILL_SHARE) > 0.99
    page.wait_for_timeout(1500)
    assert polls == []
    expect(page.get_by_test_id("rows-reject").get_by_test_id("row")).to_have_count(2)
    expect(page.get_by_test_id("confirm-form")).to_have_count(0)
    assert_fits_phone(page)
    assert findings(page) == []
    shot(page, f"import-check-rejected-360-{locale}")

    # the corrected file: the report in figures, and its button starts the import job
    _check(page, csv_bytes(rows(30)))
    expect(page.get_by_test_id("accepted-summary")).to_be_visible()
    assert_fits_phone(page)
    assert findings(page) == []
    shot(page, f"import-check-360-{locale}")
    wide = new_page(DESKTOP, locale)
    log_in(wide, staff, "/imports/trainees?job=" + page.url.rsplit("=", 1)[1])
    assert findings(wide) == []
    shot(wide, f"import-check-1280-{locale}")

    button = page.get_by_test_id("confirm-form").locator("button[name=run]")
    button.click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    expect(page.locator("#job")).to_have_attribute("data-status", "done")
    assert_fits_phone(page)
    assert findings(page) == []
    shot(page, f"import-done-360-{locale}")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).where(User.role == "trainee")) == 30
