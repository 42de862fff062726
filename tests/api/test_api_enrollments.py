"""The enrolment API: enrol, rosters, my enrolments, approve, reject and cancel, for every role."""

from datetime import time, timedelta

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from lms.attendance.models import Attendance
from lms.attendance.services import attendance_summary
from lms.catalog import services as catalog
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from lms.enrollment import services as enrolment
from lms.enrollment.models import Enrollment
from lms.extensions import db
from tests.fixtures.api import assert_json_error
from tests.fixtures.enrollment import enroll
from tests.fixtures.i18n import tr
from tests.fixtures.queries import statements

#: the actors of these tests: anonymous, a trainee, the course's trainer, a trainer of another
#: course, staff and an admin
ACTORS = [None, "trainee", "trainer", "other_trainer", "staff", "admin"]


def rows(**where):
    query = select(Enrollment).order_by(Enrollment.id)
    for name, value in where.items():
        query = query.where(getattr(Enrollment, name) == value)
    return db.session.scalars(query).all()


def count_enrollments():
    return db.session.scalar(select(func.count()).select_from(Enrollment))


@pytest.fixture
def partner(create_partner):
    return create_partner(
        name="BLK Kota Bandar Lampung", mou_valid_until=local_today() + timedelta(days=365)
    )


@pytest.fixture
def actors(create_user, partner):
    """One user per actor key (None for anonymous)."""
    return {
        None: None,
        "trainee": create_user("trainee", name="Siti Rahmawati"),
        "trainer": create_user("trainer", name="Dewi Lestari", partner_id=partner.id),
        "other_trainer": create_user("trainer", name="Budi Santoso", partner_id=partner.id),
        "staff": create_user("staff", name="Rina Marlina"),
        "admin": create_user("admin", name="Agus Setiawan"),
    }


@pytest.fixture
def make_course(create_course, partner, actors):
    """A published course open for registration, run by ``actors["trainer"]``."""

    def _make(**overrides):
        overrides.setdefault("trainers", [actors["trainer"]])
        return create_course(partner=partner, **overrides)

    return _make


@pytest.fixture
def course(make_course):
    return make_course(capacity=3)


@pytest.fixture
def trainees(create_user):
    """``trainees(n)``: n trainees with a complete profile."""

    def _make(n):
        return [create_user("trainee", name=f"Peserta {i:02d}") for i in range(1, n + 1)]

    return _make


def post_enrol(client, course, headers, body=None):
    return client.post(f"/api/v1/courses/{course.id}/enrollments", json=body or {}, headers=headers)


# --- POST /api/v1/courses/{id}/enrollments ------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        (None, 401),
        ("trainee", 201),
        ("trainer", 403),
        ("other_trainer", 403),
        ("staff", 201),
        ("admin", 201),
    ],
)
def test_enrol_by_role(client, as_, actors, course, create_user, who, status):
    target = actors["trainee"] if who == "trainee" else create_user("trainee")
    body = {} if who == "trainee" else {"user_id": target.id}
    response = post_enrol(client, course, as_(who), body)
    if status != 201:
        assert_json_error(response, status)
        assert count_enrollments() == 0
        return
    assert response.status_code == 201
    created = response.get_json()
    assert {"id", "status", "waitlist_position"} <= set(created)
    assert created["status"] == "enrolled" and created["waitlist_position"] is None
    assert created["user"] == {"id": target.id, "name": target.name}
    (row,) = rows()
    assert (row.id, row.user_id, row.course_id, row.status) == (
        created["id"],
        target.id,
        course.id,
        "enrolled",
    )
    assert row.decided_by_id == (None if who == "trainee" else actors[who].id)
    db.session.refresh(course)
    assert course.enrolled_count == 1


def test_trainee_may_name_themself(client, as_, actors, course):
    response = post_enrol(client, course, as_("trainee"), {"user_id": actors["trainee"].id})
    assert response.status_code == 201
    assert rows()[0].user_id == actors["trainee"].id


def test_trainee_cannot_enrol_someone_else(client, as_, course, create_user):
    other = create_user("trainee")
    response = post_enrol(client, course, as_("trainee"), {"user_id": other.id})
    assert_json_error(response, 403)
    assert count_enrollments() == 0


def test_staff_must_name_the_trainee(client, as_, course):
    error = assert_json_error(post_enrol(client, course, as_("staff")), 400, "invalid")
    assert error["fields"] == {"user_id": ["Missing data for required field."]}
    assert count_enrollments() == 0


@pytest.mark.parametrize("lang", ["en", "id"])
def test_staff_enrolling_an_unknown_user(client, as_, course, lang):
    response = post_enrol(client, course, as_("staff", lang), {"user_id": 987654})
    error = assert_json_error(response, 400, "invalid")
    assert error["fields"] == {"user_id": [tr("This user does not exist.", lang)]}


def test_staff_cannot_enrol_a_trainer(client, as_, actors, course):
    response = post_enrol(client, course, as_("staff"), {"user_id": actors["other_trainer"].id})
    error = assert_json_error(response, 400, "not_trainee")
    assert error["fields"] == {"enrollment": ["Only trainee accounts can enrol in a course."]}


