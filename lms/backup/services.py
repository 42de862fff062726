"""Backups that restore: one archive with the database, the certificate signing keys and the
instance folder's files, and its restore into an empty site.

The archive is a gzip-compressed tar file: any Unix machine lists it (``tar -tzvf``) and opens it
by hand, and it is written in one stream that an encryption tool can take. ``manifest.json`` comes
first and lists every other member with its size and SHA-256:

- ``database/latih.dump`` (PostgreSQL, ``pg_dump --format=custom`` of the app's schema only) or
  ``database/latih.sqlite`` (SQLite, a copy made by SQLite's online backup API);
- ``keys/signing-key.pem`` (CERTIFICATE_KEY_FILE) and ``keys/old-<n>.pem``
  (CERTIFICATE_OLD_PUBLIC_KEYS, in their order);
- ``instance/<path>``: every other file of the instance folder (``local.cfg``...).

The database is copied from one snapshot while the site goes on writing: on PostgreSQL a
REPEATABLE READ transaction exports its snapshot to pg_dump (``--snapshot``); on SQLite a read
transaction stays open while the backup API copies the pages. The alembic revision in the
manifest is read inside that same snapshot.
"""

import contextlib
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import zlib
from urllib.request import pathname2url

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, text

from lms.certificates import signing
from lms.core.types import utcnow
from lms.errors import Conflict, InvalidInput, LmsError
from lms.extensions import db

#: first key of every manifest
FORMAT = "latih-backup"
#: version of the archive's layout; a restore refuses any other
VERSION = 1
MANIFEST = "manifest.json"
#: the database's member, by kind
DATABASE_FILES = {"postgresql": "database/latih.dump", "sqlite": "database/latih.sqlite"}
CURRENT_KEY = "keys/signing-key.pem"
#: files beside an SQLite database that belong to it
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
#: the largest manifest a restore reads, in bytes
MANIFEST_LIMIT = 16 * 1024 * 1024
CHUNK = 1024 * 1024
_KEY_NAME = re.compile(
    r"keys/(signing-key|old-[1-9][0-9]{0,3}|retired/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,80})\.pem"
)
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: lines of ``pg_restore --list`` that create the dumped schema itself (or comment on it): the
#: restore lands in the target's own schema instead
_SCHEMA_ENTRY = re.compile(rb"^\d+;\s+\d+\s+\d+\s+(SCHEMA -|COMMENT - SCHEMA|ACL - SCHEMA)\s")

#: what each step of a backup or a restore tells the operator
STEPS = {
    "snapshot": _l("Database snapshot taken; the site may go on writing."),
    "database": _l("Database copied."),
    "files": _l("Signing keys and instance files copied."),
    "checked": _l("Archive checked: its format version and checksums are right."),
    "restored-database": _l("Database restored."),
    "restored-files": _l("Signing keys and instance files restored."),
}


def _quiet(step):
    pass


# --- backup --------------------------------------------------------------------------------------


