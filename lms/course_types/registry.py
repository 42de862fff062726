"""Loads course types from the ``lms.course_types`` entry-point group into ``app.extensions``."""

import os
import sys
from importlib.metadata import entry_points

from flask import current_app

from .base import CourseType

GROUP = "lms.course_types"


class CourseTypeRegistry:
    """The enabled course types of an app, kept in ``app.extensions["course_types"]``.

    Built-in and third-party types load the same way; a duplicate key, a key that differs from
    its entry-point name, or missing labels stop the app at start-up.
    """

    def init_app(self, app, eps=None):
        disabled = set(app.config["COURSE_TYPES_DISABLED"])
        found = entry_points(group=GROUP) if eps is None else eps
        types = {}
        for ep in sorted(found, key=lambda e: e.name):
            if ep.name in disabled:
                continue
            course_type = ep.load()
            if not isinstance(course_type, CourseType):
                raise RuntimeError(f"entry point {ep.name!r} is not a CourseType instance")
            if course_type.key != ep.name:
                raise RuntimeError(f"entry point {ep.name!r} loads course type {course_type.key!r}")
            if course_type.key in types:
                raise RuntimeError(f"course type {course_type.key!r} is registered twice")
            missing = {"id", "en"} - set(course_type.labels)
            if missing:
                raise RuntimeError(
                    f"course type {course_type.key!r} lacks labels {sorted(missing)}"
                )
            types[course_type.key] = course_type
        app.extensions["course_types"] = types
        # the plugins' own template folders; create_app adds them to the Jinja loader
        app.extensions["course_type_templates"] = _template_folders(types.values())
        _add_translation_directories(app, types.values())

    @staticmethod
    def _types():
        return current_app.extensions["course_types"]

    def get(self, key):
        """The enabled type with this key, or None (unknown or disabled: callers degrade)."""
        return self._types().get(key)

    def all(self):
        """Every enabled type, in key order."""
        return list(self._types().values())

    def keys(self):
        return list(self._types())

    def choices(self, locale):
        """(key, label) pairs for a select field."""
        return [(t.key, t.label(locale)) for t in self.all()]


def _template_folders(types):
    """The template folders the plugins ship (``CourseType.template_folder``), each once.

    The default ``templates/`` beside a plugin's module counts only when it exists; a folder a
    plugin names that does not exist (templates left out of its package) stops the app at start-up.
    """
    folders = []
    for course_type in types:
        module_file = getattr(sys.modules[type(course_type).__module__], "__file__", None)
        here = os.path.dirname(os.path.abspath(module_file)) if module_file else None
        if course_type.template_folder is None:
            folder = os.path.join(here, "templates") if here else None
            if folder is None or not os.path.isdir(folder):
                continue
        else:
            folder = os.path.join(here or "", course_type.template_folder)
            if not os.path.isdir(folder):
                raise RuntimeError(
                    f"course type {course_type.key!r}: template folder {folder!r} does not exist"
                )
        if folder not in folders:
            folders.append(folder)
    return folders


def _add_translation_directories(app, types):
    """A plugin package may ship ``translations/``; Flask-Babel merges it with the core catalogue.

    Must run before ``babel.init_app``.
    """
    directories = app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations").split(";")
    for course_type in types:
        package = sys.modules[type(course_type).__module__.split(".")[0]]
        folder = os.path.join(os.path.dirname(package.__file__ or ""), "translations")
        if os.path.isdir(folder) and folder not in directories:
            directories.append(folder)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
