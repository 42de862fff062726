"""Production runs Python with ``-OO`` (``PYTHONOPTIMIZE=2`` in deploy/systemd/latih-web@.service):
every docstring is stripped from the code a worker loads, about 5 MB of its memory
(bench/README.md, "Worker memory"). The site must work the same, and the API's OpenAPI document,
whose summaries and descriptions are the views' docstrings, must not change."""

import os

import pytest

from tests.fixtures.scripts import run_script

#: the scripts build their own apps on SQLite, whatever the backend of the test: run on one
pytestmark = pytest.mark.one_database

SPEC = """
import json, sys
from config import TestingConfig
from lms import create_app
app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
spec = app.test_client().get("/api/v1/openapi.json").get_json()
print(json.dumps({"stripped": create_app.__doc__ is None, "spec": spec}))
"""

PAGES = """
import json
from config import TestingConfig
from lms import create_app
from lms.extensions import db
app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite:///%s"})
with app.app_context():
    import flask_migrate
    flask_migrate.upgrade()
    db.session.remove()
client = app.test_client()
pages = ("/", "/courses/", "/courses/?q=jepang", "/login", "/register", "/api/v1/courses",
         "/api/v1/openapi.json", "/nothing-here")
answers = {page: client.get(page).status_code for page in pages}
refused = client.post("/api/v1/courses/1/enrollments", json={})
answers["enrol without a token"] = refused.status_code
print(json.dumps({"stripped": create_app.__doc__ is None, "answers": answers}))
"""


def run(script, optimize):
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONOPTIMIZE"}
    if optimize:
        environment["PYTHONOPTIMIZE"] = "2"
    return run_script(script, environment)


def test_the_openapi_document_is_the_same_without_docstrings():
    plain, optimized = run(SPEC, optimize=False), run(SPEC, optimize=True)
    assert plain["stripped"] is False
    assert optimized["stripped"] is True
    enrol = optimized["spec"]["paths"]["/api/v1/courses/{course_id}/enrollments"]["post"]
    assert enrol["summary"].startswith("Enrol: a trainee themself")
    assert optimized["spec"] == plain["spec"]


def test_pages_and_api_answer_the_same_without_docstrings(tmp_path):
    script = PAGES % (tmp_path / "latih.sqlite")
    optimized = run(script, optimize=True)
    assert optimized["stripped"] is True
    assert optimized["answers"] == run(script, optimize=False)["answers"]
    assert optimized["answers"]["/courses/"] == 200
    assert optimized["answers"]["/nothing-here"] == 404
    assert optimized["answers"]["enrol without a token"] == 401
