"""Jobs without Redis (the demo, the tests): pages hand long work to a job that runs right after
the request's commit; the job's page and GET /api/v1/jobs/{id} show it to its starter and staff
only; its file is downloadable for a limited time; a finished job never runs twice; a refused
one fails with its reason and writes nothing."""

import csv
import io
import json
from datetime import timedelta

import psycopg
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.certificates.models import Certificate
from lms.core.time import local_today
from lms.core.types import utcnow
from lms.extensions import db
from lms.jobs import services as jobs
from lms.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from tests.fixtures.jobs import finished_job
from tests.fixtures.users import log_in
from tests.imports.test_imports import big_rows, csv_bytes


def _job_id(response):
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert "/jobs/" in location
    return int(location.rstrip("/").rsplit("/", 1)[1])


def _file(client, job):
    """The job's file as bytes (the response closed, as a browser would)."""
    response = client.get(f"/jobs/{job.id}/file")
    body = response.get_data()
    response.close()
    return response, body


def _job(job_id):
    db.session.rollback()
    return db.session.get(Job, job_id)


# --- exports ---------------------------------------------------------------------------------


def test_an_export_job_writes_the_file_its_starter_downloads(client, create_user, make_classroom):
    room = make_classroom(3)
    staff = room.staff
    log_in(client, staff)
    response = client.post("/exports/enrollments.csv/job", data={"course_code": room.course.code})
    job = _job(_job_id(response))
    assert (job.kind, job.status, job.owner_id) == ("export", DONE, staff.id)
    assert (job.done, job.total) == (3, 3)

    page = client.get(f"/jobs/{job.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-job-url="/api/v1/jobs/{job.id}"' in html
    assert f'href="/jobs/{job.id}/file"' in html
    assert "js/jobs.js" in html and "<script>" not in html

    response, body = _file(client, job)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode().lstrip("\ufeff"))))
    assert len(rows) == 4 and rows[0][0] == "course_code"


def test_an_xlsx_export_job(client, make_classroom):
    room = make_classroom(2)
    log_in(client, room.staff)
    job = _job(_job_id(client.post("/exports/trainees.xlsx/job", data={})))
    assert job.status == DONE
    sheet = load_workbook(io.BytesIO(_file(client, job)[1])).worksheets[0]
    assert sheet.max_row == 1 + db.session.scalar(
        select(func.count()).select_from(User).where(User.role == "trainee")
    )
    # the trainee export carries NIKs: starting it is audited like a download
    assert db.session.scalar(select(func.count()).where(AuditEntry.action == "user.nik_exported"))


def test_a_bad_filter_is_refused_before_a_job_starts(client, create_user):
    log_in(client, create_user("staff"))
    response = client.post("/exports/attendance.csv/job", data={"course_code": "NO-SUCH"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


@pytest.mark.parametrize("role", ["trainee", "trainer"])
def test_only_staff_start_an_export_job(client, create_user, role):
    log_in(client, create_user(role))
    assert client.post("/exports/trainees.csv/job", data={}).status_code == 403


# --- who sees a job --------------------------------------------------------------------------


def test_the_api_answers_the_starter_and_staff_only(client, create_user, api_headers):
    owner = create_user("trainee")
    job = finished_job(owner)
    body = client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(owner)).get_json()
    assert body["id"] == job.id and body["status"] == "done"
    assert (body["done"], body["total"], body["kind"]) == (1, 1, "export")
    assert body["result_url"] == f"/jobs/{job.id}/file"
    assert set(body) == {
        "id",
        "kind",
        "status",
        "done",
        "total",
        "message",
        "result_url",
        "created_at",
        "finished_at",
    }
    staff = create_user("staff")
    assert client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(staff)).status_code == 200
    other = create_user("trainee")
    for who in (other, create_user("trainer")):
        response = client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(who))
        assert response.status_code == 404
    assert client.get(f"/api/v1/jobs/{job.id + 1}", headers=api_headers(staff)).status_code == 404
    assert client.get(f"/api/v1/jobs/{job.id}").status_code == 401


def test_the_page_and_file_hide_from_others(client, create_user):
    job = finished_job(create_user("trainee"))
    log_in(client, create_user("trainee"))
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.get(f"/jobs/{job.id}/file").status_code == 404


def test_a_queued_job_has_no_result_yet(client, create_user, api_headers):
    owner = create_user("staff")
    job = Job(kind="export", owner_id=owner.id, status=QUEUED, params="{}", created_at=utcnow())
    db.session.add(job)
    db.session.commit()
    body = client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(owner)).get_json()
    assert body["status"] == "queued"
    assert "result_url" not in body and "finished_at" not in body
    log_in(client, owner)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'data-status="queued"' in page and "progress-bar-animated" in page
    assert client.get(f"/jobs/{job.id}/file").status_code == 404


