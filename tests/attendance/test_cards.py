"""Attendance cards: one per trainee with a random code (never the NIK), renewed with a new code
(the old one stops working), GET /api/v1/me/card with its SVG and PDF, and card scans
(POST /api/v1/sessions/{id}/scan) that mark present or late by the check-in grace rule."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.attendance import cards
from lms.attendance.models import Attendance
from lms.audit.models import AuditEntry
from lms.core.types import utcnow
from lms.extensions import db
from tests.fixtures.api import assert_json_error


def scan_url(session):
    return f"/api/v1/sessions/{session.id}/scan"


def mark_of(session, enrollment):
    db.session.rollback()
    return db.session.scalar(
        select(Attendance).where(
            Attendance.session_id == session.id, Attendance.enrollment_id == enrollment.id
        )
    )


# --- the card ------------------------------------------------------------------------------------


def test_every_new_trainee_has_a_card_with_a_random_code(classroom, create_user):
    trainee = create_user("trainee")
    card = cards.card_of(trainee)
    assert card is not None and len(card.code) == cards.CODE_LENGTH
    assert set(card.code) <= set(cards.ALPHABET)
    assert card.code not in trainee.nik and trainee.nik[-4:] not in card.code
    assert cards.card_of(classroom.trainer) is None  # trainers have none
    codes = {cards.card_of(t).code for t in classroom.trainees}
    assert len(codes) == len(classroom.trainees)


def test_renewing_gives_a_new_code_and_the_old_one_stops(classroom, live):
    trainee = classroom.trainee
    old = cards.card_of(trainee).code
    new = cards.renew(trainee, classroom.staff)
    db.session.commit()
    assert new.code != old and cards.card_of(trainee).code == new.code
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "card.renewed")
        )
        == 1
    )
    with pytest.raises(Exception) as refused:
        cards.scan(live, old, classroom.trainer)
    assert refused.value.status == 404
    enrollment, mark = cards.scan(live, new.code, classroom.trainer)
    assert enrollment.id == classroom.enrollment.id and mark.status == "present"


@pytest.mark.parametrize(
    ("typed", "ok"),
    [
        ("{code}", True),
        ("{dashed}", True),
        ("{lower}", True),
        (" {spaced} ", True),
        ("LATIH-CARD:{code}", True),
        ("https://latih.example/c/{code}", True),
        ("XYZ", False),
    ],
)
def test_a_code_is_read_however_it_is_typed(classroom, typed, ok):
    code = cards.card_of(classroom.trainee).code
    text = typed.format(
        code=code,
        dashed=cards.grouped(code),
        lower=code.lower(),
        spaced=" ".join(code[i : i + 2] for i in range(0, 8, 2)),
    )
    assert (cards.normalize(text) == code) is ok


@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), ("trainee", 200), ("outsider", 200), ("trainer", 403), ("staff", 403)],
)
def test_my_card_by_role(client, as_, who, status):
    response = client.get("/api/v1/me/card", headers=as_(who))
    if status != 200:
        assert_json_error(response, status)
        return
    body = response.get_json()
    assert set(body) == {"code", "svg_url", "pdf_url"}


def test_my_card_and_its_files(client, as_, classroom):
    card = cards.card_of(classroom.trainee)
    body = client.get("/api/v1/me/card", headers=as_("trainee")).get_json()
    assert body["code"] == cards.grouped(card.code)
    assert body["svg_url"].endswith("/api/v1/me/card.svg")
    svg = client.get("/api/v1/me/card.svg", headers=as_("trainee"))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data and b"<path" in svg.data
    pdf = client.get("/api/v1/me/card.pdf", headers=as_("trainee"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    # the other trainee's card is theirs
    other = client.get("/api/v1/me/card", headers=as_("outsider")).get_json()
    assert other["code"] != body["code"]


# --- scanning ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("trainee", 403),
        ("outsider", 403),
        ("trainer", 200),
        ("other_trainer", 404),
        ("staff", 200),
        ("admin", 200),
    ],
)
def test_scan_by_role(client, as_, classroom, live, who, status):
    code = cards.card_of(classroom.trainee).code
    response = client.post(scan_url(live), json={"card": code}, headers=as_(who))
    if status != 200:
        assert_json_error(response, status)
        assert mark_of(live, classroom.enrollment) is None
        return
    assert response.status_code == 200


def test_a_scan_marks_present_and_names_the_trainee(client, as_, classroom, live):
    code = cards.grouped(cards.card_of(classroom.trainee).code).lower()
    body = client.post(scan_url(live), json={"card": code}, headers=as_("trainer")).get_json()
    assert body == {
        "enrollment_id": classroom.enrollment.id,
        "trainee": {"id": classroom.trainee.id, "name": classroom.trainee.name},
        "status": "present",
        "source": "scan",
    }
    mark = mark_of(live, classroom.enrollment)
    assert mark.status == "present" and mark.source == "scan"
    assert mark.marked_by_id == classroom.trainer.id


def test_late_past_the_grace_period(client, as_, classroom, create_session, app):
    grace = app.config["CHECKIN_GRACE_MINUTES"]
    starts = utcnow() - timedelta(minutes=grace + 1)
    session = create_session(
        classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=3)
    )
    code = cards.card_of(classroom.trainee).code
    body = client.post(scan_url(session), json={"card": code}, headers=as_("trainer")).get_json()
    assert body["status"] == "late"


def test_a_scan_queued_offline_counts_when_it_was_made(client, as_, classroom, create_session, app):
    grace = app.config["CHECKIN_GRACE_MINUTES"]
    starts = utcnow() - timedelta(minutes=grace + 30)
    session = create_session(
        classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=3)
    )
    code = cards.card_of(classroom.trainee).code
    scanned = (starts + timedelta(minutes=2)).isoformat()
    body = client.post(
        scan_url(session), json={"card": code, "scanned_at": scanned}, headers=as_("trainer")
    ).get_json()
    assert body["status"] == "present"


def test_a_second_scan_changes_nothing(client, as_, classroom, live, clock):
    code = cards.card_of(classroom.trainee).code
    client.post(scan_url(live), json={"card": code}, headers=as_("trainer"))
    clock.shift(timedelta(minutes=40))  # past the grace period now
    again = client.post(scan_url(live), json={"card": code}, headers=as_("trainer")).get_json()
    assert again["status"] == "present"
    assert mark_of(live, classroom.enrollment).status == "present"


def test_a_batch_sent_twice_is_applied_once(client, as_, classroom, live):
    code = cards.card_of(classroom.trainee).code
    body = {"card": code, "batch_id": "scan-0001"}
    first = client.post(scan_url(live), json=body, headers=as_("trainer"))
    second = client.post(scan_url(live), json=body, headers=as_("trainer"))
    assert first.status_code == second.status_code == 200
    assert first.get_json() == second.get_json()
    audits = db.session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.in_(("attendance.marked", "attendance.changed")))
    )
    assert audits == 1  # one mark change, one entry


@pytest.mark.parametrize("kind", ["unknown", "revoked", "foreign"])
def test_one_answer_for_unknown_revoked_and_foreign_cards(client, as_, classroom, live, kind):
    if kind == "unknown":
        code = "ZZZZ-ZZZZ"
    elif kind == "revoked":
        code = cards.card_of(classroom.trainee).code
        cards.renew(classroom.trainee, classroom.staff)
        db.session.commit()
    else:
        code = cards.card_of(classroom.outsider).code
    response = client.post(scan_url(live), json={"card": code}, headers=as_("trainer", "id"))
    error = assert_json_error(response, 404, "unknown_card")
    assert "Kartu" in error["message"] or "kartu" in error["message"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 0


def test_a_scan_of_someone_marked_absent_marks_them(client, as_, classroom, live):
    from lms.attendance import services

    services.save_marks(
        live, [{"enrollment_id": classroom.enrollment.id, "status": "absent"}], classroom.trainer
    )
    db.session.commit()
    code = cards.card_of(classroom.trainee).code
    body = client.post(scan_url(live), json={"card": code}, headers=as_("trainer")).get_json()
    assert body["status"] == "present" and body["source"] == "scan"


def test_roster_cards_hold_only_the_roster(classroom, live):
    mapping = cards.roster_cards(live)
    assert {v["enrollment_id"] for v in mapping.values()} == {e.id for e in classroom.enrollments}
    assert cards.card_of(classroom.outsider).code not in mapping


@pytest.mark.parametrize("scanned_at", ["2020-01-01T08:00:00+07:00", "2026-01-01T08:00:00"])
def test_an_implausible_or_naive_scan_time_counts_as_now(
    client, as_, classroom, create_session, app, scanned_at
):
    grace = app.config["CHECKIN_GRACE_MINUTES"]
    starts = utcnow() - timedelta(minutes=grace + 30)
    session = create_session(
        classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=3)
    )
    code = cards.card_of(classroom.trainee).code
    response = client.post(
        scan_url(session), json={"card": code, "scanned_at": scanned_at}, headers=as_("trainer")
    )
    assert response.status_code == 200 and response.get_json()["status"] == "late"
