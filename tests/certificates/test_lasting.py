"""Certificates that last (issue 14): expiry per course type and course, on the PDF, the
verification page, the API and the Open Badges credential; expiry reminders; linked re-issue
through the API; the public revocation category (never the staff's note); a revoked or expired
certificate that does not look valid; signatories; an honest message on a code collision; and
the holder's messages."""

import json
import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from flask_babel import force_locale
from sqlalchemy import select

from lms.auth.models import User
from lms.catalog.models import Course
from lms.certificates import badges, pdf, services
from lms.certificates.models import Certificate
from lms.core.time import local_today
from lms.errors import Conflict, InvalidInput
from lms.extensions import course_types, db
from lms.outbox.models import OutboxMessage
from lms.privacy import services as privacy
from tests.catalog.test_manage_views import course_form
from tests.certificates.test_badges import verify_jws
from tests.certificates.test_certificate_pdf import read
from tests.certificates.test_certificate_rules import build_cohort
from tests.fixtures.api import assert_json_error
from tests.fixtures.catalog import DETAILS
from tests.fixtures.i18n import tr
from tests.fixtures.pages import text

ACTORS = [None, "holder", "classmate", "trainer", "staff", "admin"]


@pytest.fixture
def cohort_of(create_partner, create_course, create_session, create_user):
    def _make(type_key="hospitality", **kw):
        return build_cohort(
            create_partner, create_course, create_session, create_user, type_key, **kw
        )

    return _make


@pytest.fixture
def cohort(cohort_of):
    """A finished hospitality course whose certificates are valid for 24 months."""
    return cohort_of("hospitality", certificate_validity_months=24)


@pytest.fixture
def actors(cohort, create_user):
    return {
        None: None,
        "holder": db.session.get(User, cohort.enrollments[0].user_id),
        "classmate": db.session.get(User, cohort.enrollments[1].user_id),
        "trainer": cohort.trainer,
        "staff": cohort.staff,
        "admin": create_user("admin", name="Agus Setiawan"),
    }


@pytest.fixture
def certificate(cohort):
    issued, _ = services.issue(cohort.course, cohort.staff, [cohort.enrollments[0].id])
    db.session.commit()
    return issued[0]


def messages(kind=None, user_id=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    if user_id is not None:
        query = query.where(OutboxMessage.user_id == user_id)
    return db.session.scalars(query).all()


def assert_not_green(page):
    """Nothing on the page is in the colours of success (the style sheet aside)."""
    shown = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    assert "verify-valid" not in shown and "success" not in shown


def fresh(certificate):
    db.session.expire_all()
    return db.session.get(Certificate, certificate.id)


# --- expiry ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "last_day"),
    [
        (date(2026, 12, 6), 24, date(2028, 12, 5)),
        (date(2027, 1, 31), 1, date(2027, 2, 27)),  # no 31 February: the 28th, minus a day
        (date(2028, 2, 29), 12, date(2029, 2, 27)),  # a leap day
        (date(2026, 12, 31), 1, date(2027, 1, 30)),  # across a year
    ],
)
def test_expiry_counts_whole_months(day, months, last_day):
    assert services.add_months(day, months) - timedelta(days=1) == last_day


def test_a_course_sets_how_long_its_certificates_last(cohort, certificate):
    today = local_today()
    expected = services.add_months(today, 24) - timedelta(days=1)
    assert certificate.expires_on == expected
    assert services.claims(certificate)["expires_on"] == expected.isoformat()
    assert services.signature_valid(certificate)
    assert services.status(certificate) == "valid"
    assert services.status(certificate, today=expected) == "valid"
    assert services.status(certificate, today=expected + timedelta(days=1)) == "expired"


def test_the_issue_api_answers_the_expiry(client, as_, cohort):
    response = client.post(
        f"/api/v1/courses/{cohort.course.id}/certificates",
        json={"enrollment_ids": [cohort.enrollments[0].id]},
        headers=as_("staff"),
    )
    assert response.status_code == 201
    [issued] = response.get_json()["issued"]
    expected = services.add_months(local_today(), 24) - timedelta(days=1)
    assert issued["expires_on"] == expected.isoformat()


def test_no_expiry_by_default(cohort_of):
    cohort = cohort_of("hospitality", size=1)
    issued, _ = services.issue(cohort.course, cohort.staff)
    assert issued[0].expires_on is None
    assert "expires_on" not in services.claims(issued[0])


