"""A large file's dry run and import are jobs (JOBS_IMPORT_MIN_ROWS): the page answers at once,
shows the check's progress, then its report (every rejected row, the accepted ones in figures);
its import button hands the check's file to the import job, which drops it once written. The
file lives with its job until then, and goes with the job's files after JOBS_FILE_MAX_AGE.

The kill drill: a worker killed with ``kill -9`` in the middle of the import (its rows written,
not committed) leaves nothing; the next worker does the job once from the start — every trainee
of the file imported once, phone-only ones included, and one welcome message each.
"""

import io
import json
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.core.types import utcnow
from lms.extensions import db
from lms.imports import tasks
from lms.jobs import services as jobs
from lms.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from lms.jobs.worker import work
from lms.outbox.models import OutboxMessage
from tests.fixtures.jobs import REDIS_URL
from tests.fixtures.users import log_in
from tests.imports.test_imports import big_rows, csv_bytes, trainee_row

#: rows of the files below; the tests lower the threshold under it
ROWS = 60
#: rows 10 to 19 have no e-mail address, only a mobile number
PHONE_ONLY = range(10, 20)


def rows(n=ROWS, bad=None):
    """A file of ``n`` trainees, ten of them with a mobile number only."""
    made = big_rows(n, bad)
    for i in PHONE_ONLY:
        if i < n:
            made[i] = {**made[i], "email": "", "phone": f"0857 1000 {i:04d}"}
    return made


def imported():
    """The file's trainees in the database, by e-mail or by phone-only number."""
    db.session.rollback()
    by_email = select(func.count()).where(User.email.like("impor%"))
    by_phone = select(func.count()).where(User.email.is_(None), User.phone.like("+62857100%"))
    return db.session.scalar(by_email) + db.session.scalar(by_phone)


def _job(job_id):
    db.session.rollback()
    return db.session.get(Job, job_id)


def _post(client, data, button="check", course=""):
    return client.post(
        "/imports/trainees",
        data={"file": (io.BytesIO(data), "peserta.csv"), "course": course, button: "y"},
        content_type="multipart/form-data",
    )


def _job_of(response, where="/imports/trainees?job="):
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    location = response.headers["Location"]
    assert where in location, location
    return int(location.rsplit("=", 1)[-1].rsplit("/", 1)[-1])


@pytest.fixture
def few_rows(app, monkeypatch):
    """Files of more than 20 rows go to jobs."""
    monkeypatch.setitem(app.config, "JOBS_IMPORT_MIN_ROWS", 20)


# --- without Redis: the jobs run in the web process once the request has committed ----------


def test_a_large_dry_run_is_a_job_whose_page_shows_its_report(client, staff, few_rows):
    bad = {3: ("nik", "1234"), 41: ("email", "not-an-e-mail"), 25: ("phone", "0211234")}
    job_id = _job_of(_post(client, csv_bytes(rows(bad=bad))))
    job = _job(job_id)
    assert (job.kind, job.status, job.owner_id) == (tasks.CHECK_KIND, DONE, staff.id)
    # progress in rows, and the outcome in a sentence
    assert (job.done, job.total) == (ROWS, ROWS)
    assert job.message == "Check done: 57 to create, 0 to update, 0 unchanged, 3 rejected."
    assert imported() == 0  # a dry run writes nothing
    page = client.get(f"/imports/trainees?job={job_id}").get_data(as_text=True)
    assert 'data-testid="import-job"' in page and "Checking the file" in page
    # every rejected row, in words, with its reason
    section = page.split('data-testid="rows-reject"', 1)[1].split("</table>", 1)[0]
    assert [int(p.split('"', 1)[0]) for p in section.split('data-line="')[1:]] == [5, 27, 43]
    assert "The NIK must be exactly 16 digits." in section
    assert "This is not a valid e-mail address." in section
    assert "Enter an Indonesian mobile number" in section
    # the accepted rows in figures, and ten examples of the new ones
    assert 'data-testid="accepted-summary"' in page and "Lampung Timur" in page
    assert "The first 10 of 57 rows, as examples:" in page
    # a file with rejected rows cannot be imported
    assert 'data-testid="confirm-form"' not in page
    # the finished page's script only fills the bar: the box says the job is done, so it does
    # not poll (tests/browser/test_import_jobs.py watches it)
    assert 'data-status="done"' in page and "data-reload-when-done" in page


