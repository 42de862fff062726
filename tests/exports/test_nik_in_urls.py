"""A NIK or mobile number searched for never appears in a URL (the access log, the browser's
history, a Referer) nor in full in the audit log: the account list, a course's enrolment list,
"add a trainee" and the trainee and enrolment exports send their search by POST and link to their
results with the term sealed (``lms.core.sealed``)."""

import csv
import html
import io
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.core import sealed
from lms.extensions import db
from tests.fixtures.pages import text


@pytest.fixture
def staff(client, login, dummy_staff, app, monkeypatch):
    """Staff logged in (English pages), two rows a page so that the account list has pages."""
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(dummy_staff)
    return dummy_staff


@pytest.fixture
def people(create_user):
    made = [create_user("trainee", name=f"Budi Santoso {n}") for n in range(5)]
    return made


class Recorder:
    """Every URL the browser would send or be sent to: requested paths with their query,
    redirects, and the links and form targets of each page."""

    def __init__(self, client):
        self.client = client
        self.urls = []

    def open(self, path, method="GET", **kwargs):
        response = self.client.open(path, method=method, **kwargs)
        self.urls.append(response.request.full_path)
        if response.location:
            self.urls.append(response.location)
        if response.mimetype == "text/html":
            body = response.get_data(as_text=True)
            self.urls += [html.unescape(u) for u in re.findall(r'(?:href|action)="([^"]*)"', body)]
        return response

    def follow(self, response):
        while response.status_code in (302, 303):
            response = self.open(response.location)
        return response


