"""The office's home says what waits for staff, each entry a link to where it is done
(``lms.progress.office``)."""

import re
from datetime import timedelta

import pytest

from lms.certificates import services as certificates
from lms.core.time import local_today
from lms.core.types import utcnow
from lms.enrollment import services as enrolment
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from lms.progress import office
from tests.fixtures.pages import text
from tests.fixtures.users import log_in


@pytest.fixture
def requests(create_course, create_user):
    """Two courses that need approval: the first has two requests, the second one, made later;
    a finished course keeps an old request nobody can act on any more."""

    def _course(**fields):
        return create_course(requires_approval=True, **fields)

    first, second = _course(), _course()
    for course, count in ((first, 2), (second, 1)):
        for _ in range(count):
            enrolment.enroll(create_user("trainee"), course, bypass_window=True)
            db.session.commit()
    over = _course(
        starts_on=local_today() - timedelta(days=20), ends_on=local_today() - timedelta(days=1)
    )
    enrolment.enroll(create_user("trainee"), over, bypass_window=True)
    db.session.commit()
    return first, second


def message(created_at, failed=True, sent=False):
    row = OutboxMessage(
        recipient="+6281200000001",
        kind="enrollment",
        locale="id",
        subject="Pendaftaran",
        body="Anda terdaftar.",
        created_at=created_at,
        failed_at=created_at if failed else None,
        sent_at=created_at if sent else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_requests_are_named_by_course_the_longest_waiting_first(requests):
    first, second = requests
    waiting = office.waiting()
    assert [(course.id, n) for course, n in waiting.requests] == [(first.id, 2), (second.id, 1)]
    assert waiting.more_requests == 0


def test_more_courses_with_requests_than_named_are_counted(requests, monkeypatch):
    monkeypatch.setattr(office, "NAMED", 1)
    waiting = office.waiting()
    assert [course.id for course, _n in waiting.requests] == [requests[0].id]
    assert waiting.more_requests == 1


def test_a_finished_course_with_eligible_trainees_waits_until_they_have_certificates(
    finished_course,
):
    course, staff = finished_course
    assert [(c.id, n) for c, n in office.waiting().certificates] == [(course.id, 4)]
    certificates.issue(course, staff, notify=False)
    db.session.commit()
    assert office.waiting().certificates == []


def test_a_course_that_ended_long_ago_is_left_to_its_own_page(finished_course, clock):
    course, _staff = finished_course
    clock.shift(timedelta(days=office.FINISHED_DAYS + 1 - 12))
    assert office.waiting().certificates == []


def test_mous_ending_within_the_warning_are_named_soonest_first(create_partner):
    today = local_today()
    later = create_partner(name="LPK Sakura", mou_valid_until=today + timedelta(days=50))
    sooner = create_partner(name="BLK Metro", mou_valid_until=today)
    create_partner(name="LPK Jauh", mou_valid_until=today + timedelta(days=61))
    create_partner(name="LPK Lewat", mou_valid_until=today - timedelta(days=1))
    create_partner(name="Sekolah Tanpa MoU")
    assert office.waiting().mous == [sooner, later]


def test_undelivered_messages_of_the_last_week_are_counted():
    now = utcnow()
    message(now - timedelta(hours=1))
    message(now - timedelta(days=6))
    message(now - timedelta(days=8))  # older: left to the outbox
    message(now, failed=False, sent=True)
    message(now, failed=False)  # still being tried
    assert office.waiting().undelivered == 2


def test_nothing_waiting():
    assert not office.waiting().anything


# --- the page --------------------------------------------------------------------------------


def test_the_staff_home_links_each_waiting_thing_to_its_page(
    client, create_user, requests, create_partner
):
    first, second = requests
    partner = create_partner(name="LPK Sakura", mou_valid_until=local_today() + timedelta(days=9))
    message(utcnow())
    log_in(client, create_user("staff"))
    page = client.get("/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    links = dict(re.findall(r'href="([^"]*)"[^>]*data-testid="([\w-]+)"', body))
    assert (
        links[f"/manage/courses/{first.id}/enrollments/?status=pending"] == f"requests-{first.id}"
    )
    assert f"/manage/courses/{second.id}/enrollments/?status=pending" in links
    assert links[f"/partners/{partner.id}"] == f"mou-{partner.id}"
    assert links["/outbox/?failed=1"] == "undelivered"
    shown = text(page)
    assert "Menunggu tindakan kantor" in shown
    assert "2 permintaan pendaftaran perlu diputuskan" in shown
    assert "1 pesan tidak dapat terkirim" in shown
    assert "LPK Sakura" in shown


def test_an_admin_sees_it_in_english_too(client, create_user, finished_course):
    course, _staff = finished_course
    log_in(client, create_user("admin"))
    shown = text(client.get("/", headers={"Accept-Language": "en"}))
    assert "Waiting for the office" in shown
    assert "4 trainees ready for a certificate" in shown
    assert f'href="/manage/courses/{course.id}/certificates"' in client.get("/").text


def test_an_office_with_nothing_waiting_is_told_so(client, create_user):
    log_in(client, create_user("staff"))
    page = client.get("/")
    assert 'data-testid="nothing-waiting"' in page.text
    assert "Tidak ada yang menunggu" in text(page)


@pytest.mark.parametrize("role", ["trainee", "trainer"])
def test_trainees_and_trainers_do_not_see_the_offices_list(client, create_user, requests, role):
    log_in(client, create_user(role))
    assert 'data-testid="waiting"' not in client.get("/").text


def test_the_outbox_lists_the_undelivered_messages(client, create_user):
    now = utcnow()
    failed = message(now - timedelta(hours=2))
    sent = message(now, failed=False, sent=True)
    log_in(client, create_user("staff"))
    everything = client.get("/outbox/").text
    assert f"/outbox/{failed.id}" in everything and f"/outbox/{sent.id}" in everything
    undelivered = client.get("/outbox/?failed=1")
    assert undelivered.status_code == 200
    assert f"/outbox/{failed.id}" in undelivered.text
    assert f"/outbox/{sent.id}" not in undelivered.text


def test_more_courses_with_requests_lead_to_the_course_list_of_them(
    client, create_user, requests, create_course, monkeypatch
):
    monkeypatch.setattr(office, "NAMED", 1)
    quiet = create_course()
    log_in(client, create_user("staff"))
    home = client.get("/").text
    link = re.search(r'href="([^"]*)"[^>]*data-testid="more-requests"', home).group(1)
    assert link == "/manage/courses/?pending=1"
    listed = client.get(link)
    shown = text(listed)
    assert requests[0].code in shown and requests[1].code in shown
    assert quiet.code not in shown
    assert 'data-testid="pending-only"' in listed.text
    # the filter stays with the list's downloads
    assert "/exports/courses.csv?pending=1" in listed.text
    exported = client.get("/exports/courses.csv?pending=1").get_data(as_text=True)
    assert requests[0].code in exported and quiet.code not in exported
