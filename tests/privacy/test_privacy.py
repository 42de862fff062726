"""Personal data under UU PDP: consent, the data download, audited NIK views, erasure."""

import html
import io
import json
import re
import zipfile
from datetime import date, time, timedelta

import pypdf
import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from lms.attendance import services as attendance
from lms.audit.models import AuditEntry
from lms.certificates import pdf
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.core.time import combine_local, local_today
from lms.enrollment import services as enrolment
from lms.enrollment.models import Enrollment
from lms.privacy import services as privacy
from lms.reports.services import annual_report
from tests.certificates.test_badges import verify_jws


@pytest.fixture
def history(db, create_course, create_user, create_session, dummy_staff):
    """Two trainees who finished a workshop: one of them is the one who asks for erasure."""
    today = local_today()
    course = create_course(
        "entrepreneurship",
        starts_on=today - timedelta(days=10),
        ends_on=today - timedelta(days=1),
    )
    siti = create_user(
        "trainee",
        name="Ṣiti Nur'aini",
        phone="0812 1111 2222",
        locale="id",
        birth_date=date(1992, 3, 9),
    )
    budi = create_user("trainee", name="Budi Santoso")
    mine = enrolment.enroll(siti, course, actor=dummy_staff, bypass_window=True)
    other = enrolment.enroll(budi, course, actor=dummy_staff, bypass_window=True)
    session = create_session(course, starts_at=combine_local(today - timedelta(days=9), time(8)))
    attendance.save_marks(
        session,
        [
            {"enrollment_id": mine.id, "status": "present", "note": "Datang dengan Ṣiti"},
            {"enrollment_id": other.id, "status": "present"},
        ],
        dummy_staff,
    )
    certificates.issue(course, dummy_staff)
    db.session.commit()
    return {"siti": siti, "budi": budi, "course": course, "mine": mine}


def test_personal_data_holds_everything_of_the_person_and_nobody_else(client, login, history):
    siti, budi = history["siti"], history["budi"]
    login(siti)
    response = client.get("/my/data.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == siti.email
    assert data["profile"]["nik"] == siti.nik
    assert [e["id"] for e in data["enrollments"]] == [history["mine"].id]
    assert len(data["attendance"]) == 1 and data["attendance"][0]["status"] == "present"
    assert len(data["certificates"]) == 1
    assert data["messages"]  # the enrolment message
    body = response.get_data(as_text=True)
    assert budi.name not in body and budi.email not in body and budi.nik not in body


def test_data_pages_need_a_login(client):
    assert client.get("/my/data.json").status_code == 302
    assert client.get("/my/data").status_code == 302
    assert client.get("/privacy").status_code == 200


def _database_text(db):
    """Every text value of every table, for searching."""
    chunks = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            chunks.extend(str(v) for v in row if v is not None)
    return "\n".join(chunks)


def _write_free_texts(db, history, staff, create_course):
    """What staff wrote about the person over time: the texts that erasure must remove, and
    where they are kept (the record and the audit log)."""
    siti, mine = history["siti"], history["mine"]
    today = local_today()
    texts = {
        "cancelled": "Mundur karena anaknya dirawat di RS Abdul Moeloek",
        "rejected": "Berkas KTP Siti tidak terbaca, foto buram",
        "note": "Izin pulang cepat: periksa kandungan",
        "revoked": "Nama salah eja, ibu Siti minta koreksi",
    }
    later = create_course("language", starts_on=today + timedelta(days=40))
    cancelled = enrolment.enroll(siti, later, actor=staff, bypass_window=True)
    enrolment.cancel(cancelled, staff, texts["cancelled"])
    approval = create_course(
        "hospitality", starts_on=today + timedelta(days=100), requires_approval=True
    )
    rejected = enrolment.enroll(siti, approval, actor=siti)
    assert rejected.status == "pending"
    enrolment.reject(rejected, staff, texts["rejected"])
    session = history["course"].sessions[0]
    changed = attendance.save_marks(
        session, [{"enrollment_id": mine.id, "status": "present", "note": texts["note"]}], staff
    )
    assert changed == 1
    certificate = db.session.scalars(
        select(certificates.Certificate).where(certificates.Certificate.enrollment_id == mine.id)
    ).one()
    certificates.revoke(certificate, staff, texts["revoked"])
    db.session.commit()
    # each text is where the erasure test looks for it
    entries = db.session.scalars(select(AuditEntry)).all()
    assert {e.action for e in entries if texts["cancelled"] == e.data.get("reason")} == {
        "enrollment.cancelled"
    }
    assert {e.action for e in entries if texts["rejected"] == e.data.get("reason")} == {
        "enrollment.rejected"
    }
    assert {e.action for e in entries if texts["revoked"] == e.data.get("reason")} == {
        "certificate.revoked"
    }
    [note_changed] = [e for e in entries if e.action == "attendance.note_changed"]
    assert note_changed.data["old"] == "Datang dengan Ṣiti"
    assert note_changed.data["new"] == texts["note"]
    return [*texts.values(), "Datang dengan Ṣiti"]


def test_erasure_removes_every_personal_field_and_keeps_the_figures(
    client, login, db, history, dummy_staff, create_course
):
    siti = history["siti"]
    personal = [siti.name, siti.email, siti.nik, siti.phone, siti.birth_date.isoformat()]
    free_texts = _write_free_texts(db, history, dummy_staff, create_course)
    entries_before = {
        (e.id, e.action, e.actor_id, e.object_type, e.object_id, e.at)
        for e in db.session.scalars(select(AuditEntry))
    }
    before = annual_report(history["course"].starts_on.year)
    login(dummy_staff)
    assert client.get(f"/users/{siti.id}/erase").status_code == 200
    assert client.post(f"/users/{siti.id}/erase").status_code == 302
    db.session.expire_all()
    everything = _database_text(db)
    for value in [*personal, *free_texts]:
        assert value not in everything, value
    assert annual_report(history["course"].starts_on.year) == before
    # the audit log keeps every entry (who did what, when), only without the texts
    entries_after = {
        (e.id, e.action, e.actor_id, e.object_type, e.object_id, e.at)
        for e in db.session.scalars(select(AuditEntry))
    }
    assert entries_before < entries_after
    assert {e[1] for e in entries_after - entries_before} == {"user.anonymised"}
    [note_changed] = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "attendance.note_changed")
    ).all()
    assert note_changed.data == {
        "session": history["course"].sessions[0].id,
        "enrollment": history["mine"].id,
        "source": "trainer",
        "batch": None,
    }
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.user_id == siti.id)).all()
    assert {e.status for e in enrollments} == {"enrolled", "cancelled", "rejected"}  # revoked
    assert all(e.reason is None for e in enrollments)
    certificate = db.session.scalars(
        select(certificates.Certificate).where(
            certificates.Certificate.enrollment_id == history["mine"].id
        )
    ).one()
    assert certificates.signature_valid(certificate)
    assert certificates.claims(certificate)["holder"] is None
    assert certificate.revoked_at is not None and certificate.revoked_reason is None
    # the staff page of the revoked certificate reads well without the reason and the name
    page = client.get(f"/manage/certificates/{certificate.id}")
    assert page.status_code == 200
    assert "None" not in page.get_data(as_text=True)
    again = client.post(f"/users/{siti.id}/erase")
    assert again.status_code == 409