def test_a_file_is_kept_a_limited_time(app, client, create_user, clock, api_headers):
    owner = create_user("staff")
    job = finished_job(owner)
    log_in(client, owner)
    assert _file(client, job)[0].status_code == 200
    clock.move_to(utcnow() + timedelta(seconds=app.config["JOBS_FILE_MAX_AGE"] + 60))
    assert client.get(f"/jobs/{job.id}/file").status_code == 404
    body = client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(owner)).get_json()
    assert "result_url" not in body
    path = jobs.file_dir() + f"/{job.result_path}"
    assert jobs.purge_files() == 1
    db.session.commit()
    import os

    assert not os.path.exists(path)
    assert _job(job.id).result_path is None


def test_without_a_worker_old_files_go_when_new_work_comes(
    app, client, create_user, clock, make_classroom
):
    """No Redis, no worker and its upkeep: the next job run in the web process deletes the files
    kept longer than JOBS_FILE_MAX_AGE, so that none stays on the disk for ever."""
    import os

    room = make_classroom(1)
    old = finished_job(room.staff)
    path = os.path.join(jobs.file_dir(), old.result_path)
    clock.move_to(utcnow() + timedelta(seconds=app.config["JOBS_FILE_MAX_AGE"] + 60))
    log_in(client, room.staff)
    response = client.post("/exports/enrollments.csv/job", data={"course_code": room.course.code})
    new = _job(_job_id(response))
    assert new.status == DONE and os.path.isfile(os.path.join(jobs.file_dir(), new.result_path))
    assert not os.path.exists(path)
    assert _job(old.id).result_path is None


# --- imports -----------------------------------------------------------------------------------


def _trainee_csv(n, bad_row=None):
    """A file of ``n`` trainees (e-mails impor<i>@example.org); ``bad_row`` has a bad NIK."""
    rows = big_rows(n, {bad_row: ("nik", "1234")} if bad_row is not None else None)
    return csv_bytes(rows)


def _post_import(client, data):
    return client.post(
        "/imports/trainees",
        data={"file": (io.BytesIO(data), "trainees.csv"), "course": "", "run": "y"},
        content_type="multipart/form-data",
    )


def test_a_large_import_runs_as_a_job(app, client, create_user, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_IMPORT_MIN_ROWS", 5)
    staff = create_user("staff")
    log_in(client, staff)
    job = _job(_job_id(_post_import(client, _trainee_csv(12))))
    assert job.status == DONE, job.message
    assert job.kind == "import.trainees"
    assert "12" in job.message
    emails = db.session.scalars(select(User.email).where(User.email.like("impor%"))).all()
    assert len(emails) == 12
    # the job's request id went with it
    assert job.request_id


def test_a_small_import_stays_on_the_page(app, client, create_user):
    log_in(client, create_user("staff"))
    response = _post_import(client, _trainee_csv(3))
    assert response.status_code == 302 and "/jobs/" not in response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_refused_import_job_fails_with_its_reason_and_writes_nothing(
    app, client, create_user, monkeypatch, api_headers
):
    monkeypatch.setitem(app.config, "JOBS_IMPORT_MIN_ROWS", 5)
    staff = create_user("staff")
    log_in(client, staff)
    # "Import" without a dry run: the job checks the file and refuses it whole
    refused = _job(_job_id(_post_import(client, _trainee_csv(8, bad_row=3))))
    assert refused.status == FAILED and "1 baris ditolak" in refused.message
    assert db.session.scalar(select(func.count()).where(User.email.like("impor%"))) == 0
    # a file that turned bad between the check and the job (here: a job given it directly)
    job = jobs.start(
        "import.trainees",
        owner=staff,
        params={"filename": "t.csv", "course": None},
        payload=_trainee_csv(8, bad_row=3),
    )
    db.session.commit()
    assert jobs.run(job.id) == FAILED
    job = _job(job.id)
    assert "1 rows" in job.message or "1 baris" in job.message
    assert db.session.scalar(select(func.count()).where(User.email.like("impor%"))) == 0
    body = client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(staff)).get_json()
    assert body["status"] == "failed" and body["message"] == job.message
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "bg-danger" in page


