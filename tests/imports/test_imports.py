"""Importing trainees: the dry run names every rejected row and writes nothing, the import writes
every row in one transaction or none, a second import changes nothing, bad files get a clear
message, spellings of the office's spreadsheets are understood, the command line does the same,
and only staff reach the pages."""

import csv
import io
from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.security import check_password_hash

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.core.time import local_today
from lms.enrollment.models import Enrollment
from lms.errors import Conflict, InvalidInput
from lms.extensions import db
from lms.imports import services
from lms.imports.services import COLUMNS
from lms.outbox.models import OutboxMessage
from tests.fixtures.queries import commits, statements
from tests.fixtures.users import PASSWORD

ROLES = [None, "trainee", "trainer", "staff", "admin"]
EXPECTED = {None: 302, "trainee": 403, "trainer": 403, "staff": 200, "admin": 200}
#: rows of the big file that are broken, and how
BAD = {100: ("nik", "1234"), 500: ("email", "not-an-e-mail"), 900: ("regency", "Atlantis")}


# --- helpers -------------------------------------------------------------------------------


def nik_for(i, female=False):
    """A structurally valid NIK from Kota Bandar Lampung, unique per i (< 10,000)."""
    day = 1 + i % 28 + (40 if female else 0)
    return f"187101{day:02d}{1 + i % 12:02d}95{i + 1:04d}"


def trainee_row(i):
    """Row i of a file, in the spellings the office's spreadsheets use."""
    female = i % 2 == 1
    return {
        "name": f"Peserta Impor {i:04d}",
        "email": f"impor{i}@example.org",
        "nik": nik_for(i, female),
        "birth_date": "1995-05-17" if i % 3 else "17/05/1995",
        "gender": ("P" if female else "L") if i % 4 < 2 else ("female" if female else "male"),
        "phone": f"0813 {i:04d} {i:04d}",
        "regency": ("18.07", "Lampung Tengah", "Kota Metro")[i % 3],
        "target_group": ("cpmi", "Purna PMI", "keluarga", "Masyarakat umum")[i % 4],
    }


def big_rows(n=1000, bad=None):
    rows = [trainee_row(i) for i in range(n)]
    for i, (column, value) in (bad or {}).items():
        rows[i] = {**rows[i], column: value}
    return rows


def csv_bytes(rows, columns=COLUMNS):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows, columns=COLUMNS):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(columns))
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(data, name="trainees.csv"):
    return FileStorage(io.BytesIO(data), filename=name)


def plan_of(data, name="trainees.csv", course=None):
    return services.plan_import(services.read_rows(upload(data, name)), course)


def trainees_count():
    db.session.rollback()
    return db.session.scalar(select(func.count(User.id)).where(User.role == "trainee"))


def post_file(client, data, name="trainees.csv", run=False, course=""):
    """Send a file to the import page; a large file's job (run at once without Redis) is
    followed to the page of its outcome."""
    form = {"file": (io.BytesIO(data), name), "course": course}
    form["run" if run else "check"] = "y"
    response = client.post("/imports/trainees", data=form, content_type="multipart/form-data")
    if response.status_code == 303 and "?job=" in response.location:
        return client.get(response.location)
    return response


def rejected_lines(response):
    page = response.get_data(as_text=True)
    section = page.split('data-testid="rows-reject"', 1)[1].split("</table>", 1)[0]
    return [int(part.split('"', 1)[0]) for part in section.split('data-line="')[1:]]


@pytest.fixture(autouse=True)
def english():
    """Messages made outside a request (services, command line) in English, as the asserts."""
    with force_locale("en"):
        yield


# --- the 1,000-row file --------------------------------------------------------------------


def test_dry_run_names_exactly_the_bad_rows_and_writes_nothing(client, staff):
    with statements() as few:
        plan_of(csv_bytes(big_rows(n=10)))
    data = csv_bytes(big_rows(bad=BAD))
    with statements() as many:
        plan = plan_of(data)
    # the plan looks up existing accounts and regencies in a few queries, not one per row
    assert len(many) == len(few), many
    assert [row.line for row in plan.rejected] == [i + 2 for i in sorted(BAD)]
    assert [row.errors[0][0] for row in plan.rejected] == ["nik", "email", "regency"]
    assert plan.counts == {"create": 997, "update": 0, "unchanged": 0, "reject": 3}
    with pytest.raises(InvalidInput):
        services.apply_plan(plan)
    db.session.rollback()

    response = post_file(client, data)
    assert response.status_code == 200
    assert rejected_lines(response) == [102, 502, 902]
    page = response.get_data(as_text=True)
    assert "The NIK must be exactly 16 digits." in page
    assert "This is not a valid e-mail address." in page
    assert "No regency or city has this code or name." in page
    assert 'data-testid="confirm-form"' not in page
    assert trainees_count() == 0

    # pressing "Import" with the same file writes nothing either: its job refuses it whole
    response = post_file(client, data, run=True)
    assert response.status_code == 303
    job = client.get(response.location).get_data(as_text=True)
    assert "Nothing was imported: 3 rows are rejected." in job
    assert trainees_count() == 0


