"""marshmallow's messages reach API clients in their language, formatted ones included."""

from flask_babel import force_locale, gettext

from lms.api.messages import translate


def test_formatted_message_is_translated(app):
    with app.test_request_context(headers={"Accept-Language": "id"}), force_locale("id"):
        expected = gettext("Must be greater than or equal to {min}.").format(min=1)
        assert translate("Must be greater than or equal to 1.") == expected
        assert expected != "Must be greater than or equal to 1."


def test_plain_and_unknown_messages(app):
    with app.test_request_context(), force_locale("id"):
        assert translate("Missing data for required field.") == gettext(
            "Missing data for required field."
        )
        assert translate("Some message of a custom validator.") == (
            "Some message of a custom validator."
        )


def test_range_error_in_indonesian_through_the_api(client, api_headers, dummy_staff):
    response = client.get("/api/v1/users?per_page=0", headers=api_headers(dummy_staff, "id"))
    assert response.status_code == 400
    message = response.get_json()["error"]["fields"]["per_page"][0]
    with force_locale("id"):
        assert message == gettext("Must be greater than or equal to {min}.").format(min=1)
