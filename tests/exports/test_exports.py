"""Exports: only staff reach them; each takes its list's filters and refuses a bad one with a 400;
the trainee export has the import template's columns and imports back without a change; formulas
stay text; and a 100,000-row export is streamed, never built in memory. (The lists' download links
are in test_export_links.)"""

import contextlib
import csv
import ctypes
import gc
import io
import os
import threading
import time
import tracemalloc
import zipfile
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import String, cast, func, insert, literal, select

from lms.attendance.models import Attendance
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.certificates.models import Certificate
from lms.core import tabular
from lms.core.time import local_today
from lms.core.types import utcnow
from lms.enrollment import services as enrollment_services
from lms.exports import services as exports
from lms.extensions import db
from lms.imports import services as imports

ROLES = [None, "trainee", "trainer", "staff", "admin"]
EXPECTED = {None: 302, "trainee": 403, "trainer": 403, "staff": 200, "admin": 200}
KEYS = ("trainees", "courses", "enrollments", "attendance", "certificates")
MB = 1024 * 1024


# --- helpers -------------------------------------------------------------------------------


def read_csv(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def read_xlsx(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == tabular.XLSX_MIMETYPE
    assert int(response.headers["Content-Length"]) == len(response.data)
    sheet = load_workbook(io.BytesIO(response.data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def column(rows, name):
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def staff(client, login, dummy_staff):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(dummy_staff)
    return dummy_staff


@pytest.fixture
def trainees(create_user):
    """Trainees of several regencies and groups (the first from the fixture's defaults)."""
    return [
        create_user("trainee", name="Ani Susanti"),  # Lampung Timur, cpmi
        create_user(
            "trainee",
            name="Budi Santoso",
            regency_code="18.02",
            target_group="family",
            gender="male",
        ),
        create_user("trainee", name="Citra Maharani", target_group="purna_pmi"),
        create_user("trainee", name="Dedi Hidayat", profile=False),  # made by staff: no profile
    ]


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_export_pages_by_role(client, login, users_by_role, role):
    if role is not None:
        login(users_by_role[role])
    paths = ["/exports/"] + [f"/exports/{key}.{ext}" for key in KEYS for ext in ("csv", "xlsx")]
    for path in paths:
        response = client.get(path)
        assert response.status_code == EXPECTED[role], path
        if role is None:
            assert response.location.startswith("/login?next="), path


def test_an_unknown_export_is_not_found(client, staff):
    assert client.get("/exports/passwords.csv").status_code == 404
    assert client.get("/exports/passwords.xlsx?course=1").status_code == 404


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("enrollments.csv?course_code=NO-SUCH", "No course has the code NO-SUCH."),
        ("certificates.xlsx?course_code=NO-SUCH", "No course has the code NO-SUCH."),
        ("attendance.csv?course=BHS-1", "The course filter takes a course number, not BHS-1."),
        ("certificates.csv?course=99999999999", "course number, not 99999999999"),
        ("certificates.csv?course=0", "course number, not 0"),
        ("enrollments.csv?course=987654", "No course has the number 987654."),
        ("certificates.csv?status=bogus", "Unknown status: bogus."),
        ("enrollments.xlsx?status=valid", "Unknown status: valid."),
        ("courses.csv?status=revoked", "Unknown status: revoked."),
        ("courses.csv?type=pirate", "Unknown course type: pirate."),
        ("courses.csv?partner=abc", "The partner filter takes a partner number, not abc."),
        ("courses.csv?partner=987654", "No partner has the number 987654."),
        ("courses.xlsx?year=20x6", "Not a year: 20x6."),
        ("courses.csv?year=1066", "Not a year: 1066."),
        ("trainees.csv?regency=99.99", "Unknown regency or city: 99.99."),
        ("trainees.csv?target_group=pirate", "Unknown participant group: pirate."),
        ("trainees.xlsx?role=wizard", "Unknown role: wizard."),
        ("trainees.csv?role=staff", "The trainee export holds trainees only"),
    ],
)
def test_a_bad_filter_is_refused_with_a_message(client, staff, path, message):
    """A bad value never means "all": a download must not hold more than was asked for."""
    response = client.get(f"/exports/{path}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)


def test_a_refused_trainee_export_is_not_audited(client, staff):
    assert client.get("/exports/trainees.csv?regency=99.99").status_code == 400
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.nik_exported"))
        is None
    )


def test_the_page_lists_every_export(client, staff, create_course):
    course = create_course()
    page = client.get("/exports/").get_data(as_text=True)
    for key in KEYS:
        assert f'data-testid="export-{key}-csv"' in page
        assert f'data-testid="export-{key}-xlsx"' in page
    assert f'<option value="{course.code}">' in page
    assert page.count('name="course_code"') == 3  # the course by its code, as a person types it


# --- trainees ------------------------------------------------------------------------------


def test_trainee_export_has_the_template_columns(client, staff, trainees):
    rows = read_csv(client.get("/exports/trainees.csv"))
    assert rows[0] == list(imports.COLUMNS)
    assert column(rows, "name") == ["Ani Susanti", "Budi Santoso", "Citra Maharani", "Dedi Hidayat"]
    ani = trainees[0]
    assert rows[1] == [
        ani.name,
        ani.email,
        ani.nik,
        "1995-05-17",
        "female",
        ani.phone,
        "Lampung Timur",
        "cpmi",
    ]
    assert rows[4][2:] == ["", "", "", "", "", ""]
    sheet = read_xlsx(client.get("/exports/trainees.xlsx"))
    assert sheet[0] == list(imports.COLUMNS)
    assert sheet[1][:3] == [ani.name, ani.email, ani.nik]  # the NIK stays text
    assert sheet[1][3].date() == date(1995, 5, 17)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("regency=18.02", ["Budi Santoso"]),
        ("regency=18.07&target_group=cpmi", ["Ani Susanti"]),
        ("target_group=purna_pmi", ["Citra Maharani"]),
        ("q=maharani", ["Citra Maharani"]),
        ("role=trainee&q=&regency=&target_group=", None),  # empty values mean "all"
    ],
)
def test_trainee_export_filters(client, staff, trainees, query, names):
    rows = read_csv(client.get(f"/exports/trainees.csv?{query}"))
    everyone = ["Ani Susanti", "Budi Santoso", "Citra Maharani", "Dedi Hidayat"]
    assert column(rows, "name") == (names or everyone)
    sheet = read_xlsx(client.get(f"/exports/trainees.xlsx?{query}"))
    assert column(sheet, "name") == (names or everyone)


