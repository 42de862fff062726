"""Page weight on a phone: the main pages of every role weigh at most 150 KB on a first visit
(everything Chromium downloads: the page, its style sheets, scripts and icons, as sent over the
wire), and a second visit downloads no asset again (bench/page_weight.py prints the figures on a
throttled link)."""

import pytest

from tests.fixtures.browser import PHONE, TIMEOUT_MS, assert_no_horizontal_scroll, logged_in_state

pytestmark = pytest.mark.browser

#: the issue's budget: bytes transferred for a page on a first visit, assets included
BUDGET = 150_000


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


def visit(context, path):
    """Open ``path`` in a new tab of ``context`` and record what it fetched."""
    page = context.new_page()
    load = Load(context, page)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert_no_horizontal_scroll(page)
    load.cdp.detach()
    page.close()
    return load


def test_every_main_page_weighs_at_most_150_kb_and_a_second_visit_fetches_no_asset(
    browser, live_server, main_pages
):
    over, refetched, report = [], [], []
    for role, user, paths in main_pages:
        state = logged_in_state(browser, live_server, user)
        for path in paths:
            # a phone that has never seen the site (a cold cache), then the same phone again
            context = browser.new_context(
                viewport=PHONE, locale="id", base_url=live_server, storage_state=state
            )
            context.set_default_timeout(TIMEOUT_MS)
            first = visit(context, path)
            again = visit(context, path)
            context.close()
            report.append(f"{role:8} {path:45} {first.transferred / 1000:6.1f} KB")
            assert first.from_network(), f"{path}: nothing was fetched (the page failed?)"
            if first.transferred > BUDGET:
                over.append(f"{role} {path}: {first.transferred} bytes")
            if again.from_network():
                refetched.append(f"{role} {path}: {again.from_network()}")
    print("\n".join(report))
    assert not over, "pages over 150 KB on a first visit:\n" + "\n".join(over)
    assert not refetched, "assets fetched again on a second visit:\n" + "\n".join(refetched)
