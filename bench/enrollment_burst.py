"""Enrolment burst: N trainees enrol in one 10-seat course with a waitlist at the same moment.

Not a test: it prints figures and asserts nothing. It builds a fresh database (an SQLite file in
a temporary folder, or the PostgreSQL database given with --database-url), runs the migrations,
creates a course, N trainees and their API tokens, starts gunicorn as production runs it
(gunicorn.conf.py; 2 workers of 4 threads) on a free local port against that database, fires N
concurrent ``POST /api/v1/courses/{id}/enrollments`` (asyncio, one raw socket per request, all
released at once), then a second burst of concurrent requests from one trainee, and prints:
requests per second, p50/p95/p99 latency, the status codes, the CPU per request of the client,
gunicorn and PostgreSQL, and what the database holds (a "seats ok" or "OVERBOOKED" line, the
waitlist order, duplicates).

    .venv/bin/python bench/enrollment_burst.py                       # SQLite, 300 trainees
    .venv/bin/python bench/enrollment_burst.py --trainees 1000 --capacity 30
    .venv/bin/python bench/enrollment_burst.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench    # an empty database

A PostgreSQL database that already holds tables is refused unless --reset is given, which drops
and recreates its ``public`` schema.
"""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import common  # noqa: E402
import flask_migrate  # noqa: E402
import requests  # noqa: E402
from common import free_port, open_course, stop_gunicorn  # noqa: E402
from sqlalchemy import func, inspect, select, text  # noqa: E402

from config import TestingConfig  # noqa: E402
from lms import create_app  # noqa: E402
from lms.auth import services as auth  # noqa: E402
from lms.catalog.models import Course  # noqa: E402
from lms.core.time import local_today  # noqa: E402
from lms.enrollment.models import Enrollment  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.partners.models import Partner  # noqa: E402

PASSWORD = "burst-Latih-2026"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainees", type=int, default=300, help="distinct trainees (300)")
    parser.add_argument("--capacity", type=int, default=10, help="seats of the course (10)")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn workers (2: one per core on a 2-core machine, as the README's deployment "
        "recommends)",
    )
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=4,
        help="threads per gunicorn worker (4, gunicorn.conf.py's); 0: sync workers",
    )
    parser.add_argument(
        "--client",
        choices=("asyncio", "threads"),
        default="asyncio",
        help="asyncio: one raw socket per request in one thread (cheap); threads: a pool of "
        "threads with requests (the client of earlier figures)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="--client threads: threads; 0 = one per trainee, at most 500",
    )
    parser.add_argument(
        "--duplicates",
        type=int,
        default=10,
        help="concurrent requests of one more trainee after the burst (10; 0 skips it)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="first a burst of GET /api/v1/me from the same trainees: the cheapest request "
        "with a token (HTTP, Flask, the token's check, a JSON answer), the floor under the "
        "enrolment's figures; on PostgreSQL, after the burst, the same burst into the bare "
        "enrolment of bench/floor_app.py (the least any Flask app can do)",
    )
    parser.add_argument("--timeout", type=float, default=60, help="seconds per request (60)")
    parser.add_argument(
        "--deadline", type=float, default=300, help="seconds for the whole burst (300)"
    )
    common.add_database_options(parser)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    return parser.parse_args(argv)


# --- the database -------------------------------------------------------------------------------