def test_a_course_type_gives_the_default_and_a_course_overrides_it(cohort_of, monkeypatch):
    hospitality = type(course_types.get("hospitality"))
    monkeypatch.setattr(hospitality, "certificate_validity_months", 36)
    by_type = cohort_of("hospitality", size=1)
    issued, _ = services.issue(by_type.course, by_type.staff)
    assert issued[0].expires_on == services.add_months(local_today(), 36) - timedelta(days=1)
    own = cohort_of("hospitality", size=1, certificate_validity_months=6)
    issued, _ = services.issue(own.course, own.staff)
    assert issued[0].expires_on == services.add_months(local_today(), 6) - timedelta(days=1)


def test_the_pdf_states_the_expiry_in_both_languages(certificate):
    _reader, body = read(pdf.render(certificate, services.verification_url(certificate)))
    day = certificate.expires_on
    assert f"berlaku sampai {pdf._date(day, 'id')}" in body
    assert f"valid until {pdf._date(day, 'en')}" in body


def test_the_credential_carries_valid_until_and_still_verifies(client, as_, certificate):
    response = client.get(
        f"/api/v1/certificates/{certificate.code}/credential", headers=as_("holder")
    )
    assert response.status_code == 200
    jwks = client.get("/.well-known/jwks.json").get_json()
    _header, payload = verify_jws(response.get_data(as_text=True), jwks)
    # the end of the last valid day in Jakarta (UTC+7), in UTC
    assert payload["validUntil"] == f"{certificate.expires_on.isoformat()}T17:00:00Z"
    assert payload["exp"] == int(badges.valid_until(services.claims(certificate)).timestamp())
    assert payload["exp"] > payload["nbf"]


