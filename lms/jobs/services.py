"""Jobs: long work handed to a background worker (RQ on Redis), or run in-process without Redis.

A page (or a command) calls :func:`start`: it writes a :class:`~lms.jobs.models.Job` row in the
request's transaction; once the request has committed, the job is put on the RQ queue
(``JOBS_REDIS_URL``, else ``REDIS_URL``) or, without Redis (the demo, the tests), run at once in
the same process. Either way the same :func:`run` does the work.

:func:`run` is the job's transaction boundary: it claims the job (``queued`` -> ``running``, one
committed conditional update, so two workers never both run it), then does the work and marks it
``done`` in ONE commit. A worker killed mid-job therefore leaves nothing half-written: the job
stays ``running`` with a dead worker's name, :func:`recover` puts it back on the queue, and it is
done once from the start. A job that finished is never run again.

Progress (done / total / message) is kept in Redis while a job runs (the job's own writes are
not committed yet, and SQLite has one writer), and in the row when it ends.
"""

import json
import logging
import math
import os
import socket
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from lms.core.outage import database_unavailable
from lms.core.types import utcnow
from lms.errors import LmsError
from lms.extensions import db
from lms.outbox.models import OutboxMessage

from .models import DONE, FAILED, QUEUED, RUNNING, Job

log = logging.getLogger("lms.jobs")

#: kind -> the function that does the work: ``handler(context, **params)``
TASKS = {}
#: the RQ function a worker calls (a dotted path: the worker imports it)
RQ_FUNCTION = "lms.jobs.services.rq_run"
#: seconds the progress kept in Redis outlives its job's last report
PROGRESS_TTL = 24 * 3600
#: the starts a job is given when its worker dies under it (the OOM killer) or the database
#: goes away under it (lms.core.outage): after the last one it fails
MAX_ATTEMPTS = 3


def task(kind):
    """Register the function that does the work of jobs of ``kind``.

    It is called as ``handler(context, **params)`` inside the job's transaction, in the owner's
    language, and returns None or a :class:`Result`. Raising a domain error fails the job with
    its message; nothing it wrote is kept. When the database goes away for a moment under it,
    a worker starts it again within a minute (at most ``MAX_ATTEMPTS`` starts): its effects must
    be idempotent, as they must be for a worker killed mid-job.
    """

    def register(handler):
        TASKS[kind] = handler
        return handler

    return register


@dataclass
class Result:
    """What a task hands back: a message for the person, and the file it wrote, if any."""

    message: str | None = None
    #: the file's path (as given by :meth:`Context.file_path`)
    path: str | None = None
    #: the download name and media type
    name: str | None = None
    mimetype: str | None = None


# --- Redis and the queue -----------------------------------------------------------------------


def redis_url(app=None):
    """The queue's Redis address, or "" when jobs run in-process."""
    config = (app or current_app).config
    url = config.get("JOBS_REDIS_URL")
    if url is None:
        url = os.environ.get("REDIS_URL", "")
    return url or ""


def connection(app=None):
    """The Redis client of the queue (one per app), or None without Redis."""
    app = app or current_app._get_current_object()
    url = redis_url(app)
    if not url:
        return None
    cached = app.extensions.get("lms_jobs_redis")
    if cached is None or cached[0] != url:
        import redis

        cached = (url, redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5))
        app.extensions["lms_jobs_redis"] = cached
    return cached[1]


def queue(app=None):
    """The RQ queue, or None without Redis."""
    redis = connection(app)
    if redis is None:
        return None
    from rq import Queue

    config = (app or current_app).config
    return Queue(config["JOBS_QUEUE"], connection=redis, default_timeout=config["JOBS_TIMEOUT"])


def rq_id(job_id):
    """The RQ job id of job ``job_id`` (every Redis key carries the queue's name, so that
    several sites, or test runs, may share one Redis)."""
    return f"{current_app.config['JOBS_QUEUE']}-job-{job_id}"


def outbox_job_id():
    """The outbox delivery's fixed RQ id: at most one waits at a time."""
    return f"{current_app.config['JOBS_QUEUE']}-outbox-delivery"