def test_the_import_button_of_the_report_hands_the_file_to_the_import_job(client, staff, few_rows):
    check_id = _job_of(_post(client, csv_bytes(rows())))
    page = client.get(f"/imports/trainees?job={check_id}").get_data(as_text=True)
    form = page.split('data-testid="confirm-form"', 1)[1].split("</form>", 1)[0]
    assert f'name="job" value="{check_id}"' in form and "data-busy-text" in form
    assert 'name="payload"' not in form  # the file stays on the server, with its job
    assert _job(check_id).payload == csv_bytes(rows())

    response = client.post("/imports/trainees", data={"job": str(check_id), "run": "y"})
    import_id = _job_of(response, where="/jobs/")
    job = _job(import_id)
    assert (job.kind, job.status) == (tasks.KIND, DONE), job.message
    assert job.message == "Import done: 60 created, 0 updated, 0 unchanged, 0 enrolled."
    assert imported() == ROWS
    # the file went from the check to the import, and the import dropped it once written
    assert _job(check_id).payload is None and _job(import_id).payload is None
    phone_only = db.session.scalar(select(User).where(User.phone == "+6285710000012"))
    assert phone_only.email is None and phone_only.name == "Peserta Impor 0012"
    # pressing the button again imports nothing twice: the file is gone
    again = client.post("/imports/trainees", data={"job": str(check_id), "run": "y"})
    assert again.status_code == 303 and again.headers["Location"].endswith("/imports/trainees")
    assert "This file is no longer kept" in client.get("/imports/trainees").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(Job.kind == tasks.KIND)) == 1
    assert imported() == ROWS


