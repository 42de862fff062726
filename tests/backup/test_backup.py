"""Backups that restore (``flask lms backup`` / ``flask lms restore``): a backup taken while the
site writes holds its snapshot and restores into an empty site whose certificates still verify;
the archive is private and checked; a restore refuses a site that is not empty and an archive
that was changed."""

import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import tarfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import flask_migrate
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask_babel import force_locale, gettext
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import create_engine, func, insert, inspect, make_url, select, text

from config import TestingConfig
from lms import create_app
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.backup import services as backups
from lms.certificates import services as certificates
from lms.certificates import signing
from lms.errors import Conflict, InvalidInput
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.certificates.test_certificate_rules import build_cohort
from tests.conftest import Client

LOCAL_CFG = b'OFFICE_NAME = "BP3MI Lampung"\nPER_PAGE = 25\n'
LOGO = bytes(range(256)) * 4


# --- helpers -------------------------------------------------------------------------------------


def table_rows():
    """Every row of every table, ordered by primary key: what a restore must give back."""
    db.session.rollback()
    rows = {}
    for table in db.metadata.sorted_tables:
        query = select(table).order_by(*table.primary_key.columns)
        rows[table.name] = [tuple(row) for row in db.session.execute(query)]
    return rows


def revision():
    db.session.rollback()
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def members(archive):
    """{name: bytes} of an archive, and its manifest."""
    with tarfile.open(archive, "r:gz") as tar:
        names = tar.getnames()
        found = {name: tar.extractfile(name).read() for name in names}
    assert names[0] == "manifest.json"
    return json.loads(found.pop("manifest.json")), found


def write_archive(path, manifest, files):
    """Write an archive as the service does, from a manifest and {name: bytes}."""
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [("manifest.json", json.dumps(manifest).encode()), *files.items()]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def kid_of(path):
    return signing.key_id(signing.load_public(str(path)))


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def in_id(message, **params):
    """A message as the CLI shows it: in the default language (Indonesian)."""
    with force_locale("id"):
        return gettext(message, **params)


class Writer(threading.Thread):
    """A second connection that inserts an audit entry and an outbox message, in one transaction,
    again and again from ``go`` until ``stop``."""

    def __init__(self, uri):
        super().__init__(daemon=True)
        args = {"connect_args": {"timeout": 30}} if uri.startswith("sqlite") else {}
        self.engine = create_engine(uri, **args)
        self.go, self.wrote, self.stop = threading.Event(), threading.Event(), threading.Event()
        self.count = 0
        self.error = None

    def run(self):
        try:
            self.go.wait()
            while not self.stop.is_set():
                number = self.count + 1
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(AuditEntry.__table__).values(
                            action="test.write", object_type="test", object_id=number, data={}
                        )
                    )
                    conn.execute(
                        insert(OutboxMessage.__table__).values(
                            recipient="ani@example.org",
                            kind="test",
                            locale="id",
                            subject=f"Pesan {number}",
                            body="",
                        )
                    )
                self.count = number
                self.wrote.set()
        except Exception as exc:  # noqa: BLE001  (the test reports it)
            self.error = exc
            self.wrote.set()
        finally:
            self.engine.dispose()


# --- fixtures ------------------------------------------------------------------------------------


@dataclass
class Site:
    """The site to back up, with certificates signed by its current key and by a retired one."""

    app: object
    keys: object
    #: {certificate code: kid of the key that signed it}
    signed: dict = field(default_factory=dict)


