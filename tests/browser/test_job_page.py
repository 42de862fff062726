"""The job page in Chromium on a phone: the progress bar shows done / total, follows the job by
polling GET /api/v1/jobs/{id} (no inline script) until it is done, then offers the file; and a
button that starts long work turns disabled and says so."""

import os

import pytest
from playwright.sync_api import expect

from lms.core.types import utcnow
from lms.extensions import db
from lms.jobs import services as jobs
from lms.jobs.models import DONE, RUNNING, Job
from tests.browser.test_accessibility import findings
from tests.fixtures.browser import DESKTOP, PHONE, assert_fits_phone, log_in, shot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_progress_bar_follows_the_job_to_its_file(new_page, create_user, locale):
    staff = create_user("staff", locale=locale)
    job = Job(
        kind="export",
        owner_id=staff.id,
        status=RUNNING,
        done=1200,
        total=3000,
        message="Menulis berkas…" if locale == "id" else "Writing the file…",
        params="{}",
        created_at=utcnow(),
    )
    db.session.add(job)
    db.session.commit()
    page = new_page(PHONE, locale)
    log_in(page, staff, f"/jobs/{job.id}")
    fill = page.locator("[data-job-fill]")
    expect(page.locator("[data-job-bar]")).to_have_attribute("aria-valuenow", "40")
    assert page.evaluate("getComputedStyle(document.querySelector('[data-job-fill]')).width")
    expect(page.get_by_test_id("job-download")).to_be_hidden()
    assert_fits_phone(page)
    shot(page, f"job-running-360-{locale}")
    for viewport, width in ((DESKTOP, 1280),):
        wide = new_page(viewport, locale)
        log_in(wide, staff, f"/jobs/{job.id}")
        shot(wide, f"job-running-{width}-{locale}")

    # the worker finishes: the page, polling, shows it without a reload
    folder = os.path.join(jobs.file_dir(), str(job.id))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "attendance.csv"), "w") as out:
        out.write("n\n1\n")
    db.session.execute(
        Job.__table__.update()
        .where(Job.id == job.id)
        .values(
            status=DONE,
            done=3000,
            finished_at=utcnow(),
            message="Berkas siap: 3000 baris." if locale == "id" else "The file is ready.",
            result_path=f"{job.id}/attendance.csv",
            result_name="attendance.csv",
            result_mimetype="text/csv",
        )
    )
    db.session.commit()
    expect(page.get_by_test_id("job-download")).to_be_visible(timeout=15_000)
    expect(page.locator("[data-job-bar]")).to_have_attribute("aria-valuenow", "100")
    expect(fill).not_to_have_class("progress-bar-animated")
    expect(page.get_by_test_id("job-status")).to_have_class("badge text-bg-success")
    shot(page, f"job-done-360-{locale}")
    assert findings(page) == []  # axe: nothing serious or critical
    with page.expect_download() as download:
        page.get_by_test_id("job-download").click()
    assert download.value.suggested_filename == "attendance.csv"


def test_a_button_that_starts_long_work_disables_itself(new_page, create_user):
    staff = create_user("staff")
    page = new_page(PHONE, "en")
    log_in(page, staff, "/exports/")
    button = page.get_by_test_id("export-attendance-csv-job")
    # the page stays while the work is under way (here: the form is not sent at all; app.js's
    # listener, registered first, has already run)
    page.evaluate("document.addEventListener('submit', (e) => e.preventDefault())")
    button.click()
    expect(button).to_be_disabled()
    expect(button).to_contain_text("Starting…")
    expect(page.get_by_test_id("export-attendance-csv")).to_be_disabled()