def create_backup(path, progress=None):
    """Write the database, the signing keys and the instance files to a new archive at ``path``,
    readable by its owner only (mode 0600); returns the manifest.

    ``progress(step)`` is called at each of the STEPS, ``snapshot`` once the database's snapshot
    is fixed and before it is copied.
    """
    progress = progress or _quiet
    path = os.path.abspath(path)
    if os.path.lexists(path):
        raise Conflict(
            _("%(path)s already exists: give the backup a new file name.", path=path),
            code="exists",
        )
    kind = _kind()
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    # staged next to the archive: the same disk, kept for backups, and never world-readable
    staging = tempfile.mkdtemp(prefix=".latih-backup-", dir=directory)
    try:
        if kind == "postgresql":
            database, dump = _dump_postgresql(staging, progress)
        else:
            database, dump = _dump_sqlite(staging, progress)
        members = [(database["file"], dump)]
        progress("database")
        keys, key_members = _stage_keys(staging)
        members += key_members
        exclude = {os.path.realpath(path), *(os.path.realpath(p) for p in _key_paths())}
        if kind == "sqlite":
            exclude |= _sqlite_files(_sqlite_path())
        for number, (name, source) in enumerate(_instance_files(exclude, staging), 1):
            members.append((f"instance/{name}", _copy(source, os.path.join(staging, f"i{number}"))))
        progress("files")
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": utcnow().isoformat(timespec="seconds"),
            "database": database,
            "keys": keys,
            "files": [
                {"name": name, "size": os.path.getsize(staged), "sha256": _sha256(staged)}
                for name, staged in members
            ],
        }
        _write_archive(path, staging, manifest, members)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _dump_postgresql(staging, progress):
    """pg_dump of the app's schema, from a snapshot exported by a REPEATABLE READ transaction."""
    pg_dump = _tool("pg_dump")
    dump = os.path.join(staging, "latih.dump")
    conninfo, env = _libpq(db.engine.url)
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            # the tables live in the first schema of the search_path that exists (a test
            # worker's own schema, or public)
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            if schema is None:
                raise LmsError(
                    _("The database's search_path names no schema that exists."), code="no_schema"
                )
            revision = _revision(conn)
            progress("snapshot")
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--schema={_quote_ident(schema)}",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={conninfo}",
                ],
                env,
            )
    database = {
        "kind": "postgresql",
        "file": DATABASE_FILES["postgresql"],
        "schema": schema,
        "alembic_revision": revision,
    }
    return database, dump


def _dump_sqlite(staging, progress):
    """A copy by SQLite's online backup API, inside a read transaction that fixes the snapshot."""
    path = _sqlite_path()
    if not os.path.isfile(path):
        raise LmsError(
            _("The database file %(path)s does not exist.", path=path), code="no_database"
        )
    copy_path = os.path.join(staging, "latih.sqlite")
    source = sqlite3.connect(_sqlite_uri(path, "rw"), uri=True, timeout=30, isolation_level=None)
    try:
        source.execute("BEGIN")
        revision = _sqlite_revision(source)  # the first read fixes the snapshot (WAL)
        progress("snapshot")
        with contextlib.closing(sqlite3.connect(copy_path)) as copy:
            source.backup(copy)  # one step, from the open read transaction
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            _sqlite_check(copy)
        source.execute("COMMIT")
    finally:
        source.close()
    database = {"kind": "sqlite", "file": DATABASE_FILES["sqlite"], "alembic_revision": revision}
    return database, copy_path


def _stage_keys(staging):
    """The manifest's ``keys`` and the staged key files: the current key, the configured old
    ones, then those ``create-signing-key --rotate`` retired beside the key file."""
    keys = {"current": None, "old": [], "retired": []}
    members = []
    current = signing.key_path()
    if os.path.isfile(current):
        keys["current"] = {"file": CURRENT_KEY, "source": current, "kid": _kid(current)}
        members.append((CURRENT_KEY, _copy(current, os.path.join(staging, "k0"))))
    for number, path in enumerate(signing.configured_old_key_paths(), 1):
        if not os.path.isfile(path):
            raise LmsError(
                _(
                    "The rotated-out key %(path)s (CERTIFICATE_OLD_PUBLIC_KEYS) does not exist.",
                    path=path,
                ),
                code="missing_key",
            )
        name = f"keys/old-{number}.pem"
        keys["old"].append({"file": name, "source": path, "kid": _kid(path)})
        members.append((name, _copy(path, os.path.join(staging, f"k{number}"))))
    for number, path in enumerate(signing.retired_key_paths(), 1):
        name = f"keys/retired/{os.path.basename(path)}"
        keys["retired"].append({"file": name, "source": path, "kid": _kid(path)})
        members.append((name, _copy(path, os.path.join(staging, f"r{number}"))))
    return keys, members


