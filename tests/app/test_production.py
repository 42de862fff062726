"""Production as the README starts it: the settings it refuses to start without, links built on the
configured address only, trusted hosts and proxies, caching and transport headers, the health
check, a Redis rate-limit store, and database errors that keep their values out of the logs."""

import os
import re
import secrets
import socket
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from config import DevelopmentConfig, ProductionConfig, TestingConfig
from lms import create_app
from lms.extensions import db, limiter
from lms.i18n import LOCALE_COOKIE
from lms.outbox.models import OutboxMessage
from tests.fixtures.users import PASSWORD

PUBLIC = "https://latih.example.go.id"
#: the Redis database the tests may write to (their own keys only; nothing is ever flushed)
REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def _production_env(monkeypatch, **variables):
    """The environment of a production start; a variable given as None is unset."""
    env = {
        "LMS_SECRET_KEY": "x" * 40,
        "DATABASE_URL": "postgresql://u@db.example/latih",
        "LMS_PUBLIC_BASE_URL": PUBLIC,
        "REDIS_URL": REDIS_TEST_URL,
        "LMS_SINGLE_PROCESS": None,
        "LMS_RATELIMIT_STORAGE_URI": None,
        "LMS_RATELIMIT_ENABLED": None,
        **variables,
    }
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.fixture(autouse=True)
def own_limiter():
    """Put the rate limiter back as it was: it is one object for every app of the process, and
    an app built here points it at another store."""
    names = ("_storage", "_limiter", "_key_prefix", "enabled")
    saved = {name: getattr(limiter, name) for name in names}
    options = dict(limiter._storage_options)
    yield
    for name, value in saved.items():
        setattr(limiter, name, value)
    limiter._storage_options.clear()
    limiter._storage_options.update(options)


