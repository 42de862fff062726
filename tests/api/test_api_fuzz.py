"""Property-based fuzzing of the JSON API (schemathesis) from its OpenAPI document, in process.

Every operation of /api/v1/openapi.json is called with generated requests, valid and invalid
(schemathesis' coverage phase adds the boundary values of every parameter), as a staff member with
a bearer token, through the Flask app itself (WSGI, no network). However wrong
the input, the answer is never a 5xx, and under /api it is JSON (API.md's error body for an
error), but for the files the document declares (a certificate's PDF and credential) and the
empty answers (204, OPTIONS). The run is bounded (MAX_EXAMPLES per operation) and derandomized
(SEED): the same requests every time, so that a failure reproduces, and it stays fast.

It runs on one database (``one_database``): PostgreSQL when the suite has it, production's database
and the stricter judge of a value (a NUL in a text, a number out of a column's range, a text over a
column's length fail there, where SQLite stores them). The same examples on SQLite cost about 45 s
of a worker in every run.

A failure prints the request as a curl command; run this file alone (``-n 0``) to see it.
"""

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig

from lms.auth import services as auth_services
from lms.extensions import db

#: generated examples per operation (the coverage phase's boundary values come on top)
MAX_EXAMPLES = 12
#: the examples are derived from this seed: the same on every run and every machine
SEED = 20261206

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        # the database fixtures are per test, not per example: hypothesis must not mind
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "allow-x00": True,
        },
        # a chain of calls (create, then read) would need far more time than a test may take
        "phases": {"stateful": {"enabled": False}},
        # only what the API promises whatever the input: no 5xx (the rest is checked below)
        "checks": {"enabled": False, "not_a_server_error": {"enabled": True}},
    }
)


def isolated(app):
    """The app as a WSGI callable whose every request has its own app context (and database
    session), as in production, and is read to its end inside it."""

    def wsgi(environ, start_response):
        with app.app_context():
            return list(app(environ, start_response))

    return wsgi


@pytest.fixture
def api_schema(app):
    """The OpenAPI document as the app serves it, for schemathesis."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", isolated(app), config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def bearer(make_classroom, add_meeting):
    """A running course with trainees and meetings (small ids, so that generated ids find
    records), and ``bearer()``: the headers of its staff member's token, a new one after a call
    revoked it (DELETE /api/v1/tokens/current)."""
    room = make_classroom(2)
    add_meeting(room.course, -1)
    add_meeting(room.course, 0)
    current = {}

    def _bearer(revoked=False):
        if revoked or not current:
            token, _row = auth_services.issue_api_token(room.staff)
            db.session.commit()
            current["headers"] = {"Authorization": f"Bearer {token}"}
        return current["headers"]

    return _bearer


def _files(document):
    """(method, path) of the operations whose success answer is a file, not JSON."""
    files = set()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for status, answer in operation.get("responses", {}).items():
                types = set((answer.get("content") or {}).keys())
                if status.startswith("2") and types and "application/json" not in types:
                    files.add((method.upper(), path))
    return files


def assert_json_answer(case, response):
    """Under /api every answer is JSON (an error in API.md's shape), but for declared files and
    answers with no body."""
    method, status = case.method.upper(), response.status_code
    if status == 204 or method in ("HEAD", "OPTIONS") and not response.content:
        return
    if status < 300 and (method, case.operation.path) in _files(case.operation.schema.raw_schema):
        return
    where = f"{method} {case.formatted_path}: {status}"
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), where
    body = response.json()
    if status >= 400:
        error = body["error"]
        assert isinstance(error["code"], str) and error["code"], where
        assert isinstance(error["message"], str) and error["message"], where
        assert isinstance(error["fields"], dict), where


@pytest.mark.one_database
@schema.parametrize()
def test_the_api_never_answers_5xx_and_always_json(case, app, bearer):
    revokes = case.method.upper() == "DELETE" and case.operation.path == "/api/v1/tokens/current"
    # the WSGI transport does not undo a Content-Encoding as an HTTP client does: ask for none
    headers = {**bearer(), "Accept-Encoding": "identity"}
    response = case.call(app=isolated(app), headers=headers)
    if revokes:
        bearer(revoked=True)
    case.validate_response(response, headers=headers)
    assert response.status_code < 500
    assert_json_answer(case, response)