def test_trainee_export_finds_a_nik(client, staff, trainees):
    """The export page sends its form by POST: the NIK stays out of the URL."""
    rows = read_csv(client.post("/exports/trainees.csv", data={"q": trainees[1].nik}))
    assert column(rows, "name") == ["Budi Santoso"]


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_an_export_imports_back_without_a_change(client, staff, trainees, extension):
    response = client.get(f"/exports/trainees.{extension}")
    assert response.status_code == 200
    rows = imports.read_rows(imports_upload(response.data, f"trainees.{extension}"))
    plan = imports.plan_import(rows)
    assert [(r.action, r.errors) for r in plan.rows] == [("unchanged", [])] * 4
    assert {r.user.id for r in plan.rows} == {t.id for t in trainees}


def imports_upload(data, name):
    from werkzeug.datastructures import FileStorage

    return FileStorage(io.BytesIO(data), filename=name)


def test_formulas_stay_text(client, staff, create_user):
    create_user("trainee", name='=HYPERLINK("http://evil.example","klik")')
    rows = read_csv(client.get("/exports/trainees.csv"))
    assert rows[1][0].startswith("'=")
    assert rows[1][5].startswith("+62")
    response = client.get("/exports/trainees.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value.startswith("=HYPERLINK")


# --- courses, enrolments, attendance, certificates -----------------------------------------


def test_course_export_filters(client, staff, create_course, create_partner):
    today = local_today()
    partner = create_partner(name="LPK Bahasa", mou_valid_until=today + timedelta(days=900))
    language = create_course("language", partner=partner, code="BHS-1")
    # the year after the one the other courses start in
    year = language.starts_on.year + 1
    next_year = create_course(
        "language",
        partner=partner,
        code="BHS-2",
        starts_on=date(year, 2, 1),
        ends_on=date(year, 3, 1),
    )
    create_course("hospitality", code="HOS-1", status="draft")
    rows = read_csv(client.get("/exports/courses.csv"))
    assert rows[0] == [
        "code",
        "title",
        "title_en",
        "type",
        "partner",
        "status",
        "location",
        "starts_on",
        "ends_on",
        "capacity",
        "enrolled",
        "registration_opens_at_wib",
        "registration_closes_at_wib",
        "requires_approval",
        "waitlist",
        "attendance_threshold",
        "trainers",
    ]
    assert sorted(column(rows, "code")) == ["BHS-1", "BHS-2", "HOS-1"]
    assert column(read_csv(client.get("/exports/courses.csv?type=language")), "code") == [
        "BHS-2",
        "BHS-1",
    ]
    rows = read_csv(client.get(f"/exports/courses.csv?partner={partner.id}&year={year}"))
    assert column(rows, "code") == ["BHS-2"]
    assert column(rows, "partner") == ["LPK Bahasa"]
    assert column(read_csv(client.get("/exports/courses.csv?status=draft")), "code") == ["HOS-1"]
    sheet = read_xlsx(client.get("/exports/courses.xlsx?q=bhs-1"))
    assert column(sheet, "code") == ["BHS-1"]
    assert column(sheet, "starts_on")[0].date() == language.starts_on
    assert next_year.code == "BHS-2"


def test_enrollment_export_by_course_and_status(client, staff, classroom, create_user):
    course = classroom.course
    enrollment_services.cancel(classroom.enrollments[2], staff, reason="Pindah kerja")
    db.session.commit()
    rows = read_csv(client.get(f"/exports/enrollments.csv?course_code={course.code}"))
    assert rows[0] == [
        "course_code",
        "course_title",
        "name",
        "email",
        "regency",
        "target_group",
        "status",
        "reason",
        "created_at_wib",
        "updated_at_wib",
    ]
    assert read_csv(client.get(f"/exports/enrollments.csv?course={course.id}")) == rows
    assert len(rows) == 4
    assert set(column(rows, "course_code")) == {course.code}
    assert sorted(column(rows, "status")) == ["cancelled", "enrolled", "enrolled"]
    everything = read_csv(client.get("/exports/enrollments.csv"))
    assert len(everything) == 5  # the outsider's enrolment in another course too
    rows = read_csv(client.get(f"/exports/enrollments.csv?course={course.id}&status=cancelled"))
    assert column(rows, "reason") == ["Pindah kerja"]
    url = f"/exports/enrollments.xlsx?course_code={course.code}&status=enrolled"
    sheet = read_xlsx(client.get(url))
    assert column(sheet, "name") == sorted(t.name for t in classroom.trainees[:2])


def test_attendance_export_by_course(client, staff, classroom, add_meeting, make_classroom):
    meeting = add_meeting(classroom.course, day=0, topic="Tata graha")
    statuses = ("present", "late", "absent")
    for enrollment, status in zip(classroom.enrollments, statuses, strict=True):
        db.session.add(
            Attendance(
                session_id=meeting.id,
                enrollment_id=enrollment.id,
                status=status,
                marked_by_id=classroom.trainer.id,
                source="trainer",
            )
        )
    other = make_classroom(1)
    other_meeting = add_meeting(other.course, day=0)
    db.session.add(
        Attendance(session_id=other_meeting.id, enrollment_id=other.enrollment.id, status="present")
    )
    db.session.commit()
    rows = read_csv(client.get(f"/exports/attendance.csv?course_code={classroom.course.code}"))
    assert rows[0] == [
        "course_code",
        "session_starts_at_wib",
        "topic",
        "name",
        "email",
        "status",
        "note",
        "source",
        "marked_by",
        "marked_at_wib",
    ]
    assert sorted(column(rows, "status")) == sorted(statuses)
    assert set(column(rows, "topic")) == {"Tata graha"}
    assert set(column(rows, "marked_by")) == {"Dewi Lestari"}
    assert column(rows, "session_starts_at_wib")[0].endswith("08:00")
    assert len(read_csv(client.get("/exports/attendance.csv"))) == 5
    sheet = read_xlsx(client.get(f"/exports/attendance.xlsx?course={other.course.id}"))
    assert column(sheet, "status") == ["present"]


def test_certificate_export_by_course_and_status(client, staff, classroom):
    for n, enrollment in enumerate(classroom.enrollments[:2], start=1):
        db.session.add(
            Certificate(
                enrollment_id=enrollment.id,
                serial=f"LPG/HOS/2026/{n:05d}",
                code=f"code{n}",
                issued_by_id=staff.id,
                claims="{}",
                signature="-",
                key_id="k1",
                revoked_at=utcnow() if n == 2 else None,
                revoked_reason="Salah nama" if n == 2 else None,
            )
        )
    db.session.commit()
    url = f"/exports/certificates.csv?course_code={classroom.course.code}"
    rows = read_csv(client.get(url))
    by_id = f"/exports/certificates.csv?course={classroom.course.id}"
    assert read_csv(client.get(by_id)) == rows
    both = f"{by_id}&course_code={classroom.course.code}"
    assert read_csv(client.get(both)) == rows
    assert rows[0] == [
        "serial",
        "verification_code",
        "course_code",
        "course_title",
        "name",
        "email",
        "status",
        "issued_at_wib",
        "issued_by",
        "revoked_at_wib",
        "revoked_reason",
    ]
    assert column(rows, "serial") == ["LPG/HOS/2026/00001", "LPG/HOS/2026/00002"]
    assert column(rows, "status") == ["valid", "revoked"]
    assert column(rows, "issued_by") == [staff.name, staff.name]
    assert column(read_csv(client.get(url + "&status=revoked")), "revoked_reason") == ["Salah nama"]
    sheet = read_xlsx(client.get(url.replace(".csv", ".xlsx") + "&status=valid"))
    assert column(sheet, "serial") == ["LPG/HOS/2026/00001"]


# --- a 100,000-row export ------------------------------------------------------------------


def _nik(i):
    """A structurally valid NIK, unique for i < 279,972."""
    serial, rest = 1 + i % 9999, i // 9999
    return f"1807{1 + rest % 28:02d}{1 + rest % 28:02d}0595{serial:04d}"


def _padded(number, width):
    """``number`` as text with leading zeros to ``width`` digits, in SQL both databases speak."""
    text = literal("0" * width, String) + cast(number, String)
    return func.substr(text, func.length(text) - (width - 1))


def insert_trainees(n):
    """n trainees with a full profile (those of ``_nik``), made by the database itself in one
    INSERT ... SELECT over a counter 0..n-1: building and sending 100,000 rows from Python took
    most of the test's time."""
    counter = select(literal(0).label("i")).cte("counter", recursive=True)
    counter = counter.union_all(select(counter.c.i + 1).where(counter.c.i < n - 1))
    i, rest = counter.c.i, counter.c.i // 9999
    users = User.__table__
    region = _padded(1 + rest % 28, 2)
    values = {
        "email": literal("peserta", String) + cast(i, String) + "@example.org",
        "password_hash": literal("!", String),
        "name": literal("Peserta ", String) + _padded(i, 6),
        "role": literal("trainee", String),
        "active": literal(True, users.c.active.type),
        "created_at": literal(utcnow(), users.c.created_at.type),
        "nik": literal("1807", String) + region + region + "0595" + _padded(1 + i % 9999, 4),
        "birth_date": literal(date(1995, 5, 17), users.c.birth_date.type),
        "gender": literal("female", String),
        "phone": literal("+62812", String) + _padded(i, 8),
        "regency_code": literal("18.07", String),
        "target_group": literal("cpmi", String),
    }
    db.session.execute(
        insert(users).from_select(list(values), select(*values.values()).select_from(counter))
    )
    db.session.commit()
    gc.collect()
    _trim()


def _trim():
    """Give freed heap memory back to the system (glibc), so that RSS shows what is in use."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class PeakRss:
    """Samples the resident memory of this process in a thread; ``growth`` is the peak over the
    value at the start. Unlike tracemalloc it sees C allocations (SQLite, zlib) and costs nothing."""

    def __init__(self, interval=0.005):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def rss():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def __enter__(self):
        self.start = self.peak = self.rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())

    @property
    def growth(self):
        return self.peak - self.start


def check_xlsx(out, n):
    """The workbook holds the header and n rows, the last one included."""
    with out, zipfile.ZipFile(out) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml")
    assert sheet.count(b"<row ") == n + 1
    assert f"Peserta {n - 1:06d}".encode() in sheet
    return len(sheet)


N = 100_000


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc (Linux)")
def test_a_100000_row_csv_export_stays_under_100_mb():
    """The CSV generator under tracemalloc (Python's memory) and watched through the RSS (the
    driver's memory too: a result read whole into the client would show there), on each
    database: the rows stream from either."""
    started = time.perf_counter()
    insert_trainees(N)
    inserted = time.perf_counter()

    _trim()
    tracemalloc.start()
    try:
        lines = size = 0
        with PeakRss() as rss:
            for piece in exports.csv_chunks("trainees"):
                lines += piece.count("\n")
                size += len(piece)
        csv_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(
        f"\n{N:,} trainees: insert {inserted - started:.1f} s; CSV "
        f"{time.perf_counter() - inserted:.1f} s, {size / MB:.1f} MB of text, tracemalloc peak "
        f"{csv_peak / MB:.1f} MB, RSS growth {rss.growth / MB:.1f} MB"
    )
    assert lines == N + 1
    assert csv_peak < 100 * MB
    assert rss.growth < 100 * MB


@pytest.mark.one_database
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads /proc (Linux)")
def test_a_100000_row_xlsx_export_stays_under_100_mb():
    """The XLSX writer watched through the RSS (tracing it too costs about a minute: the next
    test, run with LMS_SLOW_TESTS=1). It reads the rows the CSV test above streams from each
    database; what it adds, openpyxl's writer, does not depend on the database: one backend."""
    insert_trainees(N)
    started = time.perf_counter()
    with PeakRss() as rss:
        out = exports.xlsx_file("trainees")
    xlsx_done = time.perf_counter()
    sheet_size = check_xlsx(out, N)
    print(
        f"\n{N:,} trainees: XLSX {xlsx_done - started:.1f} s, {sheet_size / MB:.1f} MB sheet, "
        f"RSS growth {rss.growth / MB:.1f} MB"
    )
    assert rss.growth < 100 * MB


@pytest.mark.skipif(not os.environ.get("LMS_SLOW_TESTS"), reason="about a minute; LMS_SLOW_TESTS=1")
def test_a_100000_row_xlsx_export_under_tracemalloc():
    """The XLSX writer on 100,000 rows with every Python allocation traced (slow: tracemalloc
    multiplies openpyxl's time by about five)."""
    insert_trainees(N)
    started = time.perf_counter()
    tracemalloc.start()
    try:
        out = exports.xlsx_file("trainees")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(
        f"\nXLSX of {N:,} rows under tracemalloc: {time.perf_counter() - started:.1f} s, "
        f"peak {peak / MB:.1f} MB"
    )
    check_xlsx(out, N)
    assert peak < 100 * MB