def test_full_nik_view_is_audited_and_lists_mask_it(client, login, db, history, dummy_staff):
    siti = history["siti"]
    login(dummy_staff)
    page = client.get(f"/users/{siti.id}").get_data(as_text=True)
    assert siti.nik not in page and siti.nik[-4:] in page
    revealed = client.post(f"/users/{siti.id}/nik")
    assert revealed.status_code == 200 and siti.nik in revealed.get_data(as_text=True)
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "user.nik_viewed", AuditEntry.object_id == siti.id
        )
    )
    assert entry is not None and entry.actor_id == dummy_staff.id


@pytest.mark.parametrize("role, expected", [("trainee", 403), ("trainer", 403), (None, 302)])
def test_staff_only_privacy_actions(client, login, users_by_role, history, role, expected):
    if role:
        login(users_by_role[role])
    siti = history["siti"]
    assert client.post(f"/users/{siti.id}/nik").status_code == expected
    assert client.get(f"/users/{siti.id}/erase").status_code == expected


def test_missing_user_is_404(client, login, dummy_staff):
    login(dummy_staff)
    assert client.post("/users/999999/nik").status_code == 404


def test_only_a_trainee_can_be_erased(client, login, dummy_staff, dummy_trainer):
    login(dummy_staff)
    assert client.post(f"/users/{dummy_trainer.id}/erase").status_code == 409


def test_exporting_full_niks_is_audited(client, login, db, history, dummy_staff):
    login(dummy_staff)
    response = client.get("/exports/trainees.csv")
    assert response.status_code == 200
    assert history["siti"].nik in response.get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.nik_exported"))
    assert entry is not None and entry.actor_id == dummy_staff.id


# --- certificates after erasure: valid, verifiable, naming nobody ------------------------------

WITHHELD = "Name withheld at the holder's request"


def _tr(msgid, locale):
    """``msgid`` as the pages show it in ``locale``."""
    with force_locale(locale):
        return gettext(msgid)


