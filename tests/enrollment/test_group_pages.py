"""Class group pages: staff make groups and place trainees by hand or evenly; sessions get a
group in the session form; the course page shows each group's timetable; a trainee's own pages
show their group; the roster of a group's session lists its members only."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.catalog.groups import ClassGroup
from lms.catalog.models import CourseSession
from lms.core.types import utcnow
from lms.enrollment import groups
from lms.extensions import db
from tests.fixtures.clock import begun
from tests.fixtures.pages import text
from tests.fixtures.users import log_in

EN = {"Accept-Language": "en"}


@pytest.fixture
def grouped(classroom, create_user):
    """The classroom with groups A (its trainer) and B; the first trainee in A."""
    a = groups.create_group(
        classroom.course, "Kelas A", [classroom.trainer.id], actor=classroom.staff
    )
    b = groups.create_group(classroom.course, "Kelas B", actor=classroom.staff)
    groups.place(classroom.enrollment, a.id)
    db.session.commit()
    classroom.groups = (a, b)
    return classroom


@pytest.mark.parametrize("who, status", [("trainee", 403), ("trainer", 403), ("staff", 200)])
def test_the_groups_page_by_role(client, classroom, who, status):
    log_in(client, classroom.by_role(who))
    assert client.get(f"/manage/courses/{classroom.course.id}/groups").status_code == status


def test_staff_make_a_group_with_a_trainer(client, classroom, create_user):
    newcomer = create_user("trainer", name="Sari Wulandari", partner_id=classroom.course.partner_id)
    log_in(client, classroom.staff)
    url = f"/manage/courses/{classroom.course.id}/groups"
    page = client.get(url, headers=EN)
    assert "Sari Wulandari" in text(page) and "No group yet" in text(page)
    response = client.post(url, data={"name": "Kelas Pagi", "trainer_ids": [str(newcomer.id)]})
    assert response.status_code == 302
    group = db.session.scalar(select(ClassGroup))
    assert group.name == "Kelas Pagi" and [t.id for t in group.trainers] == [newcomer.id]
    duplicate = client.post(url, data={"name": "Kelas Pagi"}, headers=EN)
    assert duplicate.status_code == 400 and "already" in text(duplicate)
    assert client.post(url, data={"name": ""}).status_code == 400


def test_staff_place_by_hand_and_evenly(client, grouped):
    a, b = grouped.groups
    log_in(client, grouped.staff)
    url = f"/manage/courses/{grouped.course.id}/groups"
    e = grouped.enrollments
    response = client.post(
        url + "/placements", data={f"group-{e[0].id}": str(b.id), f"group-{e[1].id}": ""}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (e[0].group_id, e[1].group_id) == (b.id, None)
    assert client.post(url + "/distribute").status_code == 302
    db.session.expire_all()
    assert groups.group_sizes(grouped.course) == {a.id: 2, b.id: 1}
    page = client.get(url, headers=EN)
    assert "2 trainees" in text(page)


def test_a_bad_placement_changes_nothing(client, grouped, make_classroom):
    other = make_classroom(1)
    foreign = groups.create_group(other.course, "X", actor=other.staff)
    db.session.commit()
    e = grouped.enrollments
    log_in(client, grouped.staff)
    client.post(
        f"/manage/courses/{grouped.course.id}/groups/placements",
        data={f"group-{e[1].id}": str(grouped.groups[1].id), f"group-{e[2].id}": str(foreign.id)},
    )
    db.session.expire_all()
    assert (e[1].group_id, e[2].group_id) == (None, None)


def test_the_session_form_takes_a_group(client, grouped):
    a, _b = grouped.groups
    log_in(client, grouped.staff)
    url = f"/manage/courses/{grouped.course.id}/sessions/new"
    assert "Kelas A" in text(client.get(url))
    day = grouped.course.starts_on + timedelta(days=12)
    response = client.post(
        url,
        data={"day": day.isoformat(), "starts": "08:00", "ends": "10:00", "group_id": str(a.id)},
    )
    assert response.status_code == 302, text(response)
    session = db.session.scalar(select(CourseSession))
    assert session.group_id == a.id
    page = client.get(f"/manage/courses/{grouped.course.id}", headers=EN)
    assert 'data-testid="session-group"' in page.get_data(as_text=True)


def test_the_course_page_shows_each_groups_timetable(client, grouped, create_session):
    a, b = grouped.groups
    starts = utcnow() + timedelta(days=2)
    create_session(
        grouped.course, starts_at=starts, ends_at=starts + timedelta(hours=2), topic="Bersama"
    )
    create_session(
        grouped.course,
        starts_at=starts + timedelta(days=1),
        ends_at=starts + timedelta(days=1, hours=2),
        topic="Hanya A",
        group=a,
    )
    create_session(
        grouped.course,
        starts_at=starts + timedelta(days=1),
        ends_at=starts + timedelta(days=1, hours=2),
        topic="Hanya B",
        group=b,
    )
    page = client.get(f"/courses/{grouped.course.id}", headers=EN).get_data(as_text=True)
    for key in ("course", a.id, b.id):
        assert f'data-testid="timetable-{key}"' in page
    section_a = page.split(f'data-testid="timetable-{a.id}"')[1].split("</section>")[0]
    assert "Hanya A" in section_a and "Hanya B" not in section_a
    # the trainee sees which group is theirs; their own pages show it and their next meetings
    log_in(client, grouped.trainee)
    page = client.get(f"/courses/{grouped.course.id}", headers=EN).get_data(as_text=True)
    assert (
        'data-testid="own-group"'
        in page.split(f'data-testid="timetable-{a.id}"')[1].split("</section>")[0]
    )
    mine = client.get("/my/courses", headers=EN)
    assert "Group: Kelas A" in text(mine)
    assert "Hanya A" in text(mine) and "Hanya B" not in text(mine)
    attendance = client.get(f"/my/enrollments/{grouped.enrollment.id}/attendance", headers=EN)
    assert "Group: Kelas A" in text(attendance)


def test_a_group_roster_lists_its_members_only(client, grouped, create_session):
    a, _b = grouped.groups
    starts = begun(minutes=5)
    session = create_session(
        grouped.course, starts_at=starts, ends_at=starts + timedelta(hours=2), group=a
    )
    log_in(client, grouped.trainer)
    page = client.get(f"/trainer/sessions/{session.id}/roster", headers=EN)
    body = text(page)
    assert grouped.trainees[0].name in body
    assert grouped.trainees[1].name not in body and grouped.trainees[2].name not in body
    today = client.get("/trainer/today", headers=EN)
    assert "0 of 1 marked" in text(today)


def test_the_attendance_matrix_greys_out_another_groups_sessions(client, grouped, create_session):
    a, _b = grouped.groups
    starts = utcnow() - timedelta(hours=3)
    create_session(grouped.course, starts_at=starts, ends_at=starts + timedelta(hours=2), group=a)
    log_in(client, grouped.trainer)
    page = client.get(f"/trainer/courses/{grouped.course.id}/attendance", headers=EN)
    body = page.get_data(as_text=True)
    # the first trainee is in A; the two others are in no group: two grey cells
    assert body.count('data-testid="other-group"') == 2
    assert 'data-testid="matrix-group"' in body
