"""gunicorn.conf.py, the server settings the README starts production with: a streamed download
that lasts longer than the worker timeout arrives whole, and the access log keeps no query string.

gunicorn runs the repository's config file with a deliberately small timeout (from the
environment, as an operator would change it) and serves tests/stream_app.py.
"""

import http.client
import json
import os
import socket
import sys
import time
from contextlib import contextmanager

import pytest
import requests

from tests.fixtures.servers import free_port, running

#: gunicorn serves tests/stream_app.py, which has no database: the tests run on one backend
pytestmark = [pytest.mark.realclock, pytest.mark.one_database]

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: the worker timeout given to gunicorn, and how long the download takes: three times as long
TIMEOUT = 2
ROWS, PAUSE = 60, 0.1
NIK = "1807015705950001"


@contextmanager
def _gunicorn(tmp_path, **settings):
    """gunicorn with gunicorn.conf.py serving the slow app, its settings changed through the
    environment (GUNICORN_<NAME>) as an operator would; yields (base URL, access log path)."""
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_TIMEOUT": str(TIMEOUT),
        "GUNICORN_GRACEFUL_TIMEOUT": "5",
        "GUNICORN_ACCESSLOG": str(access_log),
        "GUNICORN_LOGLEVEL": "warning",
        "HOME": str(tmp_path),
        "XDG_RUNTIME_DIR": str(tmp_path),
        "STREAM_ROWS": str(ROWS),
        "STREAM_PAUSE": str(PAUSE),
        **{f"GUNICORN_{name.upper()}": str(value) for name, value in settings.items()},
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        os.path.join(ROOT, "gunicorn.conf.py"),
        "tests.stream_app:app",
    ]
    base = f"http://127.0.0.1:{port}"
    with running(command, f"{base}/ping", env, ROOT):
        yield base, access_log


@pytest.fixture
def server(tmp_path):
    with _gunicorn(tmp_path) as served:
        yield served


@pytest.fixture
def small_server(tmp_path):
    """One worker of 2 threads that holds at most 8 connections: a registration surge's
    thousand connections to a province's workers, made small."""
    with _gunicorn(tmp_path, threads=2, worker_connections=8, keepalive=1) as served:
        yield served


def test_a_download_longer_than_the_worker_timeout_arrives_whole(server):
    base, access_log = server
    response = requests.get(f"{base}/export.csv?nik={NIK}&year=2026", timeout=60)
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines[0] == "n,name" and lines[-1] == "end"
    assert lines[1:-1] == [f"{n},Peserta {n}" for n in range(ROWS)]


def _logged(access_log, path):
    """The access log's lines (JSON objects) once ``path`` is in it."""
    deadline = time.monotonic() + 10
    while path not in (access_log.read_text() if access_log.exists() else ""):
        if time.monotonic() > deadline:
            pytest.fail("the request was not logged")
        time.sleep(0.1)
    return access_log.read_text().splitlines()


def test_no_control_socket_is_opened(server, tmp_path):
    # gunicorn 25 and later open one by default, for its gunicornc tool, a moment after the
    # workers start; systemd is the only door
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert not list(tmp_path.rglob("*.ctl"))
        time.sleep(0.1)


def test_the_access_log_keeps_no_query_string(server):
    base, access_log = server
    assert requests.get(f"{base}/ping?nik={NIK}", timeout=10).text == "pong"
    lines = _logged(access_log, "/ping")
    entries = [json.loads(line) for line in lines]  # one JSON object per line
    ping = next(e for e in entries if e["path"] == "/ping")
    assert (ping["method"], ping["status"], ping["logger"]) == ("GET", 200, "gunicorn.access")
    log = "\n".join(lines)
    assert NIK not in log and "nik=" not in log


def test_the_access_log_masks_reset_links_and_niks(server):
    base, access_log = server
    token = "IjQyIg.Z1x2Yw.q8Yb3nLk0v9Jm2c4Xr7Ts5Wd1Ue"
    requests.get(f"{base}/password/reset/{token}", timeout=10)
    requests.get(f"{base}/users/{NIK}/done", timeout=10)
    lines = _logged(access_log, "/done")
    log = "\n".join(lines)
    assert token not in log and NIK not in log
    paths = [json.loads(line)["path"] for line in lines]
    assert "/password/reset/[token]" in paths and "/users/[nik]/done" in paths


def test_connections_given_up_before_their_request_do_not_wedge_the_worker(small_server):
    # Phones on 3G that connect during a surge and give up before sending: as many as the worker
    # holds. gunicorn 23 accepted them, stopped reading its sockets at its limit, and turned on
    # the spot for ever at full CPU, answering nobody again (gunicorn issue #3146).
    base, _ = small_server
    port = int(base.rsplit(":", 1)[1])
    given_up = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(8)]
    time.sleep(0.5)  # the worker accepts them
    for sock in given_up:
        sock.close()
    assert requests.get(f"{base}/ping", timeout=15).text == "pong"


def test_a_surge_larger_than_the_worker_holds_is_answered_whole(small_server):
    # Registration opens: more phones connect at the same moment than a worker holds, and their
    # requests arrive a moment after their connections (a slow network). Every one is answered.
    base, _ = small_server
    port = int(base.rsplit(":", 1)[1])
    phones = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(30)]
    time.sleep(0.5)
    for sock in phones:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: latih\r\nConnection: close\r\n\r\n")
    answers = []
    for sock in phones:
        with sock:
            response = http.client.HTTPResponse(sock)
            response.begin()
            answers.append((response.status, response.read()))
    assert answers == [(200, b"pong")] * 30
