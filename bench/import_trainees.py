"""Trainee import: rows per second for a 1,000-row file, without a course and with one.

Not a test: it prints figures and asserts nothing. It builds a fresh database (an SQLite file in
a temporary folder, or the empty PostgreSQL database given with --database-url), runs the
migrations, creates a partner and two courses, then times three runs, each checked (the dry
run), written and committed once, as ``flask lms import-trainees`` does:

1. a file of N new trainees, no course;
2. another file of N new trainees, enrolled in a course (``--capacity`` seats, then its
   waitlist) through ``enroll_many``;
3. for comparison, the first N trainees enrolled in the second course with ``enroll()`` called
   once per trainee (how the import enrolled them before ``enroll_many``).

    .venv/bin/python bench/import_trainees.py                 # SQLite, 1,000 rows
    .venv/bin/python bench/import_trainees.py --rows 5000 --capacity 3000
    .venv/bin/python bench/import_trainees.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/importbench   # an empty database
"""

import argparse
import csv
import io
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from common import open_course  # noqa: E402
from sqlalchemy import func, inspect, select  # noqa: E402
from werkzeug.datastructures import FileStorage  # noqa: E402

from config import TestingConfig  # noqa: E402
from lms import create_app  # noqa: E402
from lms.auth.models import User  # noqa: E402
from lms.catalog.models import Course  # noqa: E402
from lms.core.time import local_today  # noqa: E402
from lms.enrollment.models import Enrollment  # noqa: E402
from lms.enrollment.services import enroll  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.imports import services as imports  # noqa: E402
from lms.partners.models import Partner  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1000, help="rows per file (1000)")
    parser.add_argument(
        "--capacity", type=int, default=600, help="seats of each course; the rest wait (600)"
    )
    parser.add_argument("--database-url", help="URL of an empty database; default an SQLite file")
    return parser.parse_args(argv)


def nik_for(n):
    """A structurally valid NIK, unique per n (Lampung Timur, born in May 1995)."""
    day = 1 + (n // 9999) % 28
    return f"180701{day:02d}0595{1 + n % 9999:04d}"


def csv_file(first, n):
    """A CSV file of n trainees numbered from ``first``, in the template's columns."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(imports.COLUMNS))
    writer.writeheader()
    for i in range(first, first + n):
        writer.writerow(
            {
                "name": f"Peserta Impor {i:05d}",
                "email": f"impor{i}@bench.example",
                "nik": nik_for(i),
                "birth_date": "17/05/1995",
                "gender": "P" if i % 2 else "L",
                "phone": f"0813{i:08d}",
                "regency": ("18.07", "Lampung Tengah", "Kota Metro")[i % 3],
                "target_group": "cpmi",
            }
        )
    return FileStorage(io.BytesIO(out.getvalue().encode()), filename="trainees.csv")


def prepare(args):
    """Migrate, then a partner and two courses (one commit); returns the courses' ids."""
    engine = db.engine
    if engine.dialect.name != "sqlite" and inspect(engine).get_table_names():
        sys.exit(f"{engine.url.render_as_string(hide_password=True)} is not empty")
    flask_migrate.upgrade()
    today = local_today()
    partner = Partner(
        name="BLK Bench", kind="vocational_centre", mou_valid_until=today + timedelta(days=365)
    )
    db.session.add(partner)
    db.session.flush()
    ids = []
    for k in range(2):  # one after the other: a trainee may hold both
        starts = today + timedelta(days=30 + 40 * k)
        course = open_course(
            partner.id,
            f"BENCH-IMPORT-{k + 1:02d}",
            f"Tata Graha (impor {k + 1})",
            starts,
            args.capacity,
        )
        ids.append(course.id)
    db.session.commit()
    return ids


def run_import(upload, course_id=None):
    """Check, write and commit a file as the command line does; returns (seconds, result)."""
    started = time.perf_counter()
    course = db.session.get(Course, course_id) if course_id else None
    plan = imports.plan_import(imports.read_rows(upload), course)
    if plan.rejected:
        sys.exit(f"rejected rows: {[row.reasons for row in plan.rejected[:3]]}")
    result = imports.apply_plan(plan)
    db.session.commit()
    elapsed = time.perf_counter() - started
    db.session.remove()
    return elapsed, result


def run_one_by_one(first, n, course_id):
    """The old way: ``enroll()`` once per trainee, one transaction; returns the seconds."""
    emails = [f"impor{i}@bench.example" for i in range(first, first + n)]
    users = db.session.scalars(select(User).where(User.email.in_(emails)).order_by(User.id)).all()
    db.session.commit()
    started = time.perf_counter()
    course = db.session.get(Course, course_id)
    for user in users:
        enroll(user, course, actor=imports.OFFICE, bypass_window=True)
    db.session.commit()
    elapsed = time.perf_counter() - started
    db.session.remove()
    return elapsed


def statuses(course_id):
    counts = Counter(
        db.session.scalars(select(Enrollment.status).where(Enrollment.course_id == course_id))
    )
    return ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))


def show(label, n, seconds):
    print(f"{label:44} {n:6d} rows in {seconds:6.2f} s  {n / seconds:8.1f} rows/s")


def main(argv=None):
    args = parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="latih-import-"))
    uri = args.database_url or f"sqlite:///{folder / 'import.sqlite'}"
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": uri})
    n = args.rows
    try:
        with app.app_context():
            print(f"database: {db.engine.url.render_as_string(hide_password=True)}")
            first_course, second_course = prepare(args)

            seconds, result = run_import(csv_file(0, n))
            show("import, no course", n, seconds)
            assert result.created == n

            seconds, result = run_import(csv_file(n, n), first_course)
            show("import, enrolled in a course (enroll_many)", n, seconds)
            print(f"  {result.enrolled} enrolled: {statuses(first_course)}")

            seconds = run_one_by_one(0, n, second_course)
            show("for comparison: enroll() once per trainee", n, seconds)
            print(f"  {statuses(second_course)}")
            total = db.session.scalar(select(func.count(User.id)))
            print(f"accounts in the database: {total}")
    finally:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