def _enqueue(job_id, request_id=None):
    q = queue()
    q.enqueue_call(
        RQ_FUNCTION,
        args=(job_id,),
        kwargs={"request_id": request_id},
        job_id=rq_id(job_id),
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


# --- starting a job ----------------------------------------------------------------------------


def start(kind, owner=None, params=None, payload=None, total=0):
    """Write a queued job of ``kind`` in the caller's transaction; it starts once that commits.

    ``params`` must be JSON (ids, codes, filters: never a secret); ``payload`` the input file.
    """
    if kind not in TASKS:
        raise KeyError(kind)
    job = Job(
        kind=kind,
        owner_id=owner.id if owner is not None else None,
        status=QUEUED,
        params=json.dumps(params or {}, sort_keys=True),
        payload=payload,
        total=total,
        created_at=utcnow(),
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(job)
    db.session.flush()
    started = db.session.info.setdefault("lms_jobs_started", [])
    started.append(job.id)
    return job


@event.listens_for(Session, "after_commit")
def _committed(session):
    """The committed transaction's jobs may now run: mark them for the request's end."""
    started = session.info.pop("lms_jobs_started", None)
    if started:
        session.info.setdefault("lms_jobs_committed", []).extend(started)
    if session.info.pop("lms_outbox_written", False):
        session.info["lms_outbox_committed"] = True


@event.listens_for(Session, "after_rollback")
def _rolled_back(session):
    session.info.pop("lms_jobs_started", None)
    session.info.pop("lms_outbox_written", None)


def dispatch():
    """After the request's commit: queue its jobs on Redis, or run them here without Redis."""
    session = db.session()
    ids = session.info.pop("lms_jobs_committed", [])
    outbox = session.info.pop("lms_outbox_committed", False)
    if outbox and connection() is not None:
        enqueue_outbox_delivery()
    request_id = g.get("request_id")
    for job_id in ids:
        if connection() is not None:
            try:
                _enqueue(job_id, request_id)
            except Exception:  # Redis away: the worker's recovery queues it when it is back
                log.exception("job %s could not be queued; it waits for recovery", job_id)
        else:
            run(job_id)
    if ids and connection() is None:
        # no worker runs the upkeep here: files kept long enough go when new work comes
        _purge_quietly()


def _purge_quietly():
    """Delete the result files kept longer than JOBS_FILE_MAX_AGE (committed); never raises."""
    try:
        removed = purge_files()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job files could not be deleted")
        return
    if removed:
        log.info("deleted %s job file(s) kept long enough", removed)


def init_app(app):
    """Run or queue the request's jobs once the request has committed."""

    @app.after_request
    def _dispatch_jobs(response):
        dispatch()
        return response


@event.listens_for(Session, "after_flush")
def _outbox_written(session, _context):
    """A message was written, or staff sent one again (``lms.outbox.services.send_again``):
    deliver it once the transaction commits (with Redis)."""
    if any(isinstance(o, OutboxMessage) for o in session.new) or any(
        isinstance(o, OutboxMessage) and inspect(o).attrs.resent_at.history.has_changes()
        for o in session.dirty
    ):
        note_outbox_written(session)


def note_outbox_written(session=None):
    """A message was written in this transaction (by a flush, or by a statement of the
    caller's: ``lms.core.rows``): deliver it once the transaction commits (with Redis)."""
    (session or db.session()).info["lms_outbox_written"] = True


# --- running a job -----------------------------------------------------------------------------


def worker_name():
    """This process's name as a worker: host.pid."""
    return f"{socket.gethostname()}.{os.getpid()}"


class Context:
    """What a task gets: its job, progress reports, and where to write its file."""

    def __init__(self, job):
        self.job = job
        self.done = job.done or 0
        self.total = job.total or 0
        self.message = None
        self._last = 0.0

    def progress(self, done=None, total=None, message=None, add=None):
        """Report progress: ``done`` (or ``add`` steps more) of ``total``, and a message."""
        if add is not None:
            self.done += add
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = str(message)
        now = time.monotonic()
        pause = current_app.config.get("JOBS_STEP_PAUSE") or 0
        if pause or now - self._last > 0.5 or (self.total and self.done >= self.total):
            self._last = now
            _save_progress(self.job.id, self.done, self.total, self.message)
        if pause:
            time.sleep(pause)  # tests only: the kill drill stops a worker mid-job

    def file_path(self, name):
        """A path in the job's folder for its result file (created); the same on a retry."""
        folder = os.path.join(file_dir(), str(self.job.id))
        os.makedirs(folder, mode=0o700, exist_ok=True)
        return os.path.join(folder, name)


def _progress_key(job_id):
    return f"{current_app.config['JOBS_QUEUE']}:job-progress:{job_id}"


def _save_progress(job_id, done, total, message):
    redis = connection()
    if redis is None:
        return
    try:
        key = _progress_key(job_id)
        fields = {"done": done, "total": total}
        if message:
            fields["message"] = message
        redis.hset(key, mapping=fields)
        redis.expire(key, PROGRESS_TTL)
    except Exception:  # progress is a courtesy: the work goes on without it
        log.warning("job %s: progress not saved", job_id)


def live_progress(job):
    """(done, total, message) of a running job as it last reported, or None."""
    redis = connection()
    if redis is None or job.status != RUNNING:
        return None
    try:
        raw = redis.hgetall(_progress_key(job.id))
    except Exception:
        return None
    if not raw:
        return None
    text = {k.decode(): v.decode() for k, v in raw.items()}
    return int(text.get("done", 0)), int(text.get("total", 0)), text.get("message")


def _claim(job_id, worker):
    """queued -> running in one committed update; False if it is not queued (done, failed or
    taken by another worker)."""
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == QUEUED)
        .values(status=RUNNING, started_at=utcnow(), attempts=Job.attempts + 1, worker=worker)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def run(job_id, worker=None):
    """Do job ``job_id`` if it is queued; the job's transaction boundary. Returns its status."""
    db.session.rollback()
    if not _claim(job_id, worker or worker_name()):
        job = db.session.get(Job, job_id)
        return job.status if job is not None else None
    job = db.session.get(Job, job_id)
    attempts = job.attempts  # read now: after a failure the database may not answer
    previous = g.get("request_id")
    if job.request_id:
        g.request_id = job.request_id
    log.info("job started", extra={"job_id": job.id, "kind": job.kind, "attempt": job.attempts})
    locale = _owner_locale(job)
    try:
        with force_locale(locale):
            context = Context(job)
            result = TASKS[job.kind](context, **json.loads(job.params or "{}")) or Result()
            job.status, job.finished_at = DONE, utcnow()
            job.done, job.total = context.done, context.total
            job.message = str(result.message or context.message or _("Done."))[:1000]
            if result.path:
                job.result_path = os.path.relpath(result.path, file_dir())
                job.result_name = result.name or os.path.basename(result.path)
                job.result_mimetype = result.mimetype or "application/octet-stream"
        db.session.commit()
        log.info("job done", extra={"job_id": job.id, "kind": job.kind})
    except Exception as error:
        db.session.rollback()
        status = FAILED
        if database_unavailable(error) and attempts < MAX_ATTEMPTS and connection() is not None:
            # the database was away a moment (a restart, a deadlock): nothing was kept, and the
            # worker's upkeep queues the job again within a minute (recover())
            status = QUEUED
            with force_locale(locale):
                message = _(
                    "Interrupted: the database was away for a moment. The work starts again "
                    "within a minute."
                )
            log.warning("job interrupted; queued again", extra={"job_id": job_id})
        elif isinstance(error, LmsError):
            with force_locale(locale):
                message = str(error.message)
            log.info("job refused", extra={"job_id": job_id, "code": error.code})
        else:
            with force_locale(locale):
                message = _("The work failed. Try again, or ask the office's system owner.")
            log.exception("job failed", extra={"job_id": job_id})
        db.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=status,
                finished_at=utcnow() if status == FAILED else None,
                message=message[:1000],
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    finally:
        redis = connection()
        if redis is not None:
            with suppress(Exception):
                redis.delete(_progress_key(job_id))
        g.request_id = previous
    return db.session.get(Job, job_id).status


def rq_run(job_id, request_id=None):
    """The function the RQ worker calls (in the worker's app context)."""
    try:
        return run(job_id)
    finally:
        # messages the job wrote (an import that enrols) leave at once
        session = db.session()
        session.info.pop("lms_jobs_committed", None)
        if session.info.pop("lms_outbox_committed", False):
            enqueue_outbox_delivery()
        db.session.remove()


# --- a killed worker's jobs --------------------------------------------------------------------


def _alive(name):
    """Whether the worker ``host.pid`` still runs: asked of the OS on this host, of the worker
    registry in Redis (RQ keeps a key per live worker, with a heartbeat) on another."""
    if not name:
        return False
    host, _dot, pid = name.rpartition(".")
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return False  # this process is idle while it recovers: the name is a dead one's
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    redis = connection()
    return redis is not None and bool(redis.exists(f"rq:worker:{name}"))


def _owner_locale(job):
    """The language a job speaks: its owner's, else the site's default."""
    owner = job.owner.locale if job.owner is not None else None
    return owner or current_app.config["BABEL_DEFAULT_LOCALE"]


def _give_up(job):
    """Fail a job that stopped its worker at each of its starts, saying so in its owner's
    language."""
    with force_locale(_owner_locale(job)):
        job.message = _(
            "The work stopped its worker each time it started, %(n)s times, and was given up. "
            "Ask the office's system owner: it may need more memory than the worker has.",
            n=job.attempts,
        )
    job.status, job.finished_at = FAILED, utcnow()


def recover():
    """Queue again the jobs a dead worker left ``running`` and the ``queued`` ones Redis lost.

    The dead worker's writes were never committed, so the job starts over from its beginning;
    one that had its ``MAX_ATTEMPTS`` starts already fails instead (a job that takes more memory
    than a worker has would otherwise stop every worker again and again). Returns the ids
    queued again. Commits (a worker's boundary).
    """
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    redis = connection()
    if redis is None:
        return []
    again = []
    for job in db.session.scalars(select(Job).where(Job.status.in_((QUEUED, RUNNING)))):
        if job.status == RUNNING:
            if _alive(job.worker):
                continue
            if job.attempts >= MAX_ATTEMPTS:
                # it took its worker down each time (more memory than the worker may have):
                # started again, it would stop every worker that takes it, the outbox's too
                log.error("job %s: its worker died at each of its starts; given up", job.id)
                _give_up(job)
                continue
            log.warning("job %s: its worker %s died; queued again", job.id, job.worker)
            job.status = QUEUED
            again.append(job.id)
            continue
        try:
            state = RQJob.fetch(rq_id(job.id), connection=redis).get_status()
        except NoSuchJobError:
            state = None
        if state in (None, "finished", "failed", "stopped", "canceled"):
            again.append(job.id)
    db.session.commit()
    for job_id in again:
        job = db.session.get(Job, job_id)
        _enqueue(job_id, job.request_id)
    return again


# --- result files ------------------------------------------------------------------------------


def file_dir(app=None):
    """The folder of the jobs' result files (JOBS_FILE_DIR, default instance/job-files)."""
    app = app or current_app
    return app.config.get("JOBS_FILE_DIR") or os.path.join(app.instance_path, "job-files")


def result_file(job):
    """The absolute path of a job's result file while it is kept, else None."""
    if not job.result_path or job.status != DONE or job.finished_at is None:
        return None
    if utcnow() - job.finished_at > timedelta(seconds=current_app.config["JOBS_FILE_MAX_AGE"]):
        return None
    root = os.path.realpath(file_dir())
    path = os.path.realpath(os.path.join(root, job.result_path))
    if not path.startswith(root + os.sep) or not os.path.isfile(path):
        return None
    return path


def expires_at(job):
    """When a finished job's file stops being downloadable."""
    if job.finished_at is None:
        return None
    return job.finished_at + timedelta(seconds=current_app.config["JOBS_FILE_MAX_AGE"])


def purge_files():
    """Delete the result files kept longer than JOBS_FILE_MAX_AGE, and the input files of the
    jobs that ended as long ago; returns how many result files. Flushes."""
    limit = utcnow() - timedelta(seconds=current_app.config["JOBS_FILE_MAX_AGE"])
    removed = 0
    root = file_dir()
    for job in db.session.scalars(
        select(Job).where(Job.result_path.is_not(None), Job.finished_at < limit)
    ):
        folder = os.path.join(root, str(job.id))
        path = os.path.join(root, job.result_path)
        if os.path.isfile(path):
            os.remove(path)
            removed += 1
        if os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)
        job.result_path = None
    # the input files (an import's upload) of jobs that ended as long ago go with them
    db.session.execute(
        update(Job)
        .where(Job.payload.is_not(None), Job.finished_at < limit)
        .values(payload=None)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return removed


def visible_job(job_id, user):
    """Job ``job_id`` if ``user`` may see it.

    :raise NotFound: no such job, or not theirs (its existence stays hidden)
    """
    from lms.errors import NotFound

    job = db.session.get(Job, job_id)
    if not visible_to(job, user):
        raise NotFound(_("This page or record does not exist."))
    return job


def visible_to(job, user):
    """Whether ``user`` may see the job and fetch its file: its owner, or staff."""
    if job is None or user is None or not user.is_authenticated:
        return False
    return job.owner_id == user.id or user.role in ("staff", "admin")


# --- the outbox ----------------------------------------------------------------------------------


def _rq_state(rq_job_id, connection):
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    try:
        return RQJob.fetch(rq_job_id, connection=connection).get_status()
    except NoSuchJobError:
        return None


def enqueue_outbox_delivery(delay=None, attempt=0, unless_retrying=False):
    """Queue a delivery of the outbox: now (one waiting at a time, by its fixed id), or after
    ``delay`` seconds (a retry, under its own id). ``unless_retrying``: not while a retry
    waits (the worker's upkeep leaves the back-off alone)."""
    q = queue()
    if q is None:
        return False
    retry_id = outbox_job_id() + "-retry"
    try:
        if delay:
            q.enqueue_in(
                timedelta(seconds=delay),
                deliver_outbox,
                job_id=retry_id,
                kwargs={"attempt": attempt},
                result_ttl=600,
                failure_ttl=7 * 24 * 3600,
            )
            return True
        if _rq_state(outbox_job_id(), q.connection) in ("queued", "deferred"):
            return False
        if unless_retrying and _rq_state(retry_id, q.connection) == "scheduled":
            return False
        q.enqueue(
            deliver_outbox,
            job_id=outbox_job_id(),
            kwargs={"attempt": attempt},
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
        )
    except Exception:
        log.exception("outbox delivery could not be queued")
        return False
    return True


def deliver_outbox(attempt=0):
    """The RQ job that delivers the outbox; while messages stay undelivered (a mail server
    away), it tries again later, waiting longer each time (JOBS_OUTBOX_BACKOFF)."""
    from lms.outbox import registry as channels
    from lms.outbox import services as outbox

    backoff = current_app.config["JOBS_OUTBOX_BACKOFF"]
    delay = None
    try:
        sent = outbox.deliver_pending()
        db.session.commit()
        # a message a channel refused for now waits out its own back-off (lms.outbox); come
        # back when the earliest one is due. With no channel on, messages wait for staff.
        due = outbox.next_due() if channels.enabled() else None
        db.session.commit()
        if due is not None:
            delay = max(1, math.ceil((due - utcnow()).total_seconds()))
    except Exception:
        db.session.rollback()
        log.exception("outbox delivery failed")
        delay = backoff[min(attempt, len(backoff) - 1)]
        sent = 0
    finally:
        db.session.remove()
    if delay is not None:
        log.info("outbox: messages wait; trying again in %ss", delay)
        enqueue_outbox_delivery(delay=delay, attempt=attempt + 1)
    return sent


# --- figures for /metrics --------------------------------------------------------------------


def queue_depth():
    """Jobs waiting on the queue (RQ), or queued rows without Redis."""
    q = queue()
    if q is not None:
        return q.count
    return db.session.scalar(select(db.func.count()).select_from(Job).where(Job.status == QUEUED))


# --- what a person sees ------------------------------------------------------------------------


def describe(job):
    """The job as GET /api/v1/jobs/{id} answers it (live progress while it runs)."""
    from flask import url_for

    done, total, message = live_progress(job) or (job.done, job.total, job.message)
    body = {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "done": done,
        "total": total,
        "created_at": job.created_at,
    }
    if message:
        body["message"] = message
    if result_file(job) is not None:
        body["result_url"] = url_for("jobs.download", job_id=job.id)
    if job.finished_at is not None:
        body["finished_at"] = job.finished_at
    return body
