"""A database away for a moment: 503 "try again in a minute" with Retry-After, in the person's
language, as a page or as the API's JSON error, never a 500; and a connection attempt that ends
(lms.core.outage, lms.core.http)."""

import contextlib
import os
import socket
import sqlite3
import sys
import threading
import time

import psycopg
import psycopg.errors
import pytest
import requests
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from lms.core.outage import RETRY_AFTER, database_unavailable
from lms.extensions import db
from tests.fixtures.i18n import tr
from tests.fixtures.servers import free_port, running
from tests.fixtures.users import log_in

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MESSAGE = "Latih cannot be reached for a moment. Please try again in a minute."


def _sqlite_error(message, code):
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # as the sqlite3 module sets it
    return error


# --- which failures are "away for a moment" -----------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused")), True),
        (OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("restarting")), True),
        (OperationalError("SELECT 1", {}, psycopg.errors.CannotConnectNow("starting up")), True),
        (OperationalError("SELECT 1", {}, psycopg.errors.TooManyConnections("full")), True),
        (OperationalError("SELECT 1", {}, psycopg.errors.DeadlockDetected("deadlock")), True),
        (OperationalError("SELECT 1", {}, psycopg.errors.LockNotAvailable("lock")), True),
        (OperationalError("INSERT", {}, psycopg.errors.ReadOnlySqlTransaction("standby")), True),
        (DBAPIError("SELECT 1", {}, psycopg.Error("closed"), connection_invalidated=True), True),
        (OperationalError("UPDATE", {}, _sqlite_error("database is locked", 5)), True),
        (OperationalError("UPDATE", {}, _sqlite_error("database is locked", 517)), True),
        (OperationalError("SELECT", {}, _sqlite_error("no such table: courses", 1)), False),
        (ProgrammingError("SELECT", {}, psycopg.errors.UndefinedTable("no courses")), False),
        (IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate")), False),
        (OperationalError("SELECT", {}, psycopg.errors.QueryCanceled("statement timeout")), True),
        (OperationalError("SELECT", {}, psycopg.errors.ProgramLimitExceeded("too complex")), False),
        (RuntimeError("boom"), False),
        (None, False),
    ],
    ids=[
        "refused",
        "admin-shutdown",
        "starting-up",
        "too-many-connections",
        "deadlock",
        "lock-not-available",
        "standby-during-failover",
        "connection-invalidated",
        "sqlite-busy",
        "sqlite-busy-extended",
        "sqlite-no-table",
        "undefined-table",
        "unique-violation",
        "statement-timeout",
        "program-limit-exceeded",
        "not-a-database-error",
        "nothing",
    ],
)
def test_which_failures_mean_away_for_a_moment(error, expected):
    assert database_unavailable(error) is expected


# --- a PostgreSQL host that does not answer -----------------------------------------------------


#: seconds the silent database holds a connection before it hangs up (a libpq without a
#: timeout would wait that long, and the test fail on its time, instead of waiting for ever)
SILENCE = 30


@pytest.fixture
def silent_database():
    """A local port that takes connections and never answers (a host that hung) for
    ``SILENCE`` seconds: the URL of a PostgreSQL database there."""
    held, stop = [], threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.1)

        def take():
            began = time.monotonic()
            while not stop.is_set() and time.monotonic() - began < SILENCE:
                with contextlib.suppress(TimeoutError):
                    held.append(listener.accept()[0])
            for connection in (*held, listener):  # hung up, and refused from then on
                connection.close()

        taker = threading.Thread(target=take, daemon=True)
        taker.start()
        yield f"postgresql://postgres@127.0.0.1:{listener.getsockname()[1]}/latih"
        stop.set()
        taker.join()


@pytest.mark.one_database
def test_a_database_host_that_does_not_answer_gets_503_within_the_connect_timeout(
    make_app, silent_database
):
    """Without a connect timeout a hung database host held each request (and each worker's
    thread) for minutes; now the page and the API answer 503 in seconds, asking to come back.
    The page of a logged-in person asks the database nothing more (its menu an anonymous
    visitor's): a second failure there would end in a bare 500."""
    other = make_app(
        SQLALCHEMY_DATABASE_URI=silent_database,
        DATABASE_CONNECT_TIMEOUT=2,
        PROPAGATE_EXCEPTIONS=False,
    )
    client = other.test_client()
    with client.session_transaction() as session:  # a person logged in: the page would ask
        session["_user_id"] = "a-login-session"  # the database for them again, and fail
    began = time.monotonic()
    page = client.get("/courses/")
    api = client.get("/api/v1/courses", headers={"Accept-Language": "en"})
    assert time.monotonic() - began < SILENCE / 2  # attempts of 2 s (libpq's least)
    assert page.status_code == 503
    assert page.headers["Retry-After"] == str(RETRY_AFTER)
    assert tr(MESSAGE) in page.get_data(as_text=True)  # Indonesian by default
    assert api.status_code == 503
    assert api.headers["Retry-After"] == str(RETRY_AFTER)
    assert api.get_json() == {"error": {"code": "unavailable", "message": MESSAGE, "fields": {}}}