def test_the_api_says_expired_after_the_last_day(client, clock, certificate):
    answer = client.get(f"/api/v1/certificates/{certificate.code}").get_json()
    assert answer["status"] == "valid"
    assert answer["expires_on"] == certificate.expires_on.isoformat()
    clock.shift(timedelta(days=(certificate.expires_on - local_today()).days + 1))
    answer = client.get(f"/api/v1/certificates/{certificate.code}").get_json()
    assert answer["status"] == "expired"
    assert answer["revocation_reason"] is None and answer["signature_valid"] is True


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_verify_page_says_expired_in_both_languages(client, clock, certificate, locale):
    clock.shift(timedelta(days=(certificate.expires_on - local_today()).days + 1))
    client.set_cookie("lms_locale", locale)
    response = client.get(f"/verify/{certificate.code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    body = text(response)
    assert 'data-status="expired"' in page
    assert "KEDALUWARSA / EXPIRED" in body
    for language in ("id", "en"):
        day = format_date(certificate.expires_on, "d MMMM y", locale=language)
        sentence = tr(
            "This certificate was valid until %(day)s and has expired: it is authentic, but no "
            "longer valid.",
            language,
            day=day,
        )
        assert f'data-testid="status-{language}"' in page
        assert sentence in body
    # nothing green: neither the verdict nor the signature line
    assert_not_green(page)
    assert tr("Authentic, but no longer valid", locale) in body


def test_the_verify_page_names_the_expiry_of_a_valid_certificate(client, certificate):
    response = client.get(f"/verify/{certificate.code}")
    assert 'data-status="valid"' in response.get_data(as_text=True)
    assert "BERLAKU / VALID" in text(response)
    assert 'data-testid="expires-on"' in response.get_data(as_text=True)


# --- the course's validity in the form and the API -------------------------------------------


def test_the_course_form_sets_the_validity(client, login, create_partner, create_user):
    staff = create_user("staff")
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    login(staff)
    page = client.get("/manage/courses/new/language")
    assert 'name="certificate_validity_months"' in page.get_data(as_text=True)
    response = client.post(
        "/manage/courses/new/language",
        data=course_form(partner.id, certificate_validity_months="36"),
    )
    assert response.status_code == 302
    course = db.session.scalar(select(Course).where(Course.code == "BHS-MAN-2026-01"))
    assert course.certificate_validity_months == 36
    shown = client.get(f"/manage/courses/{course.id}").get_data(as_text=True)
    assert 'data-testid="certificate-validity"' in shown
    response = client.post(
        "/manage/courses/new/language",
        data=course_form(partner.id, code="BHS-X-1", certificate_validity_months="0"),
    )
    assert response.status_code == 400


def test_the_api_creates_and_patches_the_validity(client, api_headers, create_partner, create_user):
    staff = create_user("staff")
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    start = local_today() + timedelta(days=30)
    body = {
        "code": "HSP-API-01",
        "title": "Tata Boga",
        "type": "hospitality",
        "partner_id": partner.id,
        "capacity": 10,
        "starts_on": start.isoformat(),
        "ends_on": (start + timedelta(days=10)).isoformat(),
        "registration_opens_at": "2026-01-01T08:00:00+07:00",
        "registration_closes_at": f"{(start - timedelta(days=1)).isoformat()}T16:00:00+07:00",
        "requires_approval": False,
        "waitlist": True,
        "certificate_validity_months": 12,
        "details": dict(DETAILS["hospitality"]),
    }
    headers = api_headers(staff)
    response = client.post("/api/v1/courses", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["certificate_validity_months"] == 12
    path = f"/api/v1/courses/{created['id']}"
    response = client.patch(path, json={"certificate_validity_months": None}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["certificate_validity_months"] is None
    response = client.patch(path, json={"certificate_validity_months": 0}, headers=headers)
    error = assert_json_error(response, 400)
    assert "certificate_validity_months" in error["fields"]


# --- reminders ---------------------------------------------------------------------------------


def test_remind_expiring_once_with_how_to_renew(app, clock, cohort, certificate):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["lms", "remind-expiring"])
    assert result.exit_code == 0 and "Queued 0 expiry reminder(s)." in result.output
    # 30 days before (the default), the holder is told, once
    clock.shift(timedelta(days=(certificate.expires_on - local_today()).days - 30))
    result = runner.invoke(args=["lms", "remind-expiring"])
    assert "Queued 1 expiry reminder(s)." in result.output, result.output
    db.session.expire_all()
    sent = messages("certificate_expiring")
    assert len(sent) == 1
    holder = db.session.get(User, cohort.enrollments[0].user_id)
    assert sent[0].user_id == holder.id and sent[0].locale == "id"
    assert services.verification_url(certificate) in sent[0].body
    assert "?type=hospitality" in sent[0].body
    assert (
        tr(
            "To renew it, take a new course of this kind and pass it again: you receive a new certificate. The courses open for enrolment are here:"
        )
        in sent[0].body
    )
    assert fresh(certificate).expiry_reminded_at is not None
    result = runner.invoke(args=["lms", "remind-expiring"])
    assert "Queued 0 expiry reminder(s)." in result.output
    assert len(messages("certificate_expiring")) == 1


def test_remind_days_come_from_the_settings(app, clock, certificate, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_REMIND_DAYS", 60)
    clock.shift(timedelta(days=(certificate.expires_on - local_today()).days - 59))
    assert services.remind_expiring() == 1
    db.session.commit()


def test_no_reminder_for_a_revoked_or_expired_certificate(clock, cohort, certificate):
    services.revoke(fresh(certificate), cohort.staff, "Salah", "error")
    db.session.commit()
    clock.shift(timedelta(days=(certificate.expires_on - local_today()).days - 5))
    assert services.remind_expiring() == 0
    other, _ = services.issue(cohort.course, cohort.staff, [cohort.enrollments[1].id])
    db.session.commit()
    assert services.remind_expiring(today=other[0].expires_on + timedelta(days=1)) == 0


def test_an_english_speaking_holder_is_reminded_in_english(clock, cohort):
    holder = db.session.get(User, cohort.enrollments[1].user_id)
    holder.locale = "en"
    issued, _ = services.issue(cohort.course, cohort.staff, [cohort.enrollments[1].id])
    db.session.commit()
    assert services.remind_expiring(today=issued[0].expires_on - timedelta(days=3)) == 1
    sent = messages("certificate_expiring")[0]
    assert sent.locale == "en"
    assert "expires in 3 days" in sent.body


# --- revocation: the public category, never the note --------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_revoke_by_role(client, as_, certificate, who):
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/revoke",
        json={"reason": "NIK palsu 1807", "category": "fraud"},
        headers=as_(who),
    )
    expected = {None: 401, "holder": 403, "classmate": 403, "trainer": 403}.get(who, 200)
    assert response.status_code == expected
    if expected == 200:
        answer = response.get_json()
        assert answer["status"] == "revoked" and answer["revocation_reason"] == "fraud"
        assert "NIK palsu" not in response.get_data(as_text=True)


def test_revoke_defaults_to_withdrawn_and_refuses_other_categories(client, as_, certificate):
    path = f"/api/v1/certificates/{certificate.code}/revoke"
    for category in ("superseded", "secret"):
        response = client.post(
            path, json={"reason": "x", "category": category}, headers=as_("staff")
        )
        assert_json_error(response, 400)
    response = client.post(path, json={"reason": "Kursus dibatalkan"}, headers=as_("staff"))
    assert response.status_code == 200
    assert response.get_json()["revocation_reason"] == "withdrawn"
    public = client.get(f"/api/v1/certificates/{certificate.code}")
    assert public.get_json()["revocation_reason"] == "withdrawn"
    assert "Kursus dibatalkan" not in public.get_data(as_text=True)


def test_the_service_refuses_superseded_without_a_replacement(cohort, certificate):
    with pytest.raises(InvalidInput):
        services.revoke(certificate, cohort.staff, "x", "superseded")


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_revoked_page_is_not_green(client, cohort, certificate, locale):
    services.revoke(fresh(certificate), cohort.staff, "Catatan rahasia staf", "error")
    db.session.commit()
    client.set_cookie("lms_locale", locale)
    response = client.get(f"/verify/{certificate.code}")
    page = response.get_data(as_text=True)
    body = text(response)
    assert "DICABUT / REVOKED" in body
    assert_not_green(page)
    assert tr("Authentic, but no longer valid", locale) in body
    assert tr("Issued in error", "id") in body and tr("Issued in error", "en") in body
    assert "Catatan rahasia staf" not in page


def test_staff_choose_the_category_on_the_page(client, login, cohort, certificate):
    login(cohort.staff)
    page = client.get(f"/manage/certificates/{certificate.id}").get_data(as_text=True)
    assert 'data-testid="revoke-category"' in page
    response = client.post(
        f"/manage/certificates/{certificate.id}/revoke", data={"reason": "Dobel"}
    )
    assert response.status_code == 400
    assert fresh(certificate).revoked_at is None
    response = client.post(
        f"/manage/certificates/{certificate.id}/revoke",
        data={"reason": "Dobel", "category": "superseded"},
    )
    assert response.status_code == 400
    response = client.post(
        f"/manage/certificates/{certificate.id}/revoke",
        data={"reason": "Dobel", "category": "withdrawn"},
    )
    assert response.status_code == 302
    revoked = fresh(certificate)
    assert revoked.revocation_category == "withdrawn" and revoked.revoked_reason == "Dobel"


# --- linked re-issue through the API ------------------------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_reissue_by_role(client, as_, certificate, who):
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/reissue",
        json={"reason": "Nama salah ketik"},
        headers=as_(who),
    )
    expected = {None: 401, "holder": 403, "classmate": 403, "trainer": 403}.get(who, 201)
    assert response.status_code == expected
    db.session.expire_all()
    if expected != 201:
        assert fresh(certificate).revoked_at is None


def test_reissue_revokes_as_superseded_and_links_both_ways(client, as_, cohort, certificate):
    holder = db.session.get(User, cohort.enrollments[0].user_id)
    holder.name = "Peserta Satu Benar"
    db.session.commit()
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/reissue",
        json={"reason": "Nama salah ketik"},
        headers=as_("staff"),
    )
    assert response.status_code == 201
    new = response.get_json()
    assert new["status"] == "valid" and new["replaces"] == certificate.code
    assert new["holder_name"] == "Peserta Satu Benar"
    assert new["expires_on"] == certificate.expires_on.isoformat()  # a correction is no renewal
    old = client.get(f"/api/v1/certificates/{certificate.code}").get_json()
    assert old["status"] == "revoked" and old["revocation_reason"] == "superseded"
    assert old["replaced_by"] == new["code"]
    assert "Nama salah ketik" not in json.dumps(old) + json.dumps(new)
    stored = db.session.scalar(select(Certificate).where(Certificate.code == new["code"]))
    assert stored.enrollment_id == certificate.enrollment_id
    # twice: the old one is revoked already
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/reissue",
        json={"reason": "Lagi"},
        headers=as_("staff"),
    )
    assert_json_error(response, 409, "already_revoked")