def _write_archive(path, staging, manifest, members):
    """Write the tar.gz in the staging folder (mode 0600), then move it into place at once."""
    part = os.path.join(staging, "archive.part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    mtime = int(utcnow().timestamp())
    with os.fdopen(fd, "wb") as raw:
        with tarfile.open(
            fileobj=raw, mode="w:gz", compresslevel=6, format=tarfile.PAX_FORMAT
        ) as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            tar.addfile(_member(MANIFEST, len(data), mtime), io.BytesIO(data))
            for name, staged in members:
                with open(staged, "rb") as handle:
                    tar.addfile(_member(name, os.path.getsize(staged), mtime), handle)
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(part, path)
    _fsync_dir(os.path.dirname(path))


def _member(name, size, mtime):
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o600
    return info


# --- restore -------------------------------------------------------------------------------------


def restore_backup(path, progress=None):
    """Restore an archive made by create_backup into the configured database, key paths and
    instance folder, which must be empty; returns its manifest.

    The whole archive is checked (format version, every member's size and SHA-256) before
    anything is written; the database is loaded in one transaction, then the files are written.
    """
    progress = progress or _quiet
    staging = tempfile.mkdtemp(prefix="latih-restore-")
    try:
        manifest, staged = _read_archive(path, staging)
        progress("checked")
        database = manifest["database"]
        kind = _kind()
        if database["kind"] != kind:
            raise InvalidInput(
                _(
                    "The backup holds a %(kind)s database but the configured database is "
                    "%(configured)s.",
                    kind=database["kind"],
                    configured=kind,
                ),
                code="wrong_database",
            )
        placements = _key_placements(manifest) + [
            (name, os.path.join(current_app.instance_path, *name.split("/")[1:]))
            for name in sorted(staged)
            if name.startswith("instance/")
        ]
        if kind == "postgresql":
            schema, schema_exists = _empty_postgresql_target()
            database_files = set()
        else:
            target = _empty_sqlite_target()
            database_files = _sqlite_files(target)
        _check_file_targets(placements, staged, database_files)
        if kind == "postgresql":
            _restore_postgresql(staged[database["file"]], database, schema, schema_exists, staging)
        else:
            _restore_sqlite(staged[database["file"]], target)
        _check_revision(database["alembic_revision"])
        progress("restored-database")
        for name, dest in placements:
            _place(staged[name], dest)
        current_app.extensions.pop("certificate_keys", None)  # load the restored key
        progress("restored-files")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _damaged(reason):
    return InvalidInput(reason, code="damaged_archive")


def _read_archive(path, staging):
    """Check the archive and copy its members into ``staging``: (manifest, {name: staged path}).

    Members are never extracted under their own names; one that the manifest does not list, or
    whose size or checksum differs, refuses the whole archive.
    """
    staged = {}
    manifest = None
    with open(path, "rb") as raw:
        try:
            with gzip.GzipFile(fileobj=raw) as stream:
                with tarfile.open(fileobj=stream, mode="r|") as tar:
                    for member in tar:
                        if manifest is None:
                            manifest = _read_manifest(tar, member, path)
                            expected = {entry["name"]: entry for entry in manifest["files"]}
                            continue
                        entry = expected.get(member.name)
                        if entry is None or member.name in staged or not member.isfile():
                            raise _damaged(
                                _(
                                    "The backup archive is damaged: it holds %(name)s, which "
                                    "its manifest does not list.",
                                    name=member.name,
                                )
                            )
                        if member.size != entry["size"]:
                            raise _checksum_error(member.name)
                        target = os.path.join(staging, f"m{len(staged)}")
                        with tar.extractfile(member) as source:
                            if _copy_stream(source, target) != entry["sha256"]:
                                raise _checksum_error(member.name)
                        staged[member.name] = target
                while stream.read(CHUNK):  # the rest, so that gzip checks its CRC and length
                    pass
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise _damaged(
                _("The backup archive %(path)s is damaged (%(error)s).", path=path, error=exc)
            ) from exc
    if manifest is None:
        raise _not_a_backup(path)
    missing = sorted(set(expected) - set(staged))
    if missing:
        raise _damaged(
            _("The backup archive is damaged: %(name)s is missing.", name=", ".join(missing))
        )
    return manifest, staged


def _not_a_backup(path):
    return _damaged(_("%(path)s is not a Latih backup archive.", path=path))


def _checksum_error(name):
    return _damaged(
        _("The backup archive is damaged: %(name)s does not match its checksum.", name=name)
    )


def _read_manifest(tar, member, path):
    """The first member, checked: the format, its version, and a safe name for every file."""
    if member.name != MANIFEST or not member.isfile() or member.size > MANIFEST_LIMIT:
        raise _not_a_backup(path)
    try:
        manifest = json.loads(tar.extractfile(member).read().decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise _not_a_backup(path) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_a_backup(path)
    if manifest.get("version") != VERSION:
        raise InvalidInput(
            _(
                "This backup has format version %(version)s; this Latih restores version "
                "%(supported)s.",
                version=manifest.get("version"),
                supported=VERSION,
            ),
            code="unsupported_version",
        )
    if not _manifest_valid(manifest):
        raise _damaged(_("The backup archive is damaged: its manifest is not valid."))
    return manifest


def _manifest_valid(manifest):
    files, database, keys = manifest.get("files"), manifest.get("database"), manifest.get("keys")
    if not (isinstance(files, list) and isinstance(database, dict) and isinstance(keys, dict)):
        return False
    names = set()
    for entry in files:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("size"), int)
            and entry["size"] >= 0
            and isinstance(entry.get("sha256"), str)
            and _SHA256.fullmatch(entry["sha256"])
            and entry["name"] not in names
        ):
            return False
        names.add(entry["name"])
    kind = database.get("kind")
    if kind not in DATABASE_FILES or database.get("file") != DATABASE_FILES[kind]:
        return False
    if kind == "postgresql" and not isinstance(database.get("schema"), str):
        return False
    if not isinstance(database.get("alembic_revision"), str | None):
        return False
    current, old = keys.get("current"), keys.get("old")
    retired = keys.get("retired", [])
    if not isinstance(old, list) or not all(isinstance(k, dict) for k in old):
        return False
    if not isinstance(retired, list) or not all(
        isinstance(k, dict) and str(k.get("file")).startswith("keys/retired/") for k in retired
    ):
        return False
    if current is not None and (
        not isinstance(current, dict) or current.get("file") != CURRENT_KEY
    ):
        return False
    key_files = [k.get("file") for k in old + retired] + ([current["file"]] if current else [])
    referenced = {database["file"], *key_files}
    for name in names:
        if name in referenced:
            if name.startswith("keys/") and not _KEY_NAME.fullmatch(name):
                return False
        elif not _safe_instance_name(name):
            return False
    return referenced <= names


