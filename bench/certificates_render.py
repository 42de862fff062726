"""Certificate rendering: how many certificate PDFs one core renders per second.

Not a test: it prints figures and asserts nothing. It builds a fresh SQLite database in a
temporary folder, runs the migrations, makes a finished hospitality course with N trainees (200)
who attended every session and passed the assessment, issues their certificates through the
services, then, pinned to one CPU, renders every certificate's PDF from its record and builds the
course's ZIP, and prints certificates per second, milliseconds per certificate (mean, p50, p95,
max), the first render (font loading) apart, the sizes, and the ZIP's time.

    .venv/bin/python bench/certificates_render.py                 # 200 certificates
    .venv/bin/python bench/certificates_render.py --trainees 500 --rounds 3
    .venv/bin/python bench/certificates_render.py --profile       # where the time goes
    .venv/bin/python bench/certificates_render.py --out /tmp/c    # also save the PDFs and the ZIP

The goal (issue 6) is at least 50 certificates per second on one core.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from sqlalchemy import select  # noqa: E402

from config import TestingConfig  # noqa: E402
from lms import create_app  # noqa: E402
from lms.attendance import services as attendance  # noqa: E402
from lms.auth import services as auth  # noqa: E402
from lms.catalog import services as catalog  # noqa: E402
from lms.catalog.models import Course  # noqa: E402
from lms.certificates import archive, pdf  # noqa: E402
from lms.certificates import services as certificates  # noqa: E402
from lms.certificates.models import Certificate  # noqa: E402
from lms.core.time import combine_local, local_today  # noqa: E402
from lms.enrollment import services as enrolment  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.partners.models import Partner  # noqa: E402

PASSWORD = "bench-Latih-2026"
#: names of every shape: accents, dots below, apostrophes, one word, long ones
FIRST = ["Ṣiti", "Ñoman", "Dewi", "Putu", "Made", "Rahmat", "Nur'aini", "Agus", "Wayan", "Éka"]
LAST = [
    "Nur'aini",
    "Ketut",
    "Lestari",
    "Santoso",
    "Hidayat",
    "Purnamasari Wulandari",
    "",
    "Setiawan",
    "Ramadhani",
    "Kusumawardhani",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trainees", type=int, default=200, help="certificates to render (200)")
    parser.add_argument("--rounds", type=int, default=1, help="times to render them all (1)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one round")
    parser.add_argument("--out", help="a folder to save the PDFs and the ZIP in")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    return parser.parse_args(argv)


def nik_for(n):
    return f"180701{17 + (40 if n % 2 else 0):02d}0595{1 + n % 9999:04d}"


def prepare(trainees):
    """Migrate; make a finished course, its sessions, trainees, marks, results; issue."""
    flask_migrate.upgrade()
    today = local_today()
    partner = Partner(
        name="UPTD Balai Latihan Kerja Kota Bandar Lampung",
        kind="vocational_centre",
        mou_valid_until=today + timedelta(days=365),
    )
    db.session.add(partner)
    db.session.flush()
    staff = auth.create_user(
        email="staff@bench.example", password=PASSWORD, name="Rina Marlina", role="staff"
    )
    starts = today - timedelta(days=40)
    ends = starts + timedelta(days=27)
    course = catalog.create_course(
        {
            "code": "BENCH-CERT-01",
            "title": "Tata Graha Hotel dan Kapal Pesiar",
            "title_en": "Hotel and Cruise Ship Housekeeping",
            "type": "hospitality",
            "partner_id": partner.id,
            "capacity": trainees,
            "starts_on": starts,
            "ends_on": ends,
            "registration_opens_at": combine_local(starts - timedelta(days=30), clock(8, 0)),
            "registration_closes_at": combine_local(starts - timedelta(days=1), clock(23, 59)),
            "requires_approval": False,
            "waitlist": False,
            "status": "published",
            "details": {
                "specialisation": "housekeeping",
                "destination": "JP",
                "lesson_hours": 120,
            },
        }
    )
    sessions = [
        catalog.add_session(
            course,
            combine_local(starts + timedelta(days=day), clock(8, 0)),
            combine_local(starts + timedelta(days=day), clock(12, 0)),
        )
        for day in range(0, 20, 2)
    ]
    enrollments = []
    for n in range(trainees):
        name = f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]} {n + 1:03d}"
        user = auth.create_user(
            email=f"cert{n:05d}@bench.example",
            password=PASSWORD,
            name=" ".join(name.split()),
            role="trainee",
            nik=nik_for(n),
            birth_date=date(1995, 5, 17),
            gender="female" if n % 2 else "male",
            phone=f"0812{n:08d}",
            regency_code="18.07",
            target_group="cpmi",
        )
        enrollments.append(enrolment.enroll(user, course, actor=staff, bypass_window=True))
    for session in sessions:
        records = [{"enrollment_id": e.id, "status": "present"} for e in enrollments]
        attendance.save_marks(session, records, staff)
    for enrollment in enrollments:
        attendance.set_assessment(enrollment, staff, score=85, competent=True)
    issued, skipped = certificates.issue(course, staff)
    db.session.commit()
    return course.id, len(issued), len(skipped)


def pin_to_one_cpu():
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity here)"


def render_all(rows):
    """Render every certificate once; returns (wall seconds each, CPU seconds, total bytes)."""
    times, size = [], 0
    cpu = time.process_time()
    for certificate in rows:
        url = certificates.verification_url(certificate)
        start = time.perf_counter()
        data = pdf.render(certificate, url)
        times.append(time.perf_counter() - start)
        size += len(data)
    return times, time.process_time() - cpu, size


def main(argv=None):
    args = parse_args(argv)
    folder = tempfile.mkdtemp(prefix="latih-certificates-bench-")
    app = create_app(
        TestingConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
            "CERTIFICATE_KEY_FILE": os.path.join(folder, "signing-key.pem"),
            "PUBLIC_BASE_URL": "https://latih.bp3mi-lampung.example.go.id",
        },
    )
    try:
        with app.app_context():
            started = time.perf_counter()
            course_id, issued, skipped = prepare(args.trainees)
            print(
                f"prepared: {issued} certificates issued ({skipped} skipped) "
                f"in {time.perf_counter() - started:.1f} s"
            )
            print(pin_to_one_cpu())
            course = db.session.get(Course, course_id)
            rows = db.session.scalars(select(Certificate).order_by(Certificate.serial)).all()

            start = time.perf_counter()
            first = pdf.render(rows[0], certificates.verification_url(rows[0]))
            print(f"first render (loads the fonts): {(time.perf_counter() - start) * 1000:.0f} ms")
            if first != pdf.render(rows[0], certificates.verification_url(rows[0])):
                print("warning: two renders of one certificate differ")

            if args.profile:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.enable()
                render_all(rows)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)

            all_times, cpu, size = [], 0.0, 0
            for _round in range(args.rounds):
                times, cpu_round, size = render_all(rows)
                all_times.extend(times)
                cpu += cpu_round
            total = sum(all_times)
            ms = sorted(t * 1000 for t in all_times)
            print(
                f"rendered {len(all_times)} certificates in {total:.2f} s: "
                f"{len(all_times) / total:.1f} per second (wall clock)"
            )
            print(
                f"ms per certificate: mean {statistics.mean(ms):.1f}, "
                f"p50 {ms[len(ms) // 2]:.1f}, p95 {ms[int(len(ms) * 0.95) - 1]:.1f}, "
                f"max {ms[-1]:.1f}"
            )
            print(
                f"CPU time: {cpu * 1000 / len(all_times):.1f} ms per certificate, "
                f"{len(all_times) / cpu:.1f} per CPU second (what a busy machine's wall clock "
                "hides)"
            )
            print(f"PDF size: {size / len(rows) / 1024:.1f} KiB on average")

            start, cpu = time.perf_counter(), time.process_time()
            data = archive.course_zip(course, rows)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(
                f"course ZIP: {len(rows)} certificates, {len(data) / 1024 / 1024:.2f} MiB "
                f"in {elapsed:.2f} s ({len(rows) / elapsed:.1f} per second; "
                f"CPU {cpu:.2f} s, {len(rows) / cpu:.1f} per CPU second)"
            )
            if args.out:
                out = Path(args.out)
                out.mkdir(parents=True, exist_ok=True)
                (out / archive.zip_name(course)).write_bytes(data)
                (out / pdf.file_name(rows[0])).write_bytes(first)
                print(f"saved the ZIP and one PDF in {out}")
            db.session.remove()
            db.engine.dispose()
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