def test_reissue_needs_a_reason_and_a_known_code(client, as_, certificate):
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/reissue", json={}, headers=as_("staff")
    )
    assert_json_error(response, 400)
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/reissue",
        json={"reason": " "},
        headers=as_("staff"),
    )
    assert_json_error(response, 400)
    response = client.post(
        "/api/v1/certificates/ABCDEFGHJKMN/reissue", json={"reason": "x"}, headers=as_("staff")
    )
    assert_json_error(response, 404)
    assert fresh(certificate).revoked_at is None


def test_reissue_when_no_longer_eligible_changes_nothing(client, as_, cohort, certificate):
    cohort.mark(cohort.enrollments[0], "absent")
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/reissue",
        json={"reason": "Nama"},
        headers=as_("staff"),
    )
    assert_json_error(response, 400, "not_eligible")
    assert fresh(certificate).revoked_at is None
    assert db.session.scalar(select(Certificate).where(Certificate.id != certificate.id)) is None


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_verify_pages_link_old_and_new(client, cohort, certificate, locale):
    new = services.reissue(fresh(certificate), cohort.staff, "Nama")
    db.session.commit()
    client.set_cookie("lms_locale", locale)
    old_page = client.get(f"/verify/{certificate.code}")
    html = old_page.get_data(as_text=True)
    assert 'data-testid="replacement"' in html
    assert f'href="/verify/{new.code}"' in html
    assert tr("Replaced by a corrected certificate", locale) in text(old_page)
    new_page = client.get(f"/verify/{new.code}")
    html = new_page.get_data(as_text=True)
    assert 'data-status="valid"' in html and 'data-testid="replaces"' in html
    assert f'href="/verify/{certificate.code}"' in html
    assert certificate.serial in text(new_page)


