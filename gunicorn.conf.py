"""gunicorn settings for Latih in production: ``gunicorn -c gunicorn.conf.py``.

Each setting can be changed from the environment (GUNICORN_BIND, GUNICORN_WORKERS, ...) without
editing this file. Large downloads (a year's attendance as CSV) stream for minutes: threaded
workers keep answering the master's heartbeat while a thread streams, so ``timeout`` only ends
a worker that hangs as a whole, never a download in progress.
"""

import os


def _env(name, default):
    return os.environ.get(f"GUNICORN_{name}", default)


#: the application (create_app reads LMS_CONFIG and the rest from the environment)
wsgi_app = "lms:create_app()"
#: behind nginx on the same machine; a list separated by commas for several addresses
bind = [address.strip() for address in _env("BIND", "127.0.0.1:8000").split(",")]
#: processes: 2-4 for a province; more than one needs REDIS_URL (rate limits are shared there)
workers = int(_env("WORKERS", "2"))
#: threaded workers: a slow request or a long download holds a thread, not the process
worker_class = "gthread"
#: threads per worker: requests served at once per process
threads = int(_env("THREADS", "4"))
#: seconds a worker may stay silent (hung as a whole) before the master restarts it; with
#: threaded workers a long request does not make it silent
timeout = int(_env("TIMEOUT", "60"))
#: seconds running requests (a download) get to finish on a restart or a stop
graceful_timeout = int(_env("GRACEFUL_TIMEOUT", "300"))
#: seconds an idle kept-alive connection stays open (nginx reuses them)
keepalive = int(_env("KEEPALIVE", "5"))
#: logs to standard output and error (journald or the container keeps them); a path also works
accesslog = _env("ACCESSLOG", "-")
errorlog = _env("ERRORLOG", "-")
loglevel = _env("LOGLEVEL", "info")
#: the access log without query strings nor the referrer (a search for a NIK must not end up in
#: a log file): client, time, method, path only, protocol, status, bytes, milliseconds, agent
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
