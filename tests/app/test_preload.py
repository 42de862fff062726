"""gunicorn's preloaded app (gunicorn.conf.py, lms.core.preload): the master loads what every
worker's first pages need, and a forked worker never uses a database connection of its parent.
(tests/ops/test_metrics.py serves the whole app this way with two workers.)"""

from babel import localedata
from sqlalchemy import text

from lms.core import preload
from lms.extensions import db


def test_warm_loads_the_data_of_every_language(app):
    preload.warm(app)
    assert set(app.config["LANGUAGES"]) <= set(localedata._cache)


def test_a_forked_worker_drops_the_connections_it_inherited(app):
    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        inherited = engine.pool
    assert inherited.checkedin() >= 1
    preload.after_fork(app)
    assert engine.pool is not inherited
    assert engine.pool.checkedin() == 0
    inherited.dispose()  # the "parent's" connections: this test's own to close
