"""The certificate API: issue, verify, PDF, credential and revoke for every role; the public
answer leaks no private field, shows a tampered claim and is rate-limited; /.well-known/jwks.json."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from lms.auth.models import User
from lms.certificates import pdf, services
from lms.certificates.models import Certificate
from lms.core.time import local_today
from lms.extensions import db
from tests.certificates.test_certificate_rules import build_cohort
from tests.fixtures.api import assert_json_error

#: the actors: anonymous, the certificate's holder, another trainee of the course, the course's
#: trainer, a trainer of another course, staff and an admin
ACTORS = [None, "holder", "classmate", "trainer", "other_trainer", "staff", "admin"]


@pytest.fixture
def cohort(create_partner, create_course, create_session, create_user):
    """A finished hospitality course: three eligible trainees, one who fell short."""
    cohort = build_cohort(
        create_partner, create_course, create_session, create_user, "hospitality", size=4
    )
    cohort.mark(cohort.enrollments[3], "absent")
    return cohort


@pytest.fixture
def actors(cohort, create_user):
    return {
        None: None,
        "holder": cohort.trainees[0],
        "classmate": cohort.trainees[1],
        "trainer": cohort.trainer,
        "other_trainer": create_user("trainer", name="Budi Santoso"),
        "staff": cohort.staff,
        "admin": create_user("admin", name="Agus Setiawan"),
    }


@pytest.fixture
def certificate(cohort):
    """The holder's certificate (issued by the services)."""
    issued, _ = services.issue(cohort.course, cohort.staff, [cohort.enrollments[0].id])
    db.session.commit()
    return issued[0]


def private_values(user):
    """Everything about a trainee that must never be shown publicly, in the forms it may take."""
    birth = user.birth_date
    return [
        user.nik,
        user.email,
        user.phone,
        user.phone.lstrip("0"),
        birth.isoformat(),
        birth.strftime("%d/%m/%Y"),
        birth.strftime("%d-%m-%Y"),
        birth.strftime("%Y%m%d"),
    ]


# --- issuing ---------------------------------------------------------------------------------

ISSUE_STATUS = {
    None: 401,
    "holder": 403,
    "classmate": 403,
    "trainer": 403,
    "other_trainer": 403,
    "staff": 201,
    "admin": 201,
}


@pytest.mark.parametrize("who", ACTORS)
def test_issue_by_role(client, as_, cohort, who):
    response = client.post(
        f"/api/v1/courses/{cohort.course.id}/certificates", json={}, headers=as_(who)
    )
    assert response.status_code == ISSUE_STATUS[who], response.get_data(as_text=True)[:300]
    count = db.session.scalar(select(db.func.count()).select_from(Certificate))
    if response.status_code == 201:
        assert count == 3
    else:
        assert_json_error(response, ISSUE_STATUS[who])
        assert count == 0


def test_issue_to_every_eligible_enrolment(client, as_, cohort):
    response = client.post(
        f"/api/v1/courses/{cohort.course.id}/certificates", json={}, headers=as_("staff")
    )
    assert response.status_code == 201
    body = response.get_json()
    ids = [e.id for e in cohort.enrollments]
    assert [i["enrollment_id"] for i in body["issued"]] == ids[:3]
    year = local_today().year
    assert [i["serial"] for i in body["issued"]] == [f"LPG/HSP/{year}/{n:05d}" for n in (1, 2, 3)]
    assert all(len(i["code"]) == services.CODE_LENGTH for i in body["issued"])
    assert body["skipped"] == [
        {"enrollment_id": ids[3], "reasons": ["Attendance is 0%, below the required 80%."]}
    ]
    rows = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert [(r.code, r.serial) for r in rows] == [(i["code"], i["serial"]) for i in body["issued"]]
    assert all(r.issued_by_id == cohort.staff.id for r in rows)


def test_reasons_follow_the_language(client, as_, cohort):
    response = client.post(
        f"/api/v1/courses/{cohort.course.id}/certificates",
        json={"enrollment_ids": [cohort.enrollments[3].id]},
        headers=as_("staff", "id"),
    )
    assert response.status_code == 201
    [skipped] = response.get_json()["skipped"]
    assert skipped["reasons"] and "Attendance" not in skipped["reasons"][0]


