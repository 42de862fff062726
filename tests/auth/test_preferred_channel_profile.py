"""The preferred channel is changed on the profile page: the API contract (../shared/API.md) has
no endpoint that changes a user (GET /api/v1/me reads it; POST /api/v1/users sets it when staff
create an account), so no API path was added for it."""

import re

from lms.extensions import db
from tests.auth.test_auth import field_errors


def _profile(user, **changes):
    return {
        "name": user.name,
        "nik": user.nik,
        "birth_date": "1995-05-17",
        "gender": "female",
        "phone": "081234567890",
        "regency_code": "18.07",
        "target_group": "cpmi",
        "locale": "id",
        "preferred_channel": user.preferred_channel,
        **changes,
    }


def test_a_phone_trainee_cannot_choose_e_mail_and_is_told_in_indonesian(
    client, login, create_user, api_headers
):
    user = create_user("trainee", email=False, name="Wayan Sari", phone="081234567890")
    login(user)
    page = client.get("/profile", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert 'name="preferred_channel"' in page  # the page offers the choice
    response = client.post(
        "/profile",
        data=_profile(user, preferred_channel="email"),
        headers={"Accept-Language": "id"},
    )
    assert response.status_code == 400
    [message] = field_errors(response)["preferred_channel"]
    assert message.startswith("E-mail tidak dapat menjangkau Anda")
    db.session.refresh(user)
    assert user.preferred_channel != "email"
    # a channel that reaches the phone is taken, and the API shows it
    other = "whatsapp" if user.preferred_channel == "sms" else "sms"
    assert client.post("/profile", data=_profile(user, preferred_channel=other)).status_code == 302
    me = client.get("/api/v1/me", headers=api_headers(user)).get_json()
    assert me["preferred_channel"] == other


def test_a_trainee_whose_stored_choice_cannot_reach_them_sees_the_one_that_does(
    client, login, create_user
):
    """A walk-in added before walk-ins had a channel says e-mail without an address: the page
    shows the channel messages really take (as the staff's page does), and saving the page as
    shown is not refused over a choice the person never made."""
    user = create_user("trainee", email=False, name="Wayan Sari", phone="081234567890")
    user.preferred_channel = "email"
    db.session.commit()
    login(user)
    page = client.get("/profile").get_data(as_text=True)
    [select] = re.findall(r'<select[^>]*name="preferred_channel".*?</select>', page, re.S)
    [shown] = re.findall(r'<option selected value="(\w+)"', select)
    assert shown in ("sms", "whatsapp")
    response = client.post("/profile", data=_profile(user, preferred_channel=shown))
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.preferred_channel == shown
