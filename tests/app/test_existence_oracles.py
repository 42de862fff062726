"""A record one may not see answers exactly as a record that does not exist: the same status and
the same words (pages and API). A trainer of another partner learns nothing from a session,
enrolment or course id; a trainee learns nothing from a check-in link of a course they are not
enrolled in, a draft's included."""

import pytest

from lms.extensions import db
from tests.fixtures.pages import without_csrf

#: an id no record has
MISSING = 987654


@pytest.fixture
def world(make_classroom, add_meeting, create_user, create_partner, create_course, create_session):
    """A running course with a session and an enrolment, a draft course with a session, and the
    outsiders: a trainer of another partner, a trainee enrolled elsewhere."""
    room = make_classroom(2)
    session = add_meeting(room.course, 0)
    draft = create_course(partner=room.course.partner, trainers=[room.trainer], status="draft")
    draft_session = create_session(draft)
    stranger = create_user("trainer", partner_id=create_partner(name="Mitra Lain").id)
    db.session.commit()
    return {
        "course": room.course.id,
        "session": session.id,
        "enrollment": room.enrollment.id,
        "draft": draft.id,
        "draft_session": draft_session.id,
        "trainer": stranger,
        "trainee": room.outsider,
    }


#: (who asks, method, URL with {session}/{course}/{enrollment}/{draft}/{draft_session}, body)
ROUTES = [
    ("trainer", "GET", "/trainer/sessions/{session}/roster", None),
    ("trainer", "POST", "/trainer/sessions/{session}/roster", {"status-1": "present"}),
    ("trainer", "GET", "/trainer/sessions/{session}/check-in-qr.svg?code=123456", None),
    ("trainer", "GET", "/trainer/sessions/{session}/sheet", None),
    ("trainer", "GET", "/trainer/sessions/{session}/sheet.xlsx", None),
    ("trainer", "GET", "/trainer/sessions/{session}/import", None),
    ("trainer", "GET", "/trainer/courses/{course}/assessments", None),
    ("trainer", "POST", "/trainer/courses/{course}/assessments/{enrollment}", {"score": "70"}),
    ("trainer", "GET", "/trainer/courses/{course}/attendance", None),
    ("trainer", "GET", "/trainer/courses/{course}/attendance.csv", None),
    ("trainer", "GET", "/trainer/courses/{course}/attendance.xlsx", None),
    ("trainer", "GET", "/api/v1/sessions/{session}/attendance", None),
    ("trainer", "PUT", "/api/v1/sessions/{session}/attendance", {"records": []}),
    ("trainer", "GET", "/api/v1/sessions/{session}/check-in-code", None),
    ("trainer", "PUT", "/api/v1/enrollments/{enrollment}/assessment", {"score": 70}),
    ("trainer", "GET", "/api/v1/courses/{course}/attendance-summary", None),
    ("trainer", "GET", "/api/v1/courses/{course}/enrollments", None),
    ("trainer", "GET", "/api/v1/courses/{draft}", None),
    ("trainer", "GET", "/api/v1/courses/{draft}/sessions", None),
    ("trainee", "GET", "/checkin/{session}?code=123456", None),
    ("trainee", "POST", "/checkin/{session}", {"code": "123456"}),
    ("trainee", "GET", "/checkin/{draft_session}", None),
    ("trainee", "POST", "/api/v1/sessions/{session}/check-in", {"code": "123456"}),
    ("trainee", "POST", "/api/v1/sessions/{draft_session}/check-in", {"code": "123456"}),
    ("trainee", "GET", "/courses/{draft}", None),
]


def _ask(client, login, api_headers, user, method, url, body):
    """(status, body) of the request, the URL replaced in the body (a page links to itself)."""
    if url.startswith("/api/"):
        response = client.open(url, method=method, json=body, headers=api_headers(user))
        return response.status_code, response.get_json()
    login(user)
    response = client.open(url, method=method, data=body, headers={"Accept-Language": "en"})
    page = without_csrf(response.get_data(as_text=True)).replace(url.split("?")[0], "URL")
    return response.status_code, page


@pytest.mark.parametrize(("who", "method", "template", "body"), ROUTES)
def test_not_yours_answers_as_not_there(
    client, login, api_headers, world, who, method, template, body
):
    user = world[who]
    ids = {key: value for key, value in world.items() if isinstance(value, int)}
    existing = template.format(**ids)
    missing = template.format(**dict.fromkeys(ids, MISSING))
    not_yours = _ask(client, login, api_headers, user, method, existing, body)
    not_there = _ask(client, login, api_headers, user, method, missing, body)
    assert not_yours[0] == 404
    assert not_yours == not_there
