"""The staff import page speaks to office staff: no command line, column values in words,
regencies by name, thousands separated, and a dry run that lists every rejected row but sums up
the accepted ones instead of printing thousands of them."""

import re

import pytest

from tests.fixtures.i18n import tr
from tests.fixtures.pages import text
from tests.imports.test_imports import BAD, big_rows, csv_bytes, post_file, rejected_lines


@pytest.fixture
def staff_id(client, login, dummy_staff):
    login(dummy_staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "id"
    return dummy_staff


@pytest.fixture
def staff_en(client, login, dummy_staff):
    login(dummy_staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return dummy_staff


def test_the_page_has_no_command_line(client, staff_id):
    page = client.get("/imports/trainees").get_data(as_text=True)
    assert "flask --app" not in page and "--dry-run" not in page


def test_column_values_are_explained_in_words(client, staff_en):
    response = client.get("/imports/trainees")
    page = text(response)
    html = response.get_data(as_text=True)
    assert "Date of birth" in page and "Participant group" in page
    assert "<code>P</code>: Female" in html and "<code>L</code>: Male" in html
    assert "<code>cpmi</code>: Prospective migrant worker (CPMI)" in html
    assert "<code>keluarga</code>: Family of a migrant worker" in html
    names = html.split('data-testid="regency-names"', 1)[1].split("</details>", 1)[0]
    assert "Lampung Timur" in names and "Kota Metro" in names
    assert "18.07" not in names


def test_a_big_dry_run_lists_every_rejected_row_and_sums_up_the_rest(client, staff_id):
    rows = big_rows(n=3000, bad=BAD)
    response = post_file(client, csv_bytes(rows))
    assert response.status_code == 200
    assert rejected_lines(response) == [102, 502, 902]
    html = response.get_data(as_text=True)
    created = html.split('data-testid="rows-create"', 1)[1].split("</table>", 1)[0]
    assert created.count('data-testid="row"') == 10
    page = text(response)
    assert "2.997" in page  # thousands separated in Indonesian
    summary = html.split('data-testid="summary-regencies"', 1)[1].split("</table>", 1)[0]
    assert "Lampung Tengah" in summary and "Kota Metro" in summary and "Lampung Timur" in summary
    assert re.search(r"Lampung Tengah</td><td[^>]*>999<", summary)
    # the accepted rows name their regency, never a code
    assert "18.07" not in created
    # the page stays small: no table of thousands of rows
    without_file = re.sub(r'name="payload" value="[^"]*"', "", html)
    assert len(without_file.encode()) < 60_000


def test_an_import_into_a_course_sums_up_seats_and_waitlist(client, staff_en, create_course):
    course = create_course(capacity=5)
    response = post_file(client, csv_bytes(big_rows(n=8)), course=course.code)
    page = text(response)
    assert (
        f"In {course.code}: 5 get a seat, 3 go on the waitlist, 0 are registered already." in page
    )


def test_a_rejected_row_names_its_column_in_words(client, staff_id):
    response = post_file(client, csv_bytes(big_rows(n=3, bad={1: ("nik", "1234")})))
    rejected = response.get_data(as_text=True).split('data-testid="rows-reject"', 1)[1]
    assert tr("NIK") in rejected and tr("The NIK must be exactly 16 digits.") in rejected


def test_the_import_says_its_counts_with_thousands_separated(client, staff_id):
    response = post_file(client, csv_bytes(big_rows(n=1000)), run=True)
    # a thousand rows are imported by a background job; its page tells the outcome
    assert response.status_code == 303
    page = text(client.get(response.headers["Location"]))
    assert "1.000 dibuat" in page