@pytest.mark.parametrize(
    "body",
    [{"user_id": "abc"}, {"user_id": 1.5}, {"user_id": "3"}, {"course": 1}, [1, 2], "x"],
)
def test_enrol_refuses_a_malformed_body(client, as_, course, body):
    response = client.post(
        f"/api/v1/courses/{course.id}/enrollments", json=body, headers=as_("staff")
    )
    assert_json_error(response, 400)
    assert count_enrollments() == 0


@pytest.mark.parametrize("who", ["trainee", "staff"])
def test_enrol_in_a_missing_course(client, as_, actors, who):
    response = client.post(
        "/api/v1/courses/424242/enrollments",
        json={} if who == "trainee" else {"user_id": actors["trainee"].id},
        headers=as_(who),
    )
    assert_json_error(response, 404)


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_trainee_cannot_see_a_hidden_course(client, as_, make_course, status):
    course = make_course(status=status)
    assert_json_error(post_enrol(client, course, as_("trainee")), 404)
    assert count_enrollments() == 0


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_staff_cannot_enrol_in_an_unpublished_course(client, as_, actors, make_course, status):
    course = make_course(status=status)
    response = post_enrol(client, course, as_("staff"), {"user_id": actors["trainee"].id})
    error = assert_json_error(response, 400, "not_open")
    assert error["fields"]["enrollment"] == ["This course is not open for registration."]
    assert count_enrollments() == 0


def test_staff_enrol_by_hand_in_a_closed_course(client, as_, actors, make_course):
    course = make_course(status="closed")
    response = post_enrol(client, course, as_("staff"), {"user_id": actors["trainee"].id})
    assert response.status_code == 201
    assert response.get_json()["status"] == "enrolled"


@pytest.mark.parametrize("lang", ["en", "id"])
def test_closed_registration_refuses_the_trainee_not_staff(client, as_, actors, make_course, lang):
    course = make_course()
    course.registration_opens_at = utcnow() - timedelta(days=10)
    course.registration_closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    error = assert_json_error(post_enrol(client, course, as_("trainee", lang)), 400, "closed")
    reason = tr("Registration for this course has closed.", lang)
    assert error["message"] == reason
    assert error["fields"] == {"enrollment": [reason]}
    assert count_enrollments() == 0
    # staff enrolling someone bypass the registration window
    response = post_enrol(client, course, as_("staff"), {"user_id": actors["trainee"].id})
    assert response.status_code == 201
    assert response.get_json()["status"] == "enrolled"


def test_registration_not_yet_open(client, as_, make_course):
    course = make_course()
    course.registration_opens_at = utcnow() + timedelta(days=2)
    db.session.commit()
    error = assert_json_error(post_enrol(client, course, as_("trainee")), 400, "not_yet_open")
    (reason,) = error["fields"]["enrollment"]
    assert reason.startswith("Registration opens on ")


@pytest.mark.parametrize("lang", ["en", "id"])
def test_an_incomplete_profile_is_refused(client, as_, course, create_user, lang):
    incomplete = create_user("trainee", profile=False)
    response = post_enrol(client, course, as_(incomplete, lang))
    error = assert_json_error(response, 400, "profile_incomplete")
    reason = tr("Complete your profile before you enrol.", lang)
    assert error["message"] == reason
    assert error["fields"] == {"enrollment": [reason]}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_every_reason_is_given(client, as_, make_course, create_user, lang):
    course = make_course(target_groups=["purna_pmi"], max_age=25)
    trainee = create_user("trainee", target_group="cpmi")  # born in 1995
    error = assert_json_error(post_enrol(client, course, as_(trainee, lang)), 400, "target_group")
    assert error["message"] == tr("You cannot enrol in this course.", lang)
    assert error["fields"] == {
        "enrollment": [
            tr("This course is not open to your group of participants.", lang),
            tr("You must be at most %(n)s years old on the first day.", lang, n=25),
        ]
    }
    assert count_enrollments() == 0


def test_overlapping_courses_are_refused(client, as_, actors, make_course):
    first = make_course()
    enroll(actors["trainee"], first)
    second = make_course()  # the same dates
    error = assert_json_error(post_enrol(client, second, as_("trainee")), 400, "overlap")
    assert error["fields"]["enrollment"] == [
        f"You are already enrolled in {first.code}, which runs at the same time."
    ]


# --- what one enrolment request costs -----------------------------------------------------------


def _request_log(send):
    """Send a request with nothing in the test's session (the request reads what it needs, as
    in production); returns (its response, its statements and COMMITs in order)."""
    from sqlalchemy import event

    db.session.close()
    engine, seen = db.engine, []

    def statement(_conn, _cursor, sql, *_rest):
        seen.append(" ".join(sql.split()))

    def commit(_conn):
        seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        response = send()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    return response, seen


def _enrol_log(client, course_id, headers):
    return _request_log(
        lambda: client.post(f"/api/v1/courses/{course_id}/enrollments", json={}, headers=headers)
    )