def test_a_finished_job_never_runs_again(app, client, create_user, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_IMPORT_MIN_ROWS", 5)
    log_in(client, create_user("staff"))
    job_id = _job_id(_post_import(client, _trainee_csv(7)))
    assert jobs.run(job_id) == DONE
    assert _job(job_id).attempts == 1
    assert db.session.scalar(select(func.count()).where(User.email.like("impor%"))) == 7


def test_without_a_worker_a_job_the_database_went_away_under_fails_at_once(
    app, create_user, monkeypatch
):
    """Nobody would start it again without a worker (the demo, a site on one process): it fails
    and its starter may start it again, as before."""

    def interrupted(context, **params):
        lost = psycopg.OperationalError("server closed the connection unexpectedly")
        raise OperationalError("COMMIT", {}, lost)

    monkeypatch.setitem(jobs.TASKS, "import.trainees", interrupted)
    job = jobs.start(
        "import.trainees",
        owner=create_user("staff"),
        params={"filename": "t.csv", "course": None},
        payload=_trainee_csv(6),
    )
    db.session.commit()
    db.session.info.pop("lms_jobs_committed", None)
    assert jobs.run(job.id) == FAILED
    assert _job(job.id).finished_at is not None


def test_a_job_left_running_by_a_dead_worker_is_done_once_more(app, create_user, monkeypatch):
    """What the kill drill does with a real worker, in one process: the dead worker's writes
    were never committed, so running the job again imports every row once."""
    staff = create_user("staff")
    job = jobs.start(
        "import.trainees",
        owner=staff,
        params={"filename": "t.csv", "course": None},
        payload=_trainee_csv(6),
    )
    db.session.commit()
    db.session.info.pop("lms_jobs_committed", None)
    db.session.execute(
        Job.__table__.update()
        .where(Job.id == job.id)
        .values(status=RUNNING, worker="elsewhere.1", attempts=1)
    )
    db.session.commit()
    # a worker sees it running: it is not claimed twice
    assert jobs.run(job.id) == RUNNING
    # the worker died; recovery puts it back (done here by hand: no Redis) and it runs once
    db.session.execute(Job.__table__.update().where(Job.id == job.id).values(status=QUEUED))
    db.session.commit()
    assert jobs.run(job.id) == DONE
    assert _job(job.id).attempts == 2
    assert db.session.scalar(select(func.count()).where(User.email.like("impor%"))) == 6


# --- certificates --------------------------------------------------------------------------------


def test_a_bulk_issue_of_a_large_course_runs_as_a_job(app, client, finished_course, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_CERTIFICATES_MIN", 2)
    course, staff = finished_course
    log_in(client, staff)
    response = client.post(
        f"/manage/courses/{course.id}/certificates/issue", data={"action": "all"}
    )
    job = _job(_job_id(response))
    assert job.status == DONE and job.kind == "certificates.issue"
    assert job.done == 4
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 4
    # a second job (a button pressed twice, a retried job) issues nobody a second certificate
    again = _job(
        _job_id(
            client.post(f"/manage/courses/{course.id}/certificates/issue", data={"action": "all"})
        )
    )
    assert again.status == DONE
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 4

    # the ZIP of many certificates is drawn by a job too
    page = client.get(f"/manage/courses/{course.id}/certificates").get_data(as_text=True)
    assert 'data-testid="download-zip-job"' in page and "data-busy" in page
    zipped = _job(_job_id(client.post(f"/manage/courses/{course.id}/certificates.zip/job")))
    assert zipped.status == DONE and zipped.result_name.endswith(".zip")
    body = _file(client, zipped)[1]
    import zipfile

    assert len(zipfile.ZipFile(io.BytesIO(body)).namelist()) == 4


# --- the annual report ---------------------------------------------------------------------------


def test_the_annual_report_file_as_a_job(client, create_user):
    log_in(client, create_user("staff"))
    year = local_today().year
    job = _job(_job_id(client.post("/reports/annual.pdf/job", data={"year": str(year)})))
    assert job.status == DONE and json.loads(job.params) == {"extension": "pdf", "year": year}
    assert _file(client, job)[1].startswith(b"%PDF")
    assert client.post("/reports/annual.pdf/job", data={"year": "1"}).status_code == 400


def test_the_worker_command_needs_redis(runner):
    result = runner.invoke(args=["lms", "worker", "--burst"])
    assert result.exit_code == 1
    assert "REDIS_URL" in result.output


def test_the_export_pages_xlsx_button_hands_a_large_export_to_a_job(
    app, client, make_classroom, monkeypatch
):
    room = make_classroom(3)
    log_in(client, room.staff)
    # a small one downloads at once, by the page's form or a list's link
    small = client.post("/exports/enrollments.xlsx", data={})
    assert small.status_code == 200
    small.close()
    monkeypatch.setitem(app.config, "JOBS_EXPORT_XLSX_MIN_ROWS", 2)
    job = _job(_job_id(client.post("/exports/enrollments.xlsx", data={})))
    assert job.status == DONE and job.result_name.endswith(".xlsx")
    # a list's link (GET) still downloads: a GET never writes a job
    linked = client.get("/exports/enrollments.xlsx")
    assert linked.status_code == 200
    linked.close()