@pytest.fixture
def site(make_app, tmp_path, create_partner, create_course, create_session, create_user):
    keys = tmp_path / "site-keys"
    keys.mkdir()
    retired = Ed25519PrivateKey.generate()
    (keys / "retired.pem").write_bytes(
        retired.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (keys / "retired.pub.pem").write_bytes(
        retired.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    before_rotation = make_app(CERTIFICATE_KEY_FILE=str(keys / "retired.pem"))
    source = make_app(
        CERTIFICATE_KEY_FILE=str(keys / "current.pem"),
        CERTIFICATE_OLD_PUBLIC_KEYS=[str(keys / "retired.pub.pem")],
    )
    source.instance_path = str(tmp_path / "site-instance")
    (tmp_path / "site-instance" / "uploads").mkdir(parents=True)
    (tmp_path / "site-instance" / "local.cfg").write_bytes(LOCAL_CFG)
    (tmp_path / "site-instance" / "uploads" / "logo.png").write_bytes(LOGO)
    site = Site(source, keys)
    for issuer in (before_rotation, source):
        with issuer.app_context():
            cohort = build_cohort(
                create_partner, create_course, create_session, create_user, size=2
            )
            issued, skipped = certificates.issue(cohort.course, cohort.staff)
            db.session.commit()
            assert len(issued) == 2 and not skipped
            site.signed.update({c.code: c.key_id for c in issued})
    return site


@pytest.fixture
def make_target(app, tmp_path, worker_id):
    """``make_target(name="restore", old_keys=1)``: an empty site to restore into, on the test's
    backend: a new SQLite file, or the schema ``latih_<name>_<worker>`` of the test database;
    its key paths and instance folder under tmp_path/<name>, none of them there yet."""
    made = []
    postgresql = not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")

    def drop(schema):
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))

    def _make(name="restore", old_keys=1):
        root = tmp_path / name
        schema = None
        if postgresql:
            schema = f"latih_{name}_{worker_id}"
            drop(schema)
            base = os.environ["TEST_DATABASE_URL"]
            options = quote(f"-csearch_path={schema}")
            uri = f"{base}{'&' if '?' in base else '?'}options={options}"
        else:
            uri = f"sqlite:///{root / 'db' / 'latih.sqlite'}"
        target = create_app(
            TestingConfig,
            {
                "SQLALCHEMY_DATABASE_URI": uri,
                "CERTIFICATE_KEY_FILE": str(root / "keys" / "signing.pem"),
                "CERTIFICATE_OLD_PUBLIC_KEYS": [
                    str(root / "keys" / f"old-{n}.pub.pem") for n in range(1, old_keys + 1)
                ],
            },
        )
        target.instance_path = str(root / "instance")
        target.test_client_class = Client
        made.append((target, schema))
        return target

    yield _make
    for target, schema in made:
        with target.app_context():
            db.engine.dispose()
        if schema:
            drop(schema)


@pytest.fixture
def site_archive(site, tmp_path):
    """A backup of the site."""
    path = tmp_path / "backups" / "site.tar.gz"
    with site.app.app_context():
        backups.create_backup(str(path))
    return path


@pytest.fixture
def archive(app, db, monkeypatch, tmp_path, create_user):
    """A small backup of the test app (a trainee, its signing key, an instance folder with
    local.cfg and no rotated-out key): what a target restores when nothing is wrong."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "small-instance"))
    os.makedirs(app.instance_path)
    (tmp_path / "small-instance" / "local.cfg").write_bytes(LOCAL_CFG)
    create_user("trainee", name="Siti Rahmawati")
    signing.signing_key()
    path = tmp_path / "backups" / "small.tar.gz"
    backups.create_backup(str(path))
    return path


def no_tables(target):
    """Whether the restore target's database holds no table (an SQLite file: is not there)."""
    with target.app_context():
        url = db.engine.url
        if url.get_backend_name() == "sqlite":
            return not os.path.exists(url.database)
        tables = inspect(db.engine).get_table_names()
        db.engine.dispose()
        return tables == []


def empty(target):
    """Whether a restore target is still as it was made: no table, no key, no instance file."""
    return (
        no_tables(target)
        and not os.path.exists(target.config["CERTIFICATE_KEY_FILE"])
        and not os.path.exists(target.instance_path)
    )


# --- backup and restore --------------------------------------------------------------------------