#: statements of one enrolment by a trainee: the token and its user, the course and its partner,
#: the trainee's lock, their enrolments; on PostgreSQL then a savepoint, one statement writing
#: the enrolment, its message and the audit entry (for the likely outcome), the seat's
#: conditional UPDATE, or the course's lock and the ticket statement for a waitlist place, then
#: one round trip: the catalogue's version (its cached page shows the seats:
#: lms.catalog.pagecache), the early commit and the wait for the disk; on SQLite the course's
#: lock first (a no-op UPDATE) and reading it again, then the seat counted in the flush or the
#: ticket read, the message, the enrolment, the audit entry
ENROL_STATEMENTS = {
    ("postgresql", "enrolled"): 8,
    ("postgresql", "waitlisted"): 9,
    ("sqlite", "enrolled"): 11,
    ("sqlite", "waitlisted"): 11,
}


@pytest.mark.parametrize("others", [0, 2], ids=["no-other-course", "two-other-courses"])
def test_an_enrolment_request_sends_a_fixed_number_of_statements(
    client, as_, make_course, trainees, others
):
    """However long the waitlist and however many courses the trainee holds."""
    course = make_course(capacity=2)
    first, second, late, later = trainees(4)
    starts = local_today() + timedelta(days=60)
    for n in range(others):
        other = make_course(
            starts_on=starts + timedelta(days=40 * n), ends_on=starts + timedelta(days=40 * n + 5)
        )
        for trainee in (first, second, late, later):
            enroll(trainee, other)
    dialect = db.engine.dialect.name
    course_id, headers = course.id, [as_(t) for t in (first, second, late, later)]
    db.session.commit()
    for headers_of, status in zip(
        headers, ["enrolled", "enrolled", "waitlisted", "waitlisted"], strict=True
    ):
        response, seen = _enrol_log(client, course_id, headers_of)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["status"] == status
        sent = [s for s in seen if s != "COMMIT"]
        assert len(sent) == ENROL_STATEMENTS[dialect, status], "\n".join(sent)
        # one statement reads the token and its user; one the course and its partner
        assert "FROM api_tokens JOIN users" in sent[0]
        assert "FROM courses LEFT OUTER JOIN partners" in sent[1]
        assert not any(s.startswith("SELECT partners.") for s in sent), sent


def test_the_enrolment_commits_early_and_answers_once_on_disk(client, as_, make_course, trainees):
    """PostgreSQL: the course's lock ends with the commit's record, not with the disk's flush;
    the answer waits for the disk (a second transaction's synchronous commit), both sent with
    the catalogue's version in one round trip after the decision. SQLite: a plain commit."""
    course = make_course(capacity=1)
    course_id, headers = course.id, [as_(t) for t in trainees(2)]
    db.session.commit()
    for headers_of in headers:  # a seat, then a waitlist place
        response, seen = _enrol_log(client, course_id, headers_of)
        assert response.status_code == 201
        assert seen.count("COMMIT") == 1
        if db.engine.dialect.name != "postgresql":
            assert not any("synchronous_commit" in s or "pg_current_xact_id" in s for s in seen)
            continue
        lock = next(
            i
            for i, s in enumerate(seen)
            if s.startswith("UPDATE courses") or ("FROM courses" in s and "FOR NO KEY UPDATE" in s)
        )
        # after the decision: the version, the early commit and the wait, then nothing
        assert seen[-2:] == [
            "UPDATE catalog_version SET version = version + 1; "
            "SET LOCAL synchronous_commit TO off; COMMIT; SELECT pg_current_xact_id()",
            "COMMIT",
        ], seen[-2:]
        assert lock < len(seen) - 2
        assert not any("synchronous_commit" in s for s in seen[:-2])


def test_the_enrolment_is_committed_before_its_answer_is_built(
    client, as_, make_course, trainees, monkeypatch
):
    """The course's lock ends with the decision: when the answer is built, the enrolment is
    already visible to everyone else (another connection), and nothing is committed twice."""
    from lms.api import enrollments as api

    course = make_course(capacity=1)
    course_id, headers = course.id, [as_(t) for t in trainees(2)]
    db.session.commit()
    seen_by_others = []
    view = api._view

    def watched(enrollment, **kwargs):
        with db.engine.connect() as other:
            seen_by_others.append(
                other.execute(
                    select(Enrollment.status).where(Enrollment.id == enrollment.id)
                ).scalar()
            )
        return view(enrollment, **kwargs)

    monkeypatch.setattr(api, "_view", watched)
    for headers_of in headers:  # a seat, then a waitlist place
        response, seen = _enrol_log(client, course_id, headers_of)
        assert response.status_code == 201
        assert seen.count("COMMIT") == 1
    assert seen_by_others == ["enrolled", "waitlisted"]
    assert [r.get_json()["status"] for r in (response,)] == ["waitlisted"]
    assert response.get_json()["waitlist_position"] == 1


def test_an_enrolment_is_audited_with_who_what_and_where(client, as_, make_course, trainees):
    """The audit entry (on PostgreSQL written by the enrolment's own statement) names the
    enrolment, the trainee who asked, the course and the request's address; so does the
    message's row its request."""
    from lms.audit.models import AuditEntry
    from lms.outbox.models import OutboxMessage

    course = make_course(capacity=1)
    (trainee,) = trainees(1)
    course_id, headers, trainee_id = course.id, as_(trainee), trainee.id
    db.session.commit()
    response = client.post(
        f"/api/v1/courses/{course_id}/enrollments",
        json={},
        headers={**headers, "X-Request-ID": "req-audit-1"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 201
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "enrollment")
    ).one()
    assert (entry.action, entry.object_id, entry.actor_id) == (
        "enrollment.enrolled",
        response.get_json()["id"],
        trainee_id,
    )
    assert (entry.data, entry.ip) == ({"course": course_id}, "10.1.2.3")
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == trainee_id))
    assert message.one().request_id == "req-audit-1"


