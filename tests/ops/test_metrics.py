"""GET /metrics: Prometheus text with request counts and latencies by endpoint, the job queue's
depth, failed jobs, the outbox's backlog and row-lock waits; only from METRICS_ALLOW (loopback
by default), a 404 to anyone else. Under gunicorn the workers' counts add up (multiprocess)."""

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from lms.core.types import utcnow
from lms.enrollment import services as enrolment
from lms.extensions import db
from lms.jobs.models import FAILED, QUEUED, Job
from lms.outbox import services as outbox
from tests.fixtures.servers import free_port, running

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def samples(text):
    """{(name, frozenset(labels)): value} of a Prometheus text."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())))


def test_the_metrics_of_requests_jobs_outbox_and_locks(client, create_user, create_course):
    staff = create_user("staff")
    trainee = create_user("trainee")
    course = create_course()
    locks = samples(client.get("/metrics").get_data(as_text=True))
    enrolment.enroll(trainee, course)
    outbox.queue(trainee, "password_reset", "emails/password_reset", link="http://x/", minutes=5)
    db.session.add_all(
        [
            Job(kind="export", owner_id=staff.id, status=FAILED, params="{}", created_at=utcnow()),
            Job(kind="export", owner_id=staff.id, status=QUEUED, params="{}", created_at=utcnow()),
        ]
    )
    db.session.commit()
    before = samples(client.get("/metrics").get_data(as_text=True))
    for _ in range(3):
        client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    assert response.headers["Cache-Control"] == "no-store"
    found = samples(response.get_data(as_text=True))
    healthz = {"endpoint": "core.healthz", "method": "GET", "status": "200"}
    assert (
        value(found, "lms_http_requests_total", **healthz)
        == (value(before, "lms_http_requests_total", **healthz) or 0) + 3
    )
    assert (
        value(
            found, "lms_http_request_duration_seconds_count", endpoint="core.healthz", method="GET"
        )
        >= 3
    )
    assert value(found, "lms_jobs", status="failed") == 1
    assert value(found, "lms_jobs", status="queued") == 1
    assert value(found, "lms_job_queue_depth") == 1  # no Redis: the queued rows
    assert value(found, "lms_job_queue_up") == 1
    waiting = outbox.pending(1000)
    assert value(found, "lms_outbox_backlog") == len(waiting) >= 1
    assert value(found, "lms_outbox_failing") == 0
    # the enrolment took the course's lock (its seat, on PostgreSQL by the conditional UPDATE):
    # its wait is measured, whatever other tests of this process measured before
    lock_waits = {
        moment: value(figures, "lms_row_lock_wait_seconds_count", table="courses") or 0
        for moment, figures in (("before", locks), ("after", found))
    }
    assert lock_waits["after"] >= lock_waits["before"] + 1


def test_the_metrics_answer_while_the_queue_s_redis_is_down(make_app, create_user):
    """Redis away: the scrape still answers with the database's figures (the outbox's backlog
    matters most then) and says the queue is down, instead of failing as a whole."""
    down = make_app(JOBS_REDIS_URL="redis://127.0.0.1:1/0")  # nothing listens: refused at once
    outbox.queue(create_user("trainee"), "password_reset", "emails/password_reset", link="x")
    db.session.commit()
    response = down.test_client().get("/metrics")
    assert response.status_code == 200
    found = samples(response.get_data(as_text=True))
    assert value(found, "lms_job_queue_up") == 0
    assert value(found, "lms_job_queue_depth") is None
    assert value(found, "lms_outbox_backlog") >= 1


def test_no_metrics_for_other_addresses(app, client, monkeypatch):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 404
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "10.0.0.0/8, 203.0.113.9")
    assert client.get("/metrics", environ_base=outside).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.3.4"}).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "")
    assert client.get("/metrics").status_code == 404


@pytest.mark.realclock
def test_gunicorn_workers_counts_add_up(app, tmp_path):
    """gunicorn.conf.py gives the workers one multiprocess folder: /metrics sums them all."""
    port = free_port()
    env = {
        **os.environ,
        "LMS_CONFIG": "testing",
        "LMS_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESSLOG": str(tmp_path / "access.log"),
        "GUNICORN_LOGLEVEL": "warning",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    env.pop("LMS_JOBS_REDIS_URL", None)
    command = [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "gunicorn.conf.py")]
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/healthz", env, ROOT, wait=90):
        session = requests.Session()
        answered = 1  # the probe

        def ask(_):
            return requests.get(f"{base}/healthz", timeout=10).status_code

        def workers_written():
            return {name.rsplit("_", 1)[-1] for name in os.listdir(tmp_path / "metrics")}

        # new connections, eight at a time, until both workers have answered some (one idle
        # worker may take every connection of a slow, sequential client)
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(10):
                assert set(pool.map(ask, range(16))) == {200}
                answered += 16
                if len(workers_written()) >= 2:
                    break
        found = samples(session.get(f"{base}/metrics", timeout=10).text)
        count = value(
            found, "lms_http_requests_total", endpoint="core.healthz", method="GET", status="200"
        )
        assert count >= answered  # the probe may have been asked more than once
        assert len(workers_written()) >= 2  # both workers wrote, and the count is their sum


def test_a_message_given_up_leaves_the_backlog_and_is_counted_apart(client, create_user, clock):
    """The backlog and its oldest age are the messages still waiting: one that failed on every
    channel (given up) no longer holds the age alarm up; it is counted as failed."""
    trainee = create_user("trainee")
    old = outbox.queue(
        trainee, "password_reset", "emails/password_reset", link="http://x/", minutes=5
    )
    db.session.commit()
    clock.shift(3600)
    retrying = outbox.queue(
        trainee, "password_reset", "emails/password_reset", link="http://y/", minutes=5
    )
    db.session.commit()
    old.failed_at, old.attempts = utcnow(), 5
    retrying.attempts = 1
    db.session.commit()
    found = samples(client.get("/metrics").get_data(as_text=True))
    assert value(found, "lms_outbox_backlog") == 1
    assert value(found, "lms_outbox_failing") == 1
    assert value(found, "lms_outbox_failed") == 1
    # the waiting one is minutes old, not the hour of the given-up one
    assert value(found, "lms_outbox_oldest_seconds") < 600
