"""The ``flask lms`` operator commands: create-user, i18n compile, send-mail."""

import pytest
from babel.messages.mofile import read_mo
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.users import PASSWORD


def msg(msgid, **params):
    """A message as the CLI shows it: in the default language (Indonesian), no request."""
    with force_locale("id"):
        return gettext(msgid, **params)


def cli_create(runner, email="ani.susanti@example.org", password=PASSWORD, name=None, *extra):
    args = ["lms", "create-user", "--email", email, "--password", password]
    args += ["--name", name or "Ani Susanti", *extra]
    return runner.invoke(args=args)


def users():
    db.session.rollback()  # see what the command committed in its own session
    return db.session.scalars(select(User).order_by(User.id)).all()


def logged_in(client):
    """Whether the client's cookies authenticate it (the profile page needs a login)."""
    return client.get("/profile").status_code == 200


# --- create-user: accounts of every role --------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "staff", "trainee"])
def test_create_user_of_a_role(runner, role):
    result = cli_create(runner, f"{role}@example.org", PASSWORD, "Agus Setiawan", "--role", role)
    assert result.exit_code == 0, result.output
    [user] = users()
    assert result.output.strip() == f"Created {role} {role}@example.org (id {user.id})."
    assert (user.email, user.name, user.role, user.partner_id) == (
        f"{role}@example.org",
        "Agus Setiawan",
        role,
        None,
    )
    assert user.active
    assert user.password_hash != PASSWORD
    assert check_password_hash(user.password_hash, PASSWORD)


def test_create_user_makes_a_trainee_by_default(runner):
    result = cli_create(runner, "siti@example.org")
    assert result.exit_code == 0, result.output
    [user] = users()
    assert user.role == "trainee"


def test_create_user_normalises_the_email_and_the_name(runner):
    result = cli_create(runner, "  Siti.Rahma@Example.ORG ", PASSWORD, "  Siti   Rahmawati ")
    assert result.exit_code == 0, result.output
    [user] = users()
    assert (user.email, user.name) == ("siti.rahma@example.org", "Siti Rahmawati")


def test_create_trainer_with_a_partner(runner, create_partner):
    partner = create_partner(name="UPT Bahasa Universitas Lampung", kind="university")
    result = cli_create(
        runner,
        "dewi@example.org",
        PASSWORD,
        "Dewi Lestari",
        "--role",
        "trainer",
        "--partner-id",
        str(partner.id),
    )
    assert result.exit_code == 0, result.output
    [user] = users()
    assert (user.role, user.partner_id) == ("trainer", partner.id)
    assert "Created trainer dewi@example.org" in result.output


