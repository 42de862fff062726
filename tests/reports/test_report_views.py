"""The report pages and downloads for every role, bad years, and the files read back: the XLSX
with openpyxl, the PDF with pypdf — with the same figures as the service (see test_reports)."""

import io
import re

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from pypdf import PdfReader

from lms.auth.models import TARGET_GROUP_LABELS
from lms.extensions import course_types
from lms.reports.documents import XLSX_HEADER_ROWS
from tests.reports.test_reports import (
    EXPECTED,
    EXPECTED_PARTNERS,
    PARTNER_FIELDS,
    PC,
    Y,
    make_report_year,
)

PAGES = [
    "/reports/",
    "/reports/annual",
    f"/reports/annual?year={Y}",
    f"/reports/annual.xlsx?year={Y}",
    f"/reports/annual.pdf?year={Y}",
    "/reports/partners",
    f"/reports/partners?year={Y}",
    f"/reports/partners.xlsx?year={Y}",
]
ROLES = [None, "trainee", "trainer", "staff", "admin"]
EXPECTED_STATUS = {None: 302, "trainee": 403, "trainer": 403, "staff": 200, "admin": 200}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def report_year(create_user, create_partner, create_course, create_session):
    """The year of test_reports, with its figures in EXPECTED."""
    return make_report_year(create_user, create_partner, create_course, create_session)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", PAGES)
def test_pages_and_downloads_by_role(client, login, users_by_role, role, path):
    user = users_by_role[role]
    if user is not None:
        login(user)
    response = client.get(path)
    expected = EXPECTED_STATUS[role]
    if path == "/reports/" and expected == 200:
        expected = 302  # the index leads staff to the annual report
        assert response.headers["Location"].endswith("/reports/annual")
    assert response.status_code == expected
    if role is None:
        assert "/login" in response.headers["Location"]
    if expected == 200 and path.startswith("/reports/annual."):
        assert f"annual-report-{Y}." in response.headers["Content-Disposition"]


@pytest.mark.parametrize("role", ROLES)
def test_api_by_role(client, api_headers, users_by_role, role):
    response = client.get(
        f"/api/v1/reports/annual?year={Y}", headers=api_headers(users_by_role[role])
    )
    assert response.status_code == {None: 401, "trainee": 403, "trainer": 403}.get(role, 200)
    assert response.is_json
    if response.status_code != 200:
        assert response.get_json()["error"]["code"] in ("unauthorized", "forbidden")