def test_fixed_file_commits_every_row_in_one_transaction(app, client, staff, monkeypatch):
    # written by the page itself (a larger file goes to a job: tests/jobs)
    monkeypatch.setitem(app.config, "JOBS_IMPORT_MIN_ROWS", 10_000)
    data = csv_bytes(big_rows())
    with commits() as committed, statements() as sent:
        response = post_file(client, data, run=True)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert len(committed) == 1
    # at most an account, its welcome message and its audit entry per row (PostgreSQL batches
    # them), no lookups per row
    assert len(sent) <= 3 * 1000 + 30, len(sent)
    assert trainees_count() == 1000
    user = db.session.scalar(select(User).where(User.email == "impor7@example.org"))
    assert (user.name, user.nik, user.birth_date, user.gender) == (
        "Peserta Impor 0007",
        nik_for(7, female=True),
        date(1995, 5, 17),
        "female",
    )
    assert (user.phone, user.regency_code, user.target_group) == (
        "+6281300070007",
        "18.02",
        "general",
    )
    assert user.profile_complete
    # no usable password until the trainee sets one through "forgot password"
    assert user.password_hash.startswith("!")
    assert not check_password_hash(user.password_hash, "")
    assert not check_password_hash(user.password_hash, user.password_hash[1:])
    actions = dict(
        db.session.execute(
            select(AuditEntry.action, func.count()).group_by(AuditEntry.action)
        ).all()
    )
    assert actions["user.created"] == 1001  # the staff member's own account, and the 1,000
    assert actions["trainees.imported"] == 1
    follow = client.get(response.location)
    assert "1,000 created, 0 updated, 0 unchanged, 0 enrolled" in follow.get_data(as_text=True)


def test_importing_the_same_file_again_changes_nothing(client, staff):
    rows = big_rows()
    services.apply_plan(plan_of(csv_bytes(rows)), staff)
    db.session.commit()
    again = plan_of(xlsx_bytes(rows), "trainees.xlsx")
    assert again.counts == {"create": 0, "update": 0, "unchanged": 1000, "reject": 0}
    assert not again.changes_anything

    response = post_file(client, csv_bytes(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing to do" in page
    assert 'data-testid="confirm-form"' not in page
    # a thousand rows: the import is a job; its page tells the outcome
    response = post_file(client, csv_bytes(rows), run=True)
    assert response.status_code == 303
    assert "0 created, 0 updated, 1,000 unchanged" in client.get(response.location).get_data(
        as_text=True
    )
    assert trainees_count() == 1000


def test_the_dry_run_page_carries_the_file_to_the_import(client, staff):
    response = post_file(client, csv_bytes(big_rows(20)))
    page = response.get_data(as_text=True)
    payload = page.split('name="payload" value="', 1)[1].split('"', 1)[0]
    assert trainees_count() == 0
    response = client.post(
        "/imports/trainees",
        data={"payload": payload, "filename": "trainees.csv", "course": "", "run": "y"},
    )
    assert response.status_code == 302
    assert trainees_count() == 20
    # a damaged payload is no file at all
    response = client.post("/imports/trainees", data={"payload": "%%%", "run": "y"})
    assert response.status_code == 400
    assert "Choose a CSV or XLSX file." in response.get_data(as_text=True)


def test_a_row_failing_at_commit_writes_nothing(create_user, dummy_staff):
    plan = plan_of(csv_bytes(big_rows(50)))
    assert not plan.rejected
    # someone registers with the e-mail of row 30 between the dry run and the import
    create_user("trainee", email="impor30@example.org", nik=nik_for(9000))
    with pytest.raises(Conflict):
        services.apply_plan(plan, dummy_staff)
    db.session.rollback()
    assert trainees_count() == 1
    assert (
        db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "trainees.imported")
        )
        == 0
    )