def _safe_instance_name(name):
    parts = name.split("/")
    return (
        len(parts) > 1
        and parts[0] == "instance"
        and all(part not in ("", ".", "..") and "\\" not in part for part in parts[1:])
        and "\x00" not in name
    )


def _key_placements(manifest):
    """(member, configured path) of each key in the backup; the old keys go to the paths of
    CERTIFICATE_OLD_PUBLIC_KEYS in their order, one path for each."""
    keys = manifest["keys"]
    placements = []
    if keys["current"] is not None:
        placements.append((keys["current"]["file"], signing.key_path()))
    placements += [
        (entry["file"], os.path.join(signing.retired_folder(), os.path.basename(entry["file"])))
        for entry in keys.get("retired", [])
    ]
    configured = signing.configured_old_key_paths()
    if len(configured) != len(keys["old"]):
        raise InvalidInput(
            _(
                "Rotated-out public keys in the backup: %(count)s; paths in "
                "CERTIFICATE_OLD_PUBLIC_KEYS: %(configured)s. Name one path for each key.",
                count=len(keys["old"]),
                configured=len(configured),
            ),
            code="old_keys",
        )
    placements += [
        (entry["file"], path) for entry, path in zip(keys["old"], configured, strict=True)
    ]
    return placements


def _check_file_targets(placements, staged, database_files):
    """Refuse before writing anything: a key path that holds another key, an instance folder
    with files in it (other than the empty database and the key files, checked on their own)."""
    keys = {os.path.realpath(dest) for name, dest in placements if name.startswith("keys/")}
    for name, dest in placements:
        if os.path.lexists(dest) and not (name.startswith("keys/") and _same(staged[name], dest)):
            raise Conflict(
                _(
                    "%(path)s already exists: restore only where nothing is yet.",
                    path=dest,
                ),
                code="not_empty",
            )
    root = os.path.realpath(current_app.instance_path) + os.sep
    for name, dest in placements:
        if name.startswith("instance/") and not os.path.realpath(dest).startswith(root):
            raise Conflict(  # a link in the instance folder points out of it
                _("%(path)s already exists: restore only where nothing is yet.", path=dest),
                code="not_empty",
            )
    others = [name for name, _path in _instance_files(keys | database_files)]
    if others:
        shown = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
        raise Conflict(
            _(
                "The instance folder %(path)s is not empty (%(files)s): restore only into an "
                "empty instance folder.",
                path=current_app.instance_path,
                files=shown,
            ),
            code="not_empty",
        )


