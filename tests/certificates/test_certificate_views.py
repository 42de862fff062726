"""Certificate pages: the public verification (no private field, revoked, unknown code, rate
limit), the staff pages (issue all or selected, list and search, revoke, re-issue, PDF and ZIP)
and the trainee's own certificates — for every role, with bad input and missing records."""

import html
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import select

from lms.attendance import services as attendance
from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.certificates import badges, signing
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.core.time import combine_local, local_today
from lms.enrollment import services as enrolment
from lms.enrollment.models import Enrollment
from lms.extensions import db
from tests.fixtures.i18n import tr
from tests.fixtures.pages import count, text

ROLES = [None, "trainee", "trainer", "staff", "admin"]
#: what a staff page answers to each role
STAFF_ONLY = {None: 302, "trainee": 403, "trainer": 403, "staff": 200, "admin": 200}
#: what a trainee page answers to each role
TRAINEE_ONLY = {None: 302, "trainee": 200, "trainer": 403, "staff": 403, "admin": 403}
_partners = itertools.count(1)


# --- helpers -------------------------------------------------------------------------------------


def issued_text(n, locale="id"):
    with force_locale(locale):
        return ngettext("%(num)s certificate issued.", "%(num)s certificates issued.", n)


def valid_of(enrollment):
    """The enrolment's valid certificate, or None (read fresh)."""
    db.session.rollback()
    return db.session.scalar(
        select(Certificate).where(
            Certificate.enrollment_id == enrollment.id, Certificate.revoked_at.is_(None)
        )
    )


@dataclass
class Finished:
    """A course that ended two days ago, with its people: ``ready`` trainees are eligible,
    ``absent`` attended too little, ``unassessed`` has no assessment result."""

    course: object
    staff: object
    trainer: object
    enrollments: list = field(default_factory=list)

    @property
    def ready(self):
        return self.enrollments[:2]

    @property
    def absent(self):
        return self.enrollments[2]

    @property
    def unassessed(self):
        return self.enrollments[3]


def build_finished_course(
    create_partner, create_user, create_course, create_session, type_key="hospitality", names=None
):
    """A finished course built through the services: four past sessions, marks by staff, an
    assessment where the type needs one. The first two trainees are eligible; the third came
    once; the fourth came always but was not assessed."""
    today = local_today()
    names = names or ["Ani Susanti", "Budi Santoso", "Citra Dewi", "Dedi Kurniawan"]
    number = next(_partners)
    partner = create_partner(
        name="BLK Kota Bandar Lampung" + (f" {number}" if number > 1 else ""),
        mou_valid_until=today + timedelta(days=365),
    )
    trainer = create_user("trainer", name="Dewi Lestari", partner_id=partner.id)
    staff = create_user("staff", name="Rina Marlina")
    course = create_course(
        type_key,
        partner=partner,
        trainers=[trainer],
        title="Tata Graha Hotel",
        title_en="Hotel Housekeeping",
        starts_on=today - timedelta(days=20),
        ends_on=today - timedelta(days=2),
    )
    sessions = [
        create_session(
            course,
            combine_local(course.starts_on + timedelta(days=day), time(8, 0)),
            combine_local(course.starts_on + timedelta(days=day), time(12, 0)),
        )
        for day in range(4)
    ]
    people = [create_user("trainee", name=name) for name in names]
    enrollments = [
        enrolment.enroll(person, course, actor=staff, bypass_window=True) for person in people
    ]
    db.session.flush()
    for number, session in enumerate(sessions):
        marks = []
        for index, enrollment in enumerate(enrollments):
            status = "absent" if index == 2 and number > 0 else "present"
            marks.append({"enrollment_id": enrollment.id, "status": status})
        attendance.save_marks(session, marks, staff)
    from lms.catalog.services import course_type_of

    if course_type_of(course).requires_assessment:
        for index, enrollment in enumerate(enrollments):
            if index != 3:
                attendance.set_assessment(enrollment, staff, score=85, competent=True)
    db.session.commit()
    return Finished(course=course, staff=staff, trainer=trainer, enrollments=enrollments)


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def make_finished(create_partner, create_user, create_course, create_session):
    def _make(type_key="hospitality", names=None):
        return build_finished_course(
            create_partner, create_user, create_course, create_session, type_key, names
        )

    return _make