def test_a_course_filling_up_at_commit_writes_nothing(create_course, create_user, dummy_staff):
    course = create_course(capacity=3, waitlist=False)
    plan = plan_of(csv_bytes(big_rows(3)), course=course)
    assert [row.enrollment for row in plan.rows] == ["enrolled"] * 3
    from lms.enrollment.services import enroll

    enroll(create_user("trainee"), course, actor=dummy_staff)  # takes one of the seats
    db.session.commit()
    with pytest.raises(InvalidInput, match="Row 4 could not be enrolled"):
        services.apply_plan(plan, dummy_staff)
    db.session.rollback()
    assert trainees_count() == 1
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1


def test_a_trainee_refused_at_commit_is_named_and_nothing_is_written(
    create_course, create_user, dummy_staff
):
    course = create_course(capacity=10)
    same_time = create_course(starts_on=course.starts_on, ends_on=course.ends_on)
    known = create_user("trainee", email="impor3@example.org", nik=nik_for(3, female=True))
    plan = plan_of(csv_bytes(big_rows(6)), course=course)
    assert [row.enrollment for row in plan.rows] == ["enrolled"] * 6
    assert plan.rows[3].user is known
    from lms.enrollment.services import enroll

    # meanwhile the trainee of row 5 enrols in a course at the same time
    enroll(known, same_time, actor=dummy_staff)
    db.session.commit()
    outbox_before = db.session.scalar(select(func.count(OutboxMessage.id)))
    with pytest.raises(InvalidInput) as error:
        services.apply_plan(plan, dummy_staff)
    assert str(error.value.message) == (
        f"Row 5 could not be enrolled (You are already enrolled in {same_time.code}, which runs "
        "at the same time.): nothing was imported."
    )
    db.session.rollback()
    assert trainees_count() == 1
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == outbox_before


