"""Large exports through the real server: the whole attendance file as CSV, and a large XLSX.

Not a test: it prints figures and asserts nothing. It builds the records of bench/annual_report.py
(200,000 trainees and 2,000,000 attendance rows by default; an SQLite file in a temporary folder,
or the PostgreSQL database given with --database-url), starts gunicorn with the repository's
gunicorn.conf.py (threaded workers) on a free port, logs in as staff and then:

1. downloads ``/exports/attendance.csv`` (every row) as a stream: first byte, whole time, bytes,
   lines, against the rows in the table;
2. asks for ``/exports/enrollments.xlsx`` as a list's link does (above
   JOBS_EXPORT_XLSX_MIN_ROWS rows it answers at once with a page offering the job) and has the
   job write it (``POST /exports/enrollments.xlsx/job``; without Redis the job runs in the web
   process right after the request): the page's first byte, the job's time, the file's;
3. times openpyxl's write-only workbook of the same rows with lxml and without it
   (``OPENPYXL_LXML=False``), alternating, each in a fresh process, in CPU seconds of that
   process (the machine is shared: wall time is noisy, CPU time much less so): every row, and
   the JOBS_EXPORT_XLSX_MIN_ROWS rows of the largest workbook still sent directly.

``--xlsx-only`` skips the server (steps 1 and 2), ``--no-csv`` step 1.

    .venv/bin/python bench/exports.py                                   # full size, SQLite
    .venv/bin/python bench/exports.py --trainees 20000 --attendance 200000
    .venv/bin/python bench/exports.py --database-url postgresql://postgres@127.0.0.1:5432/bench --reset
"""

import argparse
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import requests  # noqa: E402