@pytest.fixture
def finished(make_finished):
    return make_finished()


@pytest.fixture
def issued(finished):
    """The finished course with certificates issued to its two eligible trainees."""
    certificates.issue(finished.course, finished.staff)
    db.session.commit()
    return finished


@pytest.fixture
def cert(issued):
    """The first eligible trainee's certificate."""
    return valid_of(issued.ready[0])


@pytest.fixture
def as_role(client, login, issued, create_user):
    """Log the client in as a role; the trainee is the holder of ``cert``."""
    people = {
        "trainee": issued.ready[0].user,
        "trainer": issued.trainer,
        "staff": issued.staff,
        "admin": create_user("admin", name="Agus Setiawan"),
    }

    def _as(role):
        if role is not None:
            login(people[role])
        return client

    return _as


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_staff_pages_by_role(as_role, role, issued, cert):
    client = as_role(role)
    c = issued.course.id
    for path in (
        f"/manage/courses/{c}/certificates",
        f"/manage/courses/{c}/certificates.zip",
        "/manage/certificates",
        "/manage/certificates?q=Ani&status=valid",
        f"/manage/certificates/{cert.id}",
        f"/manage/certificates/{cert.id}/pdf",
    ):
        response = client.get(path)
        assert response.status_code == STAFF_ONLY[role], path
        if role is None:
            assert response.location.startswith("/login?next="), path


@pytest.mark.parametrize("role", ROLES)
def test_staff_posts_by_role(as_role, role, issued, cert):
    client = as_role(role)
    c = issued.course.id
    posts = [
        (f"/manage/courses/{c}/certificates/issue", {"action": "all"}),
        (f"/manage/certificates/{cert.id}/reissue", {"reason": "Nama salah ketik"}),
    ]
    for path, data in posts:
        response = client.post(path, data=data)
        expected = STAFF_ONLY[role] if role not in ("staff", "admin") else 302
        assert response.status_code == expected, path
    response = client.post(
        f"/manage/certificates/{cert.id}/revoke", data={"reason": "Salah", "category": "error"}
    )
    if role in ("staff", "admin"):
        # the re-issue revoked it already
        assert response.status_code == 409
    else:
        assert response.status_code == STAFF_ONLY[role]
        assert valid_of(issued.ready[0]).id == cert.id  # nothing changed


@pytest.mark.parametrize("role", ROLES)
def test_trainee_pages_by_role(as_role, role, cert):
    client = as_role(role)
    for path in (
        "/my/certificates",
        f"/my/certificates/{cert.id}/pdf",
        f"/my/certificates/{cert.id}/credential",
    ):
        response = client.get(path)
        assert response.status_code == TRAINEE_ONLY[role], path
        if role is None:
            assert response.location.startswith("/login?next="), path


@pytest.mark.parametrize("role", ROLES)
def test_verification_is_public(as_role, role, cert):
    client = as_role(role)
    assert client.get("/verify").status_code == 200
    assert client.get(f"/verify/{cert.code}").status_code == 200
    assert client.get("/verify/ZZZZZZZZZZZZ").status_code == 404


def test_missing_records_are_404(client, login, issued, cert):
    login(issued.staff)
    for path in (
        "/manage/courses/999999/certificates",
        "/manage/courses/999999/certificates.zip",
        "/manage/certificates/999999",
        "/manage/certificates/999999/pdf",
        "/manage/certificates/99999999999/pdf",
    ):
        assert client.get(path).status_code == 404, path
    for path, data in (
        ("/manage/courses/999999/certificates/issue", {"action": "all"}),
        ("/manage/certificates/999999/revoke", {"reason": "x"}),
        ("/manage/certificates/999999/reissue", {"reason": "x"}),
    ):
        assert client.post(path, data=data).status_code == 404, path


def test_navigation_and_links(client, login, issued, cert, create_user):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/verify"' in page  # the footer, for everyone
    login(issued.staff)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/manage/certificates"' in page
    assert 'href="/my/certificates"' not in page
    course_page = client.get(f"/manage/courses/{issued.course.id}").get_data(as_text=True)
    assert f'href="/manage/courses/{issued.course.id}/certificates"' in course_page
    login(issued.ready[0].user)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/my/certificates"' in page
    assert 'href="/manage/certificates"' not in page


