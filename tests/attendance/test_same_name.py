"""Two trainees with the same name: the trainer tells them apart on the roster, the sign-in
sheet, the attendance exports and the certificate list by the enrolment number, the regency, the
NIK's last four digits and the birth year — never the whole NIK."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from lms.core.types import utcnow
from lms.enrollment import services as enrolment
from lms.extensions import db
from tests.fixtures.pages import text
from tests.fixtures.users import log_in


@pytest.fixture
def twins(classroom, create_user):
    """Two "Yuni Nugroho" in the classroom's course, from two regencies."""
    people = [
        create_user(
            "trainee",
            name="Yuni Nugroho",
            regency_code="18.01",
            birth_date=date(1996, 3, 2),
        ),
        create_user(
            "trainee",
            name="Yuni Nugroho",
            regency_code="18.71",
            birth_date=date(2001, 7, 9),
        ),
    ]
    enrollments = [enrolment.enroll(p, classroom.course, bypass_window=True) for p in people]
    db.session.commit()
    return enrollments


def masked(nik):
    return "•" * 12 + nik[-4:]


def expected_lines(twins):
    first, second = twins
    return [
        f"No. {first.id} · Lampung Selatan · NIK {masked(first.user.nik)} · born 1996",
        f"No. {second.id} · Kota Bandar Lampung · NIK {masked(second.user.nik)} · born 2001",
    ]


@pytest.fixture
def session(classroom, create_session):
    starts = utcnow() - timedelta(minutes=10)
    return create_session(classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=2))


def test_the_roster_tells_them_apart(client, english, classroom, twins, session):
    log_in(client, classroom.trainer)
    response = client.get(f"/trainer/sessions/{session.id}/roster")
    assert response.status_code == 200
    page = text(response)
    for line in expected_lines(twins):
        assert line in page
    assert all(e.user.nik not in response.get_data(as_text=True) for e in twins)


def test_the_sheet_and_the_exports_tell_them_apart(client, english, classroom, twins, session):
    log_in(client, classroom.trainer)
    first, second = twins
    printed = client.get(f"/trainer/sessions/{session.id}/sheet")
    assert "Lampung Selatan" in text(printed) and "Kota Bandar Lampung" in text(printed)

    workbook = load_workbook(
        io.BytesIO(client.get(f"/trainer/sessions/{session.id}/sheet.xlsx").data)
    )
    rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    by_id = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_id[first.id]["regency"] == "Lampung Selatan"
    assert by_id[second.id]["nik"] == masked(second.user.nik)
    assert by_id[second.id]["birth_year"] == 2001

    response = client.get(f"/trainer/courses/{classroom.course.id}/attendance.csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    yunis = [r[:5] for r in rows[1:] if r[0] == "Yuni Nugroho"]
    assert sorted(yunis) == sorted(
        [
            ["Yuni Nugroho", str(first.id), "Lampung Selatan", masked(first.user.nik), "1996"],
            [
                "Yuni Nugroho",
                str(second.id),
                "Kota Bandar Lampung",
                masked(second.user.nik),
                "2001",
            ],
        ]
    )
    assert first.user.nik not in response.get_data(as_text=True)


def test_the_certificate_list_tells_them_apart(client, english, classroom, twins):
    log_in(client, classroom.staff)
    response = client.get(f"/manage/courses/{classroom.course.id}/certificates")
    assert response.status_code == 200
    page = text(response)
    for line in expected_lines(twins):
        assert line in page
