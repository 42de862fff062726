"""Jobs on a real Redis (the tests' own database number) and real ``flask lms worker`` processes.

The kill drill: a worker killed with ``kill -9`` in the middle of a job (its rows written, not yet
committed) loses nothing and duplicates nothing: the next worker finds the job left ``running``
by a dead process, queues it again and does it once from the start — every trainee of the file
imported exactly once, every eligible trainee with exactly one certificate.
"""

import io
import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import time

import psycopg
import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.certificates.models import Certificate
from lms.extensions import db
from lms.jobs import services as jobs
from lms.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from lms.jobs.worker import work
from tests.fixtures.jobs import REDIS_URL
from tests.fixtures.servers import stop
from tests.fixtures.users import log_in
from tests.imports.test_imports import big_rows, csv_bytes

pytestmark = pytest.mark.realclock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROWS = 60


@pytest.fixture
def queued_app(make_app, redis_db):
    """The app with the job queue on the tests' Redis: pages queue their jobs there."""
    return make_app(
        JOBS_REDIS_URL=REDIS_URL,
        JOBS_QUEUE=redis_db[1],
        JOBS_IMPORT_MIN_ROWS=5,
        JOBS_CERTIFICATES_MIN=2,
        LOG_JSON=False,
    )


def _job(job_id):
    db.session.rollback()
    return db.session.get(Job, job_id)


def _start_import(queued_app, staff):
    client = queued_app.test_client()
    log_in(client, staff)
    response = client.post(
        "/imports/trainees",
        data={
            "file": (io.BytesIO(csv_bytes(big_rows(ROWS))), "t.csv"),
            "course": "",
            "run": "y",
        },
        content_type="multipart/form-data",
        headers={"X-Request-ID": "drill-request-0001"},
    )
    assert response.status_code == 303
    assert response.headers["X-Request-ID"] == "drill-request-0001"
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_a_page_queues_its_job_and_a_worker_does_it(queued_app, create_user, redis_db):
    staff = create_user("staff")
    db.session.commit()
    job_id = _start_import(queued_app, staff)
    assert _job(job_id).status == QUEUED  # nothing ran in the web process
    with queued_app.app_context():
        assert jobs.queue_depth() == 1
        work(burst=True, scheduler=False)
    job = _job(job_id)
    assert job.status == DONE, job.message
    assert job.worker == jobs.worker_name()
    assert db.session.scalar(select(func.count()).where(User.email.like("impor%"))) == ROWS


def _database_goes_away(monkeypatch, times):
    """The trainee import does its work, then the database goes away under it (as when
    PostgreSQL restarts before the commit), on its first ``times`` starts."""
    real, starts = jobs.TASKS["import.trainees"], []

    def interrupted(context, **params):
        starts.append(1)
        result = real(context, **params)
        if len(starts) <= times:
            lost = psycopg.OperationalError("server closed the connection unexpectedly")
            raise OperationalError("COMMIT", {}, lost)
        return result

    monkeypatch.setitem(jobs.TASKS, "import.trainees", interrupted)
    return starts


def test_a_job_the_database_went_away_under_starts_again_and_is_done_once(
    queued_app, create_user, redis_db, monkeypatch
):
    """Not "failed" for a restart of the database: the job waits, the worker's upkeep queues it
    again (within a minute) and it is done once; nothing of the interrupted start was kept."""
    starts = _database_goes_away(monkeypatch, times=1)
    staff = create_user("staff")
    db.session.commit()
    job_id = _start_import(queued_app, staff)
    with queued_app.app_context():
        work(burst=True, scheduler=False)
    job = _job(job_id)
    assert job.status == QUEUED and job.finished_at is None
    with force_locale("id"):
        assert job.message == _(
            "Interrupted: the database was away for a moment. The work starts again within a "
            "minute."
        )
    assert db.session.scalar(select(func.count()).where(User.email.like("impor%"))) == 0
    with queued_app.app_context():
        assert jobs.recover() == [job_id]  # the worker's upkeep, every minute
        work(burst=True, scheduler=False)
    job = _job(job_id)
    assert (job.status, job.attempts, len(starts)) == (DONE, 2, 2)
    assert db.session.scalar(select(func.count()).where(User.email.like("impor%"))) == ROWS