def _page_text(response):
    """A page's visible text, tags stripped and spaces collapsed."""
    body = re.sub(r"<(script|style).*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _pdf_text(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def _no_none(value, path="credential"):
    """No null anywhere in a JSON value (Open Badges has no null fields)."""
    assert value is not None, path
    if isinstance(value, dict):
        for key, item in value.items():
            _no_none(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_none(item, f"{path}[{i}]")


@pytest.fixture
def erased(db, history, dummy_staff):
    """Siti's data erased: her valid certificate's claims name nobody now."""
    name = history["siti"].name
    privacy.anonymise(history["siti"], dummy_staff)
    db.session.commit()
    certificate = db.session.scalars(
        select(Certificate).where(Certificate.enrollment_id == history["mine"].id)
    ).one()
    assert certificate.revoked_at is None
    assert certificates.claims(certificate)["holder"] is None
    return {**history, "certificate": certificate, "name": name}


def test_the_pdf_of_an_erased_holder_says_the_name_is_withheld(
    client, login, api_headers, erased, dummy_staff
):
    certificate = erased["certificate"]
    login(dummy_staff)
    staff_pdf = client.get(f"/manage/certificates/{certificate.id}/pdf")
    assert staff_pdf.status_code == 200
    assert staff_pdf.mimetype == "application/pdf"
    serial = certificate.serial.replace("/", "-")
    assert f'filename="{serial}_holder.pdf"' in staff_pdf.headers["Content-Disposition"]
    api_pdf = client.get(
        f"/api/v1/certificates/{certificate.code}/pdf", headers=api_headers(dummy_staff)
    )
    assert api_pdf.status_code == 200
    for data in (staff_pdf.data, api_pdf.data):
        text = _pdf_text(data)
        for expected in (
            pdf.WORDS["withheld"]["id"],
            pdf.WORDS["withheld"]["en"],
            certificate.serial,
            erased["course"].title,
        ):
            assert expected in text, expected
        assert "None" not in text and erased["name"] not in text
    assert pdf.WORDS["withheld"]["en"] == WITHHELD  # the pages' words, in the catalogue


def test_the_course_zip_holds_the_erased_holders_certificate(client, login, erased, dummy_staff):
    certificate, budi = erased["certificate"], erased["budi"]
    login(dummy_staff)
    response = client.get(f"/manage/courses/{erased['course'].id}/certificates.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as zipped:
        assert zipped.testzip() is None
        names = zipped.namelist()
        assert len(names) == 2
        mine = f"{certificate.serial.replace('/', '-')}_holder.pdf"
        assert mine in names
        text = _pdf_text(zipped.read(mine))
        assert pdf.WORDS["withheld"]["id"] in text and "None" not in text
        [other] = [n for n in names if n != mine]
        assert budi.name in _pdf_text(zipped.read(other))


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_verify_page_of_an_erased_holder(client, erased, locale):
    certificate = erased["certificate"]
    client.set_cookie("lms_locale", locale)
    response = client.get(f"/verify/{certificate.code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-status="valid"' in page and 'data-valid="1"' in page
    assert 'data-withheld="1"' in page
    holder = re.search(r'<dd[^>]*data-testid="holder"[^>]*>(.*?)</dd>', page, flags=re.S)
    assert html.unescape(holder.group(1)).strip() == _tr(WITHHELD, locale)
    assert 'data-testid="withheld-note"' in page
    text = _page_text(response)
    assert _tr("Valid", locale) in text and certificate.serial in text
    assert "None" not in text and erased["name"] not in text


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_staff_page_of_an_erased_holders_certificate(
    client, login, erased, dummy_staff, locale
):
    certificate = erased["certificate"]
    login(dummy_staff)
    client.set_cookie("lms_locale", locale)
    response = client.get(f"/manage/certificates/{certificate.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="holder-withheld"' in page
    assert 'data-testid="name-changed"' not in page  # nothing to re-issue: no name is due
    text = _page_text(response)
    assert _tr(WITHHELD, locale) in text
    assert "None" not in text and erased["name"] not in text


def test_the_api_states_no_holder_name(client, api_headers, erased):
    certificate = erased["certificate"]
    response = client.get(f"/api/v1/certificates/{certificate.code}", headers=api_headers())
    assert response.status_code == 200
    data = response.get_json()
    assert data["holder_name"] is None  # no invented name in data
    assert data["status"] == "valid" and data["signature_valid"] is True
    assert data["serial"] == certificate.serial


def test_the_credential_of_an_erased_holder_verifies_without_a_name(
    client, api_headers, erased, dummy_staff
):
    certificate = erased["certificate"]
    response = client.get(
        f"/api/v1/certificates/{certificate.code}/credential", headers=api_headers(dummy_staff)
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    jwks = client.get("/.well-known/jwks.json").get_json()
    _header, vc = verify_jws(response.get_data(as_text=True), jwks)
    _no_none(vc)
    subject = vc["credentialSubject"]
    assert "identifier" not in subject  # optional in Open Badges 3.0: left out, never null
    assert subject["type"] == ["AchievementSubject"] and subject["id"].startswith("urn:uuid:")
    assert subject["achievement"]["name"] == erased["course"].title_en
    assert vc["sub"] == subject["id"]
    assert "None" not in json.dumps(vc) and erased["name"] not in json.dumps(vc)