def _empty_postgresql_target():
    """(schema, exists) the restore lands in, refusing a schema that holds anything."""
    with db.engine.connect() as conn:
        schema = _target_schema(conn)
        row = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid)"
                " + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid)"
                " + (SELECT count(*) FROM pg_type t WHERE t.typnamespace = n.oid"
                "    AND t.typtype IN ('e', 'd', 'r', 'm'))"
                " FROM pg_namespace n WHERE n.nspname = :schema"
            ),
            {"schema": schema},
        ).first()
    if row is not None and row[0]:
        raise Conflict(
            _(
                "The database schema %(schema)s is not empty (%(count)s objects): restore only "
                "into an empty database.",
                schema=schema,
                count=row[0],
            ),
            code="not_empty",
        )
    return schema, row is not None


def _target_schema(conn):
    """The schema the app's tables go in: the first of the search_path (``$user`` when such a
    schema exists), even if it does not exist yet."""
    search_path = conn.execute(text("SHOW search_path")).scalar()
    for item in re.findall(r'"(?:[^"]|"")*"|[^,\s]+', search_path):
        name = item[1:-1].replace('""', '"') if item.startswith('"') else item.lower()
        if name == "$user":
            user = conn.execute(text("SELECT current_user")).scalar()
            found = conn.execute(
                text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": user}
            ).scalar()
            if found:
                return user
        elif name != "pg_catalog" and not name.startswith("pg_temp"):
            return name
    raise LmsError(_("The database's search_path names no schema that exists."), code="no_schema")


