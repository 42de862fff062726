"""The main pages of every role, walked once per role in one test that checks all they promise:

- page weight on a phone: each weighs at most 150 KB on a first visit (everything Chromium
  downloads: the page, its style sheets, scripts and icons, as sent over the wire), fits the
  phone's width, and a second visit downloads no asset again (bench/page_weight.py prints the
  figures on a throttled link);
- accessibility: axe-core (as shipped in the axe-playwright-python package: nothing is fetched at
  run time) finds nothing serious or critical, on a phone and a desktop, in Indonesian and English.

The phone's Indonesian axe check runs on the page of the cold first visit, so each page is loaded
for axe only three more times (phone English, desktop Indonesian and English), and each role logs
in once for all of it.
"""

import pytest

from tests.fixtures.browser import (
    DESKTOP,
    PHONE,
    TIMEOUT_MS,
    assert_fits_phone,
    logged_in_state,
)

pytestmark = pytest.mark.browser

#: the issue's budget: bytes transferred for a page on a first visit, assets included
BUDGET = 150_000
#: the axe findings that fail the test; "minor" and "moderate" ones are left to review
BLOCKING = ("serious", "critical")
#: the other (viewport, locale) pairs axe checks, beyond the phone in Indonesian
AXE_AGAIN = [(PHONE, "en"), (DESKTOP, "id"), (DESKTOP, "en")]


def findings(page):
    """axe's serious and critical violations on the page: ["rule: target (summary)", ...]."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    return [
        f"{violation['id']}: {node['target']} ({node.get('failureSummary', '').splitlines()[-1]})"
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
        for node in violation["nodes"]
    ]


class Load:
    """What Chromium fetched for one navigation, read from the DevTools protocol."""

    def __init__(self, context, page):
        self.urls, self.sizes, self.responses, self.cached = {}, {}, {}, set()
        self.cdp = context.new_cdp_session(page)
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.requestServedFromCache", lambda e: self.cached.add(e["requestId"]))
        self.cdp.on("Network.responseReceived", self._received)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.send("Network.enable")

    def _sent(self, event):
        self.urls[event["requestId"]] = (event["request"]["url"], event.get("type"))

    def _received(self, event):
        self.responses[event["requestId"]] = event["response"]

    def _finished(self, event):
        self.sizes[event["requestId"]] = event["encodedDataLength"]

    @property
    def transferred(self):
        """Bytes over the wire, headers included."""
        return sum(self.sizes.values())

    def from_network(self):
        """The URLs of the assets (not the page itself nor the data its script asks for) that
        went to the server."""
        return sorted(
            url
            for request_id, (url, kind) in self.urls.items()
            if kind not in ("Document", "XHR", "Fetch")
            and request_id not in self.cached
            and request_id in self.responses
            and not self.responses[request_id].get("fromDiskCache")
            and not self.responses[request_id].get("fromServiceWorker")
        )


def visit(context, path, then=None):
    """Open ``path`` in a new tab of ``context`` and record what it fetched; ``then(page)`` runs
    on the loaded page (after the recording stopped) before the tab closes."""
    page = context.new_page()
    load = Load(context, page)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert_fits_phone(page)
    load.cdp.detach()
    if then is not None:
        then(page)
    page.close()
    return load


@pytest.mark.parametrize("role", ["visitor", "trainee", "trainer", "staff"])
def test_main_pages_weigh_at_most_150_kb_are_cached_and_have_no_serious_axe_findings(
    browser, live_server, main_pages, role
):
    user, paths = next((user, paths) for name, user, paths in main_pages if name == role)
    state = logged_in_state(browser, live_server, user)
    over, refetched, found, report = [], [], [], []

    def axe(viewport, locale, path):
        return lambda page: found.extend(
            f"{role} {viewport['width']}px {locale} {path}: {item}" for item in findings(page)
        )

    for path in paths:
        # a phone that has never seen the site (a cold cache), then the same phone again
        context = browser.new_context(
            viewport=PHONE, locale="id", base_url=live_server, storage_state=state
        )
        context.set_default_timeout(TIMEOUT_MS)
        first = visit(context, path, then=axe(PHONE, "id", path))
        again = visit(context, path)
        context.close()
        report.append(f"{role:8} {path:45} {first.transferred / 1000:6.1f} KB")
        assert first.from_network(), f"{path}: nothing was fetched (the page failed?)"
        if first.transferred > BUDGET:
            over.append(f"{role} {path}: {first.transferred} bytes")
        # an asset of the first visit fetched again (not a new one: the check-in QR's address
        # carries the code of the moment, which changes every CHECKIN_CODE_PERIOD seconds)
        fetched_again = sorted(set(again.from_network()) & set(first.from_network()))
        if fetched_again:
            refetched.append(f"{role} {path}: {fetched_again}")

    for viewport, locale in AXE_AGAIN:
        context = browser.new_context(
            viewport=viewport, locale=locale, base_url=live_server, storage_state=state
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        for path in paths:
            # loaded and its scripts run is what axe reads: no half second of a resting network
            # to wait for, as weighing the page needs
            page.goto(path)
            axe(viewport, locale, path)(page)
        context.close()

    print("\n".join(report))
    assert not over, "pages over 150 KB on a first visit:\n" + "\n".join(over)
    assert not refetched, "assets fetched again on a second visit:\n" + "\n".join(refetched)
    assert not found, "axe found:\n" + "\n".join(found)
