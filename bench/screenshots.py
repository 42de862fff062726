"""Save screenshots of the main pages, on a phone and a desktop, in Indonesian and English.

Not a test: a tool to look at the layout. It builds a temporary SQLite database with the demo data,
serves the app on a free local port from a thread and drives Debian's Chromium through Playwright.

    .venv/bin/python bench/screenshots.py [OUTPUT_DIR]     # default /tmp/latih-shots

Files are named ``<page>-<width>-<lang>.png``, e.g. ``register-360-id.png``.
"""

import argparse
import logging
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from config import DevelopmentConfig  # noqa: E402
from lms import create_app  # noqa: E402
from lms.demo import DEMO_PASSWORD, seed  # noqa: E402
from lms.extensions import db  # noqa: E402

CHROMIUM = os.environ.get("LMS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
WIDTHS = {360: 740, 1280: 900}
LOCALES = ("id", "en")
TRAINEE = "peserta01@latih.example"
STAFF = "staff@latih.example"


def build_app(database):
    """The app on a fresh SQLite file: migrations, then the demo data."""
    app = create_app(
        DevelopmentConfig,
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "DEBUG": False,
            "RATELIMIT_ENABLED": False,
        },
    )
    with app.app_context():
        flask_migrate.upgrade()
        seed()
        db.session.commit()
    return app


def serve(app):
    """Serve the app from a daemon thread; returns (server, base URL)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def open_menu(page):
    """On a phone the navbar is collapsed behind the toggler: open it."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        page.locator("#mainnav.show").wait_for()
        # let the collapse transition end before a full-page screenshot
        time.sleep(0.4)


def switch_language(page, locale):
    open_menu(page)
    page.locator(f".lang-switch button[value={locale}]").click()
    page.wait_for_load_state()


def log_in(page, email, locale):
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.locator("main form #submit").click()
    page.wait_for_url("**/")
    # a logged-in user's profile language wins over the browser: choose it explicitly
    if page.locator("html").get_attribute("lang") != locale:
        switch_language(page, locale)


def shot(page, out, name, width, locale):
    path = out / f"{name}-{width}-{locale}.png"
    page.screenshot(path=str(path), full_page=True)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    note = f"  OVERFLOW {overflow}px" if overflow > 0 else ""
    print(f"{path}{note}")
    return path


def queue_reset_mail(browser, base):
    """Ask for a reset link once, so that the outbox has something to show."""
    context = browser.new_context(base_url=base, locale="id")
    page = context.new_page()
    page.goto("/password/forgot")
    page.fill("#email", TRAINEE)
    page.locator("main form #submit").click()
    page.wait_for_url("**/login")
    context.close()


def take_all(browser, base, out):
    for width, height in WIDTHS.items():
        for locale in LOCALES:
            viewport = {"width": width, "height": height}
            # anonymous pages
            context = browser.new_context(viewport=viewport, locale=locale, base_url=base)
            page = context.new_page()
            for name, path in (
                ("home", "/"),
                ("login", "/login"),
                ("register", "/register"),
                ("forgot", "/password/forgot"),
                ("error404", "/no-such-page"),
            ):
                page.goto(path)
                shot(page, out, name, width, locale)
            # registration errors shown next to the fields
            page.goto("/register")
            page.locator("main form #submit").click()
            page.wait_for_load_state()
            shot(page, out, "register-errors", width, locale)
            if width == 360:
                page.goto("/")
                open_menu(page)
                shot(page, out, "menu-anonymous", width, locale)
            context.close()
            # a trainee
            context = browser.new_context(viewport=viewport, locale=locale, base_url=base)
            page = context.new_page()
            log_in(page, TRAINEE, locale)
            shot(page, out, "home-trainee", width, locale)
            page.goto("/profile")
            shot(page, out, "profile", width, locale)
            page.goto("/my/courses")
            shot(page, out, "my-courses", width, locale)
            if width == 360:
                open_menu(page)
                shot(page, out, "menu-trainee", width, locale)
            context.close()
            # the office
            context = browser.new_context(viewport=viewport, locale=locale, base_url=base)
            page = context.new_page()
            log_in(page, STAFF, locale)
            shot(page, out, "home-staff", width, locale)
            page.goto("/users/")
            shot(page, out, "users", width, locale)
            page.goto("/manage/courses/")
            page.locator("table a").first.click()
            page.get_by_test_id("enrollments-link").click()
            page.wait_for_load_state()
            shot(page, out, "enrollments", width, locale)
            page.goto("/exports/")
            shot(page, out, "exports", width, locale)
            page.goto("/outbox/")
            shot(page, out, "outbox", width, locale)
            page.locator("table a").first.click()
            page.wait_for_load_state()
            shot(page, out, "outbox-message", width, locale)
            if width == 360:
                open_menu(page)
                shot(page, out, "menu-staff", width, locale)
            context.close()