def test_a_job_the_database_keeps_failing_under_fails_after_its_last_start(
    queued_app, create_user, redis_db, monkeypatch
):
    starts = _database_goes_away(monkeypatch, times=jobs.MAX_ATTEMPTS)
    staff = create_user("staff")
    db.session.commit()
    job_id = _start_import(queued_app, staff)
    with queued_app.app_context():
        work(burst=True, scheduler=False)
        for _start in range(jobs.MAX_ATTEMPTS - 1):
            assert jobs.recover() == [job_id]
            work(burst=True, scheduler=False)
        assert jobs.recover() == []
    job = _job(job_id)
    assert (job.status, job.attempts, len(starts)) == (FAILED, jobs.MAX_ATTEMPTS, 3)
    assert job.finished_at is not None
    assert db.session.scalar(select(func.count()).where(User.email.like("impor%"))) == 0


def test_a_worker_starts_where_a_killed_one_of_its_name_left_its_registration(
    queued_app, create_user, redis_db
):
    """A worker killed with ``kill -9`` (the OOM killer) mid-job leaves RQ's registration of its
    name (host.pid) for as long as the job could run. A new worker process given the same pid
    (a container's worker after a restart) starts and does the job, instead of refusing for
    hours ("There exists an active worker named ... already")."""
    client, queue = redis_db
    key = f"rq:worker:{jobs.worker_name()}"
    client.hset(key, mapping={"birth": "2026-12-06T01:00:00.000000Z", "queues": queue})
    client.expire(key, 6 * 3600)
    staff = create_user("staff")
    db.session.commit()
    job_id = _start_import(queued_app, staff)
    with queued_app.app_context():
        work(burst=True, scheduler=False)
    assert _job(job_id).status == DONE
    assert client.hexists(key, "death")  # this worker's own end, as RQ registers it


def test_the_api_shows_a_running_jobs_live_progress(queued_app, create_user, api_headers, redis_db):
    staff = create_user("staff")
    job = Job(kind="export", owner_id=staff.id, status=RUNNING, params="{}")
    db.session.add(job)
    db.session.commit()
    client, queue = redis_db
    client.hset(
        f"{queue}:job-progress:{job.id}", mapping={"done": 40, "total": 200, "message": "Menulis"}
    )
    client = queued_app.test_client()
    body = client.get(f"/api/v1/jobs/{job.id}", headers=api_headers(staff)).get_json()
    assert (body["status"], body["done"], body["total"], body["message"]) == (
        "running",
        40,
        200,
        "Menulis",
    )


def test_recovery_queues_a_dead_workers_job_and_leaves_a_live_ones(
    queued_app, create_user, redis_db
):
    staff = create_user("staff")
    dead = Job(kind="export", owner_id=staff.id, status=RUNNING, params="{}", worker="x.1")
    alive = Job(
        kind="export", owner_id=staff.id, status=RUNNING, params="{}", worker=_parent_name()
    )
    db.session.add_all([dead, alive])
    db.session.commit()
    with queued_app.app_context():
        assert jobs.recover() == [dead.id]
    assert (_job(dead.id).status, _job(alive.id).status) == (QUEUED, RUNNING)


def test_a_job_that_stopped_its_worker_at_each_start_is_given_up(queued_app, create_user, redis_db):
    """A job that takes more memory than a worker has is killed (the OOM killer) at each start:
    queued again for ever, it would stop every worker that takes it, the outbox's included.
    After its last start it fails, saying why, in its owner's language."""
    staff = create_user("staff", locale="en")
    again = Job(kind="export", owner_id=staff.id, status=RUNNING, params="{}", worker="x.1")
    again.attempts = jobs.MAX_ATTEMPTS - 1
    last = Job(kind="export", owner_id=staff.id, status=RUNNING, params="{}", worker="x.2")
    last.attempts = jobs.MAX_ATTEMPTS
    db.session.add_all([again, last])
    db.session.commit()
    with queued_app.app_context():
        assert jobs.recover() == [again.id]
    job = _job(last.id)
    assert (job.status, _job(again.id).status) == (FAILED, QUEUED)
    assert job.finished_at is not None
    assert job.message == (
        "The work stopped its worker each time it started, 3 times, and was given up. Ask the "
        "office's system owner: it may need more memory than the worker has."
    )