# --- collisions ---------------------------------------------------------------------------------


def test_a_code_collision_is_named(cohort, certificate, monkeypatch):
    monkeypatch.setattr(services, "new_code", lambda: certificate.code)
    with force_locale("en"), pytest.raises(Conflict) as refused:
        services.issue(cohort.course, cohort.staff, [cohort.enrollments[1].id])
    assert refused.value.code == "code_collision"
    assert "verification code" in str(refused.value.message)
    assert "same time" not in str(refused.value.message)
    db.session.rollback()


def test_a_code_drawn_twice_is_drawn_again(cohort, certificate, monkeypatch):
    draws = iter([certificate.code, "ZZZZZZZZZZZZ"])
    monkeypatch.setattr(services, "new_code", lambda: next(draws))
    issued, _ = services.issue(cohort.course, cohort.staff, [cohort.enrollments[1].id])
    assert issued[0].code == "ZZZZZZZZZZZZ"


def test_a_serial_collision_is_named(app, cohort, certificate, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_SERIAL_FORMAT", "{office}/{type}/{year}")
    monkeypatch.setattr(services, "_serials", lambda course, count, issued_at: [certificate.serial])
    with pytest.raises(Conflict) as refused:
        services.issue(cohort.course, cohort.staff, [cohort.enrollments[1].id])
    assert refused.value.code == "serial_collision"
    assert certificate.serial in str(refused.value.message)
    db.session.rollback()


def test_the_page_shows_the_collision_message(client, login, cohort, certificate, monkeypatch):
    monkeypatch.setattr(services, "new_code", lambda: certificate.code)
    login(cohort.staff)
    response = client.post(
        f"/manage/courses/{cohort.course.id}/certificates/issue",
        data={"action": "selected", "ids": str(cohort.enrollments[1].id)},
    )
    assert response.status_code == 409
    assert tr("issued at the same time", "id") not in text(response)
    assert "verifikasi" in text(response).lower()


# --- the holder's messages ----------------------------------------------------------------------


def test_each_holder_is_told_of_the_issue_in_their_language(cohort):
    english = db.session.get(User, cohort.enrollments[1].user_id)
    english.locale = "en"
    issued, _ = services.issue(cohort.course, cohort.staff)
    db.session.commit()
    sent = messages("certificate_issued")
    assert len(sent) == len(issued) == 3
    by_user = {m.user_id: m for m in sent}
    for certificate in issued:
        message = by_user[certificate.enrollment.user_id]
        assert services.verification_url(certificate) in message.body
        assert certificate.serial in message.body
        assert certificate.expires_on is not None
    assert by_user[english.id].locale == "en"
    assert "Your certificate" in by_user[english.id].subject
    assert by_user[cohort.enrollments[0].user_id].locale == "id"


def test_the_holder_is_told_of_a_revocation_without_the_note(cohort, certificate):
    services.revoke(fresh(certificate), cohort.staff, "Catatan internal", "fraud")
    db.session.commit()
    sent = messages("certificate_revoked")
    assert len(sent) == 1
    assert "Catatan internal" not in sent[0].body
    assert tr("Obtained by fraud") in sent[0].body
    assert services.verification_url(certificate) in sent[0].body


def test_a_replacement_sends_one_message(cohort, certificate):
    before = len(messages())
    new = services.reissue(fresh(certificate), cohort.staff, "Nama")
    db.session.commit()
    sent = messages()[before:]
    assert [m.kind for m in sent] == ["certificate_replaced"]
    assert services.verification_url(new) in sent[0].body
    assert certificate.serial in sent[0].body and new.serial in sent[0].body


def test_an_erased_holder_is_not_written_to(cohort, certificate):
    holder = db.session.get(User, cohort.enrollments[0].user_id)
    privacy.anonymise(holder, cohort.staff)
    db.session.commit()
    before = len(messages())
    services.revoke(fresh(certificate), cohort.staff, "x", "withdrawn")
    db.session.commit()
    assert len(messages()) == before