def prepare_attendance(app):
    """Make the attendance pages worth a look: a running course gets a session now (when it has
    none today) and marks on its held sessions (when the demo gave it none). Returns what the
    attendance screenshots open: the course, the session, its trainer, an enrolled trainee."""
    import random
    from datetime import time as datetime_time
    from datetime import timedelta

    from sqlalchemy import func, select

    from lms.attendance import services as attendance
    from lms.attendance.models import Attendance
    from lms.auth.models import User
    from lms.catalog import services as catalog
    from lms.catalog.models import Course, CourseSession
    from lms.core.time import combine_local, local_today
    from lms.core.types import utcnow

    with app.app_context():
        today = local_today()
        course = db.session.scalar(
            select(Course)
            .where(Course.starts_on < today, Course.ends_on > today, Course.enrolled_count > 0)
            .order_by(Course.starts_on)
        )
        start = combine_local(today, datetime_time(0))
        now = utcnow().replace(second=0, microsecond=0)
        # a session whose check-in is open now (from half an hour before it starts), whatever
        # the hour the tool runs at; else one that began ten minutes ago
        session = db.session.scalar(
            select(CourseSession).where(
                CourseSession.course_id == course.id,
                CourseSession.starts_at <= now + timedelta(minutes=30),
                CourseSession.ends_at > now,
                CourseSession.cancelled_at.is_(None),
            )
        )
        if session is None:
            session = catalog.add_session(
                course, now - timedelta(minutes=10), now + timedelta(hours=1), topic="Speaking"
            )
        trainer = course.trainers[0]
        held = db.session.scalars(
            select(CourseSession).where(
                CourseSession.course_id == course.id,
                CourseSession.starts_at < start,
                CourseSession.cancelled_at.is_(None),
            )
        ).all()
        marked = db.session.scalar(
            select(func.count())
            .select_from(Attendance)
            .where(Attendance.session_id.in_([s.id for s in held]))
        )
        roster = attendance.roster(session)
        if not marked:
            rng = random.Random(5)
            staff = db.session.scalar(select(User).where(User.role == "staff"))
            for s in held:
                records = []
                for index, (enrollment, _mark) in enumerate(roster):
                    weights = (2, 3, 1, 4) if index % 5 == 4 else (17, 2, 1, 1)
                    status = rng.choices(("present", "late", "excused", "absent"), weights)[0]
                    records.append({"enrollment_id": enrollment.id, "status": status})
                attendance.save_marks(s, records, staff, now=s.ends_at + timedelta(hours=1))
        trainee = roster[0][0].user
        info = {
            "course": course.id,
            "session": session.id,
            "trainer": trainer.email,
            "trainee": trainee.email,
            "enrollment": roster[0][0].id,
        }
        db.session.commit()
    return info


def unmark(app, session, enrollment):
    """Delete a trainee's mark of a session, so that they can check in (again)."""
    from sqlalchemy import delete

    from lms.attendance.models import Attendance

    with app.app_context():
        db.session.execute(
            delete(Attendance).where(
                Attendance.session_id == session, Attendance.enrollment_id == enrollment
            )
        )
        db.session.commit()


def take_attendance(browser, base, out, app, info):
    """The attendance pages: the trainer's day, the sheet, an import refused row by row, the
    summary and the assessments; the trainee's check-in and own attendance."""
    from lms.attendance import services as attendance
    from lms.catalog.models import CourseSession

    bad_sheet = {
        "name": "lembar.csv",
        "mimeType": "text/csv",
        "buffer": b"enrollment_id,name,status\n999999,Orang lain,hadir\nabc,Siapa,mungkin\n",
    }
    course, session = info["course"], info["session"]
    for width, height in WIDTHS.items():
        for locale in LOCALES:
            viewport = {"width": width, "height": height}
            context = browser.new_context(viewport=viewport, locale=locale, base_url=base)
            page = context.new_page()
            log_in(page, info["trainer"], locale)
            shot(page, out, "home-trainer", width, locale)
            page.goto("/trainer/today")
            shot(page, out, "att-today", width, locale)
            page.goto(f"/trainer/sessions/{session}/sheet")
            shot(page, out, "att-sheet", width, locale)
            if width == 1280:
                page.emulate_media(media="print")
                shot(page, out, "att-sheet-print", width, locale)
                page.emulate_media(media="screen")
            page.goto(f"/trainer/sessions/{session}/import")
            page.set_input_files("#file", bad_sheet)
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state()
            shot(page, out, "att-import-errors", width, locale)
            page.goto(f"/trainer/courses/{course}/attendance")
            shot(page, out, "att-summary", width, locale)
            page.goto(f"/trainer/courses/{course}/assessments")
            page.fill(f"#score-{info['enrollment']}", "150")
            page.locator(f"#trainee-{info['enrollment']} button[type=submit]").click()
            page.wait_for_load_state()
            shot(page, out, "att-assessments", width, locale)
            context.close()

            context = browser.new_context(viewport=viewport, locale=locale, base_url=base)
            page = context.new_page()
            log_in(page, info["trainee"], locale)
            unmark(app, session, info["enrollment"])  # the demo may have marked them already
            page.goto(f"/checkin/{session}")
            shot(page, out, "att-checkin-type", width, locale)
            with app.app_context():
                code, _expires = attendance.current_checkin_code(
                    db.session.get(CourseSession, session)
                )
            page.goto(f"/checkin/{session}?code={code}")
            shot(page, out, "att-checkin", width, locale)
            page.get_by_test_id("checkin-button").click()
            page.wait_for_load_state()
            shot(page, out, "att-checkin-done", width, locale)
            page.goto("/my/courses")
            shot(page, out, "att-my-courses", width, locale)
            page.goto(f"/my/enrollments/{info['enrollment']}/attendance")
            shot(page, out, "att-mine", width, locale)
            context.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="/tmp/latih-shots", help="output folder")
    args = parser.parse_args(argv)
    out = Path(args.out)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    out.mkdir(parents=True, exist_ok=True)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="latih-shots-") as tmp:
        app = build_app(Path(tmp) / "demo.sqlite")
        attendance = prepare_attendance(app)
        server, base = serve(app)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                queue_reset_mail(browser, base)
                take_all(browser, base, out)
                take_attendance(browser, base, out, app, attendance)
                browser.close()
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    print(f"Screenshots saved in {out}")


if __name__ == "__main__":
    main()
