"""GET /metrics: the Prometheus text, only from the addresses in METRICS_ALLOW (404 to any
other: the page does not exist for them)."""

import os

from flask import Blueprint, Response, abort, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from lms.core.transaction import discard
from lms.extensions import limiter

from .figures import Figures, allowed

bp = Blueprint("ops", __name__)


def _process_metrics():
    """This process's metrics, or every gunicorn worker's summed (PROMETHEUS_MULTIPROC_DIR)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@bp.route("/metrics")
@limiter.exempt
def metrics():
    if not allowed(request.remote_addr):
        abort(404)
    figures = CollectorRegistry()
    figures.register(Figures())
    body = _process_metrics() + generate_latest(figures)
    discard()  # a scrape writes nothing
    response = Response(body, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
