"""The process's Prometheus metrics (prometheus_client): requests by endpoint, their latency,
and the waits for row locks (a course's seats). Under gunicorn, PROMETHEUS_MULTIPROC_DIR makes
each worker write its figures to files that /metrics sums (see gunicorn.conf.py)."""

import time
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

#: requests answered, by endpoint (the view's name, never the URL), method and status
REQUESTS = Counter(
    "lms_http_requests_total", "HTTP requests answered", ["endpoint", "method", "status"]
)
#: seconds from the request's start to its response, by endpoint and method
LATENCY = Histogram(
    "lms_http_request_duration_seconds",
    "Seconds to answer an HTTP request",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
#: seconds a transaction waited for a row lock (courses: the enrolment's seat decision)
LOCK_WAIT = Histogram(
    "lms_row_lock_wait_seconds",
    "Seconds waited for a row lock",
    ["table"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


@contextmanager
def lock_wait(table):
    """Time a row lock's wait into LOCK_WAIT."""
    started = time.perf_counter()
    try:
        yield
    finally:
        LOCK_WAIT.labels(table=table).observe(time.perf_counter() - started)
