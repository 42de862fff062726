"""The annual and partner reports on a phone: a hint where a table hides columns, charts whose
labels tell partners apart, outreach events as their own series in the monthly chart (no
outreach charts at all in a year without events), regency names on outreach pages, and a
partner report that counts only training."""

import re
from datetime import date, time, timedelta

import pytest

from lms.catalog.models import CourseSession
from lms.core.time import combine_local, local_today
from lms.extensions import db
from lms.reports import charts
from lms.reports.services import partner_report
from tests.attendance.test_outreach import outreach_body


def test_partners_with_the_same_start_get_different_chart_labels():
    names = [
        "UPTD Balai Latihan Kerja Kota Bandar Lampung",
        "UPTD Balai Latihan Pertanian Provinsi Lampung",
        "BLK",
    ]
    labels = charts.distinct_labels(names)
    assert len(set(labels)) == 3
    assert labels[2] == "BLK"
    assert all(len(label) <= charts.LABEL_CHARS for label in labels)
    assert "Kerja" in labels[0] and "Pertanian" in labels[1]
    # even names alike at both ends are told apart
    same = charts.distinct_labels(["A" * 30, "A" * 30])
    assert len(set(same)) == 2


@pytest.fixture
def events(client, api_headers, dummy_staff, create_partner):
    """Three outreach events held this year (the first at least a day ago), in Lampung Timur."""
    partner = create_partner(
        name="PWNU Lampung",
        kind="religious_organisation",
        mou_valid_until=local_today() + timedelta(days=365),
    )
    headers = api_headers(dummy_staff)
    today = local_today()
    days = [date(today.year, 1, 2), date(today.year, 1, 3), date(today.year, 1, 4)]
    if today <= days[-1]:
        pytest.skip("the year's first events are not held yet")
    ids = []
    for n, day in enumerate(days):
        course = client.post(
            "/api/v1/courses", json=outreach_body(partner, day, n=n + 1), headers=headers
        )
        assert course.status_code == 201, course.get_json()
        session = client.post(
            f"/api/v1/courses/{course.get_json()['id']}/sessions",
            json={
                "starts_at": combine_local(day, time(9)).isoformat(),
                "ends_at": combine_local(day, time(11)).isoformat(),
            },
            headers=headers,
        )
        assert session.status_code == 201
        ids.append(course.get_json()["id"])
    return partner, ids


def _charts(page):
    return re.findall(r'data-chart="([^"]+)"', page)


def test_a_year_without_outreach_draws_no_outreach_chart(client, login, dummy_staff):
    login(dummy_staff)
    page = client.get("/reports/annual").get_data(as_text=True)
    assert not [key for key in _charts(page) if key.startswith("outreach")]
    month = page.split('data-chart="by_month"', 1)[1].split("</figure>", 1)[0]
    assert "Outreach events" not in month and "Kegiatan sosialisasi" not in month


def test_outreach_events_are_a_series_of_the_monthly_chart(client, login, dummy_staff, events):
    login(dummy_staff)
    year = local_today().year
    page = client.get(f"/reports/annual?year={year}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    keys = _charts(page)
    assert "outreach.by_regency" in keys and "outreach.by_partner_kind" in keys
    assert "outreach.by_month" not in keys  # its events would lie flat under the people
    month = page.split('data-chart="by_month"', 1)[1].split("</figure>", 1)[0]
    assert "Outreach events" in month
    assert set(re.findall(r'class="series serie-(\d+)', month)) == {"0", "1", "2", "3"}
    # the events of January, in the monthly table, named as in the API
    assert f'data-figure="outreach.by_month.{year}-01.events"' in page
    assert re.search(rf'data-figure="outreach.by_month.{year}-01.events"\s+data-value="3"', page)
    # the regency where they were held, by name
    regencies = page.split('data-section="outreach.by_regency"', 1)[1].split("</table>", 1)[0]
    assert "Lampung Timur" in regencies and "18.07" not in regencies


def test_the_outreach_event_page_names_its_regency(client, events):
    _partner, ids = events
    page = client.get(f"/courses/{ids[0]}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    details = text.split('class="row details-list"', 1)[1].split("</dl>", 1)[0]
    assert "Lampung Timur" in details and "18.07" not in details


def test_the_partner_report_counts_no_outreach_event_as_training(
    events, create_course, create_session
):
    partner, _ids = events
    today = local_today()
    training = create_course(
        "school_class",
        partner=partner,
        starts_on=today - timedelta(days=2),
        ends_on=today + timedelta(days=60),
    )
    create_session(training, starts_at=combine_local(today - timedelta(days=1), time(8)))
    db.session.commit()
    row = next(r for r in partner_report(today.year) if r["partner"].id == partner.id)
    assert row["courses"] == 1
    assert row["sessions_held"] == 1
    assert db.session.query(CourseSession).count() == 4  # the three events are there


def test_a_wide_table_says_it_scrolls(client, login, dummy_staff):
    login(dummy_staff)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/reports/annual").get_data(as_text=True)
    assert 'data-testid="scroll-hint-by_course_type"' in page
    assert "The table has 5 columns: swipe it sideways to see them all." in page
    assert 'data-testid="scroll-hint-by_regency"' not in page  # two columns fit
    partners = client.get("/reports/partners").get_data(as_text=True)
    hint = partners.split('data-testid="scroll-hint-partners"', 1)[0].rsplit("<p", 1)[1]
    assert "d-lg-none" not in hint  # ten columns: on a desktop too
