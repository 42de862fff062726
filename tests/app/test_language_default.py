"""Without a profile or cookie language, pages and e-mails are Indonesian unless the browser
asks for English; a password-reset mail follows the language the request was made in."""

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.outbox.models import OutboxMessage
from tests.fixtures.i18n import tr


@pytest.mark.parametrize(
    "header, lang",
    [
        (None, "id"),
        ("de-DE,de;q=0.9", "id"),
        ("id-ID,id;q=0.9,en-US;q=0.8,en;q=0.7", "id"),
        ("*", "id"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5", "en"),
    ],
)
def test_a_visitor_reads_indonesian_unless_the_browser_asks_for_english(client, header, lang):
    if header:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = header
    page = client.get("/courses/").get_data(as_text=True)
    assert f'<html lang="{lang}">' in page


def test_a_user_without_a_language_gets_indonesian_mail(create_user):
    from lms.outbox import services as outbox

    user = create_user("trainee", locale=None)
    message = outbox.queue(user, "password_reset", "emails/password_reset", link="x", minutes=60)
    assert message.locale == "id"


@pytest.mark.parametrize("profile", [None, "id", "en"])
@pytest.mark.parametrize("asked", ["id", "en"])
def test_the_reset_mail_speaks_the_language_of_the_request(client, create_user, profile, asked):
    user = create_user("trainee", locale=profile)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = asked
    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 302
    db.session.rollback()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "password_reset"))
    assert message.locale == asked
    assert message.subject == tr("Set a new password for Latih", asked)
    assert db.session.get(User, user.id).locale == profile  # the profile is not changed