def _redis_or_skip():
    """A client of the test Redis database; skipped where no Redis runs (never on CI)."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            pytest.fail("Redis does not answer on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    return client


def _closed_port():
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- what production refuses to start without --------------------------------------------------


def _example_secret_key():
    example = (Path(__file__).resolve().parents[2] / "deploy" / "env.example").read_text()
    return re.search(r"^LMS_SECRET_KEY=(.*)$", example, re.M)[1]


@pytest.mark.parametrize(
    "key",
    [None, "", "short-but-random-9f3a", "from-env-example"],
    ids=["unset", "empty", "short", "example"],
)
def test_production_refuses_a_secret_key_anyone_could_know(monkeypatch, key):
    # deploy/env.example's placeholder, left in /etc/latih/env, would let anyone sign a reset link
    if key == "from-env-example":
        key = _example_secret_key()
    _production_env(monkeypatch, LMS_SECRET_KEY=key)
    with pytest.raises(RuntimeError, match="LMS_SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_starts_with_a_key_of_its_own(monkeypatch):
    _production_env(monkeypatch, LMS_SECRET_KEY=secrets.token_urlsafe(48))
    assert create_app(ProductionConfig).config["SECRET_KEY"]


def test_production_refuses_to_start_without_the_public_address(monkeypatch):
    _production_env(monkeypatch, LMS_PUBLIC_BASE_URL=None)
    with pytest.raises(RuntimeError, match="LMS_PUBLIC_BASE_URL"):
        create_app(ProductionConfig)


@pytest.mark.parametrize("value", ["latih.example.go.id", "ftp://latih.example.go.id", "https://"])
def test_production_refuses_a_public_address_that_is_no_url(monkeypatch, value):
    _production_env(monkeypatch, LMS_PUBLIC_BASE_URL=value)
    with pytest.raises(RuntimeError, match="LMS_PUBLIC_BASE_URL"):
        create_app(ProductionConfig)


def test_production_refuses_rate_limits_kept_in_one_process(monkeypatch):
    _production_env(monkeypatch, REDIS_URL=None)
    with pytest.raises(RuntimeError, match="REDIS_URL.*LMS_SINGLE_PROCESS"):
        create_app(ProductionConfig)


def test_production_refuses_memory_storage_named_explicitly(monkeypatch):
    _production_env(monkeypatch, LMS_RATELIMIT_STORAGE_URI="memory://")
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        create_app(ProductionConfig)


def test_a_single_process_deployment_may_keep_rate_limits_in_memory(monkeypatch):
    _production_env(monkeypatch, REDIS_URL=None, LMS_SINGLE_PROCESS="true")
    app = create_app(ProductionConfig)
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_redis_url_becomes_the_rate_limit_store(monkeypatch):
    _production_env(monkeypatch)
    app = create_app(ProductionConfig)
    assert app.config["RATELIMIT_STORAGE_URI"] == REDIS_TEST_URL
    assert app.config["PUBLIC_BASE_URL"] == PUBLIC


def test_development_keeps_rate_limits_in_memory_without_redis(monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("LMS_RATELIMIT_STORAGE_URI", raising=False)
    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    # the demo's links point at the address `flask run` serves
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


# --- database errors keep their values out of the logs -----------------------------------------


def _failed_statement(config_class, uri):
    """The text of the error of a statement with a NIK among its values, as a log shows it."""
    other = create_app(config_class, {"SQLALCHEMY_DATABASE_URI": uri})
    try:
        with other.app_context():
            with pytest.raises(DBAPIError) as caught:
                db.session.execute(
                    text("SELECT name FROM no_such_table WHERE nik = :nik"),
                    {"nik": "1807015705950001"},
                )
            db.session.rollback()
            return str(caught.value)
    finally:
        with other.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("config_class", [DevelopmentConfig, ProductionConfig])
def test_statement_errors_hide_their_values_outside_the_tests(app, monkeypatch, config_class):
    _production_env(monkeypatch)
    message = _failed_statement(config_class, app.config["SQLALCHEMY_DATABASE_URI"])
    assert "no_such_table" in message  # the statement itself is still there to debug
    assert "1807015705950001" not in message
    assert config_class.SQLALCHEMY_ENGINE_OPTIONS["hide_parameters"] is True


def test_the_test_suite_still_sees_the_values(app):
    message = _failed_statement(TestingConfig, app.config["SQLALCHEMY_DATABASE_URI"])
    assert "1807015705950001" in message


# --- links in messages are built on the configured address only --------------------------------


def _reset_link(user):
    db.session.rollback()
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.user_id == user.id))
    assert body is not None
    return body


def test_a_forged_host_never_reaches_a_reset_link(client, dummy_trainee):
    """Without a configured address of its own the test app uses its default, not the Host."""
    response = client.post(
        "/password/forgot", data={"email": dummy_trainee.email}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 302
    body = _reset_link(dummy_trainee)
    assert "evil.example" not in body
    assert re.search(r"http://localhost/password/reset/\S+", body), body


def test_a_forwarded_host_behind_a_proxy_never_reaches_a_reset_link(make_app, create_user):
    other = make_app(PROXY_COUNT=1, PUBLIC_BASE_URL=PUBLIC)
    trainee = create_user("trainee")
    response = other.test_client().post(
        "/password/forgot",
        data={"email": trainee.email},
        headers={
            "Host": "evil.example",
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "http",
        },
    )
    assert response.status_code == 302
    body = _reset_link(trainee)
    assert "evil.example" not in body
    match = re.search(r"https://latih\.example\.go\.id(/password/reset/\S+)", body)
    assert match, body
    assert other.test_client().get(match.group(1)).status_code == 200


def test_an_empty_public_address_outside_production_falls_back_to_localhost(make_app, create_user):
    other = make_app(PUBLIC_BASE_URL="")
    trainee = create_user("trainee")
    other.test_client().post(
        "/password/forgot", data={"email": trainee.email}, headers={"Host": "evil.example"}
    )
    body = _reset_link(trainee)
    assert "evil.example" not in body and "http://localhost/password/reset/" in body


# --- trusted hosts and proxies ------------------------------------------------------------------


def test_trusted_hosts_refuse_another_host(make_app):
    client = make_app(TRUSTED_HOSTS=["latih.example.go.id"]).test_client()
    assert client.get("/", headers={"Host": "latih.example.go.id"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_trusted_hosts_come_from_the_environment_as_a_list(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_TRUSTED_HOSTS", "latih.example.go.id, .bp3mi.example.go.id")
    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/d.db"})
    assert app.config["TRUSTED_HOSTS"] == ["latih.example.go.id", ".bp3mi.example.go.id"]
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "a.bp3mi.example.go.id"}).status_code != 400
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_the_proxy_is_not_trusted_with_the_host_by_default(make_app):
    client = make_app(PROXY_COUNT=1, TRUSTED_HOSTS=["latih.example.go.id"]).test_client()
    response = client.get(
        "/", headers={"Host": "latih.example.go.id", "X-Forwarded-Host": "evil.example"}
    )
    assert response.status_code == 200  # X-Forwarded-Host was not taken for the host


def test_the_forwarded_host_is_taken_when_asked_for(make_app):
    client = make_app(
        PROXY_COUNT=1, PROXY_FORWARDED_HOST=True, TRUSTED_HOSTS=["latih.example.go.id"]
    ).test_client()
    forged = {"Host": "latih.example.go.id", "X-Forwarded-Host": "evil.example"}
    assert client.get("/", headers=forged).status_code == 400
    proxied = {"Host": "127.0.0.1:8000", "X-Forwarded-Host": "latih.example.go.id"}
    assert client.get("/", headers=proxied).status_code == 200


# --- caching, transport security and the language cookie ---------------------------------------


@pytest.mark.parametrize("path", ["/profile", "/", "/courses/"])
def test_pages_for_a_logged_in_person_are_never_stored(client, login, dummy_trainee, path):
    login(dummy_trainee)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_persons_record_is_never_stored(client, login, dummy_staff, dummy_trainee):
    login(dummy_staff)
    response = client.get(f"/users/{dummy_trainee.id}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"


def test_a_form_sent_back_with_what_was_typed_is_never_stored(client):
    response = client.post("/register", data={"nik": "1807015705950001", "email": "x"})
    assert response.status_code == 400
    assert "1807015705950001" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_an_anonymous_catalogue_page_may_be_cached(client):
    response = client.get("/courses/")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_a_view_keeps_its_own_cache_rule(client, login, dummy_trainee):
    """The JWK Set is public and cached on purpose, for anyone."""
    login(dummy_trainee)
    response = client.get("/.well-known/jwks.json")
    assert response.headers["Cache-Control"].startswith("public")


def test_no_hsts_by_default(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_when_configured(make_app):
    client = make_app(HSTS_SECONDS=31536000).test_client()
    for path in ("/", "/healthz", "/api/v1/regencies"):
        assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000"


def _locale_cookie(response):
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(LOCALE_COOKIE)]
    return cookie


def test_the_language_cookie_is_secure_where_the_session_cookie_is(make_app):
    assert ProductionConfig.SESSION_COOKIE_SECURE is True
    secure = make_app(SESSION_COOKIE_SECURE=True).test_client()
    cookie = _locale_cookie(secure.post("/language", data={"locale": "en", "next": "/"}))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_the_language_cookie_works_over_http_in_development(client):
    cookie = _locale_cookie(client.post("/language", data={"locale": "en", "next": "/"}))
    assert "Secure" not in cookie


# --- the health check ---------------------------------------------------------------------------


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert b"version" not in response.data.lower()


def test_healthz_needs_no_login_even_for_a_logged_in_person(client, login, dummy_staff):
    login(dummy_staff)
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_healthz_names_a_database_that_does_not_answer(app, make_app):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        uri = "sqlite:////nonexistent-folder-of-latih/latih.sqlite"
    else:
        uri = f"postgresql://postgres@127.0.0.1:{_closed_port()}/latih?connect_timeout=5"
    response = make_app(SQLALCHEMY_DATABASE_URI=uri).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "failing": ["database"]}


def test_healthz_names_a_redis_store_that_does_not_answer(make_app):
    other = make_app(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_closed_port()}/15")
    response = other.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "failing": ["redis"]}


def test_healthz_checks_a_redis_store_that_answers(make_app):
    _redis_or_skip()
    other = make_app(RATELIMIT_STORAGE_URI=REDIS_TEST_URL)
    response = other.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


# --- rate limits kept in Redis ------------------------------------------------------------------


def test_rate_limits_are_kept_in_redis(make_app, create_user):
    """The redis package is installed and Flask-Limiter counts in Redis: a fourth login attempt
    within the minute is refused, and the count is in the test database of Redis."""
    redis_client = _redis_or_skip()
    prefix = f"latih-test-{uuid.uuid4().hex}"
    other = make_app(
        RATELIMIT_STORAGE_URI=REDIS_TEST_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        LOGIN_RATE_LIMIT="3 per minute",
    )
    trainee = create_user("trainee")
    client = other.test_client()
    try:
        codes = [
            client.post("/login", data={"email": trainee.email, "password": "wrong"}).status_code
            for _ in range(4)
        ]
        assert codes == [400, 400, 400, 429]
        assert redis_client.keys(f"*{prefix}*")  # counted in Redis, not in this process
        # another app on the same store (another worker) sees the same count
        again = make_app(
            RATELIMIT_STORAGE_URI=REDIS_TEST_URL,
            RATELIMIT_KEY_PREFIX=prefix,
            LOGIN_RATE_LIMIT="3 per minute",
        )
        response = again.test_client().post(
            "/login", data={"email": trainee.email, "password": PASSWORD}
        )
        assert response.status_code == 429
    finally:
        keys = redis_client.keys(f"*{prefix}*")
        if keys:
            redis_client.delete(*keys)
