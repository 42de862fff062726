"""The ``flask lms`` command group for operators."""

import os
import subprocess
import sys

import click
from flask import current_app, g
from flask.cli import AppGroup

from lms.auth.models import GENDERS, TARGET_GROUPS
from lms.backup.cli import backup_command, restore_command
from lms.core import transaction


class OperatorGroup(AppGroup):
    """The operator commands: each runs in the one transaction boundary (commit once, or roll
    back and stop with the message), and a missing signing key stops it with its message (which
    names the command that creates it) instead of a traceback."""

    def command(self, *args, **kwargs):
        wrap = super().command(*args, **kwargs)
        return lambda f: wrap(transaction.command(f))

    def invoke(self, ctx):
        from lms.certificates.signing import SigningKeyMissing

        try:
            return super().invoke(ctx)
        except SigningKeyMissing as exc:
            raise click.ClickException(str(exc)) from None


lms_cli = OperatorGroup("lms", help="Latih operator commands.")
lms_cli.add_command(backup_command)
lms_cli.add_command(restore_command)


def _locale(_ctx, _param, value):
    if value is not None and value not in current_app.config["LANGUAGES"]:
        choices = ", ".join(current_app.config["LANGUAGES"])
        raise click.BadParameter(f"{value!r} is not one of {choices}.")
    return value


@lms_cli.command("create-user")
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for (hidden, twice) when left out, so that it stays out of the shell history.",
)
@click.option("--name", required=True)
@click.option(
    "--role", type=click.Choice(["trainee", "trainer", "staff", "admin"]), default="trainee"
)
@click.option("--partner-id", type=int, default=None, help="Partner of a trainer.")
@click.option("--nik", default=None, help="The 16 digits of the KTP.")
@click.option(
    "--birth-date", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD"
)
@click.option("--gender", type=click.Choice(GENDERS, case_sensitive=False), default=None)
@click.option("--phone", default=None, help="Indonesian mobile number, e.g. 0812 3456 7890.")
@click.option("--regency", default=None, help="Code of the regency or city of origin, e.g. 18.07.")
@click.option(
    "--target-group", type=click.Choice(TARGET_GROUPS, case_sensitive=False), default=None
)
@click.option("--locale", default=None, callback=_locale, help="Language of the account: id or en.")
def create_user(email, password, name, role, partner_id, **profile):
    """Create an account; a trainee given every profile option can enrol at once."""
    from lms.auth.services import create_user as create

    if profile["birth_date"] is not None:
        profile["birth_date"] = profile["birth_date"].date()
    profile["regency_code"] = profile.pop("regency")
    g.field_names = {"regency_code": "regency"}
    user = create(
        email=email,
        password=password,
        name=name,
        role=role,
        partner_id=partner_id,
        **{key: value for key, value in profile.items() if value is not None},
    )
    click.echo(f"Created {user.role} {user.email or user.phone} (id {user.id}).")