def test_a_backup_taken_while_the_site_writes_restores_its_snapshot(site, make_target, tmp_path):
    source = site.app
    path = tmp_path / "backups" / "latih-2026-12-06.tar.gz"
    steps = []
    with source.app_context():
        before = table_rows()
        at = revision()
        writer = Writer(source.config["SQLALCHEMY_DATABASE_URI"])
        writer.start()

        def progress(step):
            steps.append(step)
            if step == "snapshot":
                # the snapshot is fixed: a second connection now commits rows, before and while
                # the database is copied; none of them may be in the backup
                writer.go.set()
                assert writer.wrote.wait(timeout=60)

        try:
            manifest = backups.create_backup(str(path), progress=progress)
        finally:
            writer.stop.set()
            writer.go.set()
            writer.join(timeout=60)
        assert writer.error is None
        assert writer.count >= 1
        db.session.rollback()
        written = db.session.scalar(select(func.count()).select_from(AuditEntry))
        assert written == len(before["audit_log"]) + writer.count

    assert steps == ["snapshot", "database", "files"]
    assert manifest["database"]["alembic_revision"] == at
    target = make_target()
    with target.app_context():
        restored = backups.restore_backup(str(path))
        assert restored == manifest
        # the same rows as the site at the snapshot: every table, every column
        assert table_rows() == before
        assert revision() == at
        # the restored site goes on: ids continue after the restored ones
        db.session.add(AuditEntry(action="test.after", object_type="test"))
        db.session.commit()
        assert db.session.scalar(select(func.max(AuditEntry.id))) > max(
            row[0] for row in before["audit_log"]
        )

    # the keys went to the paths the restored site is configured with...
    keys = site.keys
    assert (
        Path(target.config["CERTIFICATE_KEY_FILE"]).read_bytes()
        == (keys / "current.pem").read_bytes()
    )
    [old] = target.config["CERTIFICATE_OLD_PUBLIC_KEYS"]
    assert Path(old).read_bytes() == (keys / "retired.pub.pem").read_bytes()
    assert mode_of(target.config["CERTIFICATE_KEY_FILE"]) == 0o600
    # ...so every certificate, signed before and after the rotation, still verifies there
    assert set(site.signed.values()) == {kid_of(keys / "current.pem"), kid_of(keys / "retired.pem")}
    client = target.test_client()
    for code in site.signed:
        response = client.get(f"/api/v1/certificates/{code}")
        assert response.status_code == 200
        assert response.get_json()["signature_valid"] is True
    published = {key["kid"] for key in client.get("/.well-known/jwks.json").get_json()["keys"]}
    assert published == set(site.signed.values())
    # and the instance folder's files are back, readable by their owner only
    instance = target.instance_path
    assert Path(os.path.join(instance, "local.cfg")).read_bytes() == LOCAL_CFG
    assert Path(os.path.join(instance, "uploads", "logo.png")).read_bytes() == LOGO
    assert mode_of(os.path.join(instance, "local.cfg")) == 0o600


