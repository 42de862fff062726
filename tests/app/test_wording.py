"""Consistent Indonesian: one word for check-in ("absen masuk") and for attendance
("kehadiran"), times written 08.00 in Indonesian and 08:00 in English, thousands separated, no
English left on Indonesian pages, and one English term for enrolment in the e-mails."""

import re
from datetime import time
from pathlib import Path

from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import force_locale

from lms.core.time import combine_local
from tests.fixtures.pages import text

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "lms" / "translations" / "id" / "LC_MESSAGES" / "messages.po"


def _catalogue():
    with CATALOGUE.open("rb") as f:
        return [m for m in read_po(f) if m.id]


def _strings(message):
    return [message.string] if isinstance(message.string, str) else list(message.string)


def test_check_in_is_always_absen_masuk():
    for message in _catalogue():
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        for string in _strings(message):
            assert not re.search(r"(?i)\bpresensi\b|\babsensi\b", string), string
            if re.search(r"(?i)\bcheck[- ]?in\b", msgid) and "QR code for" not in msgid:
                assert "absen masuk" in string.lower() or "tercatat hadir" in string, string


def test_attendance_is_always_kehadiran():
    for message in _catalogue():
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if re.search(r"\b[Aa]ttendance\b", msgid) and "%" not in msgid.replace("%(", ""):
            for string in _strings(message):
                assert re.search(r"(?i)kehadiran|hadir|keikutsertaan", string), (msgid, string)


def test_the_emails_say_enrolment_in_english():
    for path in (ROOT / "templates" / "emails").glob("*.txt"):
        body = path.read_text()
        assert not re.search(r"(?i)registration|registered", body), path.name


def test_the_export_page_has_no_english_menu_left(client, login, dummy_staff):
    login(dummy_staff)
    page = text(client.get("/exports/", headers={"Accept-Language": "id"}))
    assert "From Text" not in page
    assert "Data > Dari Teks/CSV" in page


def test_the_breadcrumb_is_labelled_in_the_pages_language(client, dummy_course):
    html = client.get(f"/courses/{dummy_course.id}").get_data(as_text=True)
    assert 'aria-label="breadcrumb"' not in html
    assert 'aria-label="Posisi Anda"' in html


def test_times_are_written_one_way_per_language(client, dummy_course, create_session):
    day = dummy_course.starts_on
    create_session(dummy_course, combine_local(day, time(8)), combine_local(day, time(12, 30)))
    indonesian = text(client.get(f"/courses/{dummy_course.id}"))
    assert "08.00–12.30" in indonesian
    assert not re.search(r"\b\d\d:\d\d\b", indonesian)
    english = text(client.get(f"/courses/{dummy_course.id}", headers={"Accept-Language": "en"}))
    assert "08:00–12:30" in english


def test_counts_have_thousands_separators(app):
    with app.test_request_context():
        for locale, expected in (("id", "3.000 | 12.345"), ("en", "3,000 | 12,345")):
            with force_locale(locale):
                assert render_template_string("{{ 3000|number }} | {{ 12345|number }}") == expected
