"""The catalogue's fast path: Latih's ``/courses/`` beside the floor, in the same run.

Not a test: it prints figures and asserts nothing. For each size (9, 1,000, 10,000 and 100,000
published courses by default) it fills a Latih database up to that size (an SQLite file in a
temporary folder, or the empty PostgreSQL database given with --database-url; the migrations
build it), serves it with gunicorn (``-w 2`` sync workers, the production configuration) and
loads ``/courses/`` with ``--connections`` (10) concurrent keep-alive connections for
``--seconds``, in ``--rounds`` rounds alternating with the same load against the floor (``bench/floor_app.py``: a bare Flask app that
renders 50 courses read with raw ``sqlite3``), served the same way. It prints requests per
second, p50 and p99 latency (the median round's), the workers' CPU milliseconds per request and
the largest worker's memory after the run (RSS, PSS and USS: see bench/README.md), with Latih's
requests per second as a share of the floor's.
On a shared machine the CPU per request is the steadier figure: requests per second follow
whatever else runs.

The load generator is wrk when it is installed (``apt-get install wrk``), otherwise a small
Python one (threads with keep-alive connections; it takes a share of the CPU itself, so the
figures are lower on both sides).

    .venv/bin/python bench/catalogue.py
    .venv/bin/python bench/catalogue.py --sizes 9,1000 --seconds 5
    createdb -h 127.0.0.1 -U postgres catbench
    .venv/bin/python bench/catalogue.py --database-url postgresql://postgres@127.0.0.1:5432/catbench
"""

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import flask_migrate  # noqa: E402
from common import add_database_options, free_port, start_gunicorn, stop_gunicorn  # noqa: E402
from sqlalchemy import func, insert, inspect, select, text  # noqa: E402

from config import TestingConfig  # noqa: E402
from lms import create_app  # noqa: E402
from lms.auth.models import User  # noqa: E402
from lms.catalog.models import Course, course_trainers  # noqa: E402
from lms.core.time import local_today  # noqa: E402
from lms.core.types import utcnow  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.partners.models import Partner  # noqa: E402