def nik_for(n):
    """A structurally valid NIK, unique per n (Lampung Timur, born 17 May 1995 + n // 9999 days)."""
    day = 1 + (n // 9999) % 28
    return f"180701{day:02d}0595{1 + n % 9999:04d}"


def prepare(app, args):
    """Migrate, then make a partner, the course, the trainees and their tokens (one commit)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        tables = inspect(engine).get_table_names()
        if tables and not args.reset:
            sys.exit(
                f"{engine.url.render_as_string(hide_password=True)} holds {len(tables)} tables; "
                "give an empty database, or --reset to drop its public schema"
            )
        if tables:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
    flask_migrate.upgrade()

    today = local_today()
    partner = Partner(
        name="BLK Bench", kind="vocational_centre", mou_valid_until=today + timedelta(days=365)
    )
    db.session.add(partner)
    db.session.flush()
    starts = today + timedelta(days=30)
    course = open_course(
        partner.id, "BENCH-BURST-01", "Tata Graha (uji beban)", starts, args.capacity
    )
    # the bare floor's own course (--floor): the same trainees enrol there after Latih's burst
    floor_course = open_course(
        partner.id, "BENCH-FLOOR-01", "Tata Graha (lantai)", starts, args.capacity
    )
    tokens = []
    for n in range(1, args.trainees + 2):  # the last one sends the duplicates
        user = auth.create_user(
            email=f"burst{n:05d}@bench.example",
            password=PASSWORD,
            name=f"Peserta Uji {n:05d}",
            role="trainee",
            nik=nik_for(n),
            birth_date=date(1995, 5, 17),
            gender="female" if n % 2 else "male",
            phone=f"0812{n:08d}",
            regency_code="18.07",
            target_group="cpmi",
        )
        token, _row = auth.issue_api_token(user)
        tokens.append((user.id, token))
    db.session.commit()
    return course.id, floor_course.id, tokens[:-1], tokens[-1]


def database_figures(app, course_id, duplicate_user_id):
    """What the database holds after the bursts."""
    with app.app_context():
        course = db.session.get(Course, course_id)
        by_status = dict(
            db.session.execute(
                select(Enrollment.status, func.count())
                .where(Enrollment.course_id == course_id)
                .group_by(Enrollment.status)
            ).all()
        )
        tickets = db.session.scalars(
            select(Enrollment.waitlist_position).where(
                Enrollment.course_id == course_id, Enrollment.status == "waitlisted"
            )
        ).all()
        per_user = db.session.execute(
            select(Enrollment.user_id, func.count())
            .where(Enrollment.course_id == course_id)
            .group_by(Enrollment.user_id)
            .having(func.count() > 1)
        ).all()
        active_user_ids = set(
            db.session.scalars(
                select(Enrollment.user_id).where(
                    Enrollment.course_id == course_id,
                    Enrollment.status.in_(("enrolled", "waitlisted")),
                )
            )
        )
        duplicate_rows = db.session.scalar(
            select(func.count()).where(
                Enrollment.course_id == course_id, Enrollment.user_id == duplicate_user_id
            )
        )
        figures = {
            "capacity": course.capacity,
            "enrolled_count": course.enrolled_count,
            "by_status": by_status,
            "tickets": tickets,
            "users_with_two_rows": len(per_user),
            "active_user_ids": active_user_ids,
            "duplicate_rows": duplicate_rows,
        }
        db.session.remove()
        return figures


# --- the server ---------------------------------------------------------------------------------


def start_gunicorn(uri, workers, threads, port, log_path):
    """gunicorn as production runs it (gunicorn.conf.py: threaded workers, its backlog, JSON
    access log, metrics, Python's ``-OO``), with ``workers`` workers of ``threads`` threads (0: sync workers) on
    ``port``, configured through LMS_* variables."""
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn.conf.py makes a private one
    env.update(
        LMS_CONFIG="testing",
        LMS_SQLALCHEMY_DATABASE_URI=uri,
        LMS_RATELIMIT_ENABLED="false",
        PYTHONUNBUFFERED="1",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(workers),
        GUNICORN_THREADS=str(max(threads, 1)),
        GUNICORN_TIMEOUT="120",
        GUNICORN_LOGLEVEL="warning",
    )
    env.setdefault("PYTHONOPTIMIZE", "2")  # as deploy/systemd/latih-web@.service
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the process)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--chdir",
        str(ROOT),
    ]
    if threads == 0:
        command += ["--worker-class", "sync"]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process


def wait_until_ready(base, process, workers, seconds=60):
    """Poll until the app answers, then warm every worker up with a few concurrent reads."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(f"{base}/api/v1/course-types", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not answer in time")
        time.sleep(0.2)
    time.sleep(1.0)  # the other workers finish booting
    with ThreadPoolExecutor(workers * 4) as pool:
        list(pool.map(lambda _: requests.get(f"{base}/api/v1/regencies", timeout=10), range(16)))


# --- the burst ----------------------------------------------------------------------------------


def burst(url, tokens, threads, timeout, deadline):
    """POST once per token, every request released at the same moment.

    Returns (results, seconds): results are dicts with status (an int, or the name of the client
    error), latency in seconds and the JSON body.
    """
    go = threading.Event()

    def one(token):
        go.wait(timeout)
        started = time.perf_counter()
        try:
            response = requests.post(
                url,
                json={},
                headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
                timeout=timeout,
            )
            status = response.status_code
            try:
                body = response.json()
            except ValueError:
                body = response.text[:300]
        except requests.RequestException as exc:
            status, body = type(exc).__name__, None
        return {"status": status, "latency": time.perf_counter() - started, "body": body}

    pool = ThreadPoolExecutor(max_workers=threads)
    futures = [pool.submit(one, token) for token in tokens]
    time.sleep(0.5)  # let the threads reach the start line
    started = time.perf_counter()
    go.set()
    done, not_done = wait(futures, timeout=deadline)
    elapsed = time.perf_counter() - started
    for future in not_done:
        future.cancel()
    pool.shutdown(wait=False, cancel_futures=True)
    results = [f.result() for f in done]
    results += [{"status": "deadline", "latency": None, "body": None} for _ in not_done]
    return results, elapsed


def _raw_request(url, token, method="POST"):
    """The bytes of the request (a POST with ``{}``, or a GET), ready to send (HTTP/1.1, the
    connection closed after it)."""
    rest = url.split("://", 1)[1]
    hostport, _slash, path = rest.partition("/")
    body = b"{}" if method == "POST" else b""
    content = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
    return (
        f"{method} /{path} HTTP/1.1\r\nHost: {hostport}\r\nAuthorization: Bearer {token}\r\n"
        f"Accept-Language: en\r\n{content}Connection: close\r\n\r\n"
    ).encode() + body


def _parse_response(data):
    """(status, body) of a raw HTTP/1.x response read to its end (no chunked encoding: the app
    answers with a Content-Length)."""
    head, _sep, payload = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    try:
        body = json.loads(payload)
    except ValueError:
        body = payload[:300].decode(errors="replace")
    return status, body


def burst_asyncio(url, tokens, timeout, deadline, method="POST"):
    """POST (or ``method``) once per token from one thread: every connection opened at the same moment, one
    socket per request (no keep-alive), each request's latency measured from its connect to
    the end of its response. Returns (results, seconds) like ``burst``."""
    host, port = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)
    port = int(port)

    async def one(token, go):
        await go.wait()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port)
                try:
                    writer.write(_raw_request(url, token, method))
                    data = await reader.read()  # to EOF: the server closes the connection
                finally:
                    writer.close()
            status, body = _parse_response(data)
        except (OSError, TimeoutError, ValueError, IndexError) as exc:
            status, body = type(exc).__name__, None
        return {"status": status, "latency": time.perf_counter() - started, "body": body}

    async def run():
        go = asyncio.Event()
        tasks = [asyncio.ensure_future(one(token, go)) for token in tokens]
        await asyncio.sleep(0.2)  # every task waits at the start line
        started = time.perf_counter()
        go.set()
        done, not_done = await asyncio.wait(tasks, timeout=deadline)
        elapsed = time.perf_counter() - started
        for task in not_done:
            task.cancel()
        results = [t.result() for t in done]
        results += [{"status": "deadline", "latency": None, "body": None} for _ in not_done]
        return results, elapsed

    return asyncio.run(run())


