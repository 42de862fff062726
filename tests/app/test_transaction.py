"""The one transaction boundary: a request or a command commits once on success and leaves nothing
behind when it fails, however it fails."""

import click
import pytest
from flask import flash, get_flashed_messages, request
from sqlalchemy import func, select
from wtforms import Form, StringField

from lms.audit import services as audit
from lms.audit.models import AuditEntry
from lms.catalog.models import CatalogVersion
from lms.core import transaction
from lms.errors import Conflict, InvalidInput
from lms.extensions import db
from lms.partners.models import Partner
from tests.fixtures.queries import commits, statements


def _partners():
    return db.session.scalar(select(func.count()).select_from(Partner))


def _write(name):
    """What a service does: add a row and flush, never commit."""
    db.session.add(Partner(name=name, kind="vocational_centre"))
    db.session.flush()


class NameForm(Form):
    name = StringField()


@pytest.fixture
def boundary_app(make_app):
    """An app with views that write a row and then end in each way a request can end."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)  # a bug answers 500, as in production

    def ok():
        _write("ok")
        return "saved"

    def bad_status():
        _write("bad status")
        return "refused", 400

    def raises_domain_error():
        _write("domain error")
        raise Conflict("Already there.")

    def raises_bug():
        _write("bug")
        raise RuntimeError("boom")

    def form():
        form = NameForm(data={"name": "x"})
        with transaction.form_errors(form):
            _write("form")
            raise InvalidInput("Bad name.", {"name": ["Not this name."]})
        return ",".join(form.name.errors), 400 if form.errors else 200

    def button():
        with transaction.flash_errors():
            _write("button")
            raise Conflict("Cannot do that now.")
        flash("after", "info")
        return ",".join(m for m in get_flashed_messages()), 302, {"Location": "/"}

    def attempted():
        with transaction.attempt() as outcome:
            _write("attempt")
            raise Conflict("Full.")
        return f"{outcome.error.code}:{outcome.error.message}", 200

    def duplicate():
        db.session.add(Partner(name=request.args["name"], kind="vocational_centre"))
        return "added"  # the unique name fails at the boundary's commit

    def read_and_audit():
        audit.record("test.read", object_type="partner")
        db.session.flush()
        return "read"

    for view in (ok, bad_status, raises_domain_error, raises_bug, form, button, attempted):
        app.add_url_rule(f"/t/{view.__name__}", view.__name__, view, methods=["POST"])
    app.add_url_rule("/t/duplicate", "duplicate", duplicate, methods=["POST"])
    app.add_url_rule("/t/reading_writes", "reading_writes", ok)
    app.add_url_rule("/t/read_and_audit", "read_and_audit", read_and_audit)
    return app


def test_a_successful_request_commits_its_work(boundary_app):
    assert boundary_app.test_client().post("/t/ok").status_code == 200
    assert db.session.scalar(select(Partner.name)) == "ok"


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/t/bad_status", 400, "refused"),
        ("/t/raises_domain_error", 409, "Already there."),
        ("/t/raises_bug", 500, None),
        ("/t/form", 400, "Not this name."),
        ("/t/button", 302, "Cannot do that now.,after"),
        ("/t/attempted", 200, "conflict:Full."),
    ],
)
def test_a_failing_request_leaves_nothing_behind(boundary_app, path, status, text):
    response = boundary_app.test_client().post(path)
    assert response.status_code == status
    if text is not None:
        assert text in response.get_data(as_text=True)
    assert _partners() == 0


def test_a_commit_that_fails_is_answered_and_keeps_nothing(boundary_app, create_partner):
    create_partner(name="Taken")
    client = boundary_app.test_client()
    response = client.post("/t/duplicate?name=Taken")
    assert response.status_code == 500
    assert _partners() == 1
    assert client.post("/t/ok").status_code == 200  # the next request starts clean
    assert _partners() == 2


def test_a_read_never_writes_but_may_be_audited(boundary_app):
    client = boundary_app.test_client()
    assert client.get("/t/reading_writes").status_code == 500
    assert _partners() == 0
    assert client.get("/t/read_and_audit").status_code == 200
    assert db.session.scalar(select(AuditEntry.action)) == "test.read"


def test_a_command_commits_once_or_leaves_nothing(app):
    @click.command()
    @click.argument("fail")
    @transaction.command
    def make(fail):
        _write("cli")
        if fail == "yes":
            raise InvalidInput("Not now.")
        click.echo("made")

    runner = app.test_cli_runner()
    refused = runner.invoke(make, ["yes"])
    assert refused.exit_code == 1 and "Not now." in refused.output
    assert _partners() == 0
    made = runner.invoke(make, ["no"])
    assert made.exit_code == 0 and _partners() == 1


def test_a_command_waits_for_the_disk_after_an_early_commit(app):
    """An early commit (the lock ends with the commit's record) is sent with the wait for the
    disk, in one round trip, before the command returns; a command that rolls back sends
    neither, and leaves nothing for the next transaction."""

    @click.command()
    @click.argument("fail")
    @transaction.command
    def make(fail):
        transaction.commit_early()
        _write("early")
        if fail == "yes":
            raise InvalidInput("Not now.")

    runner = app.test_cli_runner()
    postgres = db.engine.dialect.name == "postgresql"
    with statements() as seen:
        assert runner.invoke(make, ["yes"]).exit_code == 1
    assert not any("synchronous_commit" in s or "pg_current_xact_id" in s for s in seen)
    with statements() as seen:
        assert runner.invoke(make, ["no"]).exit_code == 0
    assert _partners() == 1
    if postgres:
        # the catalogue's version (a partner is on the catalogue's cards), then the commit
        assert seen[-1] == (
            "UPDATE catalog_version SET version = version + 1; "
            "SET LOCAL synchronous_commit TO off; COMMIT; SELECT pg_current_xact_id()"
        )
        assert not any("synchronous_commit" in s for s in seen[:-1])
    else:
        assert not any("synchronous_commit" in s or "pg_current_xact_id" in s for s in seen)
    with statements() as seen:
        db.session.add(AuditEntry(action="test.after", object_type="test"))
        db.session.commit()
    assert not any("synchronous_commit" in s or "catalog_version" in s for s in seen)


def test_statements_at_commit_are_sent_with_it_or_forgotten(app):
    """``at_commit``: on PostgreSQL the statement goes with the COMMIT, in its round trip; a
    rollback forgets it (the next commit does not send it); on SQLite it runs at once."""
    postgres = db.engine.dialect.name == "postgresql"
    bump = "UPDATE catalog_version SET version = version + 1"
    version = select(CatalogVersion.version)
    before = db.session.scalar(version)
    db.session.commit()
    with statements() as seen, commits() as committed:
        transaction.at_commit(db.session.connection(), bump)
        assert (seen == [bump]) is not postgres
        db.session.commit()
    assert len(committed) == 1
    if postgres:
        assert seen[-1] == f"{bump}; COMMIT"
    assert db.session.scalar(version) == before + 1
    db.session.commit()
    transaction.at_commit(db.session.connection(), bump)
    db.session.rollback()
    with statements() as seen:
        db.session.add(AuditEntry(action="test.after", object_type="test"))
        db.session.commit()
    assert not any("catalog_version" in s for s in seen)
    assert db.session.scalar(version) == before + 1


def test_a_statement_failing_at_commit_commits_nothing(app):
    """A statement sent with the COMMIT that fails (on PostgreSQL in the COMMIT's own round
    trip) fails the commit: nothing of the transaction is kept, and the session and its
    connection go on after the rollback."""
    from sqlalchemy.exc import DBAPIError

    before = _partners()
    db.session.commit()
    _write("doomed")
    transaction.commit_early()
    with pytest.raises(DBAPIError):
        transaction.at_commit(db.session.connection(), "SELECT * FROM no_such_table")
        db.session.commit()
    db.session.rollback()
    assert _partners() == before
    _write("next")
    db.session.commit()
    assert _partners() == before + 1