@lms_cli.command("seed-demo")
def seed_demo():
    """Load demo data (partners, office logins, trainers, trainees) and print the logins."""
    from lms.demo import DEMO_PASSWORD, seed

    logins, created = seed()
    click.echo("Demo data loaded." if created else "Demo data was already loaded.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for role, email in logins:
        click.echo(f"  {role:8} {email}")


def _send_messages(limit):
    from lms.outbox import registry
    from lms.outbox.services import deliver_pending

    if not registry.enabled():
        raise click.ClickException(
            "No message channel is configured: MAIL_SERVER is not set (LMS_MAIL_SERVER), nor "
            "LMS_SMS_URL and LMS_SMS_TOKEN, nor LMS_WHATSAPP_URL and LMS_WHATSAPP_TOKEN; "
            "nothing sent."
        )
    click.echo(f"Sent {deliver_pending(limit)} message(s).")


@lms_cli.command("send-messages")
@click.option("--limit", default=100, show_default=True)
def send_messages(limit):
    """Deliver the outbox messages due now through every channel that is on: e-mail, SMS,
    WhatsApp, a plugin's (run it from cron or a timer)."""
    _send_messages(limit)


@lms_cli.command("send-mail")
@click.option("--limit", default=100, show_default=True)
def send_mail(limit):
    """Deliver the outbox now, through every channel (the old name of send-messages)."""
    _send_messages(limit)


@lms_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option(
    "--no-scheduler", is_flag=True, help="Leave delayed retries to another worker's scheduler."
)
def worker(burst, no_scheduler):
    """Run the background jobs (RQ on Redis): imports, bulk issues, files, the outbox."""
    from lms.jobs.worker import work

    try:
        work(burst=burst, scheduler=not no_scheduler)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None


@lms_cli.command("send-reminders")
def send_reminders():
    """Queue the reminder for every course whose first meeting is tomorrow (run daily)."""
    from lms.enrollment.services import send_reminders as queue_reminders

    count = queue_reminders()
    click.echo(f"Queued {count} reminder(s).")


@lms_cli.command("check-attendance")
def check_attendance():
    """Tell the trainees of running courses who fell below the attendance threshold (run daily)."""
    from lms.attendance.services import alert_running_courses

    count = alert_running_courses()
    click.echo(f"Queued {count} attendance alert(s).")


@lms_cli.command("remind-expiring")
@click.option(
    "--days",
    type=click.IntRange(0, 3650),
    default=None,
    help="Remind this many days before expiry (default: CERTIFICATE_REMIND_DAYS).",
)
def remind_expiring(days):
    """Remind the holders of certificates that expire soon how to renew them, once (run daily)."""
    from lms.certificates.services import remind_expiring as queue_expiry_reminders

    count = queue_expiry_reminders(days)
    click.echo(f"Queued {count} expiry reminder(s).")


@lms_cli.command("import-trainees")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--course", "course_code", default=None, help="Enrol every trainee in this course.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
def import_trainees(file, course_code, dry_run):
    """Import trainees from a CSV or XLSX FILE (the template's columns): every row or none.

    Exits with status 1 when a row is rejected (nothing is written then).
    """
    from werkzeug.datastructures import FileStorage

    from lms.imports import services as imports

    course = imports.find_course(course_code) if course_code else None
    with open(file, "rb") as stream:
        rows = imports.read_rows(FileStorage(stream, filename=os.path.basename(file)))
    with click.progressbar(length=len(rows), label="Checking rows") as bar:
        plan = imports.plan_import(rows, course, progress=bar.update)
    counts = plan.counts
    click.echo(
        f"{counts['create']} to create, {counts['update']} to update, "
        f"{counts['unchanged']} unchanged, {counts['reject']} rejected"
        + (f", {plan.to_enroll} to enrol in {course.code}" if course else "")
    )
    for row in plan.rejected:
        click.echo(f"  row {row.line} ({row.label}): {row.reasons}", err=True)
    if plan.rejected or dry_run:
        transaction.discard()
        click.echo("Nothing was written" + (" (dry run)." if dry_run else "."))
        if plan.rejected:
            click.get_current_context().exit(1)
        return
    total = counts["create"] + counts["update"] + plan.to_enroll
    with click.progressbar(length=total, label="Writing") as bar:
        result = imports.apply_plan(plan, progress=bar.update)
    click.echo(
        f"Imported: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.enrolled} enrolled."
    )


i18n_cli = AppGroup("i18n", help="Translation catalogues.")
lms_cli.add_command(i18n_cli)


def _root():
    return os.path.dirname(current_app.root_path)


def _pybabel(*args):
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=_root()
    )


@i18n_cli.command("extract")
def i18n_extract():
    """Extract every marked string into lms/translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        "lms/translations/babel.cfg",
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--sort-output",
        "-o",
        "lms/translations/messages.pot",
        ".",
    )


@i18n_cli.command("update")
@click.pass_context
def i18n_update(ctx):
    """Extract, then merge new strings into the Indonesian catalogue."""
    ctx.invoke(i18n_extract)
    catalogue = os.path.join(_root(), "lms/translations/id/LC_MESSAGES/messages.po")
    if not os.path.exists(catalogue):
        _pybabel(
            "init", "-i", "lms/translations/messages.pot", "-d", "lms/translations", "-l", "id"
        )
    _pybabel(
        "update",
        "-i",
        "lms/translations/messages.pot",
        "-d",
        "lms/translations",
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )


@i18n_cli.command("compile")
def i18n_compile():
    """Compile the catalogues (.po to .mo)."""
    _pybabel("compile", "-d", "lms/translations")


@lms_cli.command("create-signing-key")
@click.option(
    "--rotate",
    is_flag=True,
    help="Replace an existing key; its public half stays published, so that the certificates "
    "it signed still verify.",
)
def create_signing_key(rotate):
    """Create the Ed25519 key that signs certificates, at CERTIFICATE_KEY_FILE (mode 0600)."""
    from lms.certificates import signing

    try:
        path, kid, retired = signing.create_key(rotate=rotate)
    except FileExistsError as exc:
        raise click.ClickException(
            f"The signing key {exc} exists already; it is kept. To replace it, run the command "
            "again with --rotate (certificates it signed keep verifying)."
        ) from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise click.ClickException(f"The signing key was not written: {exc}") from None
    click.echo(f"Created the certificate signing key {path} (key id {kid}).")
    if retired:
        click.echo(
            f"The previous key's public half is kept in {retired} and stays published. "
            "Restart the application so that every worker signs with the new key."
        )


def init_app(app):
    app.cli.add_command(lms_cli)
