"""The RQ worker that ``flask --app lms lms worker`` runs: it takes jobs off the queue one at a
time in this process (no fork: the app and its database pool stay as they are), and every minute
(and once at its start) it queues again the jobs of workers that died (:func:`services.recover`),
deletes the job files kept long enough, and queues a delivery of the outbox if messages wait."""

import logging

from flask import current_app
from rq import SimpleWorker

from lms.extensions import db
from lms.outbox import registry as channels
from lms.outbox import services as outbox

from . import services

log = logging.getLogger("lms.jobs")
#: seconds between two rounds of upkeep
MAINTENANCE_INTERVAL = 60


def upkeep():
    """Recover dead workers' jobs, purge old files, start the outbox's delivery; never raises."""
    try:
        again = services.recover()
        if again:
            log.info("queued again after a worker stopped: %s", again)
        removed = services.purge_files()
        waiting = bool(outbox.pending(1))
        db.session.commit()
        if removed:
            log.info("deleted %s job file(s) kept long enough", removed)
        if waiting and channels.enabled():  # any channel that is on: e-mail, SMS, WhatsApp
            services.enqueue_outbox_delivery(unless_retrying=True)
    except Exception:
        db.session.rollback()
        log.exception("job upkeep failed")
    finally:
        db.session.remove()


class Worker(SimpleWorker):
    """RQ's in-process worker, with Latih's upkeep among its maintenance tasks."""

    def register_birth(self):
        """Register, after forgetting a registration of this name that a dead process left.

        The name is this host and this process id (:func:`services.worker_name`), which no other
        live process holds: a registration found under it was left by a worker killed with
        ``kill -9`` (the kernel's OOM killer), whose key lives as long as the job it was running
        could (hours). Process ids come round again, soonest after a container's restart, and
        RQ would refuse to start until that key expires, while the outbox and the imports wait.
        """
        if self.connection.exists(self.key) and not self.connection.hexists(self.key, "death"):
            log.warning("forgetting the registration a dead worker left as %s", self.name)
            self.register_death()
        super().register_birth()

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        upkeep()


def work(burst=False, scheduler=True):
    """Run a worker on the queue until stopped (``burst``: until the queue is empty)."""
    q = services.queue()
    if q is None:
        raise RuntimeError(
            "No Redis for the job queue: set REDIS_URL (or LMS_JOBS_REDIS_URL). Without it the "
            "site runs its jobs itself and needs no worker."
        )
    from lms.core import logs

    if current_app.config.get("LOG_JSON"):
        logs.configure()
    worker = Worker(
        [q],
        connection=q.connection,
        name=services.worker_name(),
        maintenance_interval=MAINTENANCE_INTERVAL,
    )
    upkeep()
    return worker.work(burst=burst, with_scheduler=scheduler, logging_level="INFO")
