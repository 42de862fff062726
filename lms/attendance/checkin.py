"""Rotating check-in codes: derived from a per-session secret and the time, like a TOTP.

The trainer's page shows the current code (and a QR code of a URL holding it); a code is accepted
during its own period and the one after, so a photo sent to a friend soon stops working.
"""

import hashlib
import hmac
import struct
from datetime import UTC, datetime

from flask import current_app

#: digits in a code: short enough to type on a phone
DIGITS = 6


def _period():
    return int(current_app.config["CHECKIN_CODE_PERIOD"])


def _counter(moment):
    return int(moment.timestamp()) // _period()


def code_for(secret, counter):
    """The code of one period (HOTP, RFC 4226 truncation)."""
    digest = hmac.new(bytes.fromhex(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def current_code(secret, now=None):
    """(code, expires_at): the code shown now and when it stops being accepted."""
    now = now or datetime.now(UTC)
    counter = _counter(now)
    expires = datetime.fromtimestamp((counter + 2) * _period(), UTC)
    return code_for(secret, counter), expires


def code_is_valid(secret, code, now=None):
    """Whether ``code`` is this period's or the previous period's code."""
    now = now or datetime.now(UTC)
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return False
    counter = _counter(now)
    return any(hmac.compare_digest(code, code_for(secret, c)) for c in (counter, counter - 1))


def seconds_left(now=None):
    """Seconds until the shown code rotates."""
    now = now or datetime.now(UTC)
    return _period() - int(now.timestamp()) % _period()