def test_a_refused_enrolment_leaves_no_wait_behind(client, as_, make_course, trainees):
    """A full course without waitlist refuses after the early commit was asked for: nothing is
    committed, and the next request does not wait for the disk for it."""
    course = make_course(capacity=1, waitlist=False)
    seated, refused = trainees(2)
    course_id, headers = course.id, as_(refused)
    enroll(seated, course)
    db.session.commit()
    response, seen = _enrol_log(client, course_id, headers)
    assert_json_error(response, 409, "full")
    assert "COMMIT" not in seen and not any("pg_current_xact_id" in s for s in seen)
    response, seen = _request_log(lambda: client.get("/api/v1/me", headers=headers))
    assert response.status_code == 200
    assert not any("pg_current_xact_id" in s for s in seen), seen
    assert count_enrollments() == 1


def test_a_token_request_reads_the_token_and_its_user_in_one_statement(client, as_, actors):
    headers, trainee_id = as_("trainee"), actors["trainee"].id
    response, seen = _request_log(lambda: client.get("/api/v1/me", headers=headers))
    assert response.status_code == 200
    assert response.get_json()["id"] == trainee_id
    sent = [s for s in seen if s != "COMMIT"]
    assert len(sent) == 1 and "FROM api_tokens JOIN users" in sent[0], sent


@pytest.mark.parametrize("lang", ["en", "id"])
def test_enrolling_twice_is_a_conflict(client, as_, actors, course, lang):
    assert post_enrol(client, course, as_("trainee")).status_code == 201
    error = assert_json_error(
        post_enrol(client, course, as_("trainee", lang)), 409, "already_enrolled"
    )
    assert error["message"] == tr("You are already registered for this course.", lang)
    # staff naming them get the same answer
    response = post_enrol(client, course, as_("staff", lang), {"user_id": actors["trainee"].id})
    assert_json_error(response, 409, "already_enrolled")
    assert count_enrollments() == 1


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_full_course_without_waitlist_is_a_conflict(
    client, as_, actors, make_course, trainees, lang
):
    course = make_course(capacity=2, waitlist=False)
    for trainee in trainees(2):
        enroll(trainee, course)
    error = assert_json_error(post_enrol(client, course, as_("trainee", lang)), 409, "full")
    assert error["message"] == tr("This course is full.", lang)
    # staff bypass the window, never the seats
    response = post_enrol(client, course, as_("staff"), {"user_id": actors["trainee"].id})
    assert_json_error(response, 409, "full")
    db.session.refresh(course)
    assert course.enrolled_count == 2 and count_enrollments() == 2


def test_a_full_course_puts_trainees_on_the_waitlist_in_order(client, as_, make_course, trainees):
    course = make_course(capacity=2)
    people = trainees(6)
    answers = [post_enrol(client, course, as_(t)).get_json() for t in people]
    assert [a["status"] for a in answers] == ["enrolled"] * 2 + ["waitlisted"] * 4
    assert [a["waitlist_position"] for a in answers] == [None, None, 1, 2, 3, 4]
    db.session.refresh(course)
    assert course.enrolled_count == 2


def test_staff_enrolment_also_waits_when_full(client, as_, actors, make_course, trainees):
    course = make_course(capacity=1)
    enroll(trainees(1)[0], course)
    response = post_enrol(client, course, as_("admin"), {"user_id": actors["trainee"].id})
    assert response.status_code == 201
    assert response.get_json()["status"] == "waitlisted"
    assert response.get_json()["waitlist_position"] == 1


def test_a_course_that_needs_approval(client, as_, actors, make_course, create_user):
    course = make_course(requires_approval=True)
    response = post_enrol(client, course, as_("trainee"))
    assert response.status_code == 201
    assert response.get_json()["status"] == "pending"
    assert response.get_json()["waitlist_position"] is None
    db.session.refresh(course)
    assert course.enrolled_count == 0
    # staff adding someone by hand decide at once
    other = create_user("trainee")
    response = post_enrol(client, course, as_("staff"), {"user_id": other.id})
    assert response.get_json()["status"] == "enrolled"


def test_a_cancelled_trainee_may_enrol_again(client, as_, actors, course):
    first = post_enrol(client, course, as_("trainee")).get_json()
    client.delete(f"/api/v1/enrollments/{first['id']}", headers=as_("trainee"))
    again = post_enrol(client, course, as_("trainee"))
    assert again.status_code == 201
    assert again.get_json()["id"] == first["id"] and again.get_json()["status"] == "enrolled"


