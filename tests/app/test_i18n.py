"""Translations: the Indonesian catalogue is complete, consistent and compiled; the language switch.

The catalogue is checked against a fresh extraction of the code, so a string marked for translation
but not yet translated fails here (run ``flask --app lms lms i18n update``, translate, then
``flask --app lms lms i18n compile`` and commit both the .po and the .mo).
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import ngettext

from lms.i18n import LOCALE_COOKIE

ROOT = Path(__file__).resolve().parents[2]
PO_PATH = ROOT / "lms" / "translations" / "id" / "LC_MESSAGES" / "messages.po"
MO_PATH = PO_PATH.with_suffix(".mo")
FIX_HINT = (
    "run `flask --app lms lms i18n update`, translate lms/translations/id/LC_MESSAGES/messages.po, "
    "then `flask --app lms lms i18n compile`"
)

#: %(name)s-style placeholders (python-format), with optional flags, width and precision
PERCENT_RE = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]")
#: {name}-style placeholders (python-brace-format); {{ and }} are literal braces
BRACE_RE = re.compile(r"\{(\w*)(?:[!:][^{}]*)?\}")


def _read_po():
    with PO_PATH.open("rb") as f:
        return read_po(f, locale="id")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The messages the code marks right now, extracted as ``flask lms i18n extract`` does."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "lms/translations/babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"extraction failed:\n{result.stderr}"
    with pot.open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def catalogue():
    return _read_po()


def _messages(catalog):
    """Every message but the header."""
    return [m for m in catalog if m.id]


def _forms(message):
    """The translation as a tuple of forms (one for a singular message)."""
    return tuple(message.string) if message.pluralizable else (message.string,)


def _placeholders(text):
    text = (text or "").replace("{{", "").replace("}}", "")
    return set(PERCENT_RE.findall(text)) | {"{" + n + "}" for n in BRACE_RE.findall(text)}


@pytest.mark.one_database  # the catalogue's files, no page
def test_plural_forms_header_is_indonesian(catalogue):
    assert catalogue.plural_forms == "nplurals=1; plural=0;"


@pytest.mark.one_database  # the catalogue's files, no page
def test_every_message_is_translated(template, catalogue):
    missing = []
    for message in _messages(template):
        entry = catalogue.get(message.id, context=message.context)
        forms = _forms(entry) if entry is not None else ()
        translated = (
            entry is not None
            and entry.pluralizable == message.pluralizable
            and not entry.fuzzy
            and len(forms) == catalogue.num_plurals
            and all(form and form.strip() for form in forms)
        )
        if not translated:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert not missing, (
        f"{len(missing)} message(s) lack an Indonesian translation ({FIX_HINT}):\n"
        + "\n".join(f"  {msgid!r}" for msgid in missing)
    )


@pytest.mark.one_database  # the catalogue's files, no page
def test_placeholders_are_kept(catalogue):
    wrong = []
    for message in _messages(catalogue):
        ids = message.id if message.pluralizable else (message.id,)
        expected = set().union(*(_placeholders(i) for i in ids))
        for form in _forms(message):
            if form and _placeholders(form) != expected:
                wrong.append(f"  {ids[0]!r}: expected {sorted(expected)}, got {form!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


class _AnyValue(dict):
    """A mapping that has every key, to try formatting a translation."""

    def __missing__(self, key):
        return 1


@pytest.mark.one_database  # the catalogue's files, no page
def test_translations_can_be_formatted(catalogue):
    """A stray % (write %% for a percent sign) or brace would break the page at run time."""
    broken = []
    for message in _messages(catalogue):
        for form in filter(None, _forms(message)):
            try:
                if "python-format" in message.flags:
                    form % _AnyValue()
                if "python-brace-format" in message.flags:
                    form.format_map(_AnyValue())
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                broken.append(f"  {form!r}: {exc}")
    assert not broken, "translations that cannot be formatted:\n" + "\n".join(broken)


@pytest.mark.one_database  # the catalogue's files, no page
def test_compiled_catalogue_is_up_to_date(catalogue):
    def key(message):
        msgid = tuple(message.id) if message.pluralizable else message.id
        context = message.context
        if isinstance(context, bytes):  # Babel's read_mo gives the context as bytes
            context = context.decode()
        return (msgid, context)

    def string(message):
        return tuple(message.string) if message.pluralizable else message.string

    # what `pybabel compile` writes: non-fuzzy messages with a translation
    expected = {key(m): string(m) for m in _messages(catalogue) if m.string and not m.fuzzy}
    with MO_PATH.open("rb") as f:
        compiled = read_mo(f)
    actual = {key(m): string(m) for m in _messages(compiled)}
    stale = sorted(str(k[0]) for k in expected.keys() ^ actual.keys()) + sorted(
        str(k[0]) for k in expected.keys() & actual.keys() if expected[k] != actual[k]
    )
    assert not stale, (
        f"messages.mo is out of date with messages.po; run `flask --app lms lms i18n compile`. "
        f"Differing: {stale[:20]}"
    )
    assert compiled.plural_forms == catalogue.plural_forms


def test_pages_are_indonesian_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="id"' in html
    assert ">Masuk<" in html
    assert ">Log in<" not in html


def test_unsupported_browser_language_falls_back_to_indonesian(client):
    html = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(
        as_text=True
    )
    assert 'lang="id"' in html
    assert ">Masuk<" in html


def test_pages_follow_the_browser_language(client):
    html = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True
    )
    assert 'lang="en"' in html
    assert ">Log in<" in html
    assert ">Masuk<" not in html


def test_python_strings_are_translated(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Halaman atau data ini tidak ditemukan." in response.get_data(as_text=True)


def test_plural_messages_use_the_single_indonesian_form(app):
    with app.test_request_context(headers={"Accept-Language": "id"}):
        assert ngettext("%(num)s account", "%(num)s accounts", 1) == "1 akun"
        assert ngettext("%(num)s account", "%(num)s accounts", 5) == "5 akun"


def test_language_choice_is_kept_in_a_cookie(client):
    response = client.post("/language", data={"locale": "en", "next": "/login"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert f"{LOCALE_COOKIE}=en" in response.headers["Set-Cookie"]
    # the cookie wins over the browser's language on the next requests
    html = client.get("/login", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert 'lang="en"' in html
    assert ">Log in<" in html
    # and switching back works the same way
    client.post("/language", data={"locale": "id", "next": "/login"})
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="id"' in html
    assert ">Masuk<" in html
