"""Staff open the annual report on a phone, switch the year with the selector and see the charts
change, and download the XLSX of the year shown."""

import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.fixtures.browser import DESKTOP, PHONE, assert_fits_phone, log_in
from tests.reports.test_reports import EXPECTED, EXPECTED_PREVIOUS, P, Y, make_report_year

pytestmark = pytest.mark.browser


@pytest.fixture
def report_year(create_user, create_partner, create_course, create_session):
    return make_report_year(create_user, create_partner, create_course, create_session)


def chart_texts(page, key):
    """The words and numbers drawn in a chart (labels and printed values)."""
    return page.locator(f'[data-chart="{key}"] svg text').all_text_contents()


def bar_lengths(page, key):
    """The lengths of a horizontal bar chart's bars."""
    return page.locator(f'[data-chart="{key}"] svg .series rect').evaluate_all(
        "bars => bars.map(bar => bar.getAttribute('width'))"
    )


def test_staff_switch_the_year_and_download_the_xlsx(report_year, new_page, tmp_path):
    page = new_page(viewport=PHONE, locale="id")
    log_in(page, report_year.staff, f"/reports/annual?year={Y}")
    expect(page.locator("h1")).to_contain_text(str(Y))
    expect(page.locator('[data-figure="trainees"]')).to_have_text("8")
    assert_fits_phone(page)
    # every chart is drawn on the server, as SVG in the page
    # five of the training figures; a year without outreach events draws no outreach chart
    expect(page.locator("[data-chart] > svg")).to_have_count(5)
    types_this_year = chart_texts(page, "by_course_type")
    regencies_this_year = chart_texts(page, "by_regency")
    lengths_this_year = bar_lengths(page, "by_course_type")
    assert "Perkebunan" in types_this_year and "4" in types_this_year

    # the year before, chosen with the selector
    page.select_option("#year", str(P))
    page.get_by_test_id("show-year").click()
    expect(page).to_have_url(re.compile(rf"/reports/annual\?year={P}$"))
    expect(page.locator("h1")).to_contain_text(str(P))
    expect(page.locator('[data-figure="trainees"]')).to_have_text("3")
    assert chart_texts(page, "by_course_type") != types_this_year
    assert chart_texts(page, "by_regency") != regencies_this_year
    assert "Tanggamus" in chart_texts(page, "by_regency")
    assert "Tanggamus" not in regencies_this_year
    # the same bars (a row per course type), of other lengths
    assert bar_lengths(page, "by_course_type") != lengths_this_year
    assert len(bar_lengths(page, "by_course_type")) == len(lengths_this_year)
    assert_fits_phone(page)

    # the XLSX of the year shown
    with page.expect_download() as download:
        page.get_by_test_id("download-xlsx").click()
    assert download.value.suggested_filename == f"annual-report-{P}.xlsx"
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    totals = load_workbook(path).worksheets[0]
    values = [row[1] for row in totals.iter_rows(min_row=3, values_only=True) if row[0]]
    assert values == [
        EXPECTED_PREVIOUS[k]
        for k in (
            "trainees",
            "enrollments",
            "completions",
            "certificates_issued",
            "sessions_held",
            "attendance_rate",
        )
    ]

    # on a desktop the tables and charts sit side by side and nothing overflows either
    page.set_viewport_size(DESKTOP)
    page.goto(f"/reports/annual?year={Y}")
    expect(page.locator('[data-figure="sessions_held"]')).to_have_text(
        str(EXPECTED["sessions_held"])
    )
    assert_fits_phone(page)
