"""Latih: the application factory."""

import os

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader


class Latih(Flask):
    """Flask with the one transaction boundary: a view's response commits or rolls back its work
    (:mod:`lms.core.transaction`)."""

    def dispatch_request(self):
        from .core import transaction

        return transaction.finish(self.make_response(super().dispatch_request()))


def create_app(config_class=None, test_config=None):
    """Build the app in a fixed order: config, extensions, blueprints, error handlers, CLI.

    Config layers, highest last: the class (``LMS_CONFIG``), ``instance/local.cfg``,
    ``LMS_*`` environment variables, then ``test_config``.
    """
    from config import CONFIGS

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Latih(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(root, "templates"),
        static_folder=os.path.join(root, "static"),
    )

    # 1. configuration
    if config_class is None:
        config_class = CONFIGS[os.environ.get("LMS_CONFIG", "development")]
    app.config.from_object(config_class)
    app.config.from_pyfile("local.cfg", silent=True)
    app.config.from_prefixed_env("LMS")
    if test_config:
        app.config.update(test_config)
    _finish_config(app)
    # bad bytes (NUL) are refused before any hook of an extension reads the request
    from .core import inputs

    inputs.init_app(app)

    # 2. registries, then extensions in dependency order: db before migrate
    from . import i18n
    from .extensions import (
        babel,
        bootstrap,
        compress,
        course_types,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
    )

    course_types.init_app(app)
    from .outbox import registry as channels

    channels.init_app(app)
    # templates: the app's own folder first, then each course-type plugin's own folder, so a
    # plugin adds its fragments, the office may override them, and no plugin replaces an app page
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, *map(FileSystemLoader, app.extensions["course_type_templates"])]
    )

    from .core.sqlite import install_pragmas

    install_pragmas()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from .core.postgres import resolve_psycopg_dumpers

        resolve_psycopg_dumpers()
    # PostgreSQL: the pre-ping only for a connection that rested in the pool (core/postgres.py)
    ping = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and (
        app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    ).get("pool_pre_ping")
    if ping:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "pool_pre_ping": False,
        }
    db.init_app(app)
    if ping:
        from .core.postgres import ping_when_idle

        with app.app_context():
            ping_when_idle(db.engine)
    statement_timeout = float(app.config.get("DATABASE_STATEMENT_TIMEOUT") or 0)
    if statement_timeout > 0 and app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        from .core.postgres import limit_statements

        with app.app_context():
            limit_statements(db.engine, statement_timeout)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    csrf.init_app(app)
    bootstrap.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    from .auth import login as auth_login

    auth_login.init_app(app, login_manager)
    from . import models  # noqa: F401  (every mapper is configured before first use)

    # 3. blueprints: an explicit list, greppable; <int:> ids stay within a database integer
    from .core.urls import BoundedIntConverter
    from .enrollment import services as _enrolment  # noqa: F401  (connects its signal receivers)

    app.url_map.converters["int"] = BoundedIntConverter
    from .api import init_app as init_api
    from .attendance.excuse_pages.views import bp as excuses_bp
    from .attendance.fieldviews import bp as field_bp
    from .attendance.roster import bp as roster_bp
    from .attendance.views import bp as attendance_bp
    from .auth.views import bp as auth_bp
    from .catalog.manage import bp as manage_bp
    from .catalog.views import bp as catalog_bp
    from .certificates.views import bp as certificates_bp
    from .certificates.wellknown import bp as wellknown_bp
    from .core.views import bp as core_bp
    from .enrollment.group_pages.views import bp as groups_bp
    from .enrollment.manage import bp as enrollments_bp
    from .enrollment.views import bp as enrollment_bp
    from .exports.views import bp as exports_bp
    from .imports.views import bp as imports_bp
    from .jobs.views import bp as jobs_bp
    from .ops.views import bp as ops_bp
    from .outbox.views import bp as outbox_bp
    from .partners.views import bp as partners_bp
    from .privacy.views import bp as privacy_bp
    from .reports.views import bp as reports_bp
    from .users.views import bp as users_bp

    for bp in (
        core_bp,
        auth_bp,
        catalog_bp,
        users_bp,
        outbox_bp,
        privacy_bp,
        partners_bp,
        manage_bp,
        enrollment_bp,
        enrollments_bp,
        groups_bp,
        attendance_bp,
        roster_bp,
        excuses_bp,
        field_bp,
        certificates_bp,
        wellknown_bp,
        imports_bp,
        exports_bp,
        reports_bp,
        jobs_bp,
        ops_bp,
    ):
        app.register_blueprint(bp)
    init_api(app)

    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = int(app.config["PROXY_COUNT"])
        # X-Forwarded-Host only on request: a proxy that passes the client's on would let anyone
        # pick the host the app believes it serves
        host = n if app.config["PROXY_FORWARDED_HOST"] else 0
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=host)

    # 4. template helpers, error handlers and the CLI
    from . import cli, templating
    from .catalog import pagecache
    from .core import assets, http, logs, security
    from .jobs import services as jobs

    logs.init_app(app)
    jobs.init_app(app)
    templating.init_app(app)
    pagecache.init_app(app)
    assets.init_app(app)
    security.init_app(app)
    http.init_app(app)
    cli.init_app(app)
    return app


