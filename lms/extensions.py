"""Extension instances. Each is bound to an app in ``create_app`` through ``init_app``; none holds an app."""

import click
import flask_compress
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from lms.course_types.registry import CourseTypeRegistry


class Compress(flask_compress.Compress):
    """Flask-Compress, except that an answer with no body (204, 304, an automatic OPTIONS) or a
    part of a file (206) is left as it is, and a text file sent from disk (a style sheet, a
    script, the service worker) is read whole first: compressed with a Content-Length rather
    than streamed, which would leave the file open."""

    def after_request(self, response):
        if response.status_code in (204, 206, 304):
            return response
        if response.direct_passthrough:
            if response.status_code != 200 or response.mimetype not in self.compress_mimetypes_set:
                return response
            response.direct_passthrough = False
            response.make_sequence()
        if response.is_sequence and not response.get_data():
            return response
        return super().after_request(response)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so that Alembic can name and alter constraints."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class _MigrateConfig:
    """What Flask-Migrate keeps in ``app.extensions["migrate"]``; its Migrate is made on first
    use (``flask db ...``, ``flask_migrate.upgrade()``)."""

    def __init__(self, db, directory, configure_args):
        self.db = db
        self.directory = directory
        self.configure_args = configure_args
        self._migrate = None

    @property
    def migrate(self):
        if self._migrate is None:
            from flask_migrate import Migrate as FlaskMigrate

            self._migrate = FlaskMigrate(db=self.db, directory=self.directory)
            self._migrate.alembic_ctx_kwargs.update(self.configure_args)
        return self._migrate

    @property
    def metadata(self):
        return self.db.metadata


class _MigrateCommands(click.Group):
    """``flask db``: Flask-Migrate's command group, imported when it is called."""

    def __init__(self):
        super().__init__(name="db", help="Perform database migrations.")

    @staticmethod
    def _real():
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name, args, parent=None, **extra):
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        return self._real().invoke(ctx)

    def get_command(self, ctx, cmd_name):
        return self._real().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        return self._real().list_commands(ctx)


class Migrate:
    """Flask-Migrate, imported only when migrations run: it brings Alembic (about 20 MB), which a
    web worker never needs. ``flask db ...`` and ``flask_migrate.upgrade()`` work as before."""

    def init_app(self, app, db, directory="migrations", compare_type=True, render_as_batch=True):
        app.extensions["migrate"] = _MigrateConfig(
            db,
            str(directory),
            {"compare_type": compare_type, "render_as_batch": render_as_batch},
        )
        app.cli.add_command(_MigrateCommands())


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()
bootstrap = Bootstrap5()
compress = Compress()
limiter = Limiter(key_func=get_remote_address)
course_types = CourseTypeRegistry()
