"""deploy/nginx/latih.conf, the nginx site the README installs, run by Debian's nginx in front of
the two gunicorn instances serving Latih with production's settings (gunicorn.conf.py,
LMS_CONFIG=production, LMS_PROXY_COUNT=1), as a province runs them: only the certificate, the
ports and the log folder are changed, to a test's own.

nginx comes from Debian's packages (``apt-get install nginx-light``; .ci/run installs it): a
machine without it skips these tests, CI fails them.
"""

import datetime
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fixtures.i18n import tr
from tests.fixtures.servers import free_port, stop, wait_until_ready
from tests.fixtures.users import PASSWORD

#: gunicorn and nginx share the clock of the machine; one database is enough for a server; the
#: test's certificate is its own, which requests cannot verify
pytestmark = [
    pytest.mark.realclock,
    pytest.mark.one_database,
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "latih.conf"
HOST = "latih.example.go.id"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _nginx_or_skip():
    if not os.path.exists(NGINX):
        message = "nginx not found (apt-get install nginx-light)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _certificate(folder):
    """A self-signed certificate for HOST: (certificate path, key path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))  # (not checked)
        .not_valid_after(datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


#: the gunicorn instances of the site (deploy/systemd/latih-web@.service)
INSTANCES = (8000, 8001)


def site_for_test(site, folder, http_port, https_port, upstream_ports):
    """The site's text with a test's certificate, ports, log folder and gunicorn instances'
    addresses; the rest (proxying, headers, timeouts, buffering, closed paths) as the README
    installs it."""
    cert_path, key_path = _certificate(folder)
    site = re.sub(r"^\s*listen\s+\[::\]:\d+[^;]*;\n", "", site, flags=re.M)  # IPv4 only here
    site = re.sub(r"\blisten\s+80\b", f"listen 127.0.0.1:{http_port}", site)
    site = re.sub(r"\blisten\s+443\b", f"listen 127.0.0.1:{https_port}", site)
    for instance, port in zip(INSTANCES, upstream_ports, strict=True):
        site, found = re.subn(
            rf"\bserver 127\.0\.0\.1:{instance}\b", f"server 127.0.0.1:{port}", site
        )
        assert found == 1, f"no upstream server 127.0.0.1:{instance}"
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert_path};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key_path};", site)
    return site.replace("/var/log/nginx", str(folder))


def _main_config(folder, site_path):
    """nginx.conf around the site: in the foreground, everything in ``folder``."""
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers may read the test's folder
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 1024; }}\n"
        "http {\n"
        "  include /etc/nginx/mime.types;\n"
        f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n"
        f"  include {site_path};\n"
        "}\n"
    )


@contextmanager
def _nginx(folder, upstream_ports):
    """nginx serving the site in front of ``upstream_ports``; yields (http port, https port)."""
    http_port, https_port = free_port(), free_port()
    site_path = folder / "latih.conf"
    site_path.write_text(
        site_for_test(SITE.read_text(), folder, http_port, https_port, upstream_ports)
    )
    config = folder / "nginx.conf"
    config.write_text(_main_config(folder, site_path))
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(config)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([NGINX, "-c", str(config)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"nginx did not start: {(folder / 'error.log').read_text()}")
                time.sleep(0.1)
        yield http_port, https_port
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Phone(requests.Session):
    """A browser of HOST: the test's own certificate is not checked, every request has a
    timeout."""

    def __init__(self):
        super().__init__()
        self.headers["Host"] = HOST

    def request(self, *args, **kwargs):
        kwargs.setdefault("verify", False)  # (session.verify gives way to REQUESTS_CA_BUNDLE)
        kwargs.setdefault("timeout", 60)
        return super().request(*args, **kwargs)


class Instance:
    """One gunicorn serving Latih as latih-web@<port>.service runs it, started and stopped by a
    test as systemd would (a stop is SIGTERM: running requests finish)."""

    def __init__(self, port, env):
        self.port, self.process = port, None
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}

    def start(self):
        command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        self.process = subprocess.Popen(command, env=self.env, cwd=ROOT)

    def wait_ready(self):
        wait_until_ready(self.process, f"http://127.0.0.1:{self.port}/healthz", wait=90)

    def stop(self):
        stop(self.process)


@pytest.fixture
def instances(app, tmp_path):
    """The two gunicorn instances of the site, with production's settings, on the test
    database."""
    _nginx_or_skip()
    env = {
        **os.environ,
        "LMS_CONFIG": "production",
        "LMS_SECRET_KEY": "a-test-secret-key-of-forty-characters-xx",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LMS_PUBLIC_BASE_URL": f"https://{HOST}",
        "LMS_PROXY_COUNT": "1",
        "LMS_SINGLE_PROCESS": "true",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESSLOG": str(tmp_path / "gunicorn-access.log"),
        "GUNICORN_LOGLEVEL": "warning",
    }
    for name in ("REDIS_URL", "LMS_RATELIMIT_STORAGE_URI", "LMS_SQLALCHEMY_DATABASE_URI"):
        env.pop(name, None)
    started = [Instance(free_port(), env) for _ in INSTANCES]
    try:
        for instance in started:
            instance.start()
        for instance in started:
            instance.wait_ready()
        yield started
    finally:
        for instance in started:
            if instance.process.poll() is None:
                instance.stop()


@pytest.fixture
def province(instances, tmp_path):
    """Latih behind nginx as the README deploys it; yields an HTTPS session for HOST and the
    HTTP and HTTPS base URLs (addresses on 127.0.0.1, HOST given by the Host header)."""
    with _nginx(tmp_path, [instance.port for instance in instances]) as (http_port, https_port):
        yield Phone(), f"http://127.0.0.1:{http_port}", f"https://127.0.0.1:{https_port}"


def test_plain_http_is_sent_to_https(province):
    session, http, _ = province
    response = session.get(f"{http}/login?next=/courses/", allow_redirects=False)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{HOST}/login?next=/courses/"


def test_a_trainee_logs_in_through_nginx(province, create_user):
    # the form's CSRF token, the session cookie marked Secure (the app knows the request came
    # by HTTPS), the redirect to the public address, nginx's request id in the answer
    session, _, https = province
    trainee = create_user("trainee", email="siti@example.org")
    page = session.get(f"{https}/login")
    assert page.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", page.headers["X-Request-ID"])  # nginx's $request_id
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)[1]
    answer = session.post(
        f"{https}/login",
        data={"csrf_token": token, "email": trainee.email, "password": PASSWORD},
        headers={"Referer": f"https://{HOST}/login"},  # as a browser sends it
        allow_redirects=False,
    )
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(("/", f"https://{HOST}/"))
    cookies = answer.headers.get("Set-Cookie", "")
    assert "Secure" in cookies and "HttpOnly" in cookies
    me = session.get(f"{https}/profile", allow_redirects=False)
    assert me.status_code == 200 and trainee.email in me.text


def test_metrics_stay_closed_from_outside(province):
    session, _, https = province
    assert session.get(f"{https}/metrics").status_code == 404


def test_a_surge_through_nginx_is_answered_whole(province):
    # many phones at once, nginx reusing its kept-alive connections to gunicorn: no 502
    session, _, https = province

    def fetch(_):
        with Phone() as phone:
            return phone.get(f"{https}/courses/").status_code

    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(fetch, range(120)))
    assert statuses == [200] * 120


def _line_with(path, text):
    """The first line of the log file ``path`` holding ``text``, once it is written."""
    deadline = time.monotonic() + 10
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        found = [line for line in lines if text in line]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            pytest.fail(f"{text} is not in {path.name}: {lines[-5:]}")
        time.sleep(0.1)


def test_both_logs_carry_one_request_id_and_no_reset_token(province, tmp_path):
    session, _, https = province
    token = "IjQyIg.Z1x2Yw.q8Yb3nLk0v9Jm2c4Xr7Ts5Wd1Ue"
    answer = session.get(f"{https}/password/reset/{token}?nik=1807015705950001")
    request_id = answer.headers["X-Request-ID"]
    logged = _line_with(tmp_path / "latih.access.log", request_id)  # nginx's
    assert '"GET /password/reset/[token]"' in logged
    _line_with(tmp_path / "gunicorn-access.log", request_id)  # the same request, the app's side
    logs = (tmp_path / "latih.access.log").read_text() + (
        tmp_path / "gunicorn-access.log"
    ).read_text()
    assert token not in logs and "1807015705950001" not in logs


def test_an_instance_that_does_not_answer_logs_no_reset_token(tmp_path):
    """nginx's error log writes the request line of a failed request: never a reset link's
    token (its location logs only critical errors), while other paths' failures are logged."""
    _nginx_or_skip()
    token = "IjQyIg.Z1x2Yw.q8Yb3nLk0v9Jm2c4Xr7Ts5Wd1Ue"
    nobody = [free_port(), free_port()]  # no gunicorn listens there
    with _nginx(tmp_path, nobody) as (_http_port, https_port):
        session, https = Phone(), f"https://127.0.0.1:{https_port}"
        assert session.get(f"{https}/password/reset/{token}").status_code == 502
        assert session.get(f"{https}/courses/").status_code == 502
        _line_with(tmp_path / "error.log", "/courses/")
    logs = "".join(path.read_text() for path in tmp_path.glob("*.log"))
    assert token not in logs


def test_a_file_too_large_is_refused_by_latih_in_indonesian(province):
    # not by nginx's own page in English: nginx lets through more than Latih's limit
    session, _, https = province
    photo = b"\xff" * (21 * 1024 * 1024)  # a phone's picture, above LMS_MAX_CONTENT_LENGTH
    answer = session.post(f"{https}/login", files={"photo": ("ktp.jpg", photo, "image/jpeg")})
    assert answer.status_code == 413
    assert tr("The upload is too large: at most %(size)s MB is accepted.", size="20") in answer.text
    assert '<html lang="id">' in answer.text


def test_restarting_one_instance_at_a_time_fails_no_request(province, instances):
    # an upgrade (README, "Upgrading"): latih-web@8000 restarts, then @8001, while trainees
    # browse and post; nginx passes what finds one closed to the other, so nobody sees a 502
    session, _, https = province
    answers, done = [], threading.Event()

    def browse():
        with Phone() as phone:
            while not done.is_set():
                answers.append(phone.get(f"{https}/courses/").status_code)
                language = {"locale": "en", "next": "/courses/"}
                answer = phone.post(f"{https}/language", data=language, allow_redirects=False)
                answers.append(answer.status_code)

    phones = [threading.Thread(target=browse) for _ in range(4)]
    for phone in phones:
        phone.start()
    try:
        for instance in instances:
            before = len(answers)
            instance.stop()
            instance.start()
            instance.wait_ready()
            while len(answers) < before + 20:  # requests went on meanwhile
                time.sleep(0.1)
    finally:
        done.set()
        for phone in phones:
            phone.join(timeout=120)
    assert set(answers) == {200, 302}, sorted(set(answers))  # pages, and language switches


def test_slow_uploads_do_not_hold_gunicorn(province, instances):
    # phones on 3G sending a form slowly, more of them than both instances have threads: nginx
    # reads their bodies first, so gunicorn's threads stay free for everyone else
    _, _, https = province
    port = int(https.rsplit(":", 1)[1])
    threads = 4 * len(instances)  # GUNICORN_THREADS, one worker each
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    body = b"locale=en&next=/courses/&padding=" + b"x" * 200
    slow = []
    for _ in range(threads + 4):
        sock = tls.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=30))
        sock.sendall(
            b"POST /language HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10]
        )
        slow.append(sock)
    try:
        with Phone() as phone:  # answered while every upload is still under way
            assert phone.get(f"{https}/courses/", timeout=20).status_code == 200
        for sock in slow:  # the uploads end: each is answered too
            sock.sendall(body[10:])
            response = http.client.HTTPResponse(sock)
            response.begin()
            assert response.status == 302
    finally:
        for sock in slow:
            sock.close()