# --- the staff page of a course: eligibility and issuing --------------------------------------------


def test_course_page_says_who_is_eligible_and_why_not(client, login, finished):
    login(finished.staff)
    response = client.get(f"/manage/courses/{finished.course.id}/certificates")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for enrollment in finished.ready:
        assert f'name="ids" value="{enrollment.id}"' in page  # tickable
        assert 'data-eligible="1"' in page
    row = re.search(rf'data-testid="row-{finished.absent.id}".*?</tr>', page, re.S).group(0)
    assert 'name="ids"' not in row
    assert (
        html.escape(
            tr(
                "Attendance is %(rate)s%%, below the required %(threshold)s%%.",
                rate=25,
                threshold=80,
            )
        )
        in row
    )
    row = re.search(rf'data-testid="row-{finished.unassessed.id}".*?</tr>', page, re.S).group(0)
    assert html.escape(tr("The final assessment has no result yet.")) in row
    assert tr("Issue to all eligible (%(num)s)", num=2) in text(response)


def test_course_not_ended_is_not_eligible(client, login, classroom):
    login(classroom.staff)
    response = client.get(f"/manage/courses/{classroom.course.id}/certificates")
    assert response.status_code == 200
    assert text(response).count(tr("The course has not ended yet.")) == 3
    assert 'data-testid="issue-all" disabled' in response.get_data(as_text=True)


def test_issue_to_all_eligible(client, login, finished):
    login(finished.staff)
    response = client.post(
        f"/manage/courses/{finished.course.id}/certificates/issue", data={"action": "all"}
    )
    assert response.status_code == 302
    assert response.location == f"/manage/courses/{finished.course.id}/certificates"
    first, second = (valid_of(e) for e in finished.ready)
    assert first and second
    assert int(second.serial.rsplit("/", 1)[1]) == int(first.serial.rsplit("/", 1)[1]) + 1
    assert valid_of(finished.absent) is None and valid_of(finished.unassessed) is None
    assert db.session.get(Enrollment, finished.ready[0].id).status == "completed"
    assert count(AuditEntry, AuditEntry.action == "certificate.issued") == 2
    page = client.get(response.location)
    assert issued_text(2) in text(page)
    assert first.serial in text(page) and second.serial in text(page)
    # again: nobody new is eligible, nothing is doubled
    response = client.post(
        f"/manage/courses/{finished.course.id}/certificates/issue",
        data={"action": "all"},
        follow_redirects=True,
    )
    assert tr("No trainee is eligible for a new certificate.") in text(response)
    assert count(Certificate) == 2


def test_issue_to_the_selected(client, login, finished):
    login(finished.staff)
    url = f"/manage/courses/{finished.course.id}/certificates/issue"
    chosen = finished.ready[1]
    response = client.post(url, data={"action": "selected", "ids": [str(chosen.id)]})
    assert response.status_code == 302
    assert valid_of(chosen) is not None
    assert valid_of(finished.ready[0]) is None
    assert count(Certificate) == 1


def test_issue_to_the_selected_needs_a_tick(client, login, finished):
    login(finished.staff)
    url = f"/manage/courses/{finished.course.id}/certificates/issue"
    response = client.post(url, data={"action": "selected"})
    assert response.status_code == 400
    assert tr("Tick at least one trainee.") in text(response)
    for data in ({"action": "selected", "ids": ["abc"]}, {"action": "nonsense"}, {}):
        assert client.post(url, data=data).status_code == 400, data
    assert count(Certificate) == 0


def test_issue_to_an_ineligible_trainee_says_why(client, login, finished):
    login(finished.staff)
    url = f"/manage/courses/{finished.course.id}/certificates/issue"
    response = client.post(url, data={"action": "selected", "ids": [str(finished.absent.id)]})
    assert response.status_code == 400
    body = text(response)
    assert tr("No certificate was issued.") in body
    assert "Citra Dewi" in body
    assert count(Certificate) == 0