def _restore_postgresql(dump, database, schema, schema_exists, staging):
    """pg_restore's script, its schema renamed to the target's, through psql in one transaction.

    pg_dump qualifies every name with the schema it came from (``latih_gw0.users``); a restore
    into another schema renames those references outside the COPY data. psql commits only once
    pg_restore has produced the whole script.
    """
    pg_restore, psql = _tool("pg_restore"), _tool("psql")
    conninfo, env = _libpq(db.engine.url)
    listing = _run([pg_restore, "--list", dump], env)
    toc = os.path.join(staging, "restore.list")
    with open(toc, "wb") as handle:
        handle.writelines(
            line for line in listing.splitlines(True) if not _SCHEMA_ENTRY.match(line)
        )
    rename = _schema_renamer(database["schema"], schema)
    with tempfile.TemporaryFile() as reader_errors, tempfile.TemporaryFile() as writer_errors:
        reader = subprocess.Popen(
            [pg_restore, "--no-owner", "--no-acl", f"--use-list={toc}", "--file=-", dump],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=reader_errors,
            env=env,
        )
        writer = subprocess.Popen(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                "--file=-",
                f"--dbname={conninfo}",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=writer_errors,
            env=env,
        )
        try:
            writer.stdin.write(b"BEGIN;\n")
            if not schema_exists:
                writer.stdin.write(f"CREATE SCHEMA {_quote_ident(schema)};\n".encode())
            in_data = False
            for line in reader.stdout:
                if in_data:
                    in_data = line.rstrip(b"\r\n") != b"\\."
                else:
                    in_data = line.startswith(b"COPY ") and line.rstrip().endswith(b" FROM stdin;")
                    line = rename(line)
                writer.stdin.write(line)
            reader.stdout.close()
            if reader.wait() == 0:
                writer.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error; its message says which
        finally:
            if reader.poll() is None:
                reader.kill()
            reader.wait()
            with contextlib.suppress(BrokenPipeError):
                writer.stdin.close()
            writer.wait()
        for process, errors, tool in (
            (writer, writer_errors, psql),
            (reader, reader_errors, pg_restore),
        ):
            if process.returncode != 0:
                errors.seek(0)
                raise _tool_failed(tool, errors.read())


def _schema_renamer(source, target):
    """A function that renames ``source.`` to ``target.`` in a line of pg_restore's DDL."""
    if source == target:
        return lambda line: line
    forms = [re.escape(_quote_ident(source, always=True).encode())]
    if _quote_ident(source) == source:
        forms.append(re.escape(source.encode()))
    pattern = re.compile(rb'(?<![A-Za-z0-9_$"])(?:' + b"|".join(forms) + rb")\.")
    replacement = _quote_ident(target, always=True).encode() + b"."
    return lambda line: pattern.sub(lambda _match: replacement, line)


def _empty_sqlite_target():
    """The SQLite file the restore writes, refusing one that holds any table."""
    path = _sqlite_path()
    if os.path.exists(path) and os.path.getsize(path):
        try:
            with contextlib.closing(sqlite3.connect(_sqlite_uri(path, "ro"), uri=True)) as conn:
                count = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError:
            count = "?"
        if count:
            raise Conflict(
                _(
                    "The database %(path)s is not empty (%(count)s objects): restore only into "
                    "an empty database.",
                    path=path,
                    count=count,
                ),
                code="not_empty",
            )
    return path