def test_issue_to_chosen_enrolments(client, as_, cohort):
    chosen = [cohort.enrollments[1].id, cohort.enrollments[3].id, 987_654]
    response = client.post(
        f"/api/v1/courses/{cohort.course.id}/certificates",
        json={"enrollment_ids": chosen},
        headers=as_("staff"),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert [i["enrollment_id"] for i in body["issued"]] == [chosen[0]]
    assert [s["enrollment_id"] for s in body["skipped"]] == chosen[1:]
    assert body["skipped"][1]["reasons"] == ["This enrolment is not on the course's roster."]


def test_issuing_again_never_gives_a_second_valid_certificate(client, as_, cohort):
    url = f"/api/v1/courses/{cohort.course.id}/certificates"
    first = client.post(url, json={}, headers=as_("staff")).get_json()
    again = client.post(url, json={}, headers=as_("admin"))
    assert again.status_code == 201
    body = again.get_json()
    assert body["issued"] == []
    skipped = {s["enrollment_id"]: s["reasons"] for s in body["skipped"]}
    for issued in first["issued"]:
        assert skipped[issued["enrollment_id"]] == [
            f"A valid certificate was already issued: {issued['serial']}."
        ]
    for enrollment in cohort.enrollments:
        valid = db.session.scalars(
            select(Certificate).where(
                Certificate.enrollment_id == enrollment.id, Certificate.revoked_at.is_(None)
            )
        ).all()
        assert len(valid) <= 1


@pytest.mark.parametrize(
    "body",
    [
        {"enrollment_ids": "all"},
        {"enrollment_ids": ["1"]},
        {"enrollment_ids": [1.5]},
        {"enrollment_ids": []},
        {"enrollment_ids": [True]},
        {"unknown": 1},
        [1, 2],
    ],
)
def test_issue_refuses_bad_input(client, as_, cohort, body):
    response = client.post(
        f"/api/v1/courses/{cohort.course.id}/certificates", json=body, headers=as_("staff")
    )
    assert_json_error(response, 400)
    assert db.session.scalar(select(db.func.count()).select_from(Certificate)) == 0


def test_issue_for_an_unknown_course(client, as_):
    response = client.post("/api/v1/courses/999999/certificates", json={}, headers=as_("staff"))
    assert_json_error(response, 404)


def test_a_course_not_ended_issues_nothing(
    client, as_, create_partner, create_course, create_session, create_user
):
    running = build_cohort(
        create_partner, create_course, create_session, create_user, "language", ended=False
    )
    response = client.post(
        f"/api/v1/courses/{running.course.id}/certificates",
        json={},
        headers=as_(running.staff),
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["issued"] == []
    assert {tuple(s["reasons"]) for s in body["skipped"]} == {("The course has not ended yet.",)}


# --- public verification ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_anyone_verifies_a_certificate(client, as_, cohort, certificate, who):
    response = client.get(f"/api/v1/certificates/{certificate.code}", headers=as_(who))
    assert response.status_code == 200
    body = response.get_json()
    course = cohort.course
    assert body["code"] == certificate.code
    assert body["serial"] == certificate.serial
    assert body["status"] == "valid"
    assert body["holder_name"] == "Peserta 01"
    assert body["course"]["title"] == course.title
    assert body["course"]["type"] == "hospitality"
    assert body["course"]["type_label"] == "Hospitality"
    assert body["partner"] == course.partner.name
    assert body["issued_on"] == local_today().isoformat()
    assert body["revoked_on"] is None
    assert body["signature_valid"] is True
    assert body["verification_url"].endswith(f"/verify/{certificate.code}")


def test_the_public_answer_leaks_no_private_field(client, as_, cohort, certificate):
    holder = db.session.get(User, cohort.enrollments[0].user_id)
    for who in (None, "staff"):
        response = client.get(f"/api/v1/certificates/{certificate.code}", headers=as_(who))
        page = response.get_data(as_text=True)
        for private in private_values(holder):
            assert private not in page, private
        assert not {"nik", "email", "phone", "birth_date"} & set(response.get_json())


def test_codes_are_accepted_as_people_type_them(client, certificate):
    code = certificate.code
    for typed in (code.lower(), f"{code[:4]}-{code[4:8]}-{code[8:]}"):
        response = client.get(f"/api/v1/certificates/{typed}")
        assert response.status_code == 200
        assert response.get_json()["code"] == code


@pytest.mark.parametrize("code", ["ABCDEFGHJKMN", "x", "A" * 200, "%20"])
def test_an_unknown_code_is_404(client, certificate, code):
    response = client.get(f"/api/v1/certificates/{code}")
    assert_json_error(response, 404, "not_found")


def test_a_revoked_certificate_says_so(client, as_, cohort, certificate):
    services.revoke(certificate, cohort.staff, "NIK 1807011705950001 salah")
    db.session.commit()
    response = client.get(f"/api/v1/certificates/{certificate.code}")
    body = response.get_json()
    assert body["status"] == "revoked"
    assert body["revoked_on"] == local_today().isoformat()
    assert body["signature_valid"] is True
    assert "1807011705950001" not in response.get_data(as_text=True)  # the reason stays inside


def test_a_reissued_certificate_points_to_its_replacement(client, cohort, certificate):
    new = services.reissue(certificate, cohort.staff, "Nama diperbaiki")
    db.session.commit()
    old = client.get(f"/api/v1/certificates/{certificate.code}").get_json()
    assert old["status"] == "revoked" and old["replaced_by"] == new.code
    fresh = client.get(f"/api/v1/certificates/{new.code}").get_json()
    assert fresh["status"] == "valid" and fresh["replaced_by"] is None
    assert fresh["serial"] != old["serial"]


def test_a_tampered_claim_shows_as_an_invalid_signature(client, certificate):
    forged = certificate.claims.replace('"holder":"Peserta 01"', '"holder":"Orang Lain"')
    assert forged != certificate.claims
    db.session.execute(
        text("UPDATE certificates SET claims = :claims WHERE id = :id"),
        {"claims": forged, "id": certificate.id},
    )
    db.session.commit()
    body = client.get(f"/api/v1/certificates/{certificate.code}").get_json()
    assert body["holder_name"] == "Orang Lain"  # what the record now says...
    assert body["signature_valid"] is False  # ...is not what was signed


def test_verification_is_rate_limited(app, client, certificate, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "3 per minute")
    codes = [certificate.code, "ABCDEFGHJKMN", "BCDEFGHJKMNP", "CDEFGHJKMNPQ", certificate.code]
    statuses = [client.get(f"/api/v1/certificates/{c}").status_code for c in codes]
    assert statuses == [200, 404, 404, 429, 429]
    response = client.get(f"/api/v1/certificates/{certificate.code}")
    assert_json_error(response, 429, "rate_limited")
    # another address is not held back
    other = client.get(
        f"/api/v1/certificates/{certificate.code}", environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert other.status_code == 200


def test_the_default_limit_allows_a_normal_day(app, client, certificate):
    assert app.config["VERIFY_RATE_LIMIT"] == "30 per minute"
    for _ in range(10):
        assert client.get(f"/api/v1/certificates/{certificate.code}").status_code == 200


# --- the PDF ---------------------------------------------------------------------------------

DOWNLOAD_STATUS = {
    None: 401,
    "holder": 200,
    "classmate": 404,
    "trainer": 403,
    "other_trainer": 403,
    "staff": 200,
    "admin": 200,
}


@pytest.mark.parametrize("who", ACTORS)
def test_pdf_by_role(client, as_, certificate, who):
    response = client.get(f"/api/v1/certificates/{certificate.code}/pdf", headers=as_(who))
    assert response.status_code == DOWNLOAD_STATUS[who]
    if response.status_code == 200:
        assert response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
        # the same file name as the page's download
        assert pdf.file_name(certificate) in response.headers["Content-Disposition"]
    else:
        assert_json_error(response, DOWNLOAD_STATUS[who])


def test_pdf_of_an_unknown_code(client, as_, certificate):
    assert_json_error(
        client.get("/api/v1/certificates/ABCDEFGHJKMN/pdf", headers=as_("staff")), 404
    )


def test_pdf_is_rendered_with_its_verification_url(client, as_, certificate, monkeypatch):
    from lms.certificates import pdf

    calls = []
    monkeypatch.setattr(pdf, "render", lambda c, url: calls.append((c.code, url)) or b"%PDF-1.4")
    response = client.get(f"/api/v1/certificates/{certificate.code}/pdf", headers=as_("holder"))
    assert response.status_code == 200
    assert calls == [(certificate.code, f"http://localhost/verify/{certificate.code}")]


def test_pdf_of_a_revoked_certificate(client, as_, cohort, certificate):
    services.revoke(certificate, cohort.staff, "Salah data")
    db.session.commit()
    holder = client.get(f"/api/v1/certificates/{certificate.code}/pdf", headers=as_("holder"))
    assert_json_error(holder, 409, "revoked")
    staff = client.get(f"/api/v1/certificates/{certificate.code}/pdf", headers=as_("staff"))
    assert staff.status_code == 200 and staff.mimetype == "application/pdf"


# --- the Open Badges credential ----------------------------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_credential_by_role(client, as_, certificate, who):
    response = client.get(f"/api/v1/certificates/{certificate.code}/credential", headers=as_(who))
    assert response.status_code == DOWNLOAD_STATUS[who]
    if response.status_code == 200:
        assert response.mimetype == "text/plain"
        token = response.get_data(as_text=True)
        assert token.count(".") == 2 and "\n" not in token
    else:
        assert_json_error(response, DOWNLOAD_STATUS[who])


def test_no_credential_for_a_revoked_or_tampered_certificate(client, as_, cohort, certificate):
    forged = certificate.claims.replace('"hours":120', '"hours":480')
    db.session.execute(
        text("UPDATE certificates SET claims = :claims WHERE id = :id"),
        {"claims": forged, "id": certificate.id},
    )
    db.session.commit()
    response = client.get(
        f"/api/v1/certificates/{certificate.code}/credential", headers=as_("holder")
    )
    assert_json_error(response, 409, "signature_invalid")
    issued, _ = services.issue(cohort.course, cohort.staff, [cohort.enrollments[1].id])
    services.revoke(issued[0], cohort.staff, "Salah data")
    db.session.commit()
    response = client.get(f"/api/v1/certificates/{issued[0].code}/credential", headers=as_("staff"))
    assert_json_error(response, 409, "revoked")


# --- revocation --------------------------------------------------------------------------------

REVOKE_STATUS = {
    None: 401,
    "holder": 403,
    "classmate": 403,
    "trainer": 403,
    "other_trainer": 403,
    "staff": 200,
    "admin": 200,
}


@pytest.mark.parametrize("who", ACTORS)
def test_revoke_by_role(client, as_, actors, certificate, who):
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/revoke",
        json={"reason": "Nama salah ketik"},
        headers=as_(who),
    )
    assert response.status_code == REVOKE_STATUS[who]
    db.session.expire_all()
    row = db.session.get(Certificate, certificate.id)
    if response.status_code == 200:
        body = response.get_json()
        assert body["status"] == "revoked" and body["revoked_on"] == local_today().isoformat()
        assert row.revoked_reason == "Nama salah ketik"
        assert row.revoked_by_id == actors[who].id
        public = client.get(f"/api/v1/certificates/{certificate.code}").get_json()
        assert public["status"] == "revoked"
    else:
        assert_json_error(response, REVOKE_STATUS[who])
        assert row.revoked_at is None


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 5}, {"reason": "x" * 501}]
)
def test_revoke_needs_a_reason(client, as_, certificate, body):
    response = client.post(
        f"/api/v1/certificates/{certificate.code}/revoke", json=body, headers=as_("staff")
    )
    error = assert_json_error(response, 400)
    assert "reason" in error["fields"]
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None


