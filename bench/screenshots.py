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
            page.goto("/outbox/")
            shot(page, out, "outbox", width, locale)
            page.locator("table a").first.click()
            page.wait_for_load_state()
            shot(page, out, "outbox-message", width, locale)
            if width == 360:
                open_menu(page)
                shot(page, out, "menu-staff", width, locale)
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
        server, base = serve(app)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                queue_reset_mail(browser, base)
                take_all(browser, base, out)
                browser.close()
        finally:
            server.shutdown()
            with app.app_context():
                db.engine.dispose()
    print(f"Screenshots saved in {out}")


if __name__ == "__main__":
    main()
