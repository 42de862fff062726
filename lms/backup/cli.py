"""``flask lms backup`` and ``flask lms restore``: thin commands over lms.backup.services."""

import click
from flask.cli import with_appcontext

from lms.core import transaction


def _echo_step(step):
    from lms.backup.services import STEPS

    click.echo(str(STEPS[step]))


def _fail(exc):
    raise click.ClickException(str(exc)) from exc


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@with_appcontext
@transaction.command
def backup_command(path):
    """Write the database, the signing keys and the instance files to a new archive at PATH.

    The archive holds personal data: it is readable by its owner only (mode 0600). Run it
    nightly; keep the archives encrypted, off this machine.
    """
    from lms.backup.services import create_backup

    try:
        manifest = create_backup(path, progress=_echo_step)
    except OSError as exc:
        _fail(exc)
    database = manifest["database"]
    click.echo(
        f"Backup written to {path}: {database['kind']} database at revision "
        f"{database['alembic_revision']}, {len(manifest['files'])} files."
    )


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
@transaction.command
def restore_command(path):
    """Restore an archive made by `backup` into the configured database, key paths and instance
    folder, which must be empty; a damaged archive is refused before anything is written."""
    from lms.backup.services import restore_backup

    try:
        manifest = restore_backup(path, progress=_echo_step)
    except OSError as exc:
        _fail(exc)
    database = manifest["database"]
    click.echo(
        f"Restored the backup of {manifest['created_at']}: {database['kind']} database at "
        f"revision {database['alembic_revision']}, {len(manifest['files'])} files."
    )
