"""What the benchmarks share: a published hospitality course open for registration, a
gunicorn server of the app (or of the floor) on a free local port, and the CPU that processes
of this machine have used (from /proc), and the options of a benchmark's own database."""

import os
import socket
import subprocess
import sys
from datetime import time as clock
from datetime import timedelta

from lms.catalog import services as catalog
from lms.core.time import combine_local
from lms.core.types import utcnow


def open_course(partner_id, code, title, starts, capacity):
    """A published four-week hospitality course starting on ``starts``, registration open now
    until the day before, with a waitlist (flushed, not committed)."""
    return catalog.create_course(
        {
            "code": code,
            "title": title,
            "type": "hospitality",
            "partner_id": partner_id,
            "capacity": capacity,
            "starts_on": starts,
            "ends_on": starts + timedelta(days=27),
            "registration_opens_at": utcnow() - timedelta(days=1),
            "registration_closes_at": combine_local(starts - timedelta(days=1), clock(23, 59)),
            "requires_approval": False,
            "waitlist": True,
            "status": "published",
            "details": {"specialisation": "housekeeping", "destination": "JP"},
        }
    )


def free_port():
    """A local TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app_spec, env, workers, port, log_path, chdir, worker_class="sync", threads=1):
    """Start ``gunicorn app_spec`` with ``workers`` workers (of ``threads`` threads) on 127.0.0.1:``port`` from ``chdir``,
    with this environment plus ``env`` (never the test suite's database) and, as production,
    ``PYTHONOPTIMIZE=2`` unless the environment sets it, its output appended to ``log_path``. Returns the process; :func:`stop_gunicorn` ends it and closes the log."""
    environment = dict(os.environ)
    environment.pop("TEST_DATABASE_URL", None)
    environment.update(env, PYTHONUNBUFFERED="1")
    # as production runs it (deploy/systemd/latih-web@.service): without docstrings;
    # PYTHONOPTIMIZE= (empty) in the environment runs it with them
    environment.setdefault("PYTHONOPTIMIZE", "2")
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(chdir),
        "--log-level",
        "warning",
        "--access-logfile",
        "/dev/null",
        app_spec,
    ]
    process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process


def stop_gunicorn(process):
    """Stop a server of :func:`start_gunicorn` (TERM, then KILL after 15 s) and close its log."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    process.log.close()


# --- CPU of the processes involved (this machine's /proc) ----------------------------------------


def cpu_ticks(pid):
    """User + system CPU ticks of a process so far (None when gone or unreadable)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def children(pid):
    """The direct children of a process (gunicorn's workers of its master)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as found:
            return [int(c) for c in found.read().split()]
    except OSError:
        return []


def postgres_backends(database):
    """The PostgreSQL backends serving ``database`` on this machine (by their command line)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                line = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if line.startswith("postgres:") and f" {database} " in f" {line} ":
            pids.append(int(name))
    return pids


def cpu_seconds(pids):
    """CPU seconds the processes ``pids`` have used so far (None when none could be read)."""
    ticks = [t for t in map(cpu_ticks, pids) if t is not None]
    return sum(ticks) / os.sysconf("SC_CLK_TCK") if ticks else None


def add_database_options(parser):
    """``--database-url`` and ``--reset``, as every benchmark that builds its own database takes
    them."""
    parser.add_argument(
        "--database-url", help="PostgreSQL URL of an empty database; default a fresh SQLite file"
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="drop and recreate the public schema of --database-url if it holds tables",
    )
