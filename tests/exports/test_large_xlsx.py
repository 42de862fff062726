"""A workbook above JOBS_EXPORT_XLSX_MIN_ROWS is written by a job, never spooled before a page's
first byte: a list's XLSX link (a GET) answers at once with a page whose button starts the job
with the list's filters; the export page's button starts it directly. (Without Redis the job runs
in the web process right after the request, as in the demo.)"""

import io
import re

import pytest
from openpyxl import load_workbook

from lms.core import tabular
from lms.extensions import db
from lms.jobs.models import DONE, Job


@pytest.fixture
def staff(client, login, dummy_staff):
    login(dummy_staff)
    return dummy_staff


def _hidden(page):
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)


def test_a_large_xlsx_link_offers_a_job_with_the_lists_filters(
    client, staff, classroom, app, monkeypatch
):
    monkeypatch.setitem(app.config, "JOBS_EXPORT_XLSX_MIN_ROWS", 2)
    course = classroom.course
    url = f"/exports/enrollments.xlsx?course_code={course.code}&status=enrolled"
    response = client.get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "This workbook holds more than 2 rows" in page
    assert 'action="/exports/enrollments.xlsx/job"' in page
    assert 'data-busy-text="Starting…"' in page
    fields = _hidden(page)
    assert ("course_code", course.code) in fields and ("status", "enrolled") in fields
    assert f"/exports/enrollments.csv?course_code={course.code}&amp;status=enrolled" in page
    # nothing was started by the GET
    assert db.session.query(Job).count() == 0

    answer = client.post("/exports/enrollments.xlsx/job", data=dict(fields))
    assert answer.status_code == 303
    job = db.session.get(Job, int(answer.headers["Location"].rsplit("/", 1)[1]))
    assert (job.kind, job.status, job.done) == ("export", DONE, 3)
    with client.get(f"/jobs/{job.id}/file") as download:
        assert download.status_code == 200 and download.mimetype == tabular.XLSX_MIMETYPE
        data = download.data
    sheet = load_workbook(io.BytesIO(data)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(rows) == 4 and {row[0] for row in rows[1:]} == {course.code}


def test_the_export_pages_xlsx_button_starts_the_job(client, staff, classroom, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_EXPORT_XLSX_MIN_ROWS", 1)
    answer = client.post("/exports/enrollments.xlsx", data={"status": "enrolled"})
    assert answer.status_code == 303 and "/jobs/" in answer.headers["Location"]


def test_a_small_xlsx_is_sent_at_once(client, staff, classroom, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_EXPORT_XLSX_MIN_ROWS", 3)
    with client.get(f"/exports/enrollments.xlsx?course_code={classroom.course.code}") as response:
        assert response.status_code == 200 and response.mimetype == tabular.XLSX_MIMETYPE
        assert load_workbook(io.BytesIO(response.data)).active.max_row == 4
