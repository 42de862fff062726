"""Search terms that may hold an identity number, kept out of URLs (and so out of access logs,
browser histories and Referer headers) and out of the audit log.

Staff find a trainee by a full NIK. A NIK in a query string would be written to the access log of
every proxy and worker, so the pages that search by NIK send their search form by POST and link
to their results with the term *sealed*: ``?qs=<token>``, the term encrypted and authenticated
with a key derived from SECRET_KEY (Fernet), readable for SEARCH_TERM_MAX_AGE seconds and by this
site only. A term without a number (a name, a part of an e-mail address) stays a readable
``?q=``. The token needs no storage, so any worker on any machine reads it.
"""

import base64
import hashlib
import hmac
import re

from flask import current_app, g, has_request_context, request, url_for

#: the query parameter of a sealed search term
SEALED = "qs"
#: a run of digits that may be (part of) a NIK, a phone number or a birth date; the separators
#: people type inside numbers do not break it
NUMBER_RE = re.compile(r"[0-9](?:[\s.\-]*[0-9]){3,}")


def _fernet():
    from cryptography.fernet import Fernet  # here: pages that seal nothing do not load it

    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hmac.new(secret, b"latih search terms", hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def holds_number(text):
    """Whether ``text`` holds a run of four digits or more (a NIK, a phone number, a date)."""
    return bool(text) and NUMBER_RE.search(text) is not None


def _known():
    """The tokens of this request by term: a page links to its results with the token it was
    opened with (one URL for one search, which ages from the search)."""
    if has_request_context():
        return g.setdefault("sealed_terms", {})
    return {}


def seal(text):
    """The opaque token of a search term, for a URL."""
    known = _known()
    if text not in known:
        known[text] = _fernet().encrypt(text.encode()).decode()
    return known[text]


def unseal(token):
    """The search term of a token, or None when it is forged, broken or older than
    SEARCH_TERM_MAX_AGE."""
    from cryptography.fernet import InvalidToken

    try:
        data = _fernet().decrypt(token.encode(), ttl=current_app.config["SEARCH_TERM_MAX_AGE"])
        text = data.decode()
    except (InvalidToken, UnicodeError, ValueError):
        return None
    _known().setdefault(text, token)
    return text


def term_args(text, name="q"):
    """The query-string arguments that carry a search term: ``{name: text}``, or the term
    sealed when it holds a number, or nothing when it is empty."""
    if not text:
        return {}
    if holds_number(text):
        return {SEALED: seal(text)}
    return {name: text}


def read_term(args, name="q"):
    """(the search term of a query string, whether its sealed form has expired): a plain
    ``name`` or a sealed ``qs``; ("", False) when neither is given."""
    token = args.get(SEALED)
    if token:
        text = unseal(token)
        return (text, False) if text is not None else ("", True)
    return args.get(name) or "", False


def sealed_url(name="q"):
    """The current page's URL with its plain ``name`` term sealed, when that term holds a
    number (a NIK typed into a link), else None: the page answers with a redirect to it."""
    text = (request.args.get(name) or "").strip()
    if not holds_number(text):
        return None
    args = request.args.to_dict(flat=False)
    del args[name]
    args[SEALED] = seal(text)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def mask_numbers(text):
    """``text`` with every run of digits (a NIK in a search) hidden but for its last four: what an
    audit entry may keep."""

    def mask(match):
        digits = re.sub(r"[^0-9]", "", match.group(0))
        return "•" * (len(digits) - 4) + digits[-4:]

    return re.sub(r"[0-9](?:[\s.\-]*[0-9]){7,}", mask, text or "")