def test_issue_to_eligible_and_ineligible_issues_the_eligible(client, login, finished):
    login(finished.staff)
    url = f"/manage/courses/{finished.course.id}/certificates/issue"
    ids = [str(finished.ready[0].id), str(finished.unassessed.id)]
    response = client.post(url, data={"action": "selected", "ids": ids}, follow_redirects=True)
    assert response.status_code == 200
    body = text(response)
    assert issued_text(1) in body
    assert "Dedi Kurniawan" in body and tr("The final assessment has no result yet.") in body
    assert count(Certificate) == 1


def test_issue_to_another_course_enrolment_is_skipped(client, login, finished, make_finished):
    other = make_finished(names=["Eka Putri", "Fajar Nugroho", "Gita Sari", "Hadi Wijaya"])
    login(finished.staff)
    url = f"/manage/courses/{finished.course.id}/certificates/issue"
    response = client.post(url, data={"action": "selected", "ids": [str(other.ready[0].id)]})
    assert response.status_code == 400
    assert count(Certificate) == 0


@pytest.mark.parametrize("type_key", ["plantation", "language", "entrepreneurship"])
def test_issue_for_other_types(client, login, make_finished, type_key):
    finished = make_finished(type_key)
    login(finished.staff)
    response = client.get(f"/manage/courses/{finished.course.id}/certificates")
    assert response.status_code == 200
    client.post(f"/manage/courses/{finished.course.id}/certificates/issue", data={"action": "all"})
    # without an assessment rule the unassessed trainee is eligible too
    expected = 3 if type_key == "entrepreneurship" else 2
    assert count(Certificate) == expected


# --- the list, the certificate page, revoke and re-issue --------------------------------------------


def test_list_search_and_filter(client, login, issued, cert):
    login(issued.staff)
    other = valid_of(issued.ready[1])
    response = client.get("/manage/certificates")
    assert response.status_code == 200
    assert cert.serial in text(response) and other.serial in text(response)
    for q in (cert.serial, cert.code.lower(), "-".join([cert.code[:4], cert.code[4:]]), "ani sus"):
        body = text(client.get("/manage/certificates", query_string={"q": q}))
        assert cert.serial in body, q
        assert other.serial not in body, q
    body = text(client.get("/manage/certificates", query_string={"q": "tidak ada"}))
    assert tr("No certificate matches.") in body
    certificates.revoke(db.session.get(Certificate, cert.id), issued.staff, "Salah data")
    db.session.commit()
    body = text(client.get("/manage/certificates?status=revoked"))
    assert cert.serial in body and other.serial not in body
    body = text(client.get("/manage/certificates?status=valid"))
    assert cert.serial not in body and other.serial in body
    body = text(client.get(f"/manage/certificates?course={issued.course.id}&status=bogus"))
    assert cert.serial in body and other.serial in body
    assert client.get("/manage/certificates?page=abc&course=abc").status_code == 200


def test_list_is_paginated(client, login, issued, app, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 1)
    login(issued.staff)
    first = client.get("/manage/certificates")
    second = client.get("/manage/certificates?page=2")
    serials = {c.serial for c in db.session.scalars(select(Certificate))}
    assert len([s for s in serials if s in text(first)]) == 1
    assert len([s for s in serials if s in text(second)]) == 1
    assert text(first) != text(second)
    assert tr("Page %(page)s of %(pages)s", page=1, pages=2) in text(first)


def test_certificate_page(client, login, issued, cert):
    login(issued.staff)
    response = client.get(f"/manage/certificates/{cert.id}")
    assert response.status_code == 200
    body = text(response)
    assert cert.serial in body and "Ani Susanti" in body and "BLK Kota Bandar Lampung" in body
    assert tr("Holds") in body
    assert f"/verify/{cert.code}" in body
    assert tr("Issued") in body  # the history


def test_revoke_needs_a_reason(client, login, issued, cert):
    login(issued.staff)
    for data in ({}, {"reason": "   "}):
        response = client.post(f"/manage/certificates/{cert.id}/revoke", data=data)
        assert response.status_code == 400
        assert tr("Give the reason.") in text(response)
    assert valid_of(issued.ready[0]).id == cert.id
    response = client.post(f"/manage/certificates/{cert.id}/revoke", data={"reason": "x" * 501})
    assert response.status_code == 400


