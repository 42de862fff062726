"""The staff lists' download buttons: a person filters a list, follows its "Download CSV" or
"Download XLSX" link (a course roster's too), and gets exactly the rows
the list shows (over every page), no others. The links carry the list's filters and nothing else;
a tampered link is a 400 with a message; only staff and admins may follow them."""

import csv
import html
import io
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.certificates.models import Certificate
from lms.core.time import local_today
from lms.core.types import utcnow
from lms.enrollment import services as enrollment_services
from lms.enrollment.models import Enrollment
from lms.extensions import db
from tests.fixtures.users import log_in

EXTENSIONS = ("csv", "xlsx")
#: who may follow a download link: anonymous is sent to log in
EXPECTED = {None: 302, "trainee": 403, "trainer": 403, "staff": 200, "admin": 200}


# --- helpers -------------------------------------------------------------------------------


def get_page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def link(page, testid):
    """The href of the element with this data-testid, or None."""
    found = re.search(rf'href="([^"]*)"[^>]*data-testid="{testid}"', page)
    return html.unescape(found.group(1)) if found else None


def query_of(url):
    """A link's query string as {name: value} (each name once)."""
    pairs = parse_qs(urlsplit(url).query, keep_blank_values=True)
    assert all(len(values) == 1 for values in pairs.values()), url
    return {name: values[0] for name, values in pairs.items()}


def walk(client, url, pattern, carried):
    """Every page of a list from ``url``, following its pager (whose links carry the filters
    ``carried``): the ``pattern``'s matches, in page order, and the first page's download links."""
    page = get_page(client, url)
    links = {ext: link(page, f"export-{ext}") for ext in EXTENSIONS}
    seen, number = [], 1
    while True:
        seen += re.findall(pattern, page)
        number += 1
        found = re.search(rf'href="([^"]*[?&]page={number}(?:&[^"]*)?)"', page)
        if found is None:
            return seen, links
        next_url = html.unescape(found.group(1))
        assert {k: v for k, v in query_of(next_url).items() if k != "page"} == carried
        page = get_page(client, next_url)