# --- GET /api/v1/courses/{id}/enrollments -------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        (None, 401),
        ("trainee", 403),
        ("trainer", 200),
        ("other_trainer", 404),
        ("staff", 200),
        ("admin", 200),
    ],
)
def test_roster_by_role(client, as_, actors, course, who, status):
    enroll(actors["trainee"], course)
    response = client.get(f"/api/v1/courses/{course.id}/enrollments", headers=as_(who))
    if status != 200:
        assert_json_error(response, status)
        return
    body = response.get_json()
    assert body["total"] == 1 and body["page"] == 1 and body["per_page"] == 20
    (item,) = body["items"]
    assert {"id", "user", "status", "waitlist_position"} <= set(item)
    assert item["user"] == {"id": actors["trainee"].id, "name": "Siti Rahmawati"}
    assert item["status"] == "enrolled" and item["waitlist_position"] is None


def test_roster_of_a_missing_course(client, as_):
    assert_json_error(client.get("/api/v1/courses/777777/enrollments", headers=as_("staff")), 404)


@pytest.mark.parametrize("who, status", [("trainer", 200), ("staff", 200), ("other_trainer", 404)])
def test_roster_of_a_draft_course(client, as_, make_course, who, status):
    course = make_course(status="draft")
    response = client.get(f"/api/v1/courses/{course.id}/enrollments", headers=as_(who))
    assert response.status_code == status


def test_roster_shows_no_personal_data(client, as_, actors, course):
    enroll(actors["trainee"], course)
    response = client.get(f"/api/v1/courses/{course.id}/enrollments", headers=as_("trainer"))
    text = response.get_data(as_text=True)
    trainee = actors["trainee"]
    for secret in (trainee.email, trainee.nik, trainee.phone, trainee.birth_date.isoformat()):
        assert secret not in text


def test_roster_waitlist_positions_run_from_one(client, as_, make_course, trainees):
    course = make_course(capacity=2)
    people = trainees(7)
    for trainee in people:
        enroll(trainee, course)
    # a waitlisted trainee leaves: the positions close up
    enrolment.cancel(rows(user_id=people[3].id)[0], actor=people[3])
    db.session.commit()
    body = client.get(f"/api/v1/courses/{course.id}/enrollments", headers=as_("staff")).get_json()
    statuses = [(i["user"]["id"], i["status"], i["waitlist_position"]) for i in body["items"]]
    assert statuses == [
        (people[0].id, "enrolled", None),
        (people[1].id, "enrolled", None),
        (people[3].id, "cancelled", None),
        (people[2].id, "waitlisted", 1),
        (people[4].id, "waitlisted", 2),
        (people[5].id, "waitlisted", 3),
        (people[6].id, "waitlisted", 4),
    ]


def test_roster_status_filter(client, as_, make_course, trainees):
    course = make_course(capacity=1)
    people = trainees(3)
    for trainee in people:
        enroll(trainee, course)
    body = client.get(
        f"/api/v1/courses/{course.id}/enrollments?status=waitlisted", headers=as_("staff")
    ).get_json()
    assert body["total"] == 2
    assert [i["user"]["id"] for i in body["items"]] == [people[1].id, people[2].id]
    assert [i["waitlist_position"] for i in body["items"]] == [1, 2]
    body = client.get(
        f"/api/v1/courses/{course.id}/enrollments?status=rejected", headers=as_("staff")
    ).get_json()
    assert body == {"items": [], "page": 1, "per_page": 20, "total": 0}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_roster_refuses_an_unknown_status(client, as_, course, lang):
    response = client.get(
        f"/api/v1/courses/{course.id}/enrollments?status=maybe", headers=as_("staff", lang)
    )
    error = assert_json_error(response, 400, "invalid")
    assert error["fields"] == {"status": [tr("Not a valid choice.", lang)]}


def test_roster_pages(client, as_, make_course, trainees):
    course = make_course(capacity=2)
    for trainee in trainees(5):
        enroll(trainee, course)
    url = f"/api/v1/courses/{course.id}/enrollments"
    body = client.get(f"{url}?per_page=2&page=2", headers=as_("staff")).get_json()
    assert body["total"] == 5 and body["page"] == 2 and body["per_page"] == 2
    assert [i["waitlist_position"] for i in body["items"]] == [1, 2]
    body = client.get(f"{url}?per_page=2&page=3", headers=as_("staff")).get_json()
    assert [i["waitlist_position"] for i in body["items"]] == [3]
    body = client.get(f"{url}?per_page=500", headers=as_("staff")).get_json()
    assert body["per_page"] == 100 and len(body["items"]) == 5
    assert_json_error(client.get(f"{url}?page=0", headers=as_("staff")), 400)


def test_roster_queries_do_not_grow_with_the_waitlist(app, client, as_, make_course, trainees):
    course = make_course(capacity=1)
    people = trainees(9)
    headers = as_("staff")
    url = f"/api/v1/courses/{course.id}/enrollments"

    def roster_statements():
        with statements() as seen:
            assert client.get(url, headers=headers).status_code == 200
        return len(seen)

    for trainee in people[:3]:
        enroll(trainee, course)
    few = roster_statements()
    assert few > 0
    for trainee in people[3:]:
        enroll(trainee, course)
    assert roster_statements() == few