def test_revoke(client, login, issued, cert):
    login(issued.staff)
    response = client.post(
        f"/manage/certificates/{cert.id}/revoke",
        data={"reason": "Peserta tidak hadir ujian", "category": "error"},
    )
    assert response.status_code == 302
    assert response.location == f"/manage/certificates/{cert.id}"
    db.session.rollback()
    revoked = db.session.get(Certificate, cert.id)
    assert revoked.revoked_at is not None
    assert revoked.revoked_reason == "Peserta tidak hadir ujian"
    assert revoked.revoked_by_id == issued.staff.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.revoked"))
    assert entry.object_id == cert.id and entry.actor_id == issued.staff.id
    page = client.get(response.location)
    body = text(page)
    assert tr("Certificate %(serial)s is revoked.", serial=cert.serial) in body
    assert "Peserta tidak hadir ujian" in body
    assert 'data-testid="revoke-form"' not in page.get_data(as_text=True)
    # a second revocation is a conflict, and changes nothing
    response = client.post(
        f"/manage/certificates/{cert.id}/revoke", data={"reason": "Lagi", "category": "fraud"}
    )
    assert response.status_code == 409
    assert tr("This certificate is already revoked.") in text(response)
    db.session.rollback()
    assert db.session.get(Certificate, cert.id).revoked_reason == "Peserta tidak hadir ujian"


def test_reissue_after_a_correction(client, login, issued, cert):
    holder = db.session.get(User, issued.ready[0].user_id)
    holder.name = "Ani Susanti Rahayu"
    db.session.commit()
    login(issued.staff)
    page = client.get(f"/manage/certificates/{cert.id}").get_data(as_text=True)
    assert 'data-testid="name-changed"' in page
    response = client.post(f"/manage/certificates/{cert.id}/reissue", data={"reason": " "})
    assert response.status_code == 400
    assert count(Certificate) == 2
    response = client.post(
        f"/manage/certificates/{cert.id}/reissue", data={"reason": "Nama dikoreksi"}
    )
    assert response.status_code == 302
    new = valid_of(issued.ready[0])
    assert new.id != cert.id
    assert response.location == f"/manage/certificates/{new.id}"
    old = db.session.get(Certificate, cert.id)
    assert old.revoked_at is not None and old.replaced_by_id == new.id
    assert old.revoked_reason == "Nama dikoreksi"
    assert certificates.claims(new)["holder"] == "Ani Susanti Rahayu"
    assert new.serial != old.serial and new.code != old.code
    assert count(AuditEntry, AuditEntry.action == "certificate.reissued") == 1
    page = client.get(response.location)
    body = text(page)
    assert (
        tr(
            "Certificate %(old)s is revoked and replaced by %(new)s.",
            old=old.serial,
            new=new.serial,
        )
        in body
    )
    assert f"{old.serial} → {new.serial}" in body  # the link old -> new
    assert 'data-testid="name-changed"' not in page.get_data(as_text=True)
    body = text(client.get(f"/manage/certificates/{old.id}"))
    assert f"{old.serial} → {new.serial}" in body
    # a revoked certificate cannot be re-issued a second time
    response = client.post(f"/manage/certificates/{old.id}/reissue", data={"reason": "Lagi"})
    assert response.status_code == 409
    assert count(Certificate) == 3


def test_reissue_refused_when_no_longer_eligible(client, login, issued, cert):
    enrollment = db.session.get(Enrollment, issued.ready[0].id)
    attendance.set_assessment(enrollment, issued.staff, score=20, competent=False)
    db.session.commit()
    login(issued.staff)
    response = client.post(f"/manage/certificates/{cert.id}/reissue", data={"reason": "Koreksi"})
    assert response.status_code == 400
    assert tr("The final assessment was not passed.") in text(response)
    # all or nothing: the old certificate is still valid
    assert valid_of(issued.ready[0]).id == cert.id
    assert count(Certificate) == 2


# --- downloads ------------------------------------------------------------------------------------


