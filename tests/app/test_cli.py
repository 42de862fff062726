"""The ``flask lms`` operator commands: create-user (with a trainee's profile, the password asked
for), i18n compile, send-mail."""

from datetime import date

import pytest
from babel.messages.mofile import read_mo
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.enrollment.services import enroll, refusals
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.pages import logged_in
from tests.fixtures.users import PASSWORD, valid_nik


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
TOO_EASY = "This password is too easy to guess: many people use it. Add a few uncommon words."
REPEATS = (
    "This password is too easy to guess: it repeats the same characters. Add a few uncommon words."
)


@pytest.mark.parametrize(
    "password, msgid",
    [
        ("Ab1!", TOO_SHORT),
        ("12345678", TOO_EASY),
        ("aaaaaaaaaaaa", REPEATS),
        ("qwertyuiop", TOO_EASY),
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


@pytest.mark.parametrize("missing", ["--email", "--name"])
def test_required_options(runner, missing):
    args = {"--email": "siti@example.org", "--password": PASSWORD, "--name": "Siti"}
    del args[missing]
    result = runner.invoke(args=["lms", "create-user", *[x for kv in args.items() for x in kv]])
    assert result.exit_code == 2
    assert missing in result.output
    assert users() == []


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--nik", "1234", ("nik", "The NIK must be exactly 16 digits.")),
        (
            "--nik",
            "1807014713950001",  # month 13
            ("nik", "This is not a valid NIK. Please check the number on your KTP."),
        ),
        ("--regency", "99.99", ("regency", "Not a valid choice.")),
        ("--regency", "Lampung Timur", ("regency", "Not a valid choice.")),  # a name, not a code
        (
            "--phone",
            "021 555 1234",
            (
                "phone",
                "Enter an Indonesian mobile number, for example 0812 3456 7890 or "
                "+62 812 3456 7890.",
            ),
        ),
        ("--birth-date", "2020-01-01", ("birth_date", "Please check the birth date.")),
    ],
)
def test_bad_profile_values_are_refused_with_the_field_named(runner, option, value, expected):
    field, msgid = expected
    result = cli_create(runner, "siti@example.org", PASSWORD, "Siti Rahmawati", option, value)
    assert_refused(result, msg("Please correct the marked fields."), f"{field}: " + msg(msgid))
    assert users() == []


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--gender", "X"),
        ("--target-group", "turis"),
        ("--birth-date", "17/05/1995"),
        ("--locale", "fr"),
    ],
)
def test_profile_options_outside_their_choices_are_usage_errors(runner, option, value):
    result = cli_create(runner, "siti@example.org", PASSWORD, "Siti", option, value)
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert value in result.output
    assert users() == []


# --- create-user: a trainee's complete profile --------------------------------------------------


def test_trainee_with_a_complete_profile_can_enrol(runner, create_course):
    nik = valid_nik(7, birth=date(1996, 3, 9), female=True)
    result = cli_create(
        runner,
        "siti.rahma@example.org",
        PASSWORD,
        "Siti Rahmawati",
        *("--nik", f"{nik[:6]}.{nik[6:12]}.{nik[12:]}"),  # as written on a form: with dots
        *("--birth-date", "1996-03-09"),
        *("--gender", "Female"),
        *("--phone", "0812 3456 7890"),
        *("--regency", "18.07"),
        *("--target-group", "cpmi"),
        *("--locale", "en"),
    )
    assert result.exit_code == 0, result.output
    [user] = users()
    assert result.output.strip() == f"Created trainee siti.rahma@example.org (id {user.id})."
    profile = (user.nik, user.birth_date, user.gender, user.phone)
    assert profile == (nik, date(1996, 3, 9), "female", "+6281234567890")
    assert (user.regency_code, user.target_group, user.locale) == ("18.07", "cpmi", "en")
    assert user.profile_complete

    course = create_course()
    assert refusals(user, course) == []
    assert enroll(user, course).status == "enrolled"
    db.session.commit()


def test_trainee_without_a_profile_cannot_enrol_yet(runner, create_course):
    assert cli_create(runner, "siti@example.org").exit_code == 0
    [user] = users()
    assert not user.profile_complete
    assert [r.code for r in refusals(user, create_course())] == ["profile_incomplete"]


# --- create-user: the password prompt -----------------------------------------------------------


def cli_create_asking(runner, input, email="siti@example.org", *extra):
    """create-user without --password: the password is typed at the prompt (``input``)."""
    args = ["lms", "create-user", "--email", email, "--name", "Siti Rahmawati", *extra]
    return runner.invoke(args=args, input=input)


def test_password_is_asked_for_hidden_and_twice(runner):
    result = cli_create_asking(runner, f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password: " in result.output
    assert "Repeat for confirmation: " in result.output
    assert PASSWORD not in result.output  # not echoed
    [user] = users()
    assert check_password_hash(user.password_hash, PASSWORD)
    assert f"Created trainee siti@example.org (id {user.id})." in result.output


def test_password_asked_again_until_both_entries_match(runner):
    result = cli_create_asking(runner, f"{PASSWORD}\nsomething-else-9\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "The two entered values do not match." in result.output
    [user] = users()
    assert check_password_hash(user.password_hash, PASSWORD)


def test_a_weak_password_at_the_prompt_is_refused(runner):
    result = cli_create_asking(runner, "12345678\n12345678\n")
    assert result.exit_code == 1, result.output
    assert "\nError: " + msg("Please correct the marked fields.") in result.output
    assert "password: " + msg(TOO_EASY) in result.output
    assert "12345678" not in result.output
    assert users() == []


def test_no_password_typed_creates_nothing(runner):
    result = cli_create_asking(runner, "")
    assert result.exit_code == 1, result.output
    assert "Aborted!" in result.output
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
