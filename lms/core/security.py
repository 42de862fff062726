"""Security headers on every response, and a Content-Security-Policy that keeps pages script-free
except for the site's own files.

No template may hold an inline ``<script>`` (a ``type="application/json"`` data block is fine: it
is never run) or an ``on...=`` handler: behaviour lives in static/js/ (see static/js/app.js), and
tests/test_security_headers.py scans the templates for both.
"""

from flask import current_app, request, session
from flask_login import current_user

#: on every response: no MIME sniffing, nobody frames us (for browsers without CSP level 2), and
#: a link followed elsewhere never carries our path (password-reset links hold a token in it)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

#: on documents: scripts, fonts, images and fetches only from this site; inline styles stay
#: allowed, as templates carry ``<style>`` blocks and ``style=""`` attributes (report and
#: certificate layouts, chart legend swatches, the inlined pygal charts)
DOCUMENT_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        # Bootstrap's stylesheet draws its icons (menu toggler, select arrow) as data: SVGs
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

#: on everything else (JSON, files, scripts) only the framing rule: these run nothing, and the
#: service worker takes its own policy from its script's response, where a tighter one would
#: govern the worker's fetches
OTHER_POLICY = "frame-ancestors 'none'"

#: responses a browser renders as a document that can run script; an SVG opened at its own URL
#: (the check-in QR code) is one too
DOCUMENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml"})


#: pages that may show personal data: kept by no cache, not even the browser's (a shared
#: computer at a training centre, the back button after logging out)
PERSONAL_PAGE_CACHE = "private, no-store"


#: pages the same for every visitor who is not logged in (in one language): a shared cache may
#: keep them for PUBLIC_PAGE_MAX_AGE seconds when they are shown to one
PUBLIC_PAGES = frozenset({"core.home", "catalog.index", "catalog.detail", "privacy.notice"})


def _shareable(response):
    """Whether a response is a public page shown to an anonymous visitor, with no cookie set."""
    return (
        request.method in ("GET", "HEAD")
        and request.endpoint in PUBLIC_PAGES
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not current_user.is_authenticated
        and not session.modified
        and "Set-Cookie" not in response.headers
        and int(current_app.config["PUBLIC_PAGE_MAX_AGE"] or 0) > 0
    )


def _personal(response):
    """Whether a response is a page for a logged-in person, or the answer to a form (which
    shows back what was typed: a NIK, a birth date)."""
    if response.mimetype not in ("text/html", "application/xhtml+xml"):
        return False
    return request.method not in ("GET", "HEAD") or current_user.is_authenticated


def add_security_headers(response):
    """Add the headers to a response; a view that set one of them keeps its own."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    policy = DOCUMENT_POLICY if response.mimetype in DOCUMENT_TYPES else OTHER_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    hsts = int(current_app.config["HSTS_SECONDS"] or 0)
    if hsts > 0:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={hsts}")
    if "Cache-Control" not in response.headers:
        if _personal(response):
            response.headers["Cache-Control"] = PERSONAL_PAGE_CACHE
        elif _shareable(response):
            response.cache_control.public = True
            response.cache_control.max_age = int(current_app.config["PUBLIC_PAGE_MAX_AGE"])
            # the page's language comes from the cookie or the browser's languages
            response.vary.update(("Cookie", "Accept-Language"))
    return response


def init_app(app):
    app.after_request(add_security_headers)
