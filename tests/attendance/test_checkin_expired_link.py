"""A QR check-in link whose code has expired says so on the page before the trainee presses
anything, with what to do next, and asks for the current code."""

from datetime import timedelta

import pytest

from lms.attendance import checkin, services
from lms.core.types import utcnow
from tests.fixtures.i18n import tr
from tests.fixtures.pages import text
from tests.fixtures.users import log_in

EXPIRED = "The code in this link has expired."
NEXT_STEP = (
    "The code on the trainer's screen changes every few seconds. Ask your trainer to show the "
    "current code, then scan it again with your phone camera, or type its 6 digits below."
)


@pytest.fixture
def now_session(classroom, create_session):
    starts = utcnow() - timedelta(minutes=5)
    return create_session(classroom.course, starts_at=starts, ends_at=starts + timedelta(hours=2))


def old_code(app, session):
    """The code of three periods ago: no longer accepted."""
    period = app.config["CHECKIN_CODE_PERIOD"]
    counter = int(utcnow().timestamp()) // period
    return checkin.code_for(session.checkin_secret, counter - 3)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_an_expired_link_says_so_before_the_button(app, client, classroom, now_session, lang):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    log_in(client, classroom.trainee)
    code = old_code(app, now_session)
    response = client.get(f"/checkin/{now_session.id}?code={code}")
    assert response.status_code == 200
    page = text(response)
    assert tr(EXPIRED, lang) in page and tr(NEXT_STEP, lang) in page
    body = response.get_data(as_text=True)
    # no button that would only fail: a box for the current code instead, empty
    assert f'value="{code}"' not in body
    assert 'type="hidden" name="code"' not in body
    assert 'name="code" type="text" value=""' in body or 'type="text" value=""' in body


def test_a_fresh_link_shows_the_button_only(client, classroom, now_session):
    log_in(client, classroom.trainee)
    code, _expires = services.current_checkin_code(now_session)
    response = client.get(f"/checkin/{now_session.id}?code={code}")
    assert tr(EXPIRED) not in text(response)
    assert 'data-testid="checkin-button"' in response.get_data(as_text=True)


def test_without_a_code_nothing_is_said_to_have_expired(client, classroom, now_session):
    log_in(client, classroom.trainee)
    response = client.get(f"/checkin/{now_session.id}")
    assert tr(EXPIRED) not in text(response)
