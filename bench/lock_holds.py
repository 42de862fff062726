"""How long each enrolment held its course's lock, read from PostgreSQL's statement log.

Not a test: it prints figures and asserts nothing. With every statement of the benchmark's
database logged (``ALTER DATABASE bench SET log_min_duration_statement = 0``; the server's
``log_line_prefix`` must hold ``%m [%p]``, Debian's default), each backend's statements appear
with a millisecond time. A hold runs from the statement that takes the course's row (the
conditional ``UPDATE courses SET enrolled_count``, or ``SELECT ... FOR NO KEY UPDATE``) to that
backend's next ``COMMIT``. The script prints how many holds, their median, 90th percentile and
sum, and the time from the first lock to the last commit: when the sum is close to that span,
the decisions queued on the lock one after the other.

    # note the log's length, run the burst, then read what it added
    lines=$(wc -l < /var/log/postgresql/postgresql-15-main.log)
    .venv/bin/python bench/enrollment_burst.py --database-url ... --trainees 1000 --capacity 30
    .venv/bin/python bench/lock_holds.py /var/log/postgresql/postgresql-15-main.log --skip "$lines"
"""

import argparse
import re
import statistics
from datetime import datetime

#: "2026-12-06 13:13:33.060 UTC [21717] user@db LOG:  duration: 0.042 ms  execute <name>: SQL"
ENTRY = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \S+ \[(\d+)\] .*?LOG:  duration: [\d.]+ ms  "
    r"(?:execute [^:]*|statement): (.*)"
)
START = re.compile(r"^\d{4}-\d\d-\d\d ")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", help="PostgreSQL's log file")
    parser.add_argument("--skip", type=int, default=0, help="lines to skip first (0)")
    return parser.parse_args(argv)


def entries(path, skip):
    """The log's entries (a statement's continuation lines joined to it)."""
    current = None
    with open(path, encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log):
            if number < skip:
                continue
            if START.match(line):
                if current:
                    yield current
                current = line.rstrip("\n")
            elif current is not None:
                current += " " + line.strip()
    if current:
        yield current


def is_lock(sql):
    """The statement that takes a course's row (not the trainee's: ``FROM users``)."""
    return sql.startswith("UPDATE courses SET enrolled_count") or (
        "FOR NO KEY UPDATE" in sql and "FROM courses" in sql
    )


def holds(path, skip=0):
    """[(start, end)] of every hold, in seconds since the epoch."""
    open_since, found = {}, []
    for entry in entries(path, skip):
        match = ENTRY.match(entry)
        if not match:
            continue
        stamp, backend, sql = match.groups()
        at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f").timestamp()
        if is_lock(sql):
            open_since.setdefault(backend, at)
        elif sql.startswith("COMMIT") and backend in open_since:
            found.append((open_since.pop(backend), at))
        elif sql.startswith("ROLLBACK"):
            open_since.pop(backend, None)
    return found


def main(argv=None):
    args = parse_args(argv)
    found = holds(args.log, args.skip)
    if not found:
        print("no lock holds in the log (is log_min_duration_statement 0 for the database?)")
        return
    lengths = sorted(1000 * (end - start) for start, end in found)
    span = max(end for _, end in found) - min(start for start, _ in found)
    print(
        f"{len(lengths)} holds: median {statistics.median(lengths):.1f} ms, "
        f"p90 {lengths[int(0.9 * (len(lengths) - 1))]:.1f} ms, sum {sum(lengths) / 1000:.2f} s; "
        f"first lock to last commit {span:.2f} s (the log's times are whole milliseconds)"
    )


if __name__ == "__main__":
    main()