def test_importing_with_a_course_reads_in_bulk(client, staff, create_course):
    """With a course, the import (dry run and writing, one request) sends the same statements for
    10 rows as for 60, but for the inserts: no lookup, lock or count per row."""

    def import_rows(first, n):
        course = create_course(capacity=n // 2)
        rows = [trainee_row(i) for i in range(first, first + n) if i % 4 != 3]  # cpmi... only
        with commits() as committed, statements() as sent:
            response = post_file(client, csv_bytes(rows), course=course.code, run=True)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        assert len(committed) == 1
        db.session.rollback()
        statuses = db.session.scalars(
            select(Enrollment.status)
            .where(Enrollment.course_id == course.id)
            .order_by(Enrollment.id)
        ).all()
        seats = n // 2
        assert statuses == ["enrolled"] * seats + ["waitlisted"] * (len(rows) - seats)
        inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT")]
        # an account, its audit entry, its welcome message, an enrolment, its audit entry and
        # its message per row at most
        assert len(inserts) <= 6 * len(rows) + 5, len(inserts)
        return [s for s in sent if not s.lstrip().upper().startswith("INSERT")]

    few = import_rows(0, 12)
    many = import_rows(1000, 80)
    assert len(many) == len(few), "\n".join(many)


# --- matching and rules --------------------------------------------------------------------


def test_rows_match_by_nik_then_e_mail(create_user, dummy_staff):
    by_nik = create_user("trainee", email="lama@example.org", nik=nik_for(1))
    no_nik = create_user("trainee", email="tanpa.nik@example.org", profile=False)
    other = create_user("trainee", email="orang.lain@example.org", nik=nik_for(2))
    create_user("trainee", email="ketiga@example.org", nik=nik_for(8))
    create_user("trainer", email="pelatih@example.org")
    rows = [
        # the NIK matches: the e-mail and phone change (empty cells change nothing)
        {
            "name": by_nik.name,
            "email": "baru@example.org",
            "nik": by_nik.nik,
            "phone": "0852 1111 2222",
        },
        # no NIK on record: matched by e-mail, the profile is filled in
        {**trainee_row(3), "email": "Tanpa.Nik@example.org"},
        # the e-mail belongs to an account with another NIK
        {**trainee_row(4), "email": "ketiga@example.org"},
        # the e-mail of a trainer
        {**trainee_row(5), "email": "pelatih@example.org"},
        # the NIK matches one account and the e-mail another
        {**trainee_row(2), "email": "baru@example.org"},
        # the same NIK as the first row
        {**trainee_row(6), "nik": nik_for(1)},
        # only name and e-mail: a new trainee with an incomplete profile
        {"name": "Hanya Nama", "email": "hanya.nama@example.org"},
        # an existing trainee, the rest left empty: nothing changes
        {"name": other.name, "email": other.email},
    ]
    plan = services.plan_import(rows)
    outcome = [(row.line, row.action, row.changes, row.errors) for row in plan.rows]
    assert outcome[0][:3] == (2, "update", ("email", "phone"))
    assert plan.rows[0].user is by_nik
    assert outcome[1][1] == "update"
    assert plan.rows[1].user is no_nik
    assert set(outcome[1][2]) >= {"name", "nik", "birth_date", "gender", "phone"}
    assert outcome[2][1:] == (
        "reject",
        (),
        [("email", "This e-mail address belongs to an account with another NIK.")],
    )
    assert outcome[3][3] == [
        ("email", "This account is not a trainee's (it is staff or a trainer).")
    ]
    assert outcome[4][3] == [("email", "The same value is on row 2.")]
    assert outcome[5][3] == [("nik", "The same value is on row 2.")]
    assert outcome[6][1] == "create"
    assert outcome[7][1] == "unchanged"

    plan.rows = [r for r in plan.rows if r.action != "reject"]
    result = services.apply_plan(plan, dummy_staff)
    db.session.commit()
    assert (result.created, result.updated, result.unchanged) == (1, 2, 1)
    db.session.refresh(by_nik)
    assert (by_nik.email, by_nik.phone) == ("baru@example.org", "+6285211112222")
    db.session.refresh(no_nik)
    assert no_nik.profile_complete
    new = db.session.scalar(select(User).where(User.email == "hanya.nama@example.org"))
    assert (new.name, new.role, new.nik, new.profile_complete) == (
        "Hanya Nama",
        "trainee",
        None,
        False,
    )


def test_values_are_checked_by_the_registration_rules():
    rows = [
        {**trainee_row(1), "name": "X"},
        {**trainee_row(2), "nik": "1807014713950001"},  # month 13
        {**trainee_row(3), "phone": "021 555 1234"},
        {**trainee_row(4), "birth_date": "2020-01-01"},
        {**trainee_row(5), "birth_date": "17.05.1995"},
        {**trainee_row(6), "gender": "X"},
        {**trainee_row(7), "target_group": "turis"},
        {**trainee_row(8), "name": "", "email": ""},  # a mobile number is enough
        {**trainee_row(9), "email": "", "phone": ""},
    ]
    plan = services.plan_import(rows)
    errors = [[(c, str(m)) for c, m in row.errors] for row in plan.rows]
    assert errors == [
        [("name", "Please enter the full name.")],
        [("nik", "This is not a valid NIK. Please check the number on your KTP.")],
        [
            (
                "phone",
                "Enter an Indonesian mobile number, for example 0812 3456 7890 or +62 812 3456 7890.",
            )
        ],
        [("birth_date", "Please check the birth date.")],
        [("birth_date", "Write the date as YYYY-MM-DD or DD/MM/YYYY.")],
        [("gender", "Write male or female (L or P).")],
        [("target_group", "Write cpmi, purna_pmi, family or general.")],
        [("name", "This field is required.")],
        [("email", "Write an e-mail address, or a mobile number to log in with.")],
    ]


@pytest.mark.parametrize(
    ("column", "text", "field", "value"),
    [
        ("gender", "Laki-laki", "gender", "male"),
        ("gender", "perempuan", "gender", "female"),
        ("gender", "l", "gender", "male"),
        ("target_group", "Calon pekerja migran (CPMI)", "target_group", "cpmi"),
        ("target_group", "Returned migrant worker (purna PMI)", "target_group", "purna_pmi"),
        ("target_group", "purna_pmi", "target_group", "purna_pmi"),
        ("target_group", "Keluarga pekerja migran", "target_group", "family"),
        ("target_group", "UMUM", "target_group", "general"),
        ("regency", "18.71", "regency_code", "18.71"),
        ("regency", "Bandar Lampung", "regency_code", "18.71"),
        ("regency", "Kab. Lampung Timur", "regency_code", "18.07"),
        ("regency", "lampung  selatan", "regency_code", "18.01"),
        ("birth_date", "07/01/1990", "birth_date", date(1990, 1, 7)),
        ("birth_date", "1990-01-07 00:00:00", "birth_date", date(1990, 1, 7)),
        ("phone", "81234567890", "phone", "+6281234567890"),
        ("phone", "+62 812-3456-7890", "phone", "+6281234567890"),
        ("nik", "1871.0157.0595.0001", "nik", "1871015705950001"),
        ("email", " Siti@Example.ORG ", "email", "siti@example.org"),
    ],
)
def test_spellings_of_the_office_spreadsheets(column, text, field, value):
    plan = services.plan_import([{**trainee_row(1), column: text}])
    assert plan.rows[0].errors == []
    assert plan.rows[0].values[field] == value


def test_enrolment_in_a_course(create_course, create_user, dummy_staff):
    course = create_course(capacity=2, target_groups=["cpmi", "purna_pmi", "family"])
    enrolled = create_user("trainee", nik=nik_for(0))
    from lms.enrollment.services import enroll

    enroll(enrolled, course, actor=dummy_staff)
    db.session.commit()
    rows = [trainee_row(i) for i in range(5)]  # row 3 (i = 3) is "general": not admitted
    plan = services.plan_import(rows, course)
    assert [(r.action, r.enrollment) for r in plan.rows] == [
        ("update", "already"),
        ("create", "enrolled"),
        ("create", "waitlisted"),
        ("reject", None),
        ("create", "waitlisted"),
    ]
    assert plan.rows[3].errors == [
        ("course", "This course is not open to your group of participants.")
    ]
    plan.rows = [r for r in plan.rows if r.action != "reject"]
    result = services.apply_plan(plan, dummy_staff)
    db.session.commit()
    assert result.enrolled == 3
    statuses = db.session.scalars(
        select(Enrollment.status).where(Enrollment.course_id == course.id).order_by(Enrollment.id)
    ).all()
    assert statuses == ["enrolled", "enrolled", "waitlisted", "waitlisted"]
    again = services.plan_import([r for i, r in enumerate(rows) if i != 3], course)
    assert {(r.action, r.enrollment) for r in again.rows} == {("unchanged", "already")}


def test_course_by_code_on_the_page(client, staff, create_course):
    course = create_course()
    response = post_file(client, csv_bytes(big_rows(3)), course="NO-SUCH")
    assert response.status_code == 400
    assert "No course has the code NO-SUCH." in response.get_data(as_text=True)
    draft = create_course(status="draft")
    response = post_file(client, csv_bytes(big_rows(3)), course=draft.code)
    assert response.status_code == 400
    response = post_file(client, csv_bytes(big_rows(3)), course=course.code, run=True)
    assert response.status_code == 302
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count(Enrollment.id)).where(Enrollment.course_id == course.id)
        )
        == 3
    )


