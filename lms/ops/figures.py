"""Figures read at each scrape of /metrics from the database and the queue, so that every
process (web workers, job workers) answers the same: jobs by status, the queue's depth, the
outbox's backlog and failures."""

import ipaddress

from flask import current_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from lms.extensions import db
from lms.jobs import services as jobs
from lms.jobs.models import STATUSES, Job
from lms.outbox.models import OutboxMessage


class Figures:
    """A prometheus_client collector of the database's and the queue's figures."""

    def collect(self):
        counts = dict(
            db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        )
        by_status = GaugeMetricFamily("lms_jobs", "Jobs by status", labels=["status"])
        for status in STATUSES:
            by_status.add_metric([status], counts.get(status, 0))
        yield by_status
        try:
            depth = jobs.queue_depth()
        except Exception as exc:  # Redis away: the other figures still answer, and say so
            current_app.logger.warning("Metrics: the job queue does not answer (%s).", exc)
            depth = None
        yield GaugeMetricFamily(
            "lms_job_queue_up",
            "Whether the job queue answered this scrape (its Redis, when the site has one)",
            value=0 if depth is None else 1,
        )
        if depth is not None:
            yield GaugeMetricFamily("lms_job_queue_depth", "Jobs waiting on the queue", value=depth)
        # waiting: not delivered and not given up (a message no channel reaches any more is
        # counted apart, so that the backlog's age does not stay high forever because of it)
        undelivered = OutboxMessage.sent_at.is_(None)
        waiting = db.session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                undelivered, OutboxMessage.failed_at.is_(None)
            )
        ).one()
        yield GaugeMetricFamily(
            "lms_outbox_backlog", "Messages waiting for delivery", value=waiting[0]
        )
        failing = db.session.scalar(
            select(func.count()).where(
                undelivered, OutboxMessage.failed_at.is_(None), OutboxMessage.attempts > 0
            )
        )
        yield GaugeMetricFamily(
            "lms_outbox_failing", "Waiting messages whose delivery failed so far", value=failing
        )
        given_up = db.session.scalar(
            select(func.count()).where(undelivered, OutboxMessage.failed_at.is_not(None))
        )
        yield GaugeMetricFamily(
            "lms_outbox_failed",
            "Messages given up: every channel that reaches the person failed for good",
            value=given_up,
        )
        oldest = 0.0
        if waiting[1] is not None:
            from lms.core.types import utcnow

            oldest = max(0.0, (utcnow() - waiting[1]).total_seconds())
        yield GaugeMetricFamily(
            "lms_outbox_oldest_seconds", "Age of the oldest waiting message", value=oldest
        )


def allowed(address):
    """Whether ``address`` is in METRICS_ALLOW (addresses and networks, separated by commas)."""
    raw = current_app.config.get("METRICS_ALLOW") or ""
    entries = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    for entry in entries:
        entry = str(entry).strip()
        if not entry:
            continue
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
