"""Registration shows every error at once: a wrong confirmation does not hide the NIK, phone,
e-mail or password errors until a second submit."""

import pytest

from lms.auth.models import User
from tests.auth.test_auth import field_errors, marked_invalid, registration
from tests.fixtures.i18n import tr
from tests.fixtures.pages import count
from tests.fixtures.users import PASSWORD


@pytest.mark.parametrize("locale", ["id", "en"])
def test_a_wrong_confirmation_does_not_hide_the_other_errors(client, locale):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    response = client.post(
        "/register",
        data=registration(
            nik="12345", phone="(0721) 481234", email="siti.example.org", confirm=PASSWORD + "x"
        ),
    )
    assert response.status_code == 400
    errors = field_errors(response)
    assert errors["confirm"] == [tr("The passwords do not match.", locale)]
    assert errors["nik"] == [tr("The NIK must be exactly 16 digits.", locale)]
    assert errors["phone"] == [
        tr(
            "Enter an Indonesian mobile number, for example 0812 3456 7890 or +62 812 3456 7890.",
            locale,
        )
    ]
    assert errors["email"] == [tr("This is not a valid e-mail address.", locale)]
    assert {"confirm", "nik", "phone", "email"} <= marked_invalid(response)
    assert count(User) == 0


def test_a_missing_consent_shows_a_weak_password_too(client):
    data = registration(password="password1", confirm="password1")
    data.pop("consent", None)
    response = client.post("/register", data=data)
    assert response.status_code == 400
    errors = field_errors(response)
    assert "consent" in errors
    assert errors["password"] == [
        tr("This password is too easy to guess: many people use it. Add a few uncommon words.")
    ]


def test_an_empty_field_has_one_message_not_two(client):
    response = client.post("/register", data=registration(nik="", confirm=PASSWORD + "x"))
    assert response.status_code == 400
    assert field_errors(response)["nik"] == [tr("This field is required.")]