def test_api_refuses_a_bad_token(client):
    response = client.get(
        f"/api/v1/reports/annual?year={Y}", headers={"Authorization": "Bearer nonsense"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "query",
    ["", "?year=", "?year=abc", "?year=2025.5", "?year=1899", "?year=3000", "?year=" + "9" * 30],
)
def test_api_wants_a_year(client, api_headers, dummy_staff, query):
    response = client.get(f"/api/v1/reports/annual{query}", headers=api_headers(dummy_staff, "id"))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["year"]


def test_api_asks_anonymous_to_log_in_before_checking_the_year(client):
    assert client.get("/api/v1/reports/annual").status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/reports/annual",
        "/reports/annual.xlsx",
        "/reports/annual.pdf",
        "/reports/partners",
        "/reports/partners.xlsx",
    ],
)
@pytest.mark.parametrize("year", ["abc", "0", "1899", "12345", "2025-01"])
def test_pages_refuse_a_bad_year(client, login, dummy_staff, path, year):
    login(dummy_staff)
    response = client.get(f"{path}?year={year}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_an_empty_year_is_a_page_with_zeros_and_dashes(client, login, dummy_staff):
    login(dummy_staff)
    response = client.get("/reports/annual?year=2001", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'data-figure="attendance_rate"' in body
    assert re.search(r'data-figure="attendance_rate"\s+data-value="">—<', body)
    assert '<option value="2001" selected>' in body  # the year shown is selectable
    assert "No data" in body
    assert client.get("/reports/annual.pdf?year=2001").status_code == 200
    assert client.get("/reports/annual.xlsx?year=2001").status_code == 200


def test_the_year_selector_offers_the_years_with_courses(client, login, dummy_staff, create_course):
    from datetime import date

    create_course("language", starts_on=date(2019, 3, 4), ends_on=date(2019, 4, 4))
    login(dummy_staff)
    body = client.get("/reports/annual").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)"', body)
    assert "2019" in options
    assert options == sorted(options, reverse=True)


def test_staff_see_reports_in_the_menu(client, login, users_by_role):
    for role in ("staff", "admin", "trainee", "trainer"):
        login(users_by_role[role])
        body = client.get("/").get_data(as_text=True)
        assert ('href="/reports/annual"' in body) == (role in ("staff", "admin")), role


# --- the files read back -----------------------------------------------------------------------


def sheet_rows(sheet):
    """The table of a sheet: the rows under its title line and headers, up to the first blank."""
    rows = []
    for row in list(sheet.iter_rows(values_only=True))[XLSX_HEADER_ROWS:]:
        if row[0] is None:
            break
        rows.append(row)
    return rows


def test_annual_xlsx_has_the_figures(report_year, client, login):
    login(report_year.staff)
    response = client.get(f"/reports/annual.xlsx?year={Y}")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    workbook = load_workbook(io.BytesIO(response.data))
    totals, types, regencies, partners, groups, months, *_outreach = workbook.worksheets

    values = [row[1] for row in sheet_rows(totals)]
    assert values[:5] == [8, 19, 9, 9, 19]
    assert values[5] == pytest.approx(29 / 33)
    assert totals.cell(row=XLSX_HEADER_ROWS + 6, column=2).number_format == "0.0%"

    labels = {course_types.get(key).label("id"): key for key in course_types.keys()}  # noqa: SIM118
    by_type = {
        labels[row[0]]: dict(
            zip(("trainees", "enrollments", "completions", "certificates"), row[1:], strict=True)
        )
        for row in sheet_rows(types)
    }
    # every training type is listed, those nobody took with zeros
    assert {k: v for k, v in by_type.items() if any(v.values())} == EXPECTED["by_course_type"]
    assert dict(sheet_rows(regencies)) == EXPECTED["by_regency"]
    assert dict(sheet_rows(partners)) == EXPECTED["by_partner"]
    with force_locale("id"):
        group_labels = {str(label): key for key, label in TARGET_GROUP_LABELS.items()}
    by_group = {group_labels[label]: n for label, n in sheet_rows(groups) if n}
    assert by_group == EXPECTED["by_target_group"]
    assert [tuple(row[1:]) for row in sheet_rows(months)] == [
        (m["trainees"], m["enrollments"], m["completions"]) for m in EXPECTED["by_month"].values()
    ]


def test_partner_xlsx_has_the_figures(report_year, client, login):
    login(report_year.staff)
    response = client.get(f"/reports/partners.xlsx?year={Y}")
    assert response.mimetype == XLSX
    assert f"partner-report-{Y}.xlsx" in response.headers["Content-Disposition"]
    rows = {row[0]: row[2:] for row in sheet_rows(load_workbook(io.BytesIO(response.data)).active)}
    assert set(rows) == set(EXPECTED_PARTNERS)
    for name, expected in EXPECTED_PARTNERS.items():
        for field, got, want in zip(PARTNER_FIELDS, rows[name], expected, strict=True):
            if want is None:
                assert got == "—", (name, field)
            else:
                assert got == pytest.approx(want), (name, field)


def test_annual_pdf_is_a_pdf_with_the_totals(report_year, client, login):
    login(report_year.staff)
    response = client.get(f"/reports/annual.pdf?year={Y}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert f"Annual report {Y}" in text
    for label, value in (
        ("Trainees", "8"),
        ("Enrolments", "19"),
        ("Completions", "9"),
        ("Certificates issued", "9"),
        ("Sessions held", "19"),
        ("Attendance rate", "87.9%"),
    ):
        assert re.search(rf"^{label}\s+{re.escape(value)}$", text, re.M), (label, value)
    assert re.search(r"^Lampung Timur\s+3$", text, re.M)
    assert re.search(rf"^{PC}\s+8$", text, re.M)
    assert re.search(r"^Hospitality\s+4\s+5\s+2\s+2$", text, re.M)
