"""Logs: one JSON object per line, each with the request id (``X-Request-ID``, taken from the
proxy when it sends a sane one, else made here; sent back on the response and carried into the
jobs the request starts). Nothing personal or secret reaches a line: NIKs, reset links, tokens,
passwords, e-mail addresses and phone numbers are masked in every message and path
(:func:`scrub`). gunicorn's access and error logs use the same form (:class:`GunicornLogger`,
set in gunicorn.conf.py).
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import g, has_app_context, request

#: a request id we accept from outside: short, plain characters
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
#: what never reaches a log line, and what it becomes
_MASKS = (
    # a password reset link's token (in a path or a whole link)
    (re.compile(r"(/password/reset/)[^/\s?\"']+"), r"\1[token]"),
    # a bearer token (before key=value: "Authorization: Bearer xyz")
    (re.compile(r"(?i)\b(Bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [hidden]"),
    # key=value secrets in a message or a query string
    (
        re.compile(
            r"(?i)\b(password|passwd|token|secret|authorization|api_key)(\"?\s*[:=]\s*\"?)[^\s&\"',;]+"
        ),
        r"\1\2[hidden]",
    ),
    # a NIK: 16 digits
    (re.compile(r"(?<!\d)\d{16}(?!\d)"), "[nik]"),
    # e-mail addresses
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    # Indonesian mobile numbers in any spelling (+62 812-3456-7890, 081234567890, 62812...)
    (re.compile(r"(?<![\w+])(?:\+62|62|0)[ -]?8\d{1,3}(?:[ -]?\d{2,4}){2,3}(?!\w)"), "[phone]"),
    # long random strings (signed tokens, sealed terms)
    (re.compile(r"[A-Za-z0-9_-]{32,}(?:\.[A-Za-z0-9_-]+)*"), "[token]"),
)
#: what each mask needs to find at least once in a text (a text without any of these has
#: nothing to mask: one search instead of six substitutions, for most of a line's fields)
_SUSPECT = re.compile(
    r"(?i)/password/reset/|bearer|password|passwd|token|secret|authorization|api_key"
    r"|\d{16}|@|[A-Za-z0-9_-]{32}|(?:\+62|62|0)[ -]?8\d"
)
#: attributes of a LogRecord that are not extra fields
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def scrub(text):
    """``text`` with NIKs, reset links, tokens, passwords, e-mail addresses and phone numbers
    masked."""
    text = str(text)
    if not _SUSPECT.search(text):
        return text
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def current_request_id():
    """The request id of the request or job this code runs for, or None."""
    if has_app_context():
        return g.get("request_id")
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extra fields."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RESERVED and key not in entry and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool) else scrub(value)
        if record.exc_info:
            entry["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(stream=None, level=logging.INFO):
    """Send the root logger's lines to ``stream`` (standard error) as JSON, once per process."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "lms_json", False):
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.lms_json = True
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def init_app(app):
    """Give every request an id and log it as one line when answered."""
    if app.config.get("LOG_JSON") and not app.testing:
        configure()
    request_log = logging.getLogger("lms.request")

    @app.before_request
    def _request_id():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        started = g.get("request_started")
        took = time.perf_counter() - started if started else 0.0
        endpoint = request.endpoint or "unknown"
        from . import metrics

        metrics.REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        metrics.LATENCY.labels(endpoint, request.method).observe(took)
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": scrub(request.path),
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(took * 1000, 1),
            },
        )
        return response


def _gunicorn_logger_class():
    from gunicorn import glogging

    class GunicornLogger(glogging.Logger):
        """gunicorn's logs as JSON lines; the access line's path is scrubbed and has no query
        string or referrer, and carries the response's X-Request-ID."""

        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())

        def access(self, resp, req, environ, request_time):
            if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
                return
            request_id = next(
                (v for k, v in (resp.headers or ()) if k.lower() == "x-request-id"), ""
            )
            status = str(resp.status or "").split(" ", 1)[0]
            path = scrub(environ.get("PATH_INFO", ""))
            self.access_log.info(
                "%s %s %s",
                environ.get("REQUEST_METHOD"),
                path,
                status,
                extra={
                    "request_id": request_id,
                    "remote": environ.get("REMOTE_ADDR", ""),
                    "method": environ.get("REQUEST_METHOD", ""),
                    "path": path,
                    "protocol": environ.get("SERVER_PROTOCOL", ""),
                    "status": int(status) if status.isdigit() else 0,
                    "bytes": getattr(resp, "sent", 0) or 0,
                    "duration_ms": round(request_time.total_seconds() * 1000, 1),
                    "agent": scrub(environ.get("HTTP_USER_AGENT", ""))[:200],
                },
            )

    return GunicornLogger


def __getattr__(name):
    # gunicorn's Logger class is built on first use, so that importing this module needs no
    # gunicorn (the worker, the tests)
    if name == "GunicornLogger":
        return _gunicorn_logger_class()
    raise AttributeError(name)