def _finish_config(app):
    """Fill derived settings and refuse to start on an unsafe production configuration."""
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = os.environ.get("REDIS_URL") or "memory://"
    if isinstance(app.config.get("TRUSTED_HOSTS"), str):  # "a,b" from the environment
        hosts = app.config["TRUSTED_HOSTS"].split(",")
        app.config["TRUSTED_HOSTS"] = [host.strip() for host in hosts if host.strip()]
    if app.config["REQUIRE_EXTERNAL_SECRETS"]:
        _check_secret_key(app.config.get("SECRET_KEY"))
        if not (app.config.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("DATABASE_URL")):
            raise RuntimeError("Refusing to start: set DATABASE_URL (PostgreSQL) for production.")
        _check_public_base_url(app.config.get("PUBLIC_BASE_URL"))
        _check_rate_limit_storage(app.config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        if os.environ.get("DATABASE_URL"):
            app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
        else:
            os.makedirs(app.instance_path, exist_ok=True)
            path = os.path.join(app.instance_path, "latih.sqlite")
            app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql://" + uri[len("postgres://") :]
    if uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri[len("postgresql://") :]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    if uri.startswith("postgresql"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect = dict(options.get("connect_args") or {})
        if "gssencmode" not in uri and "PGGSSENCMODE" not in os.environ:
            # Latih's connections never use Kerberos's encryption: libpq then never loads
            # Kerberos (about 1 MB a worker). The URL's ``gssencmode`` or PGGSSENCMODE says
            # otherwise.
            connect.setdefault("gssencmode", "disable")
        if "connect_timeout" not in uri and "PGCONNECT_TIMEOUT" not in os.environ:
            # a database host that stopped answering: 503 after this, not a worker held
            connect.setdefault("connect_timeout", int(app.config["DATABASE_CONNECT_TIMEOUT"]))
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect}
    if uri.startswith("sqlite"):
        # SQLite: a busy writer waits instead of failing at once
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"timeout": 30})
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if isinstance(app.config.get("COURSE_TYPES_DISABLED"), str):
        raw = app.config["COURSE_TYPES_DISABLED"]
        app.config["COURSE_TYPES_DISABLED"] = tuple(k.strip() for k in raw.split(",") if k.strip())


#: the shortest secret key production accepts (secrets.token_urlsafe(48) gives 64 characters)
MIN_SECRET_KEY_LENGTH = 32


def _check_secret_key(key):
    """The key signs sessions, CSRF tokens and password reset links: anyone who knows it can
    reset any account's password. So it must be the site's own and long: not missing, not
    short, not deploy/env.example's placeholder left in place."""
    how = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
    if not key:
        raise RuntimeError(f"Refusing to start: set LMS_SECRET_KEY to a long random value: {how}")
    if len(str(key)) < MIN_SECRET_KEY_LENGTH or "change-me" in str(key).lower():
        raise RuntimeError(
            "Refusing to start: LMS_SECRET_KEY must be a random value of the site's own, at "
            f"least {MIN_SECRET_KEY_LENGTH} characters, not an example's: {how}"
        )


def _check_public_base_url(base):
    """Production builds every link in a message on PUBLIC_BASE_URL: it must be a full address."""
    from urllib.parse import urlsplit

    if not base:
        raise RuntimeError(
            "Refusing to start: set LMS_PUBLIC_BASE_URL to the site's public address "
            "(e.g. https://latih.example.go.id); links in messages and on certificates use it."
        )
    parts = urlsplit(str(base))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise RuntimeError(
            f"Refusing to start: LMS_PUBLIC_BASE_URL {base!r} is not an address such as "
            "https://latih.example.go.id."
        )


def _check_rate_limit_storage(config):
    """memory:// keeps a count per process: with several workers every limit is multiplied."""
    if not config.get("RATELIMIT_ENABLED", True) or config.get("SINGLE_PROCESS"):
        return
    if str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        raise RuntimeError(
            "Refusing to start: rate limits are kept in this process's memory, so each worker "
            "would count apart. Set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to share them, or "
            "LMS_SINGLE_PROCESS=true if exactly one process serves the site."
        )
