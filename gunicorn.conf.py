"""gunicorn settings for Latih in production: ``gunicorn -c gunicorn.conf.py``.

Each setting can be changed from the environment (GUNICORN_BIND, GUNICORN_WORKERS, ...) without
editing this file. Large downloads (a year's attendance as CSV) stream for minutes: threaded
workers keep answering the master's heartbeat while a thread streams, so ``timeout`` only ends
a worker that hangs as a whole, never a download in progress.
"""

import os
import shutil
import tempfile


def _env(name, default):
    return os.environ.get(f"GUNICORN_{name}", default)


#: the application (create_app reads LMS_CONFIG and the rest from the environment)
wsgi_app = "lms:create_app()"
#: behind nginx on the same machine; a list separated by commas for several addresses
bind = [address.strip() for address in _env("BIND", "127.0.0.1:8000").split(",")]
#: processes: 2-4 for a province; more than one needs REDIS_URL (rate limits are shared there)
workers = int(_env("WORKERS", "2"))
#: the app is built once, in the master, and each worker is a fork of it: the modules, mappers and
#: Babel's data are in memory once, shared, not once per worker (about 30 MB less per worker:
#: bench/README.md, "Worker memory"). New code then needs a restart (systemctl restart): a HUP
#: forks new workers from the code already loaded. GUNICORN_PRELOAD=false builds one per worker.
preload_app = _env("PRELOAD", "true").lower() != "false"
#: threaded workers: a slow request or a long download holds a thread, not the process
worker_class = "gthread"
#: threads per worker: requests served at once per process
threads = int(_env("THREADS", "4"))
#: no control socket ($HOME/.gunicorn/gunicorn.ctl, gunicorn 25's gunicornc): systemd starts,
#: reloads and stops the server (deploy/systemd), and no other door should
control_socket_disable = True
#: connections a worker holds at once (being answered, being read, or kept alive); beyond them
#: new ones wait in the backlog below
worker_connections = int(_env("WORKER_CONNECTIONS", "1000"))
#: connections waiting to be accepted: a registration surge (a thousand people at the same
#: minute) waits here, not refused; the kernel caps it at net.core.somaxconn (4096 on Debian 12)
backlog = int(_env("BACKLOG", "2048"))
#: seconds a worker may stay silent (hung as a whole) before the master restarts it; with
#: threaded workers a long request does not make it silent
timeout = int(_env("TIMEOUT", "60"))
#: seconds one database statement of a request may run, or wait for a lock, before PostgreSQL
#: cancels it: the request is answered 503 ("try again in a minute") and rolled back, and its
#: thread and connection are free again. The app's DATABASE_STATEMENT_TIMEOUT, for the web
#: processes only: the job worker, migrations and commands run without a limit. 0 for none
os.environ["LMS_DATABASE_STATEMENT_TIMEOUT"] = _env("STATEMENT_TIMEOUT", "30")
#: seconds running requests (a download) get to finish on a restart or a stop
graceful_timeout = int(_env("GRACEFUL_TIMEOUT", "300"))
#: seconds an idle kept-alive connection stays open (a client that talks to gunicorn itself;
#: nginx opens one per request: deploy/nginx/latih.conf)
keepalive = int(_env("KEEPALIVE", "5"))
#: logs to standard output and error (journald or the container keeps them); a path also works
accesslog = _env("ACCESSLOG", "-")
errorlog = _env("ERRORLOG", "-")
loglevel = _env("LOGLEVEL", "info")
#: the access log without query strings nor the referrer (a search for a NIK must not end up in
#: a log file): client, time, method, path only, protocol, status, bytes, milliseconds, agent
#: (the text form, when GUNICORN_JSON_LOGS=false)
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
#: logs as one JSON object per line, like the app's: the access line with the request id
#: (X-Request-ID), and its path scrubbed (a reset link's token, a NIK: see lms/core/logs.py)
if _env("JSON_LOGS", "true").lower() != "false":
    logger_class = "lms.core.logs.GunicornLogger"

# --- /metrics across the workers ---------------------------------------------------------------
# Each worker counts its own requests; prometheus_client's multiprocess mode has them write their
# figures to files in one folder, which /metrics sums. The folder is emptied when the server
# starts (figures of a previous run must not add up) and a dead worker's gauges are dropped.
#: the folder (PROMETHEUS_MULTIPROC_DIR): given by the environment, else a private one in /tmp
metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.path.join(
    tempfile.gettempdir(), f"latih-metrics-{os.getpid()}"
)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir


def on_starting(server):
    """Start with an empty metrics folder."""
    if os.path.isdir(metrics_dir):
        for name in os.listdir(metrics_dir):
            if name.endswith(".db"):
                os.remove(os.path.join(metrics_dir, name))
    os.makedirs(metrics_dir, mode=0o700, exist_ok=True)


def _preloaded_latih(server):
    """The app built in the master when it is Latih (the benchmarks serve their floor app with
    this file too), else None."""
    if not server.cfg.preload_app:
        return None
    from lms import Latih

    app = server.app.wsgi()
    return app if isinstance(app, Latih) else None


def when_ready(server):
    """With the app preloaded: load now what every worker's first pages would (lms.core.preload)."""
    app = _preloaded_latih(server)
    if app is not None:
        from lms.core import preload

        preload.warm(app)


def pre_fork(server, worker):
    """Keep the master's objects shared with the worker about to be forked."""
    if server.cfg.preload_app:
        from lms.core import preload

        preload.before_fork()


def post_fork(server, worker):
    """A new worker drops the database connections it inherited (none, normally)."""
    app = _preloaded_latih(server)
    if app is not None:
        from lms.core import preload

        preload.after_fork(app)


def child_exit(server, worker):
    """A worker that stopped: its live gauges no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the private folder made above (an operator's own folder stays)."""
    if metrics_dir.startswith(os.path.join(tempfile.gettempdir(), "latih-metrics-")):
        shutil.rmtree(metrics_dir, ignore_errors=True)