def test_the_backup_command_writes_a_private_archive_with_its_manifest(site, tmp_path):
    path = tmp_path / "backups" / "latih.tar.gz"
    with site.app.app_context():
        at = revision()
        result = site.app.test_cli_runner().invoke(args=["lms", "backup", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Backup written to {path}" in result.output
    assert mode_of(path) == 0o600
    assert os.listdir(path.parent) == ["latih.tar.gz"]  # nothing staged is left behind
    manifest, files = members(path)
    postgresql = site.app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    database = "database/latih.dump" if postgresql else "database/latih.sqlite"
    assert manifest["format"] == "latih-backup" and manifest["version"] == 1
    assert manifest["created_at"]
    assert manifest["database"]["kind"] == ("postgresql" if postgresql else "sqlite")
    assert manifest["database"]["alembic_revision"] == at
    assert sorted(files) == sorted(
        [
            database,
            "keys/signing-key.pem",
            "keys/old-1.pem",
            "instance/local.cfg",
            "instance/uploads/logo.png",
        ]
    )
    assert {entry["name"]: entry["sha256"] for entry in manifest["files"]} == {
        name: hashlib.sha256(data).hexdigest() for name, data in files.items()
    }
    assert manifest["keys"]["current"]["kid"] == kid_of(site.keys / "current.pem")
    assert [k["kid"] for k in manifest["keys"]["old"]] == [kid_of(site.keys / "retired.pem")]
    assert files["instance/local.cfg"] == LOCAL_CFG

    # a second backup never overwrites the first
    with site.app.app_context():
        again = site.app.test_cli_runner().invoke(args=["lms", "backup", str(path)])
    assert again.exit_code == 1
    assert in_id("%(path)s already exists: give the backup a new file name.", path=path) in (
        again.output
    )


def test_an_sqlite_site_in_its_instance_folder_round_trips(db, tmp_path, create_user):
    """The embedded default: the database and the signing key live in the instance folder; they
    go in once, as the database's consistent copy and as the key, and come back there."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite layout")
    made = []

    def default_site(name):
        instance = tmp_path / name
        instance.mkdir()
        uri = f"sqlite:///{instance / 'latih.sqlite'}"
        made.append(create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": uri}))
        made[-1].instance_path = str(instance)
        return made[-1]

    source, target = default_site("site"), default_site("new")
    try:
        with source.app_context():
            flask_migrate.upgrade()
            user_id = create_user("trainee", name="Siti Rahmawati").id
            (tmp_path / "site" / "local.cfg").write_bytes(LOCAL_CFG)
            signing.signing_key()  # written to instance/certificate-signing-key.pem
            before = table_rows()
            manifest = backups.create_backup(str(tmp_path / "backup.tar.gz"))
        assert sorted(entry["name"] for entry in manifest["files"]) == [
            "database/latih.sqlite",
            "instance/local.cfg",
            "keys/signing-key.pem",
        ]
        with target.app_context():
            backups.restore_backup(str(tmp_path / "backup.tar.gz"))
            assert table_rows() == before
            assert db.session.get(User, user_id).name == "Siti Rahmawati"
        restored = os.listdir(tmp_path / "new")
        assert sorted(n for n in restored if not n.endswith(("-wal", "-shm"))) == [
            "certificate-signing-key.pem",
            "latih.sqlite",
            "local.cfg",
        ]
        assert (tmp_path / "new" / "certificate-signing-key.pem").read_bytes() == (
            tmp_path / "site" / "certificate-signing-key.pem"
        ).read_bytes()
    finally:
        for made_app in made:
            with made_app.app_context():
                db.engine.dispose()


# --- a restore refuses a site that is not empty ----------------------------------------------------


def test_restore_refuses_the_running_site(app, runner, archive):
    """Restoring over the site itself (a database with rows) changes nothing."""
    before = table_rows()
    with pytest.raises(Conflict) as refused:
        backups.restore_backup(str(archive))
    assert refused.value.code == "not_empty"
    if db.engine.dialect.name == "sqlite":
        database = db.engine.url.database
    else:
        database = db.session.execute(text("SELECT current_schema()")).scalar()
    assert database in str(refused.value.message)  # it names the database
    result = runner.invoke(args=["lms", "restore", str(archive)])
    assert result.exit_code == 1
    assert str(refused.value.message) in result.output
    assert table_rows() == before


def test_restore_refuses_an_instance_folder_with_files(make_target, archive):
    target = make_target(old_keys=0)
    os.makedirs(target.instance_path)
    with open(os.path.join(target.instance_path, "local.cfg"), "w") as handle:
        handle.write("OFFICE_NAME = 'BP3MI Jawa Timur'\n")
    with target.app_context(), pytest.raises(Conflict) as refused:
        backups.restore_backup(str(archive))
    assert refused.value.code == "not_empty"
    assert "local.cfg" in str(refused.value.message)
    assert no_tables(target)  # nothing was written
    assert not os.path.exists(target.config["CERTIFICATE_KEY_FILE"])


def test_restore_refuses_a_key_path_that_holds_another_key(make_target, archive):
    target = make_target(old_keys=0)
    key = target.config["CERTIFICATE_KEY_FILE"]
    os.makedirs(os.path.dirname(key))
    with open(key, "wb") as handle:
        handle.write(
            Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with target.app_context(), pytest.raises(Conflict) as refused:
        backups.restore_backup(str(archive))
    assert refused.value.code == "not_empty" and key in str(refused.value.message)
    assert no_tables(target)


def test_restore_needs_a_path_for_every_rotated_out_key(make_target, site_archive):
    target = make_target(old_keys=0)
    with target.app_context(), pytest.raises(InvalidInput) as refused:
        backups.restore_backup(str(site_archive))
    assert refused.value.code == "old_keys"
    assert empty(target)


# --- a restore refuses a damaged archive ---------------------------------------------------------


def _changed_file(manifest, files):
    files["instance/local.cfg"] = LOCAL_CFG.replace(b"25", b"99")


def _changed_database(manifest, files):
    [name] = [n for n in files if n.startswith("database/")]
    data = bytearray(files[name])
    data[len(data) // 2] ^= 0xFF
    files[name] = bytes(data)


def _extra_member(manifest, files):
    files["instance/extra.cfg"] = b"SECRET_KEY = 'planted'\n"


def _missing_member(manifest, files):
    del files["keys/signing-key.pem"]


def _newer_version(manifest, files):
    manifest["version"] = 2


def _outside_path(manifest, files):
    data = files.pop("instance/local.cfg")
    files["instance/../../escaped.cfg"] = data
    for entry in manifest["files"]:
        if entry["name"] == "instance/local.cfg":
            entry["name"] = "instance/../../escaped.cfg"


def _no_manifest(manifest, files):
    manifest.clear()


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (_changed_file, "damaged_archive"),
        (_changed_database, "damaged_archive"),
        (_extra_member, "damaged_archive"),
        (_missing_member, "damaged_archive"),
        (_newer_version, "unsupported_version"),
        (_outside_path, "damaged_archive"),
        (_no_manifest, "damaged_archive"),
    ],
)
def test_restore_refuses_a_changed_archive(make_target, archive, tmp_path, tamper, code):
    manifest, files = members(archive)
    tamper(manifest, files)
    changed = tmp_path / "changed.tar.gz"
    write_archive(changed, manifest, files)
    target = make_target(old_keys=0)
    with target.app_context(), pytest.raises(InvalidInput) as refused:
        backups.restore_backup(str(changed))
    assert refused.value.code == code
    assert empty(target)
    assert not (tmp_path / "escaped.cfg").exists()


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not_gzip"])
def test_restore_refuses_a_damaged_file(make_target, archive, tmp_path, damage):
    data = bytearray(archive.read_bytes())
    if damage == "truncated":
        data = data[: len(data) * 2 // 3]
    elif damage == "flipped":
        # a byte of the largest member's data changed, the archive compressed again (gzip's own
        # check passes). A byte flipped in the compressed stream is not always damage: it can
        # fall where the decompressed bytes stay the same, and such an archive restores whole
        raw = bytearray(gzip.decompress(bytes(data)))
        with tarfile.open(fileobj=io.BytesIO(bytes(raw))) as tar:
            largest = max(tar.getmembers(), key=lambda member: member.size)
        raw[largest.offset_data + largest.size // 2] ^= 0x55
        data = bytearray(gzip.compress(bytes(raw)))
    else:
        data = bytearray(b"not an archive at all")
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(bytes(data))
    target = make_target(old_keys=0)
    with target.app_context():
        result = target.test_cli_runner().invoke(args=["lms", "restore", str(damaged)])
        with pytest.raises(InvalidInput) as refused:
            backups.restore_backup(str(damaged))
    assert result.exit_code == 1
    assert refused.value.code == "damaged_archive"
    assert str(refused.value.message) in result.output
    assert empty(target)


def test_a_gzip_whose_checksum_fails_is_refused(make_target, archive, tmp_path):
    """Damage past the last member is caught by gzip's own CRC."""
    raw = gzip.decompress(archive.read_bytes())
    recompressed = bytearray(gzip.compress(raw))
    recompressed[-8] ^= 0x01  # the CRC32 in the trailer
    damaged = tmp_path / "crc.tar.gz"
    damaged.write_bytes(bytes(recompressed))
    target = make_target(old_keys=0)
    with target.app_context(), pytest.raises(InvalidInput) as refused:
        backups.restore_backup(str(damaged))
    assert refused.value.code == "damaged_archive"
    assert empty(target)


def test_a_site_restores_into_its_own_emptied_database(make_target, archive):
    """After losing its database, keys and instance files, a site restores its own backup in
    place: on PostgreSQL into the same, existing and empty, schema (no schema renamed)."""
    target = make_target(old_keys=0)
    with target.app_context():
        backups.restore_backup(str(archive))
        rows = table_rows()
        again = os.path.join(os.path.dirname(target.instance_path), "again.tar.gz")
        manifest = backups.create_backup(again)
        url = db.engine.url
        db.session.remove()
        db.engine.dispose()
        if url.get_backend_name() == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(url.database + suffix):
                    os.remove(url.database + suffix)
        else:
            schema = manifest["database"]["schema"]
            assert schema.startswith("latih_restore_")
            with db.engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            db.engine.dispose()
    os.remove(target.config["CERTIFICATE_KEY_FILE"])
    shutil.rmtree(target.instance_path)
    assert empty(target)
    with target.app_context():
        backups.restore_backup(again)
        assert table_rows() == rows
    assert Path(target.instance_path, "local.cfg").read_bytes() == LOCAL_CFG


def test_the_client_tools_get_the_password_in_their_environment_only():
    url = make_url(
        "postgresql+psycopg://latih:it's%20s3cret@db.internal:5433/latih"
        "?options=-csearch_path%3Dlatih_gw0%20-csynchronous_commit%3Doff&sslmode=require"
    )
    conninfo, env = backups._libpq(url)
    assert "s3cret" not in conninfo
    assert env["PGPASSWORD"] == "it's s3cret"
    assert conninfo_to_dict(conninfo) == {
        "host": "db.internal",
        "port": "5433",
        "dbname": "latih",
        "user": "latih",
        "options": "-csearch_path=latih_gw0 -csynchronous_commit=off",
        "sslmode": "require",
    }


def test_keys_retired_by_a_rotation_come_back_beside_the_key(
    app, db, monkeypatch, tmp_path, make_target
):
    """``create-signing-key --rotate`` keeps the old public key beside the key file: the backup
    carries it, and the restored site still publishes it (its certificates verify)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "rotated-instance"))
    os.makedirs(app.instance_path)
    # a key of its own, so that the session's key is not rotated
    monkeypatch.setitem(app.config, "CERTIFICATE_KEY_FILE", str(tmp_path / "keys" / "key.pem"))
    monkeypatch.setitem(app.extensions, "certificate_keys", {})
    signing.create_key()
    _path, _kid, retired = signing.create_key(rotate=True)
    kids = set(signing.public_keys())
    assert retired is not None and len(kids) == 2
    path = tmp_path / "backups" / "rotated.tar.gz"
    backups.create_backup(str(path))
    target = make_target("rotated", old_keys=0)
    with target.app_context():
        backups.restore_backup(str(path))
        assert [os.path.basename(p) for p in signing.retired_key_paths()] == [
            os.path.basename(retired)
        ]
        assert set(signing.public_keys()) == kids