def test_the_report_speaks_the_language_of_the_page(client, login, dummy_staff, few_rows):
    login(dummy_staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "id"
    job_id = _job_of(_post(client, csv_bytes(rows(bad={3: ("nik", "1234")}))))
    assert _job(job_id).message.startswith("Pemeriksaan selesai: 59 akan dibuat")
    page = client.get(f"/imports/trainees?job={job_id}").get_data(as_text=True)
    assert "Memeriksa berkas" in page and "NIK harus tepat 16 digit." in page


def test_only_an_import_check_is_shown_on_the_page(client, staff, few_rows, create_user):
    other = jobs.start(
        "export", owner=create_user("staff"), params={"kind": "attendance", "filters": {}}
    )
    db.session.commit()
    db.session.info.pop("lms_jobs_committed", None)
    assert client.get(f"/imports/trainees?job={other.id}").status_code == 404
    assert client.get("/imports/trainees?job=999999").status_code == 404
    assert client.get("/imports/trainees?job=abc").status_code == 404
    # an import job's own page is the job page
    response = _post(client, csv_bytes(rows()), button="run")
    import_id = _job_of(response, where="/jobs/")
    shown = client.get(f"/imports/trainees?job={import_id}")
    assert shown.status_code == 302 and shown.headers["Location"].endswith(f"/jobs/{import_id}")
    # a check's job id cannot be swapped for another's to import its file
    bogus = client.post("/imports/trainees", data={"job": str(other.id), "run": "y"})
    assert bogus.status_code == 404


def test_a_small_file_is_still_checked_on_the_page(client, staff, few_rows):
    response = _post(client, csv_bytes(rows(12)))
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert 'name="payload"' in response.get_data(as_text=True)


def test_an_unimported_checks_file_goes_with_the_jobs_files(app, client, staff, few_rows, clock):
    check_id = _job_of(_post(client, csv_bytes(rows())))
    report = jobs.result_file(_job(check_id))
    with open(report, encoding="utf-8") as kept:
        assert json.load(kept)["rows"] == ROWS
    clock.move_to(utcnow() + timedelta(seconds=app.config["JOBS_FILE_MAX_AGE"] + 60))
    jobs.purge_files()
    db.session.commit()
    job = _job(check_id)
    assert job.payload is None and job.result_path is None and not os.path.exists(report)
    page = client.get(f"/imports/trainees?job={check_id}").get_data(as_text=True)
    assert "This file is no longer kept" in page and 'data-testid="confirm-form"' not in page


# --- with Redis: a page queues the check, a worker does it; the page follows its progress ----


pytest_realclock = pytest.mark.realclock


@pytest.fixture
def queued_app(make_app, redis_db):
    """The app with the job queue on the tests' Redis: pages queue their jobs there."""
    return make_app(
        JOBS_REDIS_URL=REDIS_URL, JOBS_QUEUE=redis_db[1], JOBS_IMPORT_MIN_ROWS=20, LOG_JSON=False
    )


@pytest_realclock
def test_the_page_follows_a_queued_check(queued_app, create_user, redis_db):
    staff = create_user("staff")
    db.session.commit()
    client = queued_app.test_client()
    log_in(client, staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    job_id = _job_of(_post(client, csv_bytes(rows())))
    assert _job(job_id).status == QUEUED  # nothing ran in the web process
    page = client.get(f"/imports/trainees?job={job_id}").get_data(as_text=True)
    # the progress bar that static/js/jobs.js fills, reloading the page when the job ends
    box = page.split('id="job"', 1)[1].split("</div>\n  </div>", 1)[0]
    assert f'data-job-url="/api/v1/jobs/{job_id}"' in box and "data-reload-when-done" in box
    assert "js/jobs.js" in page and "<script>" not in page
    assert "Waiting for a worker…" in page and 'data-testid="plan"' not in page
    with queued_app.app_context():
        work(burst=True, scheduler=False)
    assert _job(job_id).status == DONE
    page = client.get(f"/imports/trainees?job={job_id}").get_data(as_text=True)
    assert 'data-testid="confirm-form"' in page and 'data-status="done"' in page


# --- the kill drill ------------------------------------------------------------------------------


@pytest_realclock
def test_kill_drill_an_import_from_the_report_is_done_once(
    app, queued_app, create_user, redis_db, tmp_path
):
    from tests.jobs.test_worker import _kill_mid_job

    staff = create_user("staff")
    db.session.commit()
    client = queued_app.test_client()
    log_in(client, staff)
    check_id = _job_of(_post(client, csv_bytes(rows())))
    # the check is killed midway too: done again from the start, its report whole
    killed, _log = _kill_mid_job(app, tmp_path, redis_db, check_id, "Checking the rows…")
    assert killed == (RUNNING, 1)
    check = _job(check_id)
    assert (check.status, check.attempts, check.done, check.total) == (DONE, 2, ROWS, ROWS)
    assert tasks.read_report(check)["counts"]["create"] == ROWS

    response = client.post("/imports/trainees", data={"job": str(check_id), "run": "y"})
    import_id = _job_of(response, where="/jobs/")
    killed, _log = _kill_mid_job(app, tmp_path, redis_db, import_id, "Importing…")
    # killed while running, its rows written but not committed: nothing of it stayed
    assert killed == (RUNNING, 1)
    job = _job(import_id)
    assert (job.status, job.attempts, job.payload) == (DONE, 2, None)
    # every trainee of the file once, the phone-only ones too, one import in the audit log
    assert imported() == ROWS
    phones = db.session.scalars(select(User.phone).where(User.email.is_(None))).all()
    assert sorted(phones) == [f"+628571000{i:04d}" for i in PHONE_ONLY]
    assert (
        db.session.scalar(select(func.count()).where(AuditEntry.action == "trainees.imported")) == 1
    )
    # one welcome message each: the killed worker's were never committed
    welcomed = db.session.scalars(
        select(OutboxMessage.user_id).where(OutboxMessage.kind == "account_welcome")
    ).all()
    assert len(welcomed) == ROWS == len(set(welcomed))


def test_a_refused_import_job_keeps_nothing(client, staff, few_rows):
    job_id = _job_of(_post(client, csv_bytes(rows(bad={30: ("nik", "1")})), button="run"), "/jobs/")
    job = _job(job_id)
    assert job.status == FAILED and "1 rows are rejected" in job.message
    assert imported() == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_phone_only_row_of_a_large_file_is_imported_by_the_job(client, staff, few_rows):
    data = csv_bytes([*rows(30), {**trainee_row(99), "email": "", "phone": "0857 1999 0099"}])
    job_id = _job_of(_post(client, data, button="run"), "/jobs/")
    assert _job(job_id).status == DONE
    user = db.session.scalar(select(User).where(User.phone == "+6285719990099"))
    assert user.email is None and user.preferred_channel != "email"
