"""Large exports through the real server: the whole attendance file as CSV, and a large XLSX.

Not a test: it prints figures and asserts nothing. It builds the records of bench/annual_report.py
(200,000 trainees and 2,000,000 attendance rows by default; an SQLite file in a temporary folder,
or the PostgreSQL database given with --database-url), starts gunicorn with the repository's
gunicorn.conf.py (threaded workers) on a free port, logs in as staff and then:

1. downloads ``/exports/attendance.csv`` (every row) as a stream: first byte, whole time, bytes,
   lines, against the rows in the table;
2. downloads ``/exports/enrollments.xlsx`` directly (the workbook is written before its first
   byte) and through the job (``POST /exports/enrollments.xlsx/job``; without Redis the job runs
   in the web process right after the request): first byte, whole time, rows;
3. times openpyxl's write-only workbook of the same rows with lxml and without it
   (``OPENPYXL_LXML=False``), each in a fresh process.

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
    """In this process: write the enrolment export's workbook to nowhere; prints seconds."""
    from openpyxl.xml import LXML

    from config import TestingConfig
    from lms import create_app
    from lms.core import tabular
    from lms.exports import services

    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DB"]})
    with app.app_context(), open(os.devnull, "wb") as out:
        data = services.dataset("enrollments")
        rows = list(data.rows(data.parse({})))
        start = time.perf_counter()
        tabular.write_xlsx(out, "enrollments", data.headers, rows, data.widths)
        print(f"{time.perf_counter() - start:.2f} {len(rows)} {LXML}")


def main(argv=None):
    args = parse_args(argv)
    if args.time_xlsx:
        return time_xlsx()
    url, folder, counts = build(args)
    print(f"rows: {counts}")
    process, base = start_server(url, args.workers)
    try:
        session = requests.Session()
        session.post(
            f"{base}/login",
            data={"email": "staff@bench.example", "password": "bench-Latih-2026"},
            timeout=60,
        )
        first, whole, size, lines = download(session, "GET", f"{base}/exports/attendance.csv")
        print(
            f"attendance.csv: first byte {first:.2f} s, whole {whole:.1f} s, {size / 1e6:.0f} MB, "
            f"{lines - 1:,} rows of {counts['attendance']:,} "
            f"({'complete' if lines - 1 == counts['attendance'] else 'CUT'})"
        )
        first, whole, size, _ = download(session, "GET", f"{base}/exports/enrollments.xlsx")
        print(
            f"enrollments.xlsx direct: first byte {first:.2f} s, whole {whole:.1f} s, "
            f"{size / 1e6:.1f} MB ({counts['enrollments']:,} rows)"
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
        for lxml in ("True", "False"):
            out = subprocess.run(
                [sys.executable, __file__, "--time-xlsx"],
                env={**os.environ, "BENCH_DB": url, "OPENPYXL_LXML": lxml},
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            print(
                f"openpyxl write-only, lxml {out[2]}: {float(out[0]):.1f} s for {int(out[1]):,} rows"
            )
    finally:
        process.terminate()
        process.wait(timeout=60)
        if folder and not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