from bench import annual_report  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainees", type=int, default=200_000)
    parser.add_argument("--attendance", type=int, default=2_000_000)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--reset", action="store_true", help="drop its public schema first")
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite folder")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--xlsx-only", action="store_true", help="only the lxml comparison")
    parser.add_argument("--no-csv", action="store_true", help="skip the whole CSV download")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the lxml comparison")
    parser.add_argument("--time-xlsx", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def build(args):
    """Generate the records (bench/annual_report.py's); returns (database URL, temp folder)."""
    report_args = annual_report.parse_args(
        ["--trainees", str(args.trainees), "--attendance", str(args.attendance)]
        + (["--database-url", args.database_url] if args.database_url else [])
        + (["--reset"] if args.reset else [])
        + (["--reuse"] if args.reuse else [])
    )
    url, folder = annual_report.prepare_database(report_args)
    from datetime import date

    import flask_migrate
    from sqlalchemy import func, select, text

    from config import TestingConfig
    from lms import create_app
    from lms.extensions import db

    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        if db.engine.dialect.name == "postgresql" and args.reset:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade()
        if not db.session.scalar(select(func.count()).select_from(text("attendance"))):
            print(f"generating {args.trainees:,} trainees, {args.attendance:,} marks ...")
            start = time.perf_counter()
            annual_report.generate(report_args, date.today().year - 1)
            print(f"  {time.perf_counter() - start:.0f} s")
        annual_report.analyse()
        db.session.commit()
        counts = {
            t: db.session.scalar(select(func.count()).select_from(text(t)))
            for t in ("attendance", "enrollments")
        }
        db.engine.dispose()
    return url, folder, counts


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url, workers):
    port = free_port()
    env = {
        **os.environ,
        "LMS_CONFIG": "testing",
        "LMS_SQLALCHEMY_DATABASE_URI": url,
        "LMS_RATELIMIT_ENABLED": "false",
        "LMS_JOBS_REDIS_URL": "",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_ACCESSLOG": os.devnull,
        "GUNICORN_LOGLEVEL": "warning",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", os.path.join(ROOT, "gunicorn.conf.py")],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return process, base
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    sys.exit("gunicorn did not start")


def download(session, method, url, **kwargs):
    """(seconds to the first byte, seconds in all, bytes, newline count) of a streamed answer."""
    start = time.perf_counter()
    first = None
    size = lines = 0
    with session.request(method, url, stream=True, timeout=3600, **kwargs) as response:
        response.raise_for_status()
        for block in response.iter_content(256 * 1024):
            if first is None:
                first = time.perf_counter() - start
            size += len(block)
            lines += block.count(b"\n")
    return first or 0.0, time.perf_counter() - start, size, lines


def time_xlsx():
    """In this process: write the enrolment export's workbook to nowhere, every row and the
    first JOBS_EXPORT_XLSX_MIN_ROWS; prints CPU and wall seconds of each, the rows and LXML."""
    from openpyxl.xml import LXML

    from config import TestingConfig
    from lms import create_app
    from lms.core import tabular
    from lms.exports import services

    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DB"]})
    with app.app_context():
        data = services.dataset("enrollments")
        rows = list(data.rows(data.parse({})))
        direct = rows[: app.config["JOBS_EXPORT_XLSX_MIN_ROWS"]]
        figures = []
        for part in (rows, direct):
            with open(os.devnull, "wb") as out:
                cpu, wall = time.process_time(), time.perf_counter()
                tabular.write_xlsx(out, "enrollments", data.headers, part, data.widths)
                figures += [time.process_time() - cpu, time.perf_counter() - wall, len(part)]
        print(*(f"{f:.3f}" if isinstance(f, float) else f for f in figures), LXML)


def compare_lxml(url, rounds):
    """openpyxl with lxml and without it, alternating, each in a fresh process."""
    runs = {"True": [], "False": []}
    for _round in range(rounds):
        for lxml in ("True", "False"):
            out = subprocess.run(
                [sys.executable, __file__, "--time-xlsx"],
                env={**os.environ, "BENCH_DB": url, "OPENPYXL_LXML": lxml},
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            runs[lxml].append([float(x) for x in out[:6]])
            print(
                f"openpyxl write-only, lxml {out[6]}: {int(out[2]):,} rows {float(out[0]):.1f} s "
                f"CPU ({float(out[1]):.1f} s wall); {int(out[5]):,} rows {float(out[3]):.2f} s "
                f"CPU ({float(out[4]):.2f} s wall)"
            )
    with_lxml = min(r[0] for r in runs["True"])
    without = min(r[0] for r in runs["False"])
    print(
        f"lxml: best CPU {with_lxml:.1f} s against {without:.1f} s without: "
        f"{without / with_lxml:.2f}x as fast"
    )
    print(os.popen("uptime").read().strip())


def main(argv=None):
    args = parse_args(argv)
    if args.time_xlsx:
        return time_xlsx()
    url, folder, counts = build(args)
    print(f"rows: {counts}")
    print(os.popen("uptime").read().strip())
    if args.xlsx_only:
        try:
            compare_lxml(url, args.rounds)
        finally:
            if folder and not args.keep:
                shutil.rmtree(folder, ignore_errors=True)
        return
    process, base = start_server(url, args.workers)
    try:
        session = requests.Session()
        session.post(
            f"{base}/login",
            data={"email": "staff@bench.example", "password": "bench-Latih-2026"},
            timeout=60,
        )
        if not args.no_csv:
            first, whole, size, lines = download(session, "GET", f"{base}/exports/attendance.csv")
            print(
                f"attendance.csv: first byte {first:.2f} s, whole {whole:.1f} s, "
                f"{size / 1e6:.0f} MB, {lines - 1:,} rows of {counts['attendance']:,} "
                f"({'complete' if lines - 1 == counts['attendance'] else 'CUT'})"
            )
        first, whole, size, _ = download(session, "GET", f"{base}/exports/enrollments.xlsx")
        print(
            f"enrollments.xlsx as a list links it ({counts['enrollments']:,} rows): the page "
            f"offering the job, first byte {first:.2f} s, whole {whole:.2f} s"
        )
        start = time.perf_counter()
        answer = session.post(
            f"{base}/exports/enrollments.xlsx/job", allow_redirects=False, timeout=3600
        )
        page = time.perf_counter() - start
        job = answer.headers["Location"].rsplit("/", 1)[1]
        token = requests.post(
            f"{base}/api/v1/tokens",
            json={"email": "staff@bench.example", "password": "bench-Latih-2026"},
            timeout=60,
        ).json()["token"]
        state = requests.get(
            f"{base}/api/v1/jobs/{job}", headers={"Authorization": f"Bearer {token}"}, timeout=60
        ).json()
        if "result_url" not in state:
            sys.exit(f"the job did not finish with a file: {state}")
        first, whole, size, _ = download(session, "GET", f"{base}{state['result_url']}")
        print(
            f"enrollments.xlsx job: job's answer (in-process, no Redis) after {page:.1f} s, "
            f"{state['done']:,} rows; file: first byte {first:.2f} s, whole {whole:.1f} s"
        )
        compare_lxml(url, args.rounds)
    finally:
        process.terminate()
        process.wait(timeout=60)
        if folder and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