# --- GET /api/v1/me/enrollments -----------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        (None, 401),
        ("trainee", 200),
        ("trainer", 403),
        ("other_trainer", 403),
        ("staff", 403),
        ("admin", 403),
    ],
)
def test_my_enrolments_by_role(client, as_, who, status):
    response = client.get("/api/v1/me/enrollments", headers=as_(who))
    if status != 200:
        assert_json_error(response, status)
        return
    assert response.get_json() == {"items": [], "page": 1, "per_page": 20, "total": 0}


def test_my_enrolments(client, as_, actors, make_course, trainees, create_user):
    today = local_today()
    me = actors["trainee"]
    soon = make_course(capacity=1, starts_on=today + timedelta(days=20), title="Bahasa Jepang")
    later = make_course(starts_on=today + timedelta(days=60))
    enroll(trainees(1)[0], soon)
    enroll(me, soon)  # waitlisted behind the one seat
    enroll(me, later)
    enroll(create_user("trainee"), later)  # someone else's, not shown
    body = client.get("/api/v1/me/enrollments", headers=as_("trainee")).get_json()
    assert body["total"] == 2 and body["page"] == 1
    first, second = body["items"]  # the newest course first
    assert first["course"]["id"] == later.id and second["course"]["id"] == soon.id
    assert second["course"] == {
        "id": soon.id,
        "code": soon.code,
        "title": "Bahasa Jepang",
        "title_en": soon.title_en,
        "type": "hospitality",
        "starts_on": soon.starts_on.isoformat(),
        "ends_on": soon.ends_on.isoformat(),
    }
    assert second["status"] == "waitlisted" and second["waitlist_position"] == 1
    assert first["status"] == "enrolled" and first["waitlist_position"] is None
    for item in (first, second):
        assert item["attendance_rate"] is None  # nothing held yet
        assert item["attendance"]["held"] == 0
    indonesian = client.get("/api/v1/me/enrollments", headers=as_("trainee", "id")).get_json()
    assert indonesian["items"][1]["status_label"] == tr("On the waitlist", "id")


def test_my_enrolments_pages(client, as_, actors, make_course):
    today = local_today()
    me = actors["trainee"]
    courses = [
        make_course(
            starts_on=today + timedelta(days=10 + 40 * n),
            ends_on=today + timedelta(days=20 + 40 * n),
        )
        for n in range(3)
    ]
    for course in courses:
        enroll(me, course)
    body = client.get("/api/v1/me/enrollments?per_page=2&page=2", headers=as_("trainee"))
    body = body.get_json()
    assert body["total"] == 3 and body["per_page"] == 2 and body["page"] == 2
    assert [i["course"]["id"] for i in body["items"]] == [courses[0].id]


@pytest.fixture
def running_course(make_course):
    """A course that started ten days ago and runs ten more days."""
    today = local_today()
    return make_course(starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=10))


def meeting(create_session, course, day):
    """A 08:00-12:00 WIB session on the course's ``day``-th day (0 = the first)."""
    return create_session(
        course, starts_at=combine_local(course.starts_on + timedelta(days=day), time(8, 0))
    )


def mark(session, enrollment, status):
    db.session.add(Attendance(session_id=session.id, enrollment_id=enrollment.id, status=status))
    db.session.commit()


def test_attendance_rate(client, as_, actors, running_course, create_session):
    me = enroll(actors["trainee"], running_course, bypass_window=True)
    held = [meeting(create_session, running_course, day) for day in range(6)]
    for session, status in zip(
        held, ["present", "present", "late", "excused", "absent"], strict=False
    ):
        mark(session, me, status)
    # held[5] is held and not marked: absent
    future = meeting(create_session, running_course, 15)
    mark(future, me, "excused")  # marked ahead of time: not held, counts nowhere
    called_off = meeting(create_session, running_course, 7)
    catalog.cancel_session(called_off, "Banjir")
    db.session.commit()
    mark(called_off, me, "absent")  # a cancelled session is never held

    summary = attendance_summary(me)
    assert (summary.held, summary.present, summary.late, summary.excused, summary.absent) == (
        6,
        2,
        1,
        1,
        2,
    )
    assert summary.rate == pytest.approx(3 / 5)

    (item,) = client.get("/api/v1/me/enrollments", headers=as_("trainee")).get_json()["items"]
    assert item["attendance_rate"] == pytest.approx(0.6)
    assert item["attendance"] == {"held": 6, "present": 2, "late": 1, "excused": 1, "absent": 2}


def test_attendance_rate_counts_only_this_enrolment(
    running_course, create_session, actors, trainees
):
    me = enroll(actors["trainee"], running_course, bypass_window=True)
    other = enroll(trainees(1)[0], running_course, bypass_window=True)
    session = meeting(create_session, running_course, 1)
    mark(session, other, "present")
    summary = attendance_summary(me)
    assert (summary.held, summary.present, summary.absent, summary.rate) == (1, 0, 1, 0.0)
    assert attendance_summary(other).rate == 1.0


def test_no_rate_while_nothing_is_held(client, as_, actors, running_course, create_session):
    me = enroll(actors["trainee"], running_course, bypass_window=True)
    meeting(create_session, running_course, 12)
    called_off = meeting(create_session, running_course, 2)
    catalog.cancel_session(called_off, "Libur nasional")
    db.session.commit()
    assert attendance_summary(me).held == 0 and attendance_summary(me).rate is None
    (item,) = client.get("/api/v1/me/enrollments", headers=as_("trainee")).get_json()["items"]
    assert item["attendance_rate"] is None