# --- the database lost in the middle of a request -----------------------------------------------


@pytest.fixture
def failing_app(app, make_app):
    """An app whose ``/lost`` and ``/api/v1/lost`` lose the database in the middle of the
    request, as production would: on PostgreSQL the request's own connection is ended by the
    server (as a restart ends it); on SQLite another writer holds the database past the busy
    timeout. Yields (the app, a function that ends the outage)."""
    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    options = {"connect_args": {"timeout": 0.2}} if sqlite else {}
    other = make_app(PROPAGATE_EXCEPTIONS=False, SQLALCHEMY_ENGINE_OPTIONS=options)
    holder = None
    if sqlite:
        holder = sqlite3.connect(db.engine.url.database, isolation_level=None)

    def lost():
        db.session.execute(text("SELECT 1"))  # the request's connection works at first
        if sqlite:
            holder.execute("BEGIN IMMEDIATE")
            db.session.execute(text("UPDATE catalog_version SET version = version"))
        else:
            db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return "unreachable"

    for prefix in ("", "/api/v1"):
        other.add_url_rule(f"{prefix}/lost", f"lost{prefix}", lost, methods=["POST"])

    def end():
        if holder is not None and holder.in_transaction:
            holder.execute("ROLLBACK")

    yield other, end
    end()
    if holder is not None:
        holder.close()


def test_the_api_answers_503_when_the_database_goes_away_mid_request(failing_app):
    other, end = failing_app
    client = other.test_client()
    response = client.post("/api/v1/lost", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json()["error"] == {"code": "unavailable", "message": MESSAGE, "fields": {}}
    end()
    assert client.get("/api/v1/courses").status_code == 200  # and back once it is back


def test_a_logged_in_page_answers_503_in_indonesian_without_asking_the_database_again(
    failing_app, dummy_trainee
):
    """The page's menu would ask the database for the person again (the rollback forgot them):
    it is an anonymous visitor's menu instead, never a second failure (a bare 500)."""
    other, end = failing_app
    client = log_in(other.test_client(), dummy_trainee)
    response = client.post("/lost")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER)
    assert tr(MESSAGE) in response.get_data(as_text=True)
    end()
    assert dummy_trainee.name in client.get("/").get_data(as_text=True)  # still logged in


# --- a real server through a restart of PostgreSQL ----------------------------------------------


class Proxy:
    """A TCP relay in front of the database: ``stop`` drops every connection through it and
    refuses new ones (PostgreSQL going down), ``start`` relays again on the same port."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.port = free_port()
        self.sockets, self.listener = set(), None

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self):
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        for sock in list(self.sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client = listener.accept()[0]
            except OSError:
                return  # stopped
            upstream = socket.create_connection(self.target)
            self.sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.mark.one_database
@pytest.mark.realclock
def test_a_real_server_answers_503_while_postgresql_is_down_and_200_once_it_is_back(app):
    """gunicorn as production runs it (errors not propagated), PostgreSQL behind a relay that
    goes down with every connection through it, then comes back: the page and the API answer
    503 with Retry-After while it is down (not gunicorn's bare 500), and 200 at once after."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("a PostgreSQL server restarts; SQLite has none")
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    port = free_port()
    env = {
        **os.environ,
        "LMS_CONFIG": "testing",
        "LMS_PROPAGATE_EXCEPTIONS": "false",
        "LMS_SQLALCHEMY_DATABASE_URI": through,
    }
    command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "2"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "lms:create_app()"]
    base = f"http://127.0.0.1:{port}"
    en = {"Accept-Language": "en"}
    try:
        with running(command, f"{base}/api/v1/regencies", env, ROOT, wait=90):
            assert requests.get(f"{base}/api/v1/courses", timeout=30).status_code == 200
            proxy.stop()
            api = requests.get(f"{base}/api/v1/courses", headers=en, timeout=30)
            page = requests.get(f"{base}/courses/", timeout=30)
            proxy.start()
            back = requests.get(f"{base}/api/v1/courses", timeout=30)
    finally:
        proxy.stop()
    assert (api.status_code, api.headers["Retry-After"]) == (503, str(RETRY_AFTER))
    assert api.json()["error"] == {"code": "unavailable", "message": MESSAGE, "fields": {}}
    assert (page.status_code, page.headers["Retry-After"]) == (503, str(RETRY_AFTER))
    assert tr(MESSAGE) in page.text
    assert back.status_code == 200