def names_in(response):
    """The ``name`` column of a CSV export."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    return [row[rows[0].index("name")] for row in rows[1:]], text


def audit_texts():
    """The data of every audit entry, as the database keeps it (JSON text)."""
    db.session.rollback()
    entries = db.session.scalars(select(AuditEntry)).all()
    return [json.dumps(entry.data, ensure_ascii=False) for entry in entries]


def export_entries():
    db.session.rollback()
    return db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.nik_exported")
    ).all()


def test_a_nik_search_on_the_account_list_stays_out_of_every_url(client, staff, people):
    budi = people[3]
    browser = Recorder(client)
    browser.open("/users/?role=trainee")
    response = browser.open("/users/", "POST", data={"role": "trainee", "q": budi.nik})
    assert response.status_code == 303
    assert "qs" in parse_qs(urlsplit(response.location).query)
    page = browser.follow(response)
    assert re.findall(r'data-testid="user-(\d+)"', page.get_data(as_text=True)) == [str(budi.id)]
    assert budi.nik in page.get_data(as_text=True)  # kept in the search box, a form field
    download = re.search(r'href="([^"]*)"[^>]*data-testid="export-csv"', page.text).group(1)
    names, body = names_in(browser.open(html.unescape(download)))
    assert names == [budi.name]
    assert budi.nik in body  # the export holds full NIKs: that is why it is audited
    assert all(budi.nik not in url for url in browser.urls), browser.urls
    assert all(budi.nik not in entry for entry in audit_texts())
    (entry,) = export_entries()
    assert entry.data["filters"] == {"role": "trainee", "q": "•" * 12 + budi.nik[-4:]}


def test_a_name_search_stays_readable(client, staff, people):
    response = client.post("/users/", data={"role": "trainee", "q": "santoso 3"})
    assert response.status_code == 303
    assert response.location == "/users/?role=trainee&q=santoso+3"


def test_a_nik_typed_into_a_link_is_sealed_by_a_redirect(client, staff, people):
    budi = people[1]
    for path in (f"/users/?role=trainee&q={budi.nik}", f"/exports/trainees.csv?q={budi.nik}"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert budi.nik not in response.location and "qs=" in response.location
        assert urlsplit(response.location).path == urlsplit(path).path
    assert names_in(client.get(response.location))[0] == [budi.name]


def test_the_export_page_sends_the_search_by_post(client, staff, people):
    page = client.get("/exports/").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/exports/trainees.csv"[^>]*>', page).group(0)
    assert 'method="post"' in form
    response = client.post("/exports/trainees.xlsx", data={"q": people[2].nik})
    assert response.status_code == 200 and people[2].nik not in response.request.full_path
    (entry,) = export_entries()
    assert entry.data["filters"] == {"q": "•" * 12 + people[2].nik[-4:]}


def test_a_sealed_search_expires(client, staff, people, app, clock):
    response = client.post("/users/", data={"role": "trainee", "q": people[0].nik})
    link = response.location
    export = link.replace("/users/", "/exports/trainees.csv")
    assert client.get(export).status_code == 200
    clock.shift(timedelta(seconds=app.config["SEARCH_TERM_MAX_AGE"] + 5))
    page = client.get(link)
    assert page.status_code == 200
    assert "This search has expired. Search again." in text(page)
    # the export never holds more than was asked for: an expired search is a 400
    refused = client.get(export)
    assert refused.status_code == 400
    assert "This search has expired. Search again." in text(refused)


def test_a_forged_seal_is_refused_by_the_export(client, staff, people):
    response = client.get("/exports/trainees.csv?qs=gAAAAABforged")
    assert response.status_code == 400


def test_adding_a_trainee_found_by_nik_keeps_it_out_of_every_url(
    client, staff, create_course, people
):
    course = create_course()
    budi = people[4]
    base = f"/manage/courses/{course.id}/enrollments/add"
    browser = Recorder(client)
    browser.open(base)
    page = browser.follow(browser.open(base, "POST", data={"q": budi.nik}))
    assert f'data-testid="result-{budi.id}"' in page.get_data(as_text=True)
    action = re.search(
        rf'<form method="post" action="([^"]*)">(?:(?!</form>).)*'
        rf'name="user_id" value="{budi.id}"',
        page.get_data(as_text=True),
        re.S,
    )
    action = html.unescape(action.group(1)) if action else None
    assert action and "qs=" in action
    response = browser.open(action, "POST", data={"user_id": budi.id})
    assert response.status_code == 302
    assert all(budi.nik not in url for url in browser.urls), browser.urls


def test_masking_keeps_the_last_four_digits():
    assert sealed.mask_numbers("1807 0157.0595-0001 budi") == "•" * 12 + "0001 budi"
    assert sealed.mask_numbers("santoso 2026") == "santoso 2026"
    assert sealed.holds_number("1807015705950001") and not sealed.holds_number("budi 12")


def test_a_seal_opens_on_this_site_only(app, make_app):
    with app.test_request_context():
        token = sealed.seal("1807015705950001")
        assert sealed.unseal(token) == "1807015705950001"
        assert "1807015705950001" not in token
    other = make_app(SECRET_KEY="another-site")
    with other.test_request_context():
        assert sealed.unseal(token) is None


@pytest.mark.parametrize("spelling", ["local", "international"])
def test_a_trainee_without_email_is_found_by_their_number_which_stays_out_of_every_url(
    client, staff, people, create_user, spelling
):
    """Staff at a site know a walk-in by their mobile number only: typed as on the phone (0812
    ...) or as stored (+62 812 ...), it finds them, and it is sealed as a NIK is."""
    wati = create_user("trainee", name="Wati", email=False, phone="+6281277770101")
    typed = "0812 7777 0101" if spelling == "local" else "+62 812-7777-0101"
    browser = Recorder(client)
    response = browser.open("/users/", "POST", data={"role": "trainee", "q": typed})
    assert response.status_code == 303
    page = browser.follow(response)
    assert re.findall(r'data-testid="user-(\d+)"', page.get_data(as_text=True)) == [str(wati.id)]
    assert "+6281277770101" in text(page)  # the list shows the number of an account without e-mail
    assert all("7777" not in url for url in browser.urls), browser.urls
    names, _body = names_in(client.post("/exports/trainees.csv", data={"q": typed}))
    assert names == ["Wati"]
    assert all("81277770101" not in entry for entry in audit_texts())


@pytest.fixture
def roster(create_course, create_enrollment, create_user, people):
    """(a course whose roster holds the five Budis and Wati, a walk-in known by her number only;
    Wati; {user id: enrolment id})."""
    course = create_course()
    wati = create_user("trainee", name="Wati", email=False, phone="+6281277770101")
    enrolments = {
        person.id: create_enrollment(person, course, bypass_window=True).id
        for person in [*people, wati]
    }
    return course, wati, enrolments


def rows_of(page):
    """The enrolment ids a roster page lists."""
    return re.findall(r'data-testid="row-(\d+)"', page.get_data(as_text=True))


@pytest.mark.parametrize("by", ["number", "nik"])
def test_a_course_roster_finds_a_trainee_by_number_or_nik_which_stays_out_of_every_url(
    client, staff, roster, people, by
):
    """Staff looking for a walk-in in a course's list type the number or the NIK they were
    given: the search finds them and is sealed in the tabs, the bulk form and the downloads."""
    course, wati, enrolments = roster
    person, typed, digits = (
        (wati, "0812 7777 0101", "7777")
        if by == "number"
        else (people[2], people[2].nik, people[2].nik[-8:])
    )
    base = f"/manage/courses/{course.id}/enrollments/"
    browser = Recorder(client)
    browser.open(base)
    response = browser.open(base, "POST", data={"q": typed, "status": "enrolled"})
    assert response.status_code == 303
    assert "qs" in parse_qs(urlsplit(response.location).query)
    page = browser.follow(response)
    assert rows_of(page) == [str(enrolments[person.id])]
    for tab in ("filter-waitlisted", "filter-walk-in", "export-csv", "export-xlsx"):
        link = re.search(rf'href="([^"]*)"[^>]*data-testid="{tab}"', page.text).group(1)
        assert "qs=" in link, tab
        browser.urls.append(html.unescape(link))
    export = re.search(r'href="([^"]*)"[^>]*data-testid="export-csv"', page.text).group(1)
    download = browser.open(html.unescape(export))
    assert download.status_code == 200
    assert [row[0] for row in csv.reader(io.StringIO(download.text.lstrip("\ufeff")))][1:] == [
        person.name
    ]
    assert all(digits not in url for url in browser.urls), browser.urls
    # a number typed into a link is sealed by a redirect, as on the account list
    typed_in = client.get(f"{base}?q=081277770101")
    assert typed_in.status_code == 303 and "7777" not in typed_in.location


def test_a_course_roster_name_search_stays_readable(client, staff, roster):
    course, _wati, _enrolments = roster
    base = f"/manage/courses/{course.id}/enrollments/"
    response = client.post(base, data={"q": "santoso 3"})
    assert response.location == f"{base}?q=santoso+3"
    assert len(rows_of(client.get(response.location))) == 1


def test_adding_a_walk_in_found_by_their_number(client, staff, create_course, create_user):
    course = create_course()
    wati = create_user("trainee", name="Wati", email=False, phone="+6281277770101")
    base = f"/manage/courses/{course.id}/enrollments/add"
    response = client.post(base, data={"q": "0812-7777-0101"})
    assert "7777" not in response.location
    assert f'data-testid="result-{wati.id}"' in client.get(response.location).text


def test_the_enrolment_export_finds_a_trainee_by_nik(client, staff, roster, people):
    course, _wati, _enrolments = roster
    response = client.post("/exports/enrollments.csv", data={"q": people[1].nik})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert [row[rows[0].index("name")] for row in rows[1:]] == [people[1].name]
    typed_in = client.get(f"/exports/enrollments.csv?q={people[1].nik}")
    assert typed_in.status_code == 303 and people[1].nik not in typed_in.location