@pytest.mark.parametrize("role", ["trainee", "trainer", "staff", "admin"])
def test_created_user_can_log_in(runner, client, create_partner, role):
    extra = ["--role", role]
    if role == "trainer":
        extra += ["--partner-id", str(create_partner().id)]
    result = cli_create(runner, f"{role}@example.org", PASSWORD, "Rina Marlina", *extra)
    assert result.exit_code == 0, result.output

    assert auth_services.authenticate(f"{role}@example.org", "wrong-password-1") is None
    assert auth_services.authenticate(f"{role}@example.org", PASSWORD).role == role
    db.session.rollback()

    assert not logged_in(client)
    response = client.post("/login", data={"email": f"{role}@example.org", "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert logged_in(client)


# --- create-user: refusals ----------------------------------------------------------------------


def assert_refused(result, *messages):
    """A non-zero exit, an error line, the given messages; and no account was made."""
    assert result.exit_code != 0, result.output
    assert result.output.startswith("Error: "), result.output
    for message in messages:
        assert message in result.output, result.output
    assert "Created" not in result.output
    assert "Traceback" not in result.output


def test_trainer_without_a_partner_is_refused(runner):
    result = cli_create(runner, "dewi@example.org", PASSWORD, "Dewi Lestari", "--role", "trainer")
    assert_refused(result, "partner_id: " + msg("A trainer must belong to a partner institution."))
    assert users() == []


def test_trainer_with_an_unknown_partner_is_refused(runner, create_partner):
    missing = create_partner().id + 1000
    result = cli_create(
        runner,
        "dewi@example.org",
        PASSWORD,
        "Dewi",
        "--role",
        "trainer",
        "--partner-id",
        str(missing),
    )
    assert_refused(result, "partner_id: " + msg("Not a valid choice."))
    assert users() == []


@pytest.mark.parametrize(
    "email", ["not-an-email", "siti@", "@example.org", "siti rahma@example.org", ""]
)
def test_bad_email_is_refused(runner, email):
    result = cli_create(runner, email)
    assert_refused(
        result,
        msg("Please correct the marked fields."),
        "email: " + msg("This is not a valid e-mail address."),
    )
    assert users() == []


TOO_SHORT = "The password must have at least %(n)s characters."
TOO_EASY = "This password is too easy to guess. Mix letters with numbers or symbols."


@pytest.mark.parametrize(
    "password, msgid",
    [
        ("Ab1!", TOO_SHORT),
        ("12345678", TOO_EASY),
        ("aaaaaaaaaaaa", TOO_EASY),
        ("483920175", TOO_EASY),
    ],
)
def test_weak_password_is_refused(runner, app, password, msgid):
    result = cli_create(runner, "siti@example.org", password)
    assert_refused(result, "password: " + msg(msgid, n=app.config["PASSWORD_MIN_LENGTH"]))
    assert users() == []


def test_taken_email_is_refused(runner, create_user):
    create_user("staff", email="rina@example.org")
    result = cli_create(runner, "Rina@Example.org", PASSWORD, "Rina Lain", "--role", "admin")
    assert_refused(
        result,
        msg("This account already exists."),
        "email: " + msg("An account with this e-mail address already exists."),
    )
    [user] = users()
    assert (user.email, user.role) == ("rina@example.org", "staff")


def test_a_second_run_with_the_same_email_is_refused(runner):
    assert cli_create(runner, "siti@example.org").exit_code == 0
    again = cli_create(runner, "siti@example.org", "lain-Rahasia-2", "Siti Lain")
    assert_refused(again, "email: " + msg("An account with this e-mail address already exists."))
    [user] = users()
    assert user.name == "Ani Susanti"
    assert check_password_hash(user.password_hash, PASSWORD)


def test_several_problems_are_reported_together(runner):
    result = cli_create(runner, "bukan-email", "12345678", "X", "--role", "trainer")
    assert_refused(result, "email: ", "password: ", "partner_id: ", "name: ")
    assert users() == []


def test_unknown_role_is_a_usage_error(runner):
    result = cli_create(runner, "siti@example.org", PASSWORD, "Siti", "--role", "owner")
    assert result.exit_code == 2
    assert "owner" in result.output
    assert users() == []


@pytest.mark.parametrize("missing", ["--email", "--password", "--name"])
def test_required_options(runner, missing):
    args = {"--email": "siti@example.org", "--password": PASSWORD, "--name": "Siti"}
    del args[missing]
    result = runner.invoke(args=["lms", "create-user", *[x for kv in args.items() for x in kv]])
    assert result.exit_code == 2
    assert missing in result.output
    assert users() == []


# --- i18n compile -------------------------------------------------------------------------------

PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: id\\n"

msgid "Log in"
msgstr "Masuk"

#, fuzzy
msgid "Log out"
msgstr "Keluar (belum pasti)"

msgid "Not translated yet"
msgstr ""
"""


def test_i18n_compile_writes_the_mo_next_to_the_po(runner, monkeypatch, tmp_path):
    """Run against a copy of the layout in a temporary folder: the repository's catalogue is
    never rewritten by the test."""
    import lms.cli

    folder = tmp_path / "lms" / "translations" / "id" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(PO, encoding="utf-8")
    monkeypatch.setattr(lms.cli, "_root", lambda: str(tmp_path))

    result = runner.invoke(args=["lms", "i18n", "compile"])
    assert result.exit_code == 0, result.output
    with (folder / "messages.mo").open("rb") as f:
        compiled = read_mo(f)
    translated = {m.id: m.string for m in compiled if m.id}
    # what pybabel compile keeps: translated, non-fuzzy messages only
    assert translated == {"Log in": "Masuk"}


# --- send-mail ----------------------------------------------------------------------------------


def test_send_mail_without_a_mail_server_says_so_and_sends_nothing(
    runner, app, monkeypatch, dummy_trainee
):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    db.session.add(
        OutboxMessage(
            recipient=dummy_trainee.email,
            user_id=dummy_trainee.id,
            kind="test",
            locale="id",
            subject="Uji",
            body="Pesan uji.\n",
        )
    )
    db.session.commit()

    result = runner.invoke(args=["lms", "send-mail"])
    assert result.exit_code != 0
    assert "MAIL_SERVER is not set" in result.output
    assert "Sent" not in result.output
    db.session.rollback()
    waiting = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.sent_at.is_(None))
    )
    assert waiting == 1