def test_no_rate_when_every_held_session_is_excused(actors, running_course, create_session):
    me = enroll(actors["trainee"], running_course, bypass_window=True)
    for day in range(2):
        mark(meeting(create_session, running_course, day), me, "excused")
    summary = attendance_summary(me)
    assert summary.held == 2 and summary.excused == 2 and summary.rate is None


def test_attendance_summary_is_one_query(actors, running_course, create_session):
    me = enroll(actors["trainee"], running_course, bypass_window=True)
    for day in range(4):
        mark(meeting(create_session, running_course, day), me, "present")
    db.session.refresh(me)  # loaded, as a caller holds it
    with statements() as seen:
        assert attendance_summary(me).rate == 1.0
    assert len(seen) == 1


# --- approve and reject -------------------------------------------------------------------------


@pytest.fixture
def pending(make_course, actors):
    """A pending request of ``actors["trainee"]`` in a course that needs approval."""
    course = make_course(requires_approval=True, capacity=2)
    return enroll(actors["trainee"], course)


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize(
    "who, status",
    [
        (None, 401),
        ("trainee", 403),
        ("trainer", 403),
        ("other_trainer", 403),
        ("staff", 200),
        ("admin", 200),
    ],
)
def test_decisions_by_role(client, as_, pending, action, who, status):
    response = client.post(f"/api/v1/enrollments/{pending.id}/{action}", json={}, headers=as_(who))
    db.session.refresh(pending)
    if status != 200:
        assert_json_error(response, status)
        assert pending.status == "pending"
        return
    assert response.status_code == 200
    expected = "enrolled" if action == "approve" else "rejected"
    body = response.get_json()
    assert body["id"] == pending.id and body["status"] == expected
    assert body["waitlist_position"] is None
    assert pending.status == expected


def test_approve_takes_a_seat(client, as_, actors, pending):
    response = client.post(f"/api/v1/enrollments/{pending.id}/approve", headers=as_("staff"))
    assert response.status_code == 200
    db.session.refresh(pending)
    assert pending.decided_by_id == actors["staff"].id
    assert pending.course.enrolled_count == 1


