"""A trainer's home says what waits in the courses assigned to them, each entry a link to where it
is done (``lms.progress.teaching``)."""

import re
from datetime import timedelta

import pytest

from lms.attendance import excuses
from lms.attendance import services as attendance
from lms.catalog import services as catalog
from lms.core.types import utcnow
from lms.extensions import db
from lms.progress import teaching
from tests.fixtures.pages import text
from tests.fixtures.users import log_in


@pytest.fixture
def coming(classroom, add_meeting):
    """A meeting of the classroom's course in two days."""
    return add_meeting(classroom.course, day=12)


def ask_leave(classroom, session, who=0):
    excuse = excuses.request_leave(session.id, classroom.trainees[who], "Ke klinik untuk cek.")
    db.session.commit()
    return excuse


def test_a_leave_request_waits_for_the_courses_trainer_until_decided(classroom, coming):
    excuse = ask_leave(classroom, coming)
    assert teaching.waiting(classroom.trainer).leave == [excuse]
    assert teaching.waiting(classroom.other_trainer).leave == []
    excuses.decide(excuse, classroom.trainer, accept=True)
    db.session.commit()
    assert teaching.waiting(classroom.trainer).leave == []


def test_more_leave_requests_than_named_are_counted(classroom, coming, monkeypatch):
    monkeypatch.setattr(teaching, "NAMED", 2)
    for who in range(3):
        ask_leave(classroom, coming, who)
    waiting = teaching.waiting(classroom.trainer)
    assert len(waiting.leave) == 2 and waiting.more_leave == 1


def test_a_meeting_over_without_marks_waits_until_they_are_saved(
    classroom, add_meeting, monkeypatch
):
    monkeypatch.setattr(teaching, "UNMARKED_DAYS", 5)
    yesterday = add_meeting(classroom.course, day=-1)
    long_ago = add_meeting(classroom.course, day=-7)
    called_off = add_meeting(classroom.course, day=-2)
    under_way = add_meeting(classroom.course, starts_at=utcnow() - timedelta(minutes=30))
    catalog.cancel_session(called_off, "Banjir", actor=classroom.staff)
    add_meeting(classroom.course, day=5)  # not begun
    db.session.commit()
    unmarked = teaching.waiting(classroom.trainer).unmarked
    assert yesterday in unmarked
    assert long_ago not in unmarked and called_off not in unmarked and under_way not in unmarked
    assert [s.starts_at for s in unmarked] == sorted((s.starts_at for s in unmarked), reverse=True)
    attendance.save_marks(
        yesterday,
        [{"enrollment_id": e.id, "status": "present"} for e in classroom.enrollments],
        classroom.trainer,
    )
    db.session.commit()
    assert yesterday not in teaching.waiting(classroom.trainer).unmarked


def test_a_finished_course_waits_for_its_final_results(classroom, clock):
    clock.shift(timedelta(days=12))  # the course ended two days ago
    course = classroom.course
    assert [(c.id, n) for c, n in teaching.waiting(classroom.trainer).assessments] == [
        (course.id, 3)
    ]
    attendance.set_assessment(classroom.enrollments[0], classroom.trainer, score=85)
    db.session.commit()
    assert teaching.waiting(classroom.trainer).assessments[0][1] == 2


def test_a_type_without_a_final_assessment_does_not_wait_for_one(make_classroom, clock):
    room = make_classroom(2, type_key="entrepreneurship")
    clock.shift(timedelta(days=12))
    assert teaching.waiting(room.trainer).assessments == []


# --- the page --------------------------------------------------------------------------------


def test_the_trainers_home_links_each_waiting_thing_to_its_page(
    client, classroom, coming, add_meeting
):
    excuse = ask_leave(classroom, coming)
    yesterday = add_meeting(classroom.course, day=-1)
    log_in(client, classroom.trainer)
    page = client.get("/")
    links = dict(re.findall(r'href="([^"]*)"[^>]*data-testid="([\w-]+)"', page.text))
    assert links[f"/trainer/sessions/{coming.id}/roster"] == f"leave-{excuse.id}"
    assert links[f"/trainer/sessions/{yesterday.id}/roster"] == f"unmarked-{yesterday.id}"
    shown = text(page)
    assert "Menunggu Anda" in shown
    assert f"Permintaan izin dari {classroom.trainees[0].name}" in shown
    assert "Kehadiran belum dicatat" in shown


def test_the_roster_it_links_to_shows_the_request(client, classroom, coming):
    ask_leave(classroom, coming)
    log_in(client, classroom.trainer)
    roster = client.get(f"/trainer/sessions/{coming.id}/roster")
    assert "Ke klinik untuk cek." in text(roster)


def test_a_trainer_with_nothing_waiting_is_told_so_in_english(client, classroom):
    log_in(client, classroom.trainer)
    shown = text(client.get("/", headers={"Accept-Language": "en"}))
    assert "Waiting for you" in shown
    assert "Nothing waits: no leave request to decide" in shown


def test_staff_and_trainees_do_not_see_a_trainers_list(client, classroom, coming):
    ask_leave(classroom, coming)
    for user in (classroom.staff, classroom.trainee):
        log_in(client, user)
        assert "leave-" not in client.get("/").text
