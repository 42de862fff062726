"""How many decisions one locked row allows a second: the commit's wait for the disk under a lock.

Not a test: it prints figures and asserts nothing. On the PostgreSQL database given (an empty
one of your own: it creates and drops two tables of its own, ``zz_commit_lock_*``), N
connections in threads each run, again and again, what an enrolment's decision does in one
course: take the course's row (``UPDATE ... RETURNING``), insert a row, commit. Three ways:

- ``synchronous``: a plain commit, which waits for the disk with the lock held;
- ``early``: ``SET LOCAL synchronous_commit TO off``: the lock ends with the commit's record;
- ``early + wait``: the same, then a second transaction whose synchronous commit waits until
  the WAL, the first commit included, is on disk (what ``lms.core.transaction.commit_early``
  does): durable before the answer, the waits overlapping and outside the lock.

    .venv/bin/python bench/commit_lock.py postgresql://postgres@127.0.0.1:5432/bench
"""

import argparse
import threading
import time

import psycopg

MODES = ("synchronous", "early", "early + wait")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", help="PostgreSQL URL (psycopg's form, no +psycopg)")
    parser.add_argument("--connections", type=int, default=4, help="connections (4)")
    parser.add_argument("--each", type=int, default=150, help="transactions per connection (150)")
    return parser.parse_args(argv)


def worker(url, mode, count, latencies):
    with psycopg.connect(url) as conn:
        for _ in range(count):
            started = time.perf_counter()
            with conn.transaction():
                if mode != "synchronous":
                    conn.execute("SET LOCAL synchronous_commit TO off")
                (n,) = conn.execute(
                    "UPDATE zz_commit_lock_course SET n = n + 1 WHERE id = 1 RETURNING n"
                ).fetchone()
                conn.execute("INSERT INTO zz_commit_lock_row (ticket) VALUES (%s)", (n,))
            if mode == "early + wait":
                with conn.transaction():
                    conn.execute("SELECT pg_current_xact_id()")
            latencies.append(time.perf_counter() - started)


def main(argv=None):
    args = parse_args(argv)
    url = args.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS zz_commit_lock_course, zz_commit_lock_row")
        conn.execute("CREATE TABLE zz_commit_lock_course (id int PRIMARY KEY, n int)")
        conn.execute("INSERT INTO zz_commit_lock_course VALUES (1, 0)")
        conn.execute("CREATE TABLE zz_commit_lock_row (id serial PRIMARY KEY, ticket int)")
        print(
            "synchronous_commit of the server:",
            conn.execute("SHOW synchronous_commit").fetchone()[0],
        )
        try:
            for mode in MODES:
                latencies = []
                threads = [
                    threading.Thread(target=worker, args=(url, mode, args.each, latencies))
                    for _ in range(args.connections)
                ]
                started = time.perf_counter()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                elapsed = time.perf_counter() - started
                latencies.sort()
                print(
                    f"{mode}: {len(latencies) / elapsed:.0f} transactions/s through one row "
                    f"({args.connections} connections), median {1000 * latencies[len(latencies) // 2]:.1f} ms"
                )
        finally:
            conn.execute("DROP TABLE IF EXISTS zz_commit_lock_course, zz_commit_lock_row")


if __name__ == "__main__":
    main()