def test_approval_of_a_full_course_waitlists(client, as_, make_course, trainees):
    course = make_course(requires_approval=True, capacity=1, waitlist=False)
    first, second, third = (enroll(t, course) for t in trainees(3))
    assert {first.status, second.status, third.status} == {"pending"}
    answers = [
        client.post(f"/api/v1/enrollments/{e.id}/approve", headers=as_("staff")).get_json()
        for e in (first, second, third)
    ]
    assert [(a["status"], a["waitlist_position"]) for a in answers] == [
        ("enrolled", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    db.session.refresh(course)
    assert course.enrolled_count == 1


@pytest.mark.parametrize("lang", ["en", "id"])
def test_approve_only_a_pending_request(client, as_, pending, lang):
    url = f"/api/v1/enrollments/{pending.id}/approve"
    assert client.post(url, headers=as_("staff")).status_code == 200
    error = assert_json_error(client.post(url, headers=as_("staff", lang)), 409, "not_pending")
    assert error["message"] == tr("Only a pending request can be approved.", lang)


def test_reject_with_a_reason(client, as_, actors, pending):
    response = client.post(
        f"/api/v1/enrollments/{pending.id}/reject",
        json={"reason": "Kuota daerah sudah penuh."},
        headers=as_("staff"),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "rejected" and body["reason"] == "Kuota daerah sudah penuh."
    db.session.refresh(pending)
    assert pending.reason == "Kuota daerah sudah penuh."
    assert pending.decided_by_id == actors["staff"].id


def test_reject_without_a_body(client, as_, pending):
    response = client.post(f"/api/v1/enrollments/{pending.id}/reject", headers=as_("staff"))
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    assert response.get_json()["reason"] is None


@pytest.mark.parametrize("body", [{"reason": "x" * 501}, {"reason": 5}, {"why": "no"}])
def test_reject_validates(client, as_, pending, body):
    response = client.post(
        f"/api/v1/enrollments/{pending.id}/reject", json=body, headers=as_("staff")
    )
    assert_json_error(response, 400, "invalid")
    db.session.refresh(pending)
    assert pending.status == "pending"


def test_reject_a_waitlisted_trainee(client, as_, make_course, trainees):
    course = make_course(capacity=1)
    people = trainees(3)
    for trainee in people:
        enroll(trainee, course)
    waiting = rows(user_id=people[1].id)[0]
    response = client.post(f"/api/v1/enrollments/{waiting.id}/reject", headers=as_("staff"))
    assert response.get_json()["status"] == "rejected"
    assert enrolment.waitlist_positions(course.id) == {rows(user_id=people[2].id)[0].id: 1}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_reject_an_enrolled_trainee_is_a_conflict(client, as_, actors, course, lang):
    enrolled = enroll(actors["trainee"], course)
    response = client.post(f"/api/v1/enrollments/{enrolled.id}/reject", headers=as_("staff", lang))
    error = assert_json_error(response, 409, "not_pending")
    assert error["message"] == tr("Only a pending or waitlisted request can be rejected.", lang)


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_decide_a_missing_enrolment(client, as_, action):
    assert_json_error(
        client.post(f"/api/v1/enrollments/919191/{action}", headers=as_("staff")), 404
    )


# --- DELETE /api/v1/enrollments/{id} ------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [
        (None, 401),
        ("trainee", 200),
        ("trainer", 403),
        ("other_trainer", 403),
        ("staff", 200),
        ("admin", 200),
    ],
)
def test_cancel_by_role(client, as_, actors, course, who, status):
    enrollment = enroll(actors["trainee"], course)
    response = client.delete(f"/api/v1/enrollments/{enrollment.id}", headers=as_(who))
    db.session.refresh(enrollment)
    if status != 200:
        assert_json_error(response, status)
        assert enrollment.status == "enrolled"
        return
    assert response.status_code == 200
    assert response.get_json() == {"id": enrollment.id, "status": "cancelled"}
    assert enrollment.status == "cancelled"
    db.session.refresh(course)
    assert course.enrolled_count == 0


def test_another_trainees_enrolment_is_not_found(client, as_, course, create_user):
    theirs = enroll(create_user("trainee"), course)
    error = assert_json_error(
        client.delete(f"/api/v1/enrollments/{theirs.id}", headers=as_("trainee")), 404
    )
    assert error["code"] == "not_found"
    db.session.refresh(theirs)
    assert theirs.status == "enrolled"


def test_cancel_a_missing_enrolment(client, as_):
    assert_json_error(client.delete("/api/v1/enrollments/5150", headers=as_("trainee")), 404)
    assert_json_error(client.delete("/api/v1/enrollments/5150", headers=as_("staff")), 404)


def test_cancelling_promotes_the_head_of_the_waitlist(client, as_, make_course, trainees):
    course = make_course(capacity=2)
    people = trainees(5)
    ids = {t.id: enroll(t, course).id for t in people}
    response = client.delete(f"/api/v1/enrollments/{ids[people[0].id]}", headers=as_(people[0]))
    assert response.status_code == 200
    body = client.get(f"/api/v1/courses/{course.id}/enrollments", headers=as_("staff")).get_json()
    by_user = {i["user"]["id"]: (i["status"], i["waitlist_position"]) for i in body["items"]}
    assert by_user == {
        people[0].id: ("cancelled", None),
        people[1].id: ("enrolled", None),
        people[2].id: ("enrolled", None),  # moved up at once
        people[3].id: ("waitlisted", 1),
        people[4].id: ("waitlisted", 2),
    }
    db.session.refresh(course)
    assert course.enrolled_count == 2
    # staff cancel another seat: the next in line moves up
    client.delete(f"/api/v1/enrollments/{ids[people[1].id]}", headers=as_("staff"))
    assert [e.user_id for e in rows(status="enrolled")] == [people[2].id, people[3].id]
    assert enrolment.waitlist_positions(course.id) == {ids[people[4].id]: 1}


def test_a_waitlisted_trainee_leaving_closes_the_gap(client, as_, make_course, trainees):
    course = make_course(capacity=1)
    people = trainees(4)
    ids = [enroll(t, course).id for t in people]
    client.delete(f"/api/v1/enrollments/{ids[2]}", headers=as_(people[2]))
    assert enrolment.waitlist_positions(course.id) == {ids[1]: 1, ids[3]: 2}
    db.session.refresh(course)
    assert course.enrolled_count == 1


@pytest.mark.parametrize("lang", ["en", "id"])
def test_cancelling_twice_is_a_conflict(client, as_, actors, course, lang):
    enrollment = enroll(actors["trainee"], course)
    url = f"/api/v1/enrollments/{enrollment.id}"
    assert client.delete(url, headers=as_("trainee")).status_code == 200
    error = assert_json_error(client.delete(url, headers=as_("trainee", lang)), 409, "not_active")
    with force_locale(lang):
        expected = gettext(
            "This enrolment is no longer active (%(status)s).",
            status=str(enrollment.status_label),
        )
    assert error["message"] == expected


@pytest.mark.parametrize("lang", ["en", "id"])
def test_a_trainee_cannot_cancel_once_the_course_started(client, as_, actors, running_course, lang):
    enrollment = enroll(actors["trainee"], running_course, bypass_window=True)
    url = f"/api/v1/enrollments/{enrollment.id}"
    error = assert_json_error(client.delete(url, headers=as_("trainee", lang)), 400, "started")
    assert error["message"] == tr(
        "The course has started; ask the office to cancel your enrolment.", lang
    )
    assert client.delete(url, headers=as_("staff")).status_code == 200


# --- the contract's paths are documented ----------------------------------------------------------


def test_openapi_documents_the_enrolment_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {
        "/api/v1/courses/{course_id}/enrollments": {"get", "post"},
        "/api/v1/me/enrollments": {"get"},
        "/api/v1/enrollments/{enrollment_id}/approve": {"post"},
        "/api/v1/enrollments/{enrollment_id}/reject": {"post"},
        "/api/v1/enrollments/{enrollment_id}": {"delete"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