# --- bad files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "Upload a CSV or XLSX file."),
        (b"%PDF-1.7\n...", "list.pdf", "Upload a CSV or XLSX file."),
        (b"PK\x03\x04 not really a workbook", "trainees.xlsx", "Upload a CSV or XLSX file."),
        (b"", "trainees.csv", "The file is empty."),
        (
            b"nama,surel,nik\nSiti,siti@example.org,1807015708950001\n",
            "trainees.csv",
            "The file lacks the columns name, email, birth_date, gender, phone, regency, "
            "target_group.",
        ),
    ],
)
def test_a_bad_file_gets_a_clear_message(client, staff, data, name, message):
    with pytest.raises(InvalidInput) as error:
        services.read_rows(upload(data, name))
    assert message in str(error.value.message)
    response = post_file(client, data, name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert trainees_count() == 0


def test_an_xlsx_with_the_wrong_columns(client, staff):
    data = xlsx_bytes([trainee_row(1)], columns=("name", "email", "NIK KTP"))
    response = post_file(client, data, "trainees.xlsx")
    assert response.status_code == 400
    assert "The file lacks the columns nik, birth_date" in response.get_data(as_text=True)


def test_no_file_chosen(client, staff):
    response = client.post("/imports/trainees", data={"check": "y"})
    assert response.status_code == 400
    assert "Choose a CSV or XLSX file." in response.get_data(as_text=True)


# --- the template --------------------------------------------------------------------------


def test_the_templates_have_the_columns(client, staff):
    response = client.get("/imports/trainees/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.get_data(as_text=True).lstrip("\ufeff").strip() == ",".join(COLUMNS)
    response = client.get("/imports/trainees/template.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    assert sheet["C2"].number_format == "@"  # the NIK stays text in Excel
    assert workbook.worksheets[1]["C4"].value == services.EXAMPLE[2]
    # the template imports as it is: no row, nothing to do
    plan = plan_of(response.data, "template.xlsx")
    assert plan.rows == []
    # filled in, it imports
    sheet.append([services.EXAMPLE[i] for i in range(len(COLUMNS))])
    out = io.BytesIO()
    workbook.save(out)
    plan = plan_of(out.getvalue(), "template.xlsx")
    assert [(r.action, r.errors) for r in plan.rows] == [("create", [])]


def test_the_page_says_how_new_trainees_get_a_password(client, staff):
    page = client.get("/imports/trainees").get_data(as_text=True)
    assert "Forgot your password?" in page
    assert 'data-testid="template-xlsx"' in page


# --- command line --------------------------------------------------------------------------


def test_cli_dry_run_and_import(runner, tmp_path, create_course):
    path = tmp_path / "trainees.csv"
    path.write_bytes(csv_bytes(big_rows(30, bad={4: ("nik", "1234")})))
    result = runner.invoke(args=["lms", "import-trainees", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert "29 to create, 0 to update, 0 unchanged, 1 rejected" in result.output
    assert "row 6 (Peserta Impor 0004 <impor4@example.org>): nik: The NIK must be" in result.output
    assert "Nothing was written (dry run)." in result.output
    result = runner.invoke(args=["lms", "import-trainees", str(path)])
    assert result.exit_code == 1
    assert trainees_count() == 0

    path.write_bytes(csv_bytes(big_rows(30)))
    result = runner.invoke(args=["lms", "import-trainees", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "30 to create" in result.output
    assert trainees_count() == 0

    course = create_course(capacity=40)
    result = runner.invoke(args=["lms", "import-trainees", str(path), "--course", course.code])
    assert result.exit_code == 0, result.output
    assert "Imported: 30 created, 0 updated, 0 unchanged, 30 enrolled." in result.output
    assert trainees_count() == 30

    xlsx = tmp_path / "trainees.xlsx"
    xlsx.write_bytes(xlsx_bytes(big_rows(30)))
    result = runner.invoke(args=["lms", "import-trainees", str(xlsx), "--course", course.code])
    assert result.exit_code == 0, result.output
    assert "0 to create, 0 to update, 30 unchanged, 0 rejected, 0 to enrol" in result.output
    assert "Imported: 0 created, 0 updated, 30 unchanged, 0 enrolled." in result.output


def test_cli_refuses_bad_input(runner, tmp_path):
    path = tmp_path / "trainees.txt"
    path.write_bytes(b"nama;surel\nSiti;siti@example.org\n")
    result = runner.invoke(args=["lms", "import-trainees", str(path)])
    assert result.exit_code == 1
    assert "The file lacks the columns name, email" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(big_rows(2)))
    result = runner.invoke(args=["lms", "import-trainees", str(good), "--course", "NOPE"])
    assert result.exit_code == 1
    assert "No course has the code NOPE." in result.output


# --- who may use it ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_import_pages_by_role(client, login, users_by_role, role):
    if role is not None:
        login(users_by_role[role])
    for path in (
        "/imports/trainees",
        "/imports/trainees/template.csv",
        "/imports/trainees/template.xlsx",
    ):
        response = client.get(path)
        assert response.status_code == EXPECTED[role], path
        if role is None:
            assert response.location.startswith("/login?next="), path
    response = post_file(client, csv_bytes(big_rows(2)), run=True)
    assert response.status_code == {None: 302, "trainee": 403, "trainer": 403}.get(role, 302)
    assert trainees_count() == (3 if role in ("staff", "admin") else 1)  # with dummy_trainee


def test_staff_see_import_and_export_in_the_menu(client, login, users_by_role):
    login(users_by_role["staff"])
    page = client.get("/").get_data(as_text=True)
    assert 'href="/imports/trainees"' in page and 'href="/exports/"' in page
    login(users_by_role["trainee"])
    page = client.get("/").get_data(as_text=True)
    assert 'href="/imports/trainees"' not in page


def test_a_new_trainee_sets_a_password_through_forgot_password(client, dummy_staff):
    services.apply_plan(services.plan_import([trainee_row(1)]), dummy_staff)
    db.session.commit()
    user = db.session.scalar(select(User).where(User.email == "impor1@example.org"))
    from lms.auth import services as auth

    assert auth.authenticate("impor1@example.org", "") is None
    token = auth.make_reset_token(user)
    auth.reset_password(token, PASSWORD)
    db.session.commit()
    assert auth.authenticate("impor1@example.org", PASSWORD).id == user.id


def test_birth_dates_near_the_limits_are_the_registration_rule():
    too_young = local_today() - timedelta(days=365 * 14)
    plan = services.plan_import([{**trainee_row(1), "birth_date": too_young.isoformat()}])
    assert [c for c, _m in plan.rows[0].errors] == ["birth_date"]