def test_revoke_twice_is_a_conflict(client, as_, certificate):
    url = f"/api/v1/certificates/{certificate.code}/revoke"
    assert client.post(url, json={"reason": "Salah"}, headers=as_("staff")).status_code == 200
    assert_json_error(client.post(url, json={"reason": "Lagi"}, headers=as_("staff")), 409)


def test_revoke_an_unknown_code(client, as_):
    response = client.post(
        "/api/v1/certificates/ABCDEFGHJKMN/revoke", json={"reason": "x"}, headers=as_("staff")
    )
    assert_json_error(response, 404)


def test_a_revoked_enrolment_can_be_issued_again(client, as_, cohort, certificate):
    client.post(
        f"/api/v1/certificates/{certificate.code}/revoke",
        json={"reason": "Salah data"},
        headers=as_("staff"),
    )
    response = client.post(
        f"/api/v1/courses/{cohort.course.id}/certificates",
        json={"enrollment_ids": [certificate.enrollment_id]},
        headers=as_("staff"),
    )
    [issued] = response.get_json()["issued"]
    assert issued["code"] != certificate.code


# --- the published keys and the OpenAPI document ---------------------------------------------


@pytest.mark.parametrize("who", ACTORS)
def test_jwks_for_anyone(client, as_, who):
    response = client.get("/.well-known/jwks.json", headers=as_(who))
    assert response.status_code == 200
    assert response.is_json
    keys = response.get_json()["keys"]
    assert len(keys) >= 1
    for key in keys:
        assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["kid"]
        assert "d" not in key  # never the private part
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_the_openapi_document_lists_the_certificate_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "post" in paths["/api/v1/courses/{course_id}/certificates"]
    for path in (
        "/api/v1/certificates/{code}",
        "/api/v1/certificates/{code}/pdf",
        "/api/v1/certificates/{code}/credential",
    ):
        assert "get" in paths[path]
    assert "post" in paths["/api/v1/certificates/{code}/revoke"]
    assert "201" in paths["/api/v1/certificates/{code}/reissue"]["post"]["responses"]


def test_the_holders_data_is_what_was_signed(client, cohort, certificate):
    """A later change to the course does not change what an issued certificate states."""
    cohort.course.title = "Judul Baru"
    cohort.course.ends_on = cohort.course.ends_on - timedelta(days=1)
    db.session.commit()
    body = client.get(f"/api/v1/certificates/{certificate.code}").get_json()
    assert body["course"]["title"] != "Judul Baru"
    assert body["signature_valid"] is True


def test_a_record_damaged_beyond_json_still_answers(client, certificate):
    db.session.execute(
        text("UPDATE certificates SET claims = :claims WHERE id = :id"),
        {"claims": "{not json", "id": certificate.id},
    )
    db.session.commit()
    response = client.get(f"/api/v1/certificates/{certificate.code}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["signature_valid"] is False and body["code"] == certificate.code
