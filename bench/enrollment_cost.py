"""What one enrolment costs: CPU and statements of ``POST /api/v1/courses/{id}/enrollments``.

Not a test: it prints figures and asserts nothing. It builds the burst's database (an SQLite file
in a temporary folder, or the PostgreSQL database given with --database-url; see
enrollment_burst.py), then sends N enrolments one after the other through the app in this process
(Flask's test client, no HTTP server), one per trainee, and prints per request:

- the CPU of this process (``time.process_time``: the app, SQLAlchemy, the driver);
- the CPU of the PostgreSQL server processes serving this database (from /proc, when the server
  runs on this machine);
- the SQL statements sent (counted with SQLAlchemy's ``before_cursor_execute``), by kind;

then, with --profile, cProfile's top functions by cumulative time over a second round.
Alternate --rounds to compare a change in the same run (the figures of the first round include
warming up; the script prints each round).

    .venv/bin/python bench/enrollment_cost.py --database-url \\
        postgresql://postgres@127.0.0.1:5432/bench --reset --requests 400 --profile
"""

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import add_database_options, cpu_seconds, postgres_backends  # noqa: E402
from enrollment_burst import prepare  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from config import TestingConfig  # noqa: E402
from lms import create_app  # noqa: E402
from lms.extensions import db  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="enrolments per round (300)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of --requests (2)")
    parser.add_argument("--capacity", type=int, default=30, help="seats of the course (30)")
    parser.add_argument("--profile", action="store_true", help="cProfile the last round")
    parser.add_argument("--top", type=int, default=40, help="functions shown by --profile (40)")
    parser.add_argument(
        "--show-statements", action="store_true", help="print the statements of the last request"
    )
    add_database_options(parser)
    return parser.parse_args(argv)


def server_cpu(database):
    """Seconds of CPU the backends of ``database`` have used so far (None off this machine)."""
    return None if database is None else cpu_seconds(postgres_backends(database))


def main(argv=None):
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="latih-cost-"))
    uri = args.database_url or f"sqlite:///{folder / 'cost.sqlite'}"
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": uri, "RATELIMIT_ENABLED": False})
    args.trainees = args.requests * args.rounds
    try:
        with app.app_context():
            backend = db.engine.dialect.name
            database = db.engine.url.database if backend == "postgresql" else None
            print(f"database: {backend} ({db.engine.url.render_as_string(hide_password=True)})")
            began = time.perf_counter()
            course_id, _floor_course, tokens, _dup = prepare(app, args)
            print(
                f"prepared {args.trainees + 1} trainees and a {args.capacity}-seat course "
                f"in {time.perf_counter() - began:.1f} s"
            )
            db.session.remove()
            engine = db.engine

        statements = Counter()
        last = []

        @event.listens_for(engine, "before_cursor_execute")
        def count(conn, cursor, statement, parameters, context, executemany):
            statements[statement.split(None, 1)[0].upper()] += 1
            last.append(" ".join(statement.split()))

        @event.listens_for(engine, "commit")
        def count_commit(conn):
            statements["COMMIT"] += 1
            last.append("COMMIT")

        client = app.test_client()
        url = f"/api/v1/courses/{course_id}/enrollments"
        for _ in range(5):  # imports, caches, the connection pool
            client.get("/api/v1/regencies")
        # the floor: a token-authenticated read of one's own account (no enrolment work)
        floor_tokens = [t for _id, t in tokens[: args.requests]]
        statements.clear()
        cpu = time.process_time()
        for token in floor_tokens:
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        cpu = time.process_time() - cpu
        print(
            f"floor, GET /api/v1/me: app CPU {1000 * cpu / len(floor_tokens):.2f} ms/request, "
            f"{sum(statements.values()) / len(floor_tokens):.2f} statements/request"
        )
        codes = Counter()
        for number in range(args.rounds):
            batch = tokens[number * args.requests : (number + 1) * args.requests]
            statements.clear()
            profiler = (
                cProfile.Profile(time.process_time)
                if args.profile and number == args.rounds - 1
                else None
            )
            server_before = server_cpu(database)
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            for _user_id, token in batch:
                last.clear()
                response = client.post(
                    url,
                    json={},
                    headers={"Authorization": f"Bearer {token}", "Accept-Language": "en"},
                )
                codes[response.status_code] += 1
            if profiler:
                profiler.disable()
            cpu = time.process_time() - cpu
            wall = time.perf_counter() - wall
            server_after = server_cpu(database)
            n = len(batch)
            line = (
                f"round {number + 1}{' (profiled)' if profiler else ''}: {n} enrolments, "
                f"app CPU {1000 * cpu / n:.2f} ms/request"
            )
            if server_before is not None and server_after is not None:
                line += (
                    f", PostgreSQL CPU {1000 * (server_after - server_before) / n:.2f} ms/request"
                )
            line += f", wall {1000 * wall / n:.2f} ms/request"
            print(line)
            total = sum(statements.values())
            kinds = ", ".join(f"{k} {v / n:.2f}" for k, v in statements.most_common())
            print(f"  statements per request: {total / n:.2f} ({kinds})")
            if args.show_statements:
                print("  the last request's statements:")
                for statement in last:
                    print(
                        f"    {statement[:150]} ... {statement[-150:]}"
                        if len(statement) > 300
                        else f"    {statement}"
                    )
            if profiler:
                stats = pstats.Stats(profiler)
                stats.sort_stats("cumulative").print_stats(args.top)
                stats.sort_stats("tottime").print_stats(args.top)
        print("status codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items())))
        with app.app_context():
            seats = db.session.execute(
                text("SELECT enrolled_count, capacity FROM courses WHERE id = :id"),
                {"id": course_id},
            ).one()
            print(f"course: {seats[0]} of {seats[1]} seats taken")
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