TYPES = (
    ("hospitality", {"specialisation": "housekeeping", "destination": "JP"}),
    ("language", {"language": "ja", "target_level": "N5"}),
    ("entrepreneurship", {}),
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="9,1000,10000,100000", help="courses, comma-separated")
    parser.add_argument("--seconds", type=float, default=5, help="seconds of load per round")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of floor-then-Latih per size (3)"
    )
    parser.add_argument("--connections", type=int, default=10, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    add_database_options(parser)
    parser.add_argument("--path", default="/courses/", help="the page to load (/courses/)")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator")
    parser.add_argument(
        "--no-page-cache",
        action="store_true",
        help="render every page (LMS_CATALOG_PAGE_CACHE_SECONDS=0): the cost of a cache miss",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


# --- the data -----------------------------------------------------------------------------------


def prepare(args):
    engine = db.engine
    if engine.dialect.name == "postgresql":
        tables = inspect(engine).get_table_names()
        if tables and not args.reset:
            sys.exit("the database holds tables: give an empty one, or --reset")
        if tables:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    flask_migrate.upgrade()
    today = local_today()
    now = utcnow()
    partners = [
        {
            "name": f"Mitra Uji {i:02d}",
            "kind": "vocational_centre",
            "mou_valid_until": today + timedelta(days=365),
        }
        for i in range(12)
    ]
    db.session.execute(insert(Partner), partners)
    partner_ids = db.session.scalars(select(Partner.id).order_by(Partner.id)).all()
    db.session.execute(
        insert(User),
        [
            {
                "email": f"pelatih{i:02d}@bench.example",
                "password_hash": "-",
                "name": f"Pelatih Uji {i:02d}",
                "role": "trainer",
                "partner_id": partner_ids[i % len(partner_ids)],
                "active": True,
                "session_version": 1,
                "created_at": now,
            }
            for i in range(36)
        ],
    )
    db.session.commit()


def fill(target):
    """Add published courses (each with a trainer of its partner) until there are ``target``."""
    have = db.session.scalar(select(func.count()).select_from(Course))
    today, now = local_today(), utcnow()
    partner_ids = db.session.scalars(select(Partner.id).order_by(Partner.id)).all()
    trainers = db.session.execute(select(User.id, User.partner_id).order_by(User.id)).all()
    by_partner = {}
    for user_id, partner_id in trainers:
        by_partner.setdefault(partner_id, []).append(user_id)
    while have < target:
        chunk = range(have, min(target, have + 5000))
        rows = []
        for i in chunk:
            type_key, details = TYPES[i % len(TYPES)]
            starts = today + timedelta(days=(i * 7) % 700 - 350)
            rows.append(
                {
                    "code": f"CAT-{i:06d}",
                    "title": f"Pelatihan uji {i}",
                    "type_key": type_key,
                    "partner_id": partner_ids[i % len(partner_ids)],
                    "capacity": 30,
                    "enrolled_count": i % 31,
                    "starts_on": starts,
                    "ends_on": starts + timedelta(days=27),
                    "registration_opens_at": now - timedelta(days=10 + i % 5),
                    "registration_closes_at": now + timedelta(days=5 + i % 20),
                    "requires_approval": False,
                    "waitlist": bool(i % 2),
                    "status": "published" if i % 10 else "closed",
                    "location": "Bandar Lampung",
                    "target_groups": [],
                    "details": details,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        db.session.execute(insert(Course), rows)
        ids = db.session.execute(
            select(Course.id, Course.partner_id).where(Course.code.in_([r["code"] for r in rows]))
        ).all()
        db.session.execute(
            insert(course_trainers),
            [
                {"course_id": cid, "user_id": by_partner[pid][cid % len(by_partner[pid])]}
                for cid, pid in ids
            ],
        )
        db.session.commit()
        have += len(chunk)
    analyse = "ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    db.session.execute(text(analyse))
    db.session.commit()


# --- the servers --------------------------------------------------------------------------------


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_ready(port, process, path, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            status, body = get(port, path)
            if status == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not answer in time")
        time.sleep(0.2)
    for _ in range(40):  # every worker warm
        get(port, path)
    return body


def workers_of(master):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                children.append(int(entry))
    return children


def cpu_seconds(pids):
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def memory_mb(pid):
    """Resident (RSS), proportional (PSS: shared pages divided among the processes sharing them)
    and unique (USS: private pages, what stopping the process would free) memory, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return {
        "rss": fields["Rss"],
        "pss": fields["Pss"],
        "uss": fields["Private_Clean"] + fields["Private_Dirty"],
    }


# --- the load -----------------------------------------------------------------------------------


def _seconds(value):
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60}[unit]


def load_wrk(port, path, connections, seconds):
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{int(seconds)}s",
            "--latency",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    elapsed = _seconds(re.search(r"requests in ([\d.]+\w+),", out).group(1))
    p50 = _seconds(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _seconds(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return requests, elapsed, p50, p99, int(errors.group(1)) if errors else 0


def load_python(port, path, connections, seconds):
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def run():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 200:
                with lock:
                    errors[0] += 1
        connection.close()
        with lock:
            latencies.extend(mine)

    began = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))]

    return len(latencies), elapsed, pct(50), pct(99), errors[0]


def measure_once(process, port, args):
    workers = workers_of(process.pid)
    before = cpu_seconds(workers)
    load = load_python if args.python_load or not shutil.which("wrk") else load_wrk
    requests, elapsed, p50, p99, errors = load(port, args.path, args.connections, args.seconds)
    return {
        "requests": requests,
        "elapsed": elapsed,
        "p50": p50 * 1000,
        "p99": p99 * 1000,
        "cpu": cpu_seconds(workers) - before,
        "memory": max((memory_mb(pid) for pid in workers), key=lambda m: m["rss"]),
        "server_pss": sum(memory_mb(pid)["pss"] for pid in [process.pid, *workers]),
        "errors": errors,
    }


def combine(runs):
    """One line of figures from several rounds: requests per second and CPU over all of them,
    the median round's p50 and p99, the largest worker."""
    requests = sum(r["requests"] for r in runs)

    def median(key):
        values = sorted(r[key] for r in runs)
        return values[len(values) // 2]

    return {
        "rps": requests / sum(r["elapsed"] for r in runs),
        "p50": median("p50"),
        "p99": median("p99"),
        "cpu_ms": 1000 * sum(r["cpu"] for r in runs) / max(requests, 1),
        "memory": max((r["memory"] for r in runs), key=lambda m: m["rss"]),
        "server_pss": max(r["server_pss"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


def measure_pair(floor, floor_port, latih, port, args):
    """Rounds of the floor then Latih, one after the other, so that both see the same machine."""
    floor_runs, latih_runs = [], []
    for _ in range(args.rounds):
        floor_runs.append(measure_once(floor, floor_port, args))
        latih_runs.append(measure_once(latih, port, args))
    return combine(floor_runs), combine(latih_runs)


def row(label, figures):
    return (
        f"{label:<28} {figures['rps']:>8.0f} {figures['p50']:>8.1f} {figures['p99']:>8.1f} "
        f"{figures['cpu_ms']:>8.2f} {figures['memory']['rss']:>7.1f} "
        f"{figures['memory']['pss']:>7.1f} {figures['memory']['uss']:>7.1f}"
        + (f"  NON-2xx: {figures['errors']}" if figures["errors"] else "")
    )


def main(argv=None):
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="latih-catalogue-"))
    uri = args.database_url or f"sqlite:///{folder / 'latih.sqlite'}"
    floor_db = folder / "floor.sqlite"
    subprocess.run([sys.executable, str(BENCH / "floor_app.py"), str(floor_db)], check=True)
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": uri})
    floor = None
    load_name = "python" if args.python_load or not shutil.which("wrk") else "wrk"
    try:
        with app.app_context():
            backend = db.engine.dialect.name
            prepare(args)
        floor_port = free_port()
        floor = start_gunicorn(
            "floor_app:app",
            {"FLOOR_DB": str(floor_db)},
            args.workers,
            floor_port,
            folder / "floor.log",
            BENCH,
        )
        wait_ready(floor_port, floor, "/courses/")
        print(
            f"Latih on {backend} vs the floor (SQLite, 50 courses); gunicorn -w {args.workers} "
            f"sync; {load_name}, {args.connections} connections, {args.rounds} rounds of "
            f"{args.seconds:g} s each, alternating; anonymous page cache "
            + ("off" if args.no_page_cache else "on")
        )
        header = (
            f"{'':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms':>8} {'RSS MB':>7} "
            f"{'PSS MB':>7} {'USS MB':>7}"
        )
        for size in [int(s) for s in args.sizes.split(",")]:
            with app.app_context():
                fill(size)
                db.session.remove()
                db.engine.dispose()
            port = free_port()
            latih = start_gunicorn(
                "lms:create_app()",
                {
                    "LMS_CONFIG": "production",
                    "LMS_SQLALCHEMY_DATABASE_URI": uri,
                    "LMS_SECRET_KEY": "bench-only-secret-of-at-least-32-characters",
                    "LMS_PUBLIC_BASE_URL": "http://127.0.0.1",
                    "LMS_SINGLE_PROCESS": "true",
                    **({"LMS_CATALOG_PAGE_CACHE_SECONDS": "0"} if args.no_page_cache else {}),
                },
                args.workers,
                port,
                folder / "latih.log",
                ROOT,
            )
            try:
                body = wait_ready(port, latih, args.path)
                cards = body.count(b"course-card")
                floor_figures, latih_figures = measure_pair(floor, floor_port, latih, port, args)
            finally:
                stop_gunicorn(latih)
            print(f"\n{size:,} courses ({cards} on the page)\n{header}")
            print(row("floor", floor_figures))
            print(row(f"Latih ({backend})", latih_figures))
            mine, floors = latih_figures["memory"], floor_figures["memory"]
            print(
                f"Latih / floor: {latih_figures['rps'] / floor_figures['rps']:.2f} × req/s, "
                f"{latih_figures['cpu_ms'] / floor_figures['cpu_ms']:.1f} × CPU per request; "
                f"Latih's largest worker after the run: RSS {mine['rss']:.1f} MB, PSS "
                f"{mine['pss']:.1f} MB, USS {mine['uss']:.1f} MB (floor: RSS "
                f"{floors['rss']:.1f}, PSS {floors['pss']:.1f}, USS {floors['uss']:.1f} MB); "
                f"the whole server (master and workers, PSS): {latih_figures['server_pss']:.1f} MB "
                f"(floor {floor_figures['server_pss']:.1f} MB)"
            )
    finally:
        if floor is not None:
            stop_gunicorn(floor)
        with app.app_context():
            db.engine.dispose()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
