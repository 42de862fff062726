"""Page weight and first paint of the main pages of every role, as a phone on slow mobile data
meets them: Chromium at 360 px, a cold cache, the link throttled through the DevTools protocol
(``Network.emulateNetworkConditions``: 400 kbit/s down, 400 ms latency by default).

Not a test: it prints figures and asserts nothing (tests/browser/test_main_pages.py holds the
150 KB budget). It builds a temporary SQLite database with the demo data, serves the app on a free
local port from a thread and drives Debian's Chromium through Playwright.

    .venv/bin/python bench/page_weight.py [--down-kbps 400] [--latency-ms 400]

For each page: the bytes transferred on a first visit (page and assets, as sent over the wire),
the first contentful paint on that visit, and how many requests a second visit sends for assets.
"""

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from screenshots import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    STAFF,
    TRAINEE,
    build_app,
    log_in,
    prepare_attendance,
    serve,
)

PHONE = {"width": 360, "height": 740}
#: asks that are not assets: the page itself and the data its scripts fetch
NOT_ASSETS = ("Document", "XHR", "Fetch")


def pages(info):
    """(role, e-mail or None, paths) of the demo site's main pages."""
    return [
        ("visitor", None, ["/", "/courses/", f"/courses/{info['course']}", "/login", "/register"]),
        ("trainee", TRAINEE, ["/", "/my/courses", "/my/certificates", "/courses/"]),
        (
            "trainer",
            info["trainer"],
            ["/", "/trainer/today", f"/trainer/sessions/{info['session']}/roster"],
        ),
        (
            "staff",
            STAFF,
            [
                "/",
                "/manage/courses/",
                "/users/",
                "/reports/annual",
                "/imports/trainees",
                "/exports/",
            ],
        ),
    ]


def visit(context, path, conditions):
    """Open ``path`` in a new tab on the throttled link: (bytes, first paint in ms, asset asks)."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    sizes, kinds, cached, network = {}, {}, set(), set()
    cdp.on("Network.requestWillBeSent", lambda e: kinds.__setitem__(e["requestId"], e.get("type")))
    cdp.on("Network.requestServedFromCache", lambda e: cached.add(e["requestId"]))
    cdp.on(
        "Network.responseReceived",
        lambda e: (
            None
            if e["response"].get("fromDiskCache") or e["response"].get("fromServiceWorker")
            else network.add(e["requestId"])
        ),
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", conditions)
    page.goto(path, timeout=120_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    paint = page.evaluate(
        "(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
    )
    asks = sum(1 for rid in network - cached if kinds.get(rid) not in NOT_ASSETS and rid in kinds)
    cdp.detach()
    page.close()
    return sum(sizes.values()), paint, asks


def state_of(browser, base, email):
    """The cookies of a login (made on an unthrottled link, in a context thrown away)."""
    context = browser.new_context(viewport=PHONE, locale="id", base_url=base)
    page = context.new_page()
    log_in(page, email, "id")
    state = context.storage_state()
    context.close()
    return state


def measure(browser, base, info, conditions):
    print(f"{'role':8} {'page':40} {'first visit':>12} {'first paint':>12} {'2nd visit':>10}")
    worst_bytes, worst_paint = 0, 0.0
    for role, email, paths in pages(info):
        state = state_of(browser, base, email) if email else None
        for path in paths:
            context = browser.new_context(
                viewport=PHONE, locale="id", base_url=base, storage_state=state
            )
            size, paint, _ = visit(context, path, conditions)
            _, _, again = visit(context, path, conditions)
            context.close()
            worst_bytes, worst_paint = max(worst_bytes, size), max(worst_paint, paint or 0)
            shown = f"{paint / 1000:.2f} s" if paint else "-"
            print(f"{role:8} {path:40} {size / 1000:9.1f} KB {shown:>12} {again:>4} asks")
    print(
        f"heaviest page {worst_bytes / 1000:.1f} KB; slowest first paint {worst_paint / 1000:.2f} s"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--down-kbps", type=int, default=400, help="download, kbit/s")
    parser.add_argument("--up-kbps", type=int, default=400, help="upload, kbit/s")
    parser.add_argument("--latency-ms", type=int, default=400, help="added round-trip time")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if not os.path.exists(CHROMIUM):
        sys.exit(f"Chromium not found at {CHROMIUM}")
    conditions = {
        "offline": False,
        "latency": args.latency_ms,
        "downloadThroughput": args.down_kbps * 1000 / 8,
        "uploadThroughput": args.up_kbps * 1000 / 8,
    }
    print(
        f"Chromium 360 px, cold cache, {args.down_kbps} kbit/s down, {args.up_kbps} kbit/s up, "
        f"{args.latency_ms} ms latency"
    )
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        app = build_app(Path(folder) / "bench.sqlite")
        info = prepare_attendance(app)
        server, base = serve(app)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                measure(browser, base, info, conditions)
                browser.close()
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
