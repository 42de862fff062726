"""Every time a page or a file shows is labelled with the office's zone, as configured.

A province in Indonesia's central zone (NTB, Bali, Sulawesi: Asia/Makassar) or its eastern one
(Asia/Jayapura) sets BABEL_DEFAULT_TIMEZONE; its pages then say WITA or WIT, never the default's
WIB, beside times shown in that zone.
"""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale

from lms.core.time import local_today, zone_abbreviation, zone_name
from lms.enrollment import services as enrolment
from lms.extensions import db
from tests.fixtures.pages import text
from tests.fixtures.users import log_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    ("zone", "short", "indonesian", "english"),
    [
        ("Asia/Jakarta", "WIB", "Waktu Indonesia Barat (WIB)", "Western Indonesian Time (WIB)"),
        ("Asia/Pontianak", "WIB", "Waktu Indonesia Barat (WIB)", "Western Indonesian Time (WIB)"),
        (
            "Asia/Makassar",
            "WITA",
            "Waktu Indonesia Tengah (WITA)",
            "Central Indonesian Time (WITA)",
        ),
        ("Asia/Jayapura", "WIT", "Waktu Indonesia Timur (WIT)", "Eastern Indonesian Time (WIT)"),
        ("Asia/Hong_Kong", "HKT", "HKT", "HKT"),
        ("Asia/Kuala_Lumpur", "UTC+08", "UTC+08", "UTC+08"),
    ],
)
def test_the_zone_is_named_as_its_readers_name_it(
    app, monkeypatch, zone, short, indonesian, english
):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_TIMEZONE", zone)
    assert zone_abbreviation() == short
    with force_locale("id"):
        assert zone_name() == indonesian
    with force_locale("en"):
        assert zone_name() == english


@pytest.fixture
def makassar(make_app):
    """The app of an office in the central zone (WITA, UTC+8)."""
    return make_app(BABEL_DEFAULT_TIMEZONE="Asia/Makassar")


@pytest.fixture
def course(create_course, create_session, create_user, create_partner):
    """A course with its trainer, a meeting at 01:00-05:00 UTC on its first day (09:00-13:00
    WITA) and one enrolled trainee."""
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    trainer = create_user("trainer", partner_id=partner.id)
    course = create_course(partner=partner, trainers=[trainer])
    create_session(course)
    enrolment.enroll(create_user("trainee"), course, bypass_window=True)
    db.session.commit()
    return course


def assert_in_wita(shown):
    assert "WITA" in shown
    assert "WIB" not in shown


def test_staff_pages_of_an_office_in_the_central_zone_say_wita(makassar, course, create_user):
    client = log_in(makassar.test_client(), create_user("staff"))
    base = f"/manage/courses/{course.id}"

    shown = text(client.get(base))
    assert_in_wita(shown)
    assert "Jadwal (WITA)" in shown
    assert "Pendaftaran (WITA)" in shown
    assert "09.00–13.00" in shown  # the meeting in the office's zone
    assert "Waktu ditampilkan dalam Waktu Indonesia Tengah (WITA)." in shown

    shown = text(client.get(f"{base}/edit"))
    assert_in_wita(shown)
    assert "Pembukaan pendaftaran (WITA)" in shown
    assert "Tanggal dan jam dalam Waktu Indonesia Tengah (WITA)." in shown

    for form in ("sessions/new", "sessions/generate"):
        shown = text(client.get(f"{base}/{form}"))
        assert_in_wita(shown)
        assert "Mulai (WITA)" in shown and "Waktu dalam WITA." in shown

    roster = client.get(f"{base}/enrollments/")
    assert_in_wita(text(roster))
    assert "Tanggal daftar (WITA)" in text(roster)

    export = client.get(f"{base}/enrollments/export.csv")
    header = next(csv.reader(io.StringIO(export.get_data().decode("utf-8-sig"))))
    assert header[-1] == "Tanggal daftar (WITA)"


def test_the_trainers_roster_of_an_office_in_the_central_zone_says_wita(
    makassar, course, create_user
):
    meeting = course.sessions[0]
    trainer = course.trainers[0]
    client = log_in(makassar.test_client(), trainer)
    shown = text(client.get(f"/trainer/sessions/{meeting.id}/roster"))
    assert_in_wita(shown)
    assert "09.00–13.00 WITA" in shown


def test_the_default_office_says_wib_in_english_too(client, course, create_user):
    log_in(client, create_user("staff"))
    shown = text(client.get(f"/manage/courses/{course.id}", headers={"Accept-Language": "en"}))
    assert "Timetable (WIB)" in shown
    assert "Times are shown in Western Indonesian Time (WIB)." in shown


def test_no_template_writes_the_zone_itself():
    """A literal "WIB" in a template would stay WIB in an office of another zone: templates
    write ``zone()`` or ``zone_name()``."""
    written = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r"\bWIB\b", path.read_text(encoding="utf-8"))
    ]
    assert written == []
