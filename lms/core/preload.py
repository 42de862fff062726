"""Serving from an app built once and forked (gunicorn's ``preload_app``, gunicorn.conf.py).

The master builds the app, loads what every worker would load on its first pages (the mappers,
Babel's data for the site's languages) and freezes it all for the garbage collector; each worker
is then a copy-on-write fork sharing those pages with the master and the other workers instead
of building its own copy (bench/README.md, "Worker memory"). A worker first drops the database
connections it inherited, if any: a connection belongs to one process.
"""

import gc


def warm(app):
    """Load in this process what the first requests of any worker would: configured mappers,
    Babel's locale data for each of ``LANGUAGES`` (and its global data)."""
    from babel import Locale
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    for language in app.config["LANGUAGES"]:
        Locale.parse(language).date_formats  # noqa: B018 (loads the locale's data, its parents')


def before_fork():
    """Move every object the master holds out of the collector's generations: a worker's
    collections then never write to them, so their pages stay shared."""
    gc.collect()
    gc.freeze()


def after_fork(app):
    """In a new worker: forget the pooled database connections of the parent (without closing
    them: they are the parent's); the worker opens its own."""
    from lms.extensions import db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