def test_staff_pdf(client, login, issued, cert):
    login(issued.staff)
    response = client.get(f"/manage/certificates/{cert.id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    # staff may download a revoked one, for the record
    certificates.revoke(db.session.get(Certificate, cert.id), issued.staff, "Salah")
    db.session.commit()
    assert client.get(f"/manage/certificates/{cert.id}/pdf").status_code == 200


def test_course_zip(client, login, issued, cert):
    login(issued.staff)
    response = client.get(f"/manage/courses/{issued.course.id}/certificates.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        assert len(names) == 2
        assert all(name.endswith(".pdf") for name in names)
        assert all(archive.read(name).startswith(b"%PDF") for name in names)
    # a revoked certificate is left out
    certificates.revoke(db.session.get(Certificate, cert.id), issued.staff, "Salah")
    db.session.commit()
    response = client.get(f"/manage/courses/{issued.course.id}/certificates.zip")
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert len(archive.namelist()) == 1


def test_course_zip_without_certificates(client, login, finished):
    login(finished.staff)
    response = client.get(f"/manage/courses/{finished.course.id}/certificates.zip")
    assert response.status_code == 302
    page = client.get(response.location)
    assert tr("This course has no certificate to download yet.") in text(page)


# --- the trainee's own certificates --------------------------------------------------------------


def test_my_certificates(client, login, issued, cert):
    holder = issued.ready[0].user
    login(holder)
    response = client.get("/my/certificates")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert cert.serial in page
    assert valid_of(issued.ready[1]).serial not in page  # another trainee's
    assert f"/my/certificates/{cert.id}/pdf" in page
    assert f"/my/certificates/{cert.id}/credential" in page
    response = client.get(f"/my/certificates/{cert.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_my_credential(client, login, issued, cert):
    login(issued.ready[0].user)
    response = client.get(f"/my/certificates/{cert.id}/credential")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "attachment" in response.headers["Content-Disposition"]
    token = response.get_data(as_text=True)
    header, payload = badges.decode(token)
    assert header["alg"] == "EdDSA" and header["kid"] == cert.key_id
    signed, _dot, signature = token.rpartition(".")
    assert signing.verify(signed.encode(), signature, header["kid"])
    assert "OpenBadgeCredential" in payload["type"]


def test_another_trainees_certificate_is_404(client, login, issued, cert, create_user):
    other = valid_of(issued.ready[1])
    login(issued.ready[0].user)
    for path in (
        f"/my/certificates/{other.id}/pdf",
        f"/my/certificates/{other.id}/credential",
        "/my/certificates/999999/pdf",
        "/my/certificates/999999/credential",
    ):
        assert client.get(path).status_code == 404, path
    login(create_user("trainee", name="Orang Luar"))
    response = client.get("/my/certificates")
    assert cert.serial not in response.get_data(as_text=True)
    assert 'data-testid="no-certificate"' in response.get_data(as_text=True)


def test_my_revoked_and_replaced_certificates(client, login, issued, cert):
    new = certificates.reissue(db.session.get(Certificate, cert.id), issued.staff, "Nama")
    db.session.commit()
    login(issued.ready[0].user)
    response = client.get("/my/certificates")
    page = response.get_data(as_text=True)
    assert cert.serial in page and new.serial in page
    old_card = re.search(rf'data-testid="certificate-{cert.id}".*?</div></div>', page, re.S).group(
        0
    )
    assert 'data-testid="revoked"' in old_card
    assert f'href="#certificate-{new.id}"' in old_card
    assert "/pdf" not in old_card
    assert client.get(f"/my/certificates/{cert.id}/pdf").status_code == 409
    assert client.get(f"/my/certificates/{cert.id}/credential").status_code == 409
    assert client.get(f"/my/certificates/{new.id}/pdf").status_code == 200


# --- public verification ---------------------------------------------------------------------------


def test_verify_box(client, cert):
    response = client.get("/verify")
    assert response.status_code == 200
    assert 'name="code"' in response.get_data(as_text=True)
    grouped = f"  {cert.code[:4].lower()}-{cert.code[4:8]} {cert.code[8:]} "
    response = client.get("/verify", query_string={"code": grouped})
    assert response.status_code == 302
    assert response.location == f"/verify/{cert.code}"
    response = client.get("/verify", query_string={"code": "  -  "})
    assert response.status_code == 400
    assert tr("Type the code printed on the certificate.") in text(response)


def test_verify_page_shows_a_valid_certificate(client, issued, cert):
    response = client.get(f"/verify/{cert.code}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert 'data-status="valid"' in page
    body = text(response)
    assert tr("Valid") in body
    for value in ("Ani Susanti", "Tata Graha Hotel", "BLK Kota Bandar Lampung", cert.serial):
        assert value in body, value
    assert tr("Holds") in body
    assert 'data-valid="1"' in page


def test_verify_page_shows_no_private_field(client, issued, cert):
    holder = db.session.get(User, issued.ready[0].user_id)
    birth = holder.birth_date
    private = [
        holder.nik,
        holder.nik[-4:] + '"',
        holder.phone,
        holder.phone[1:],
        holder.email,
        birth.isoformat(),
        birth.strftime("%d/%m/%Y"),
        birth.strftime("%d-%m-%Y"),
        "17 Mei 1995",
        "17 May 1995",
        "May 17, 1995",
    ]
    for locale in ("id", "en"):
        client.set_cookie("lms_locale", locale)
        page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
        for value in private:
            assert value not in page, value
        assert "Ani Susanti" in page


def test_verify_page_says_revoked(client, issued, cert):
    certificates.revoke(db.session.get(Certificate, cert.id), issued.staff, "NIK 1807 salah")
    db.session.commit()
    response = client.get(f"/verify/{cert.code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-status="revoked"' in page
    assert "DICABUT / REVOKED" in text(response)
    assert 'data-testid="status-id"' in page and 'data-testid="status-en"' in page
    assert "NIK 1807 salah" not in page  # the reason stays inside the office


def test_verify_page_links_the_replacement(client, issued, cert):
    new = certificates.reissue(db.session.get(Certificate, cert.id), issued.staff, "Nama")
    db.session.commit()
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert 'data-status="revoked"' in page
    assert f'href="/verify/{new.code}"' in page
    page = client.get(f"/verify/{new.code}").get_data(as_text=True)
    assert 'data-status="valid"' in page


def test_verify_page_with_a_tampered_record(client, issued, cert):
    row = db.session.get(Certificate, cert.id)
    row.claims = row.claims.replace("Ani Susanti", "Ani Palsu")
    db.session.commit()
    response = client.get(f"/verify/{cert.code}")
    page = response.get_data(as_text=True)
    assert 'data-status="valid"' not in page
    assert 'data-status="unsure"' in page
    assert 'data-valid="0"' in page
    assert tr("Does not hold") in text(response)


def test_verify_unknown_code(client, cert):
    for code in ("ZZZZZZZZZZZZ", cert.code[:-1], "x" * 100, "%3Cscript%3E"):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 404, code
        assert tr("No certificate has this code.") in text(response)
        assert "<script>" not in response.get_data(as_text=True)


def test_verify_is_case_and_dash_insensitive(client, cert):
    grouped = f"{cert.code[:4]}-{cert.code[4:8]}-{cert.code[8:]}".lower()
    response = client.get(f"/verify/{grouped}")
    assert response.status_code == 200
    assert 'data-status="valid"' in response.get_data(as_text=True)


def test_verify_in_both_languages(client, issued, cert):
    client.set_cookie("lms_locale", "en")
    response = client.get(f"/verify/{cert.code}")
    assert '<html lang="en"' in response.get_data(as_text=True)
    assert "Hotel Housekeeping" in text(response)
    assert tr("Valid", "en") in text(response)
    client.set_cookie("lms_locale", "id")
    response = client.get(f"/verify/{cert.code}")
    assert '<html lang="id"' in response.get_data(as_text=True)
    assert "Tata Graha Hotel" in text(response)
    assert tr("Valid", "id") in text(response)


def test_verify_is_rate_limited(client, app, monkeypatch, cert):
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "2 per minute")
    assert client.get(f"/verify/{cert.code}").status_code == 200
    assert client.get("/verify/ZZZZZZZZZZZZ").status_code == 404
    response = client.get(f"/verify/{cert.code}")
    assert response.status_code == 429
    assert tr(
        "Too many verifications from your connection. Please wait a minute, then try again."
    ) in text(response)
    assert 'name="code"' in response.get_data(as_text=True)
    assert "Retry-After" in response.headers
    # the box itself is not throttled
    assert client.get("/verify").status_code == 200