def _restore_sqlite(copy, path):
    """Put the backup's file in place of the empty database, in one rename."""
    db.engine.dispose()
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, part = tempfile.mkstemp(prefix=".latih-restore-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as out, open(copy, "rb") as source:
            shutil.copyfileobj(source, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.closing(sqlite3.connect(part)) as conn:
            _sqlite_check(conn)
        for suffix in SQLITE_SIDE_FILES:  # the empty database's
            with contextlib.suppress(FileNotFoundError):
                os.remove(path + suffix)
        os.replace(part, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(part)
        raise
    _fsync_dir(directory)


def _check_revision(expected):
    db.engine.dispose()
    with db.engine.connect() as conn:
        found = _revision(conn)
    if found != expected:
        raise LmsError(
            _(
                "The restored database holds revision %(found)s, not %(expected)s.",
                found=found,
                expected=expected,
            ),
            code="wrong_revision",
        )


def _place(staged, dest):
    """Write a restored file (mode 0600), unless the same bytes are already there."""
    if os.path.lexists(dest) and _same(staged, dest):
        return
    os.makedirs(os.path.dirname(dest), mode=0o700, exist_ok=True)
    _copy(staged, dest)


# --- shared --------------------------------------------------------------------------------------


def _kind():
    name = db.engine.dialect.name
    if name not in DATABASE_FILES:
        raise LmsError(
            _("Backups know PostgreSQL and SQLite, not %(name)s.", name=name), code="unsupported"
        )
    return name


def _revision(conn):
    """The alembic revision the database is at ("a,b" for several heads; None: never migrated)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return ",".join(sorted(rows)) or None


def _sqlite_revision(conn):
    found = conn.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()[0]
    if not found:
        return None
    rows = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
    return ",".join(sorted(rows)) or None


def _sqlite_path():
    path = db.engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        raise LmsError(
            _("An in-memory SQLite database cannot be backed up or restored."), code="memory"
        )
    return os.path.abspath(path)


def _sqlite_uri(path, mode):
    return f"file:{pathname2url(path)}?mode={mode}"


def _sqlite_files(path):
    """The real paths of an SQLite database file and the files beside it."""
    return {os.path.realpath(path + suffix) for suffix in ("", *SQLITE_SIDE_FILES)}


def _sqlite_check(conn):
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise LmsError(
            _("The copy of the database fails its integrity check: %(error)s", error=result),
            code="integrity",
        )


def _key_paths():
    return [signing.key_path(), *signing.old_key_paths()]


def _kid(path):
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        return signing.key_id(signing.load_public(path))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None


def _instance_files(exclude, skip_folder=None):
    """(name relative to the instance folder, path) of its regular files, but the ``exclude``d
    real paths and anything under ``skip_folder``."""
    root = current_app.instance_path
    found = []
    skip = os.path.realpath(skip_folder) if skip_folder else None
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(f for f in folders if os.path.realpath(os.path.join(folder, f)) != skip)
        for name in sorted(names):
            full = os.path.join(folder, name)
            if os.path.realpath(full) in exclude:
                continue
            try:
                regular = stat.S_ISREG(os.stat(full).st_mode)
            except OSError:  # a dangling link
                continue
            if regular:
                found.append((os.path.relpath(full, root).replace(os.sep, "/"), full))
    return found


def _copy(source, dest):
    """Copy a file to a new file readable by its owner only; returns ``dest``."""
    with open(source, "rb") as handle:
        _copy_stream(handle, dest)
    return dest


def _copy_stream(source, dest):
    """Copy a stream to a new file (mode 0600); returns the SHA-256 of what was written."""
    digest = hashlib.sha256()
    with open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _same(first, second):
    return os.path.isfile(second) and _sha256(first) == _sha256(second)


def _fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quote_ident(name, always=False):
    """A PostgreSQL identifier as pg_dump writes it: bare when it may be, else quoted."""
    if not always and re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        return name
    return '"' + name.replace('"', '""') + '"'


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise LmsError(
            _(
                "%(tool)s was not found: install the PostgreSQL client tools of the server's "
                "version.",
                tool=name,
            ),
            code="tool_missing",
        )
    return path


def _libpq(url):
    """A libpq connection string for the app's database URL and the environment of the client
    tools: the password goes in PGPASSWORD, never on the command line."""
    params = {"host": url.host, "port": url.port, "dbname": url.database, "user": url.username}
    for key, value in url.query.items():
        params[key] = value if isinstance(value, str) else value[-1]
    env = dict(os.environ)
    password = params.pop("password", None) or url.password
    if password:
        env["PGPASSWORD"] = password
    conninfo = " ".join(
        f"{key}={_libpq_value(value)}" for key, value in params.items() if value not in (None, "")
    )
    return conninfo, env


def _libpq_value(value):
    escaped = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _run(command, env):
    result = subprocess.run(
        command, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    if result.returncode != 0:
        raise _tool_failed(command[0], result.stderr)
    return result.stdout


def _tool_failed(tool, stderr):
    lines = stderr.decode(errors="replace").strip().splitlines()
    return LmsError(
        _(
            "%(tool)s failed: %(error)s",
            tool=os.path.basename(tool),
            error=" / ".join(lines[-5:]) or "?",
        ),
        code="tool_failed",
    )
