"""The app factory and configuration layers."""

import pytest

from config import DevelopmentConfig, ProductionConfig
from lms import create_app


def test_env_overrides_config(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_OFFICE_NAME", "BP3MI Jawa Timur")
    monkeypatch.setenv("LMS_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/x.sqlite")
    app = create_app(DevelopmentConfig)
    assert app.config["OFFICE_NAME"] == "BP3MI Jawa Timur"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("x.sqlite")


def test_database_url_is_honoured_and_normalised(monkeypatch):
    monkeypatch.delenv("LMS_SQLALCHEMY_DATABASE_URI", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/latih")
    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/latih"


@pytest.mark.parametrize(
    ("url", "environment", "expected"),
    [
        ("postgresql://u@db.example/latih", {}, "disable"),
        ("postgresql://u@db.example/latih?gssencmode=prefer", {}, None),
        ("postgresql://u@db.example/latih", {"PGGSSENCMODE": "require"}, None),
    ],
    ids=["default", "the-url-says", "the-environment-says"],
)
def test_postgresql_connects_without_kerberos_unless_told(monkeypatch, url, environment, expected):
    """libpq loads Kerberos for its encryption unless ``gssencmode=disable`` (about 1 MB of every
    worker); a URL or PGGSSENCMODE that asks for it is obeyed."""
    assert _connect_args(monkeypatch, url, environment).get("gssencmode") == expected


@pytest.mark.parametrize(
    ("url", "environment", "expected"),
    [
        ("postgresql://u@db.example/latih", {}, 5),
        ("postgresql://u@db.example/latih?connect_timeout=20", {}, None),
        ("postgresql://u@db.example/latih", {"PGCONNECT_TIMEOUT": "20"}, None),
        ("postgresql://u@db.example/latih?gssencmode=prefer", {}, 5),
    ],
    ids=["default", "the-url-says", "the-environment-says", "with-kerberos"],
)
def test_postgresql_connections_give_up_after_the_connect_timeout(
    monkeypatch, url, environment, expected
):
    """A database host that stopped answering: 503 after LMS_DATABASE_CONNECT_TIMEOUT seconds
    (tests/app/test_outage.py), not psycopg's 130 s; a URL or PGCONNECT_TIMEOUT says otherwise."""
    assert _connect_args(monkeypatch, url, environment).get("connect_timeout") == expected


def _connect_args(monkeypatch, url, environment):
    """The driver's connection arguments of an app on the PostgreSQL ``url``, in ``environment``."""
    monkeypatch.delenv("LMS_SQLALCHEMY_DATABASE_URI", raising=False)
    for name in ("PGGSSENCMODE", "PGCONNECT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": None})
    return app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {})


def test_development_defaults_to_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("LMS_SQLALCHEMY_DATABASE_URI", raising=False)
    app = create_app(DevelopmentConfig, {"SQLALCHEMY_DATABASE_URI": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("latih.sqlite")


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/latih")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_production_refuses_to_start_without_database(monkeypatch):
    monkeypatch.setenv("LMS_SECRET_KEY", "x" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("LMS_SQLALCHEMY_DATABASE_URI", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        create_app(ProductionConfig, {"SQLALCHEMY_DATABASE_URI": None})


def test_production_starts_with_secrets_from_outside(monkeypatch):
    monkeypatch.setenv("LMS_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/latih")
    monkeypatch.setenv("LMS_PUBLIC_BASE_URL", "https://latih.example.go.id")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    app = create_app(ProductionConfig)
    assert app.config["SECRET_KEY"] == "x" * 40
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_lms_config_picks_the_class(monkeypatch):
    monkeypatch.setenv("LMS_CONFIG", "testing")
    app = create_app(test_config={"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["TESTING"] is True