def _parent_name():
    """A live process on this host (this test's parent) as a worker's name."""
    import socket

    return f"{socket.gethostname()}.{os.getppid()}"


# --- the kill drill ------------------------------------------------------------------------------


def _worker(app, queue, tmp_path, name, pause, **settings):
    env = {
        **os.environ,
        "LMS_CONFIG": "testing",
        "LMS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "LMS_CERTIFICATE_KEY_FILE": app.config["CERTIFICATE_KEY_FILE"],
        "LMS_JOBS_FILE_DIR": app.config["JOBS_FILE_DIR"],
        "LMS_JOBS_REDIS_URL": REDIS_URL,
        "LMS_JOBS_QUEUE": queue,
        "LMS_JOBS_STEP_PAUSE": str(pause),
        "LMS_LOG_JSON": "true",
        **{f"LMS_{key}": str(value) for key, value in settings.items()},
    }
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 (closed by _stop)
    command = [sys.executable, "-m", "flask", "--app", "lms", "lms", "worker", "--no-scheduler"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process


def _stop(process):
    stop(process)
    process.log.close()


def _wait_for(what, condition, timeout=90):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited in vain for {what}")
        time.sleep(0.05)


def _progress(redis_db, job_id):
    client, queue = redis_db
    raw = client.hgetall(f"{queue}:job-progress:{job_id}")
    return {k.decode(): v.decode() for k, v in raw.items()}


def _kill_mid_job(app, tmp_path, redis_db, job_id, phase):
    """Start a slow worker, kill it with SIGKILL once the job reports ``phase`` with work done
    (its rows written, not committed), then let a normal worker finish; returns that worker's
    log lines."""
    with app.test_request_context(), force_locale("id"):
        message = _(phase)
    first = _worker(app, redis_db[1], tmp_path, "first", pause=1.0)
    try:
        _wait_for(
            f"the job to report {phase!r}",
            lambda: (p := _progress(redis_db, job_id)).get("message") == message
            and int(p.get("done", 0)) > 0,
        )
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        _stop(first)
    job = _job(job_id)
    killed = (job.status, job.attempts)
    second = _worker(app, redis_db[1], tmp_path, "second", pause=0)
    try:
        _wait_for("the job to be done again", lambda: _job(job_id).status == DONE)
    finally:
        _stop(second)
    return killed, (tmp_path / "second.log").read_text().splitlines()


def test_kill_drill_an_import_is_done_once(app, queued_app, create_user, redis_db, tmp_path):
    staff = create_user("staff")
    db.session.commit()
    job_id = _start_import(queued_app, staff)

    def imported():
        db.session.rollback()
        return db.session.scalar(select(func.count()).where(User.email.like("impor%")))

    killed, log = _kill_mid_job(app, tmp_path, redis_db, job_id, "Importing…")
    # killed while running, its rows written but not committed: nothing of it stayed
    assert killed == (RUNNING, 1)
    job = _job(job_id)
    assert job.attempts == 2 and job.status == DONE
    # every trainee of the file once, and one import in the audit log
    assert imported() == ROWS
    emails = db.session.scalars(select(User.email).where(User.email.like("impor%"))).all()
    assert len(set(emails)) == ROWS
    assert (
        db.session.scalar(select(func.count()).where(AuditEntry.action == "trainees.imported")) == 1
    )
    # the worker's log: JSON lines, the job's with the request id of the page that started it
    entries = [json.loads(line) for line in log if line.startswith("{")]
    assert entries, log
    done = [e for e in entries if e.get("message") == "job done"]
    assert done and done[0]["request_id"] == "drill-request-0001"
    assert not [line for line in log if "@example.org" in line or re.search(r"\d{16}", line)]


def test_kill_drill_a_bulk_issue_gives_one_certificate_each(
    app,
    queued_app,
    finished_course,
    redis_db,
    tmp_path,
):
    course, staff = finished_course
    client = queued_app.test_client()
    log_in(client, staff)
    response = client.post(
        f"/manage/courses/{course.id}/certificates/issue", data={"action": "all"}
    )
    assert response.status_code == 303
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    killed, _log = _kill_mid_job(app, tmp_path, redis_db, job_id, "Saving…")
    assert killed == (RUNNING, 1)
    db.session.rollback()
    holders = db.session.scalars(select(Certificate.enrollment_id)).all()
    assert len(holders) == 4 and len(set(holders)) == 4
    assert _job(job_id).done == 4


# --- the outbox --------------------------------------------------------------------------------


@pytest.fixture
def mail_app(queued_app, monkeypatch):
    """The queued app with a mail server that records (FakeSMTP of tests/fixtures/gateways)."""
    from tests.fixtures.gateways import FakeSMTP

    monkeypatch.setattr(FakeSMTP, "sent", [])
    monkeypatch.setattr(FakeSMTP, "refuse", set())
    monkeypatch.setattr(FakeSMTP, "busy", set())
    monkeypatch.setattr(FakeSMTP, "calls", [])
    monkeypatch.setattr(FakeSMTP, "duplicates", [])
    monkeypatch.setattr(FakeSMTP, "on_accept", None)
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    monkeypatch.setitem(queued_app.config, "MAIL_SERVER", "smtp.example.org")
    return queued_app, FakeSMTP


def _rq_job(app, rq_id):
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    with app.app_context():
        try:
            return RQJob.fetch(rq_id, connection=jobs.connection())
        except NoSuchJobError:
            return None


def test_a_message_written_by_a_request_is_delivered_by_the_worker(mail_app, create_user):
    app, smtp = mail_app
    user = create_user("trainee", email="ani@example.org")
    db.session.commit()
    client = app.test_client()
    client.post("/password/forgot", data={"email": "ani@example.org"})
    # the request queued a delivery once it committed; nothing was sent in the web process
    with app.app_context():
        delivery = jobs.outbox_job_id()
    assert _rq_job(app, delivery).get_status() == "queued"
    assert smtp.sent == []
    with app.app_context():
        work(burst=True, scheduler=False)
    assert [m["To"] for m in smtp.sent] == [user.email]
    with app.app_context():
        assert jobs.enqueue_outbox_delivery() is True  # the next one may be queued again
    db.session.rollback()
    from lms.outbox.models import OutboxMessage

    assert db.session.scalar(select(func.count()).where(OutboxMessage.sent_at.is_(None))) == 0


def test_a_message_staff_send_again_is_delivered_by_the_worker(mail_app, create_user):
    """A message the mail server refused for good, sent again from its page once the address
    works: the request queues a delivery once it commits, and the worker sends it."""
    from lms.outbox import services as outbox
    from lms.outbox.models import OutboxMessage
    from tests.fixtures.gateways import FakeSMTP

    app, smtp = mail_app
    user = create_user("trainee", email="ani@example.org")
    staff = create_user("staff")
    FakeSMTP.refuse.add("ani@example.org")
    with app.app_context():
        message = outbox.queue(
            db.session.get(User, user.id), "account_welcome", "emails/account_welcome", link="x"
        )
        db.session.commit()
        message_id = message.id
        outbox.deliver_pending()
        assert db.session.get(OutboxMessage, message_id).failed_at is not None
        db.session.remove()
    FakeSMTP.refuse.clear()  # the address works again
    client = log_in(app.test_client(), staff)
    assert client.post(f"/outbox/{message_id}/send-again").status_code == 303
    with app.app_context():
        delivery = jobs.outbox_job_id()
    assert _rq_job(app, delivery).get_status() == "queued"
    with app.app_context():
        work(burst=True, scheduler=False)
    assert [m["To"] for m in smtp.sent] == ["ani@example.org"]


def test_an_enrolments_message_is_delivered_by_the_worker(mail_app, create_user, create_course):
    """On PostgreSQL an enrolment writes its message without a flush (lms.core.rows): its
    delivery is still queued once the enrolment commits."""
    from lms.catalog.models import Course
    from lms.enrollment import services as enrolment

    app, smtp = mail_app
    trainee = create_user("trainee", email="budi@example.org")
    course = create_course("hospitality", capacity=5)
    db.session.commit()
    ids = trainee.id, course.id
    with app.test_request_context():
        trainee, course = db.session.get(User, ids[0]), db.session.get(Course, ids[1])
        assert enrolment.enroll(trainee, course).status == "enrolled"
        db.session.commit()
        jobs.dispatch()
        delivery = jobs.outbox_job_id()
    assert _rq_job(app, delivery).get_status() == "queued"
    with app.app_context():
        work(burst=True, scheduler=False)
    assert [m["To"] for m in smtp.sent] == ["budi@example.org"]


def test_a_refused_message_is_tried_again_later(mail_app, create_user):
    app, smtp = mail_app
    create_user("trainee", email="bad@example.org")
    db.session.commit()
    smtp.busy = {"bad@example.org"}  # 421: the mail server asks to try again later
    app.test_client().post("/password/forgot", data={"email": "bad@example.org"})
    with app.app_context():
        work(burst=True, scheduler=False)
        scheduled = jobs.queue().scheduled_job_registry.get_job_ids()
        delivery = jobs.outbox_job_id() + "-retry"
        # the worker's upkeep leaves the back-off alone
        assert jobs.enqueue_outbox_delivery(unless_retrying=True) is False
    # a second try waits in the scheduler until the message's own back-off ends
    assert scheduled == [delivery]
    assert _rq_job(app, delivery).kwargs == {"attempt": 1}
    assert smtp.sent == []


def test_kill_drill_a_message_the_gateway_accepted_is_not_sent_again(
    app, create_user, redis_db, tmp_path
):
    """A real worker delivers an SMS; the gateway, on accepting it, kills the worker with SIGKILL
    before answering (the worker never learns the outcome, nothing after it is committed). The
    next worker sends it again with the same Idempotency-Key; the gateway drops the copy."""
    from lms.outbox import services as outbox
    from lms.outbox.models import DeliveryAttempt, OutboxMessage
    from tests.fixtures.gateways import FakeGateway

    user = create_user("trainee", email=False, phone="081234567890", preferred_channel="sms")
    message = outbox.queue(user, "password_code", "emails/password_code", code="482913", minutes=15)
    db.session.commit()
    message_id = message.id

    def sent():
        db.session.rollback()
        return db.session.get(OutboxMessage, message_id)

    def attempts():
        db.session.rollback()
        return db.session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.message_id == message_id)
            .order_by(DeliveryAttempt.id)
        ).all()

    with FakeGateway() as gateway:
        settings = {
            "SMS_URL": f"{gateway.url}/api/send",
            "SMS_TOKEN": "t",
            "OUTBOX_LEASE_SECONDS": 2,
        }
        workers = {}

        def kill_the_worker(_request):
            os.kill(workers["first"].pid, signal.SIGKILL)
            return True  # no answer: the worker is dead

        gateway.on_accept = kill_the_worker
        # its upkeep finds the waiting message and queues the outbox's delivery
        workers["first"] = _worker(app, redis_db[1], tmp_path, "first", 0, **settings)
        try:
            _wait_for("the gateway to accept the message", lambda: gateway.delivered)
            assert workers["first"].wait(timeout=30) == -signal.SIGKILL
        finally:
            _stop(workers["first"])
        gateway.on_accept = None
        # the gateway has it; the database only knows that an attempt was under way
        [started] = attempts()
        assert (started.ok, started.finished_at) == (False, None)
        lease = sent().next_attempt_at
        assert sent().sent_at is None and lease is not None

        from lms.core.types import utcnow

        _wait_for("the dead worker's lease to end", lambda: utcnow() > lease)
        second = _worker(app, redis_db[1], tmp_path, "second", 0, **settings)
        try:
            _wait_for("the message to be delivered", lambda: sent().sent_at is not None)
        finally:
            _stop(second)

    # sent twice with one key; the person got it once
    assert len(gateway.requests) == 2 and len(gateway.delivered) == 1
    assert len(gateway.duplicates) == 1
    keys = {request["headers"]["Idempotency-Key"] for request in gateway.requests}
    assert keys == {sent().delivery_key("sms")}
    assert [body["to"] for body in gateway.bodies] == ["+6281234567890"] * 2
    first, second = attempts()
    assert (first.ok, first.error, second.ok) == (False, outbox.INTERRUPTED, True)
    assert sent().channel == "sms"