# --- CPU of the processes involved (this machine's /proc) ----------------------------------------


def process_cpu(gunicorn_pid=None, database=None):
    """{"server": gunicorn's master and workers, "postgresql": the backends of ``database``}:
    CPU seconds used so far (a key is missing when nothing was found). Backends that ended are
    not counted: read it before and after with the same connections open."""
    found = {}
    if gunicorn_pid is not None:
        found["server"] = common.cpu_seconds([gunicorn_pid, *common.children(gunicorn_pid)]) or 0.0
    if database:
        backends = common.cpu_seconds(common.postgres_backends(database))
        if backends is not None:
            found["postgresql"] = backends
    return found


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(p / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def p99(results):
    """The 99th percentile of the answered requests' latencies, in seconds."""
    return percentile(sorted(r["latency"] for r in results if r["latency"] is not None), 99)


def show(results, elapsed, label):
    latencies = sorted(r["latency"] for r in results if r["latency"] is not None)
    answered = [r for r in results if isinstance(r["status"], int)]
    codes = Counter(r["status"] for r in results)
    print(f"{label}: {len(results)} requests in {elapsed:.2f} s")
    print(f"  requests per second: {len(answered) / elapsed:.1f}")
    if latencies:
        print(
            "  latency ms: p50 {:.0f}  p95 {:.0f}  p99 {:.0f}  max {:.0f}".format(
                *(1000 * percentile(latencies, p) for p in (50, 95, 99, 100))
            )
        )
    print("  status codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items(), key=str)))
    kinds = Counter(
        r["body"].get("status") if r["status"] == 201 else r["body"]["error"]["code"]
        for r in answered
        if isinstance(r["body"], dict) and (r["status"] == 201 or "error" in r["body"])
    )
    print("  outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())))
    failures = [r for r in results if not isinstance(r["status"], int) or r["status"] >= 500]
    for r in failures[:3]:
        print(f"  failure: {r['status']} {str(r['body'])[:300]}")
    return failures


def main(argv=None):
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="latih-burst-"))
    uri = args.database_url or f"sqlite:///{folder / 'burst.sqlite'}"
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": uri})
    process = None
    try:
        with app.app_context():
            backend = db.engine.dialect.name
            database = db.engine.url.database if backend == "postgresql" else None
            print(f"database: {backend} ({db.engine.url.render_as_string(hide_password=True)})")
            began = time.perf_counter()
            course_id, floor_course_id, tokens, (dup_user_id, dup_token) = prepare(app, args)
            print(
                f"prepared {args.trainees + 1} trainees and a {args.capacity}-seat course "
                f"in {time.perf_counter() - began:.1f} s"
            )
            db.session.remove()
            db.engine.dispose()

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = start_gunicorn(
            uri, args.workers, args.worker_threads, port, folder / "gunicorn.log"
        )
        wait_until_ready(base, process, args.workers)
        kind = (
            f"threaded workers of {args.worker_threads} threads"
            if args.worker_threads
            else "sync workers"
        )
        print(f"gunicorn (gunicorn.conf.py): {args.workers} {kind} on {base} (pid {process.pid})")
        url = f"{base}/api/v1/courses/{course_id}/enrollments"

        def fire(batch, threads):
            if args.client == "asyncio":
                return burst_asyncio(url, batch, args.timeout, args.deadline)
            return burst(url, batch, threads, args.timeout, args.deadline)

        threads = args.threads or min(len(tokens), 500)
        client = (
            "asyncio, one socket per request"
            if args.client == "asyncio"
            else (f"{threads} threads")
        )

        def measured(label, send, server=None):
            """Run ``send()`` (a burst), print its figures and the CPU per request of this
            client, ``server`` (Latih's gunicorn) and PostgreSQL."""
            server = server or process
            load_before = os.getloadavg()
            before = process_cpu(server.pid, database)
            client_cpu = time.process_time()
            results, elapsed = send()
            client_cpu = time.process_time() - client_cpu
            after = process_cpu(server.pid, database)
            failed = show(results, elapsed, label)
            n = len(results)
            spent = {k: after[k] - before[k] for k in after if k in before}
            parts = [f"client {1000 * client_cpu / n:.2f}"] + [
                f"{name} {1000 * seconds / n:.2f}" for name, seconds in spent.items()
            ]
            total = client_cpu + sum(spent.values())
            print(
                "  CPU ms per request: " + ", ".join(parts) + f"; together {1000 * total / n:.2f} "
                f"(the burst's {elapsed:.2f} s on {os.cpu_count()} cores hold "
                f"{1000 * elapsed * os.cpu_count() / n:.2f})"
            )
            print(
                "  load average before the burst: "
                + ", ".join(f"{x:.2f}" for x in load_before)
                + "; after: "
                + ", ".join(f"{x:.2f}" for x in os.getloadavg())
            )
            return results, failed

        everyone = [t for _id, t in tokens]
        if args.floor:
            me = f"{base}/api/v1/me"
            measured(
                f"floor: GET /api/v1/me, {len(tokens)} trainees (asyncio, one socket per request)",
                lambda: burst_asyncio(me, everyone, args.timeout, args.deadline, method="GET"),
            )
            time.sleep(2)  # the server's sockets settle
        results, failures = measured(
            f"burst of {len(tokens)} trainees ({client})", lambda: fire(everyone, threads)
        )

        dup_results = []
        if args.duplicates:
            dup_results, dup_elapsed = fire([dup_token] * args.duplicates, args.duplicates)
            failures += show(dup_results, dup_elapsed, f"one trainee, {args.duplicates} requests")

        figures = database_figures(app, course_id, dup_user_id)
        by_status = figures["by_status"]
        enrolled, waitlisted = by_status.get("enrolled", 0), by_status.get("waitlisted", 0)
        print(
            f"database: enrolled {enrolled}, waitlisted {waitlisted}, other "
            f"{sum(by_status.values()) - enrolled - waitlisted}; course.enrolled_count "
            f"{figures['enrolled_count']} of {figures['capacity']} seats"
        )
        if enrolled <= figures["capacity"] and figures["enrolled_count"] == enrolled:
            print("seats ok")
        else:
            print(
                f"OVERBOOKED: {enrolled} enrolled rows, enrolled_count "
                f"{figures['enrolled_count']}, capacity {figures['capacity']}"
            )

        created = [r["body"] for r in results if r["status"] == 201]
        positions = sorted(b["waitlist_position"] for b in created if b["status"] == "waitlisted")
        expected = list(range(1, len(positions) + 1))
        tickets = figures["tickets"]
        if positions == expected:
            order = f"1..{len(positions)} without gaps or repeats"
        else:
            order = f"NOT 1..N: {describe_gaps(positions)}"
        print(
            f"waitlist: positions answered {order}; "
            f"{len(set(tickets))} distinct tickets for {len(tickets)} waitlisted rows"
        )
        answered_ids = {b["user"]["id"] for b in created}
        active_ids = figures["active_user_ids"] - {dup_user_id}
        print(
            f"trainees answered 201: {len(answered_ids)}; of them without an active row (lost): "
            f"{len(answered_ids - active_ids)}; active rows without a 201: "
            f"{len(active_ids - answered_ids)}; trainees with two rows: "
            f"{figures['users_with_two_rows']}"
        )
        if args.duplicates:
            print(
                f"one trainee, {args.duplicates} concurrent requests: "
                f"{figures['duplicate_rows']} enrolment row(s)"
            )
        fives = len(failures)
        print(f"5xx or failed requests: {fives}")
        if args.floor and database is not None:
            bare_floor(args, uri, folder, floor_course_id, everyone, measured, p99(results))
        if fives:
            log_text = (folder / "gunicorn.log").read_text(errors="replace")
            tracebacks = log_text.count("Traceback")
            print(f"gunicorn log ({tracebacks} tracebacks), last lines:")
            print("\n".join("  " + line for line in log_text.splitlines()[-25:]))
    finally:
        if process is not None:
            stop_gunicorn(process)
        with app.app_context():
            db.engine.dispose()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def bare_floor(args, uri, folder, course_id, tokens, measured, latih_p99):
    """The same burst into the floor app's bare enrolment (bench/floor_app.py: psycopg, no rules,
    no message), served with Latih's worker settings: what any Flask app on this machine costs
    for an exact enrolment; then Latih's p99 (``latih_p99``) as a multiple of the floor's."""
    port = free_port()
    server = common.start_gunicorn(
        "floor_app:app",
        {"FLOOR_PG": uri.replace("+psycopg", "")},
        args.workers,
        port,
        folder / "floor.log",
        ROOT / "bench",
        worker_class="gthread" if args.worker_threads else "sync",
        threads=max(args.worker_threads, 1),
    )
    try:
        url = f"http://127.0.0.1:{port}/enrol/{course_id}"
        deadline = time.monotonic() + 60
        while not _answers(f"http://127.0.0.1:{port}/"):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the floor app did not start (floor.log says why)")
            time.sleep(0.2)
        time.sleep(2)  # the server's sockets settle
        results, failures = measured(
            f"bare floor: POST /enrol (bench/floor_app.py), {len(tokens)} trainees (asyncio, "
            "one socket per request)",
            lambda: burst_asyncio(url, tokens, args.timeout, args.deadline),
            server,
        )
        created = [r["body"] for r in results if r["status"] == 201]
        enrolled = sum(1 for b in created if b["status"] == "enrolled")
        positions = sorted(b["waitlist_position"] for b in created if b["status"] == "waitlisted")
        exact = enrolled == args.capacity and positions == list(range(1, len(positions) + 1))
        print(
            f"  bare floor: {enrolled} enrolled, {len(positions)} waitlisted, "
            f"{'exact' if exact else 'NOT EXACT'}, {len(failures)} 5xx or failed"
        )
        print(f"Latih's p99 / the bare floor's p99: {latih_p99 / p99(results):.2f} ×")
    finally:
        stop_gunicorn(server)


def _answers(url):
    """Whether a server answers at ``url`` at all (any status)."""
    try:
        requests.get(url, timeout=2)
    except requests.RequestException:
        return False
    return True


def describe_gaps(positions):
    counts = Counter(positions)
    repeats = sorted(p for p, n in counts.items() if n > 1)
    top = max(positions, default=0)
    missing = [p for p in range(1, top + 1) if p not in counts]
    return f"repeated {repeats[:10]}, missing {missing[:10]}, highest {top}"


if __name__ == "__main__":
    main()