def download(client, url):
    """The rows of an export (header first), from a CSV or an XLSX link."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    if urlsplit(url).path.endswith(".csv"):
        text = response.get_data(as_text=True).lstrip("\ufeff")
        return list(csv.reader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def downloads(client, url, pattern, carried, export):
    """Walk a list (see ``walk``), check that its download links lead to ``export``.csv and
    .xlsx with the filters ``carried`` and nothing else: (the matches shown, [rows of each])."""
    shown, links = walk(client, url, pattern, carried)
    exported = []
    for ext in EXTENSIONS:
        assert urlsplit(links[ext]).path == f"{export}.{ext}"
        assert query_of(links[ext]) == carried
        exported.append(download(client, links[ext]))
    return shown, exported


def column(rows, name):
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def staff(client, login, dummy_staff, app, monkeypatch):
    """Staff logged in (English pages), with two rows a page so that the lists have pages."""
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(dummy_staff)
    return dummy_staff


# --- certificates --------------------------------------------------------------------------


@pytest.fixture
def certificates(make_classroom, dummy_staff):
    """Five certificates in two courses, two revoked, issued a day apart."""
    first, second = make_classroom(3), make_classroom(2)
    issued, start = [], utcnow() - timedelta(days=30)
    for n, enrollment in enumerate(first.enrollments + second.enrollments, start=1):
        certificate = Certificate(
            enrollment_id=enrollment.id,
            serial=f"LPG/HOS/2026/{n:05d}",
            code=f"ABCD{n:04d}",
            issued_by_id=dummy_staff.id,
            issued_at=start + timedelta(days=n),
            claims="{}",
            signature="-",
            key_id="k1",
            revoked_at=utcnow() if n in (2, 5) else None,
            revoked_reason="Salah nama" if n in (2, 5) else None,
        )
        db.session.add(certificate)
        issued.append(certificate)
    db.session.commit()
    return {"first": first.course, "second": second.course, "issued": issued}


def certificate_cases(c):
    """(the list's query string, the filters its links carry, the serials it shows)."""
    first, second = c["first"], c["second"]
    serial = {n: f"LPG/HOS/2026/{n:05d}" for n in range(1, 6)}
    return [
        ({}, {}, set(serial.values())),
        ({"status": "revoked"}, {"status": "revoked"}, {serial[2], serial[5]}),
        (
            {"status": "valid", "course": str(first.id)},
            {"status": "valid", "course": str(first.id)},
            {serial[1], serial[3]},
        ),
        ({"course": str(second.id)}, {"course": str(second.id)}, {serial[4], serial[5]}),
        ({"q": "Peserta 002"}, {"q": "Peserta 002"}, {serial[2]}),
        ({"q": "  abcd-0003 "}, {"q": "abcd-0003"}, {serial[3]}),
        (
            {"q": "2026/0000", "status": "valid", "course": str(second.id)},
            {"q": "2026/0000", "status": "valid", "course": str(second.id)},
            {serial[4]},
        ),
        ({"q": "tidak ada"}, {"q": "tidak ada"}, set()),
        # the list forgives a bad value and shows everything; its links then carry no filter
        ({"status": "bogus", "course": "abc"}, {}, set(serial.values())),
        ({"course": "99999999999999999999"}, {}, set(serial.values())),
    ]


@pytest.mark.parametrize("case", range(10))
def test_the_certificate_list_downloads_the_rows_it_shows(client, staff, certificates, case):
    args, carried, expected = certificate_cases(certificates)[case]
    url = "/manage/certificates?" + urlencode(args)
    pattern = r'class="serial" href="[^"]*">([^<]+)</a>'
    shown, exported = downloads(client, url, pattern, carried, "/exports/certificates")
    assert set(shown) == expected and len(shown) == len(expected)
    for rows in exported:
        assert rows[0][0] == "serial"
        assert sorted(column(rows, "serial")) == sorted(shown)


def test_the_certificate_export_has_the_list_statuses(client, staff, certificates):
    page = get_page(client, "/manage/certificates?status=revoked")
    rows = download(client, link(page, "export-csv"))
    assert column(rows, "status") == ["revoked", "revoked"]
    assert column(rows, "revoked_reason") == ["Salah nama", "Salah nama"]


# --- accounts and trainees -----------------------------------------------------------------


@pytest.fixture
def people(create_user):
    """Trainees of several regencies and groups, and accounts of other roles."""
    made = {
        "ani": create_user("trainee", name="Ani Susanti"),  # Lampung Timur, cpmi
        "budi": create_user(
            "trainee", name="Budi Santoso", regency_code="18.02", target_group="family"
        ),
        "citra": create_user("trainee", name="Citra Maharani", target_group="purna_pmi"),
        "dedi": create_user("trainee", name="Dedi Hidayat", profile=False),
        "eka": create_user(
            "trainee", name="Eka Santoso", regency_code="18.02", target_group="purna_pmi"
        ),
        "made": create_user("trainer", name="Made Santoso"),
        "rina": create_user("staff", name="Rina Santoso"),
    }
    return made


def user_cases(people):
    """(the list's query string, the filters its links carry, the people it shows)."""
    return [
        ({"role": "trainee"}, {"role": "trainee"}, ["ani", "budi", "citra", "dedi", "eka"]),
        (
            {"role": "trainee", "regency": "18.02"},
            {"role": "trainee", "regency": "18.02"},
            ["budi", "eka"],
        ),
        (
            {"role": "trainee", "target_group": "purna_pmi", "q": "santoso"},
            {"role": "trainee", "target_group": "purna_pmi", "q": "santoso"},
            ["eka"],
        ),
        (
            {"role": "trainee", "regency": "18.07", "target_group": "cpmi"},
            {"role": "trainee", "regency": "18.07", "target_group": "cpmi"},
            ["ani"],
        ),
        (
            {"role": "trainee", "q": "SANTOSO "},
            {"role": "trainee", "q": "SANTOSO"},
            ["budi", "eka"],
        ),
        # a NIK is searched through the form (POST) and carried sealed, never as it is
        ({"role": "trainee", "q": people["citra"].nik}, "sealed", ["citra"]),
        # a bad value is dropped by the list, and so from its links
        (
            {"role": "trainee", "regency": "99.99", "target_group": "pirate"},
            {"role": "trainee"},
            ["ani", "budi", "citra", "dedi", "eka"],
        ),
        ({"role": "trainee", "q": "tidak ada"}, {"role": "trainee", "q": "tidak ada"}, []),
    ]


@pytest.mark.parametrize("case", range(8))
def test_the_trainee_list_downloads_the_rows_it_shows(client, staff, people, case):
    args, carried, names = user_cases(people)[case]
    if carried == "sealed":
        response = client.post("/users/", data=args)
        assert response.status_code == 303
        url = response.location
        carried = query_of(url)
        assert args["q"] not in url and set(carried) == {"role", "qs"}
    else:
        url = "/users/?" + urlencode(args)
    shown, exported = downloads(
        client, url, r'data-testid="user-(\d+)"', carried, "/exports/trainees"
    )
    assert [int(i) for i in shown] == [people[n].id for n in names]
    for rows in exported:
        assert column(rows, "email") == [people[n].email for n in names]


def test_the_account_list_of_every_role_offers_no_trainee_download(client, staff, people):
    """The trainee export holds trainees only: the list offers it once it shows only trainees."""
    for url in ("/users/", "/users/?role=trainer", "/users/?q=santoso", "/users/?role=pirate"):
        page = get_page(client, url)
        assert link(page, "export-csv") is None and link(page, "export-xlsx") is None, url
        assert 'data-testid="downloads-hint"' in page
    page = get_page(client, "/users/?role=trainer&q=santoso")
    assert "Made Santoso" in page and "Rina Santoso" not in page and "Budi Santoso" not in page


def test_the_list_searches_a_nik_as_the_export_does(client, staff, people):
    nik = people["budi"].nik
    response = client.post("/users/", data={"q": nik}, follow_redirects=True)
    assert response.status_code == 200 and nik not in response.request.full_path
    page = response.get_data(as_text=True)
    assert re.findall(r'data-testid="user-(\d+)"', page) == [str(people["budi"].id)]
    table = page[page.index("<table") : page.index("</table>")]
    assert nik not in table  # found by it, never shown in the list


def test_following_the_trainee_link_is_audited_with_its_filters(client, staff, people):
    page = get_page(client, "/users/?role=trainee&regency=18.02")
    rows = download(client, link(page, "export-xlsx"))
    assert people["budi"].nik in column(rows, "nik")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.nik_exported"))
    assert entry is not None and entry.actor_id == staff.id
    assert entry.data["filters"] == {"role": "trainee", "regency": "18.02"}


# --- courses -------------------------------------------------------------------------------


@pytest.fixture
def courses(create_course, create_partner):
    """Five courses of three types, two partners, four statuses and two years of start."""
    today = local_today()
    partner = create_partner(name="LPK Bahasa", mou_valid_until=today + timedelta(days=900))
    first = create_course("language", partner=partner, code="BHS-1")
    # one course starts in the year after the one the others start in
    year = first.starts_on.year + 1
    next_year = {"starts_on": date(year, 2, 1), "ends_on": date(year, 3, 1)}
    made = {
        "BHS-1": first,
        "BHS-2": create_course("language", partner=partner, code="BHS-2", **next_year),
        "HOS-1": create_course("hospitality", code="HOS-1", status="draft"),
        "HOS-2": create_course("hospitality", code="HOS-2", status="archived"),
        "KBN-1": create_course("plantation", code="KBN-1", title="Sawit", status="closed"),
    }
    return {"partner": partner, "year": year, "made": made}


def course_cases(c):
    """(the list's query string, the filters its links carry, the codes it shows)."""
    partner, year = str(c["partner"].id), str(c["year"])
    everything = set(c["made"])
    return [
        ({}, {}, everything),
        ({"status": "draft"}, {"status": "draft"}, {"HOS-1"}),
        ({"type": "language"}, {"type": "language"}, {"BHS-1", "BHS-2"}),
        ({"partner": partner}, {"partner": partner}, {"BHS-1", "BHS-2"}),
        ({"year": year}, {"year": year}, {"BHS-2"}),
        ({"q": " hos "}, {"q": "hos"}, {"HOS-1", "HOS-2"}),
        ({"q": "sawit", "status": "closed"}, {"q": "sawit", "status": "closed"}, {"KBN-1"}),
        (
            {"type": "language", "partner": partner, "status": "published", "q": "BHS"},
            {"type": "language", "partner": partner, "status": "published", "q": "BHS"},
            {"BHS-1", "BHS-2"},
        ),
        ({"q": "tidak ada"}, {"q": "tidak ada"}, set()),
        # the list forgives a bad value and shows everything; its links then carry no filter
        ({"status": "bogus", "type": "pirate", "partner": "x", "year": "20x6"}, {}, everything),
        # an unknown partner is a bad value too: the list drops it, as the export refuses it
        ({"partner": "987654", "q": "bhs"}, {"q": "bhs"}, {"BHS-1", "BHS-2"}),
    ]


@pytest.mark.parametrize("case", range(11))
def test_the_course_list_downloads_the_rows_it_shows(client, staff, courses, case):
    args, carried, expected = course_cases(courses)[case]
    url = "/manage/courses/?" + urlencode(args)
    pattern = r'data-label="Code"><a href="[^"]*">([^<]+)</a>'
    shown, exported = downloads(client, url, pattern, carried, "/exports/courses")
    assert set(shown) == expected and len(shown) == len(expected)
    for rows in exported:
        assert column(rows, "code") == shown  # the same rows in the same order


def test_the_course_list_offers_the_years_the_export_takes(client, staff, courses):
    page = get_page(client, f"/manage/courses/?year={courses['year']}")
    assert f'<option value="{courses["year"]}" selected>' in page
    assert f'<option value="{courses["year"] - 1}">' in page


# --- a course's roster ---------------------------------------------------------------------


@pytest.fixture
def roster(create_course, create_user):
    """A course of two seats: two enrolled, three on the waitlist, one cancelled."""
    course = create_course(capacity=2)
    made = {}
    for name in ("Ani Santoso", "Budi Saputra", "Citra Santoso", "Dedi Hidayat", "Eka Santoso"):
        first = name.split()[0].lower()
        user = create_user("trainee", name=name, email=f"{first}@example.org")
        made[first] = enrollment_services.enroll(user, course)
    fitri = create_user("trainee", name="Fitri Santoso", email="fitri@example.org")
    enrollment_services.cancel(enrollment_services.enroll(fitri, course), fitri)
    db.session.commit()
    return course


def roster_cases():
    """(the list's query string, the filters its links carry, the trainees it shows)."""
    return [
        ({}, {}, {"ani", "budi", "citra", "dedi", "eka", "fitri"}),
        ({"status": "waitlisted"}, {"status": "waitlisted"}, {"citra", "dedi", "eka"}),
        ({"q": "santoso"}, {"q": "santoso"}, {"ani", "citra", "eka", "fitri"}),
        (
            {"status": "waitlisted", "q": " SANTOSO "},
            {"status": "waitlisted", "q": "SANTOSO"},
            {"citra", "eka"},
        ),
        ({"q": "budi@example"}, {"q": "budi@example"}, {"budi"}),
        ({"status": "cancelled", "q": "ani"}, {"status": "cancelled", "q": "ani"}, set()),
        # the list forgives a bad status and shows every one; its links then carry no status
        ({"status": "bogus", "q": "santoso"}, {"q": "santoso"}, {"ani", "citra", "eka", "fitri"}),
    ]


@pytest.mark.parametrize("case", range(7))
def test_the_roster_downloads_the_rows_it_shows(client, staff, roster, case):
    args, carried, expected = roster_cases()[case]
    base = f"/manage/courses/{roster.id}/enrollments/"
    url = base + "?" + urlencode(args)
    shown, exported = downloads(client, url, r'data-testid="row-(\d+)"', carried, base + "export")
    emails = [db.session.get(Enrollment, int(i)).user.email for i in shown]
    assert {e.split("@")[0] for e in emails} == expected and len(emails) == len(expected)
    for rows in exported:
        assert rows[0][:2] == ["Name", "E-mail"]
        assert column(rows, "E-mail") == emails  # the same rows in the same order


def test_a_tampered_roster_link_is_a_400_with_a_message(client, staff, roster):
    page = get_page(client, f"/manage/courses/{roster.id}/enrollments/?q=santoso")
    for ext in EXTENSIONS:
        url = link(page, f"export-{ext}")
        response = client.get(urlsplit(url).path, query_string={**query_of(url), "status": "x"})
        assert response.status_code == 400, url
        assert "Unknown status: x." in html.unescape(response.get_data(as_text=True))


# --- bad values and roles ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "change", "message"),
    [
        ("/manage/certificates?status=valid", {"status": "bogus"}, "Unknown status: bogus."),
        ("/manage/certificates?status=valid", {"course": "abc"}, "not abc."),
        ("/manage/certificates?status=valid", {"course": "2147483648"}, "not 2147483648."),
        ("/manage/certificates?status=valid", {"course": "987654"}, "number 987654."),
        ("/users/?role=trainee", {"role": "staff"}, "The trainee export holds trainees only"),
        ("/users/?role=trainee", {"role": "pirate"}, "Unknown role: pirate."),
        ("/users/?role=trainee", {"regency": "99.99"}, "Unknown regency or city: 99.99."),
        ("/users/?role=trainee", {"target_group": "x"}, "Unknown participant group: x."),
        ("/manage/courses/?q=a", {"partner": "987654"}, "No partner has the number 987654."),
        ("/manage/courses/?q=a", {"partner": "x"}, "takes a partner number, not x."),
        ("/manage/courses/?q=a", {"type": "pirate"}, "Unknown course type: pirate."),
        ("/manage/courses/?q=a", {"status": "bogus"}, "Unknown status: bogus."),
        ("/manage/courses/?q=a", {"year": "1850"}, "Not a year: 1850."),
    ],
)
def test_a_tampered_link_is_a_400_with_a_message(
    client, staff, certificates, people, path, change, message
):
    page = get_page(client, path)
    for ext in EXTENSIONS:
        url = link(page, f"export-{ext}")
        args = {**query_of(url), **change}
        response = client.get(urlsplit(url).path, query_string=args)
        assert response.status_code == 400, url
        assert response.mimetype == "text/html"
        assert message in html.unescape(response.get_data(as_text=True))
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.nik_exported"))
        is None
    )


def test_the_course_id_and_code_must_agree(client, staff, certificates):
    first, second = certificates["first"], certificates["second"]
    response = client.get(f"/exports/certificates.csv?course={first.id}&course_code={second.code}")
    assert response.status_code == 400
    assert "The course number and the course code name different courses." in (
        response.get_data(as_text=True)
    )


@pytest.mark.parametrize("role", EXPECTED)
def test_only_staff_follow_the_links(app, client, staff, certificates, users_by_role, role):
    lists = (
        "/manage/certificates?status=revoked",
        "/users/?role=trainee&q=peserta",
        "/manage/courses/?status=published&q=tst",
        f"/manage/courses/{certificates['first'].id}/enrollments/?status=enrolled&q=peserta",
    )
    urls = []
    for path in lists:
        page = get_page(client, path)
        urls += [link(page, f"export-{ext}") for ext in EXTENSIONS]
    client = app.test_client()  # another person, on another device
    if role is not None:
        log_in(client, users_by_role[role])
    for url in urls:
        response = client.get(url)
        assert response.status_code == EXPECTED[role], url
        if role is None:
            assert response.location.startswith("/login?next=")
    for path in lists:
        assert client.get(path).status_code == EXPECTED[role], path
