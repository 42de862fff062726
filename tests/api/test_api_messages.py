"""Every message of the API's validation layer (marshmallow's fields, schemas and validators,
webargs) reaches an Indonesian request in Indonesian, whole: no "Must be one of", no half-English
"Harus ... and less than or equal to ...". The walk below makes each field and validator fail
as marshmallow does, so a message a new version adds fails here until it is translated."""

import inspect
import re

import marshmallow
import pytest
from flask_babel import force_locale
from marshmallow import Schema, fields, validate

from lms.api.messages import MARSHMALLOW_MESSAGES, translate
from tests.fixtures.i18n import tr

#: English words that must not survive in an Indonesian message ("valid", "email", "URL",
#: "JSON", "UUID", "IP" are Indonesian loanwords or names, and stay)
ENGLISH = re.compile(
    r"\b(must|not|and|than|or|equal|length|shorter|longer|missing|required|null|unknown|type|"
    r"input|string|number|pattern|choices|made|between|field|may|be|of|greater|less|invalid|"
    r"period|time|mapping|list|tuple|address|interface|too|large|special|values|infinity|"
    r"permitted|body|date|datetime|aware|naive|boolean|integer|one|data)\b",
    re.IGNORECASE,
)


def field_messages():
    """Every load-time message of every marshmallow field class, formatted as marshmallow
    formats it (the serialisation-only "format" messages left out)."""
    found = set()
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        if not issubclass(cls, fields.Field):
            continue
        messages = {}
        for klass in reversed(cls.__mro__):
            messages.update(getattr(klass, "default_error_messages", {}))
        obj_type = getattr(cls, "OBJ_TYPE", None)
        for key, message in messages.items():
            if key == "format":
                continue
            if key == "invalid_awareness":
                if not issubclass(cls, fields.NaiveDateTime | fields.AwareDateTime):
                    continue  # inherited, never raised
                for awareness in ("aware", "naive"):
                    found.add(message.format(awareness=awareness, obj_type=obj_type))
                continue
            if "{obj_type}" in message:
                if obj_type is None:
                    continue  # an abstract base: its subclasses name their type
                message = message.format(obj_type=obj_type)
            if "{choices}" in message:
                message = message.format(choices="1, 2")
            found.add(message)
    found.update(Schema._default_error_messages.values())
    found.add("Invalid JSON body.")  # webargs
    return found


def validator_messages():
    """The message of each marshmallow validator failing, in each of its forms."""

    def fail(validator, value):
        with pytest.raises(marshmallow.ValidationError) as caught:
            validator(value)
        return caught.value.messages

    messages = []
    for min_inclusive in (True, False):
        for max_inclusive in (True, False):
            both = validate.Range(1, 9, min_inclusive=min_inclusive, max_inclusive=max_inclusive)
            messages += fail(both, 0)
        messages += fail(validate.Range(min=1, min_inclusive=min_inclusive), 0)
        messages += fail(validate.Range(max=9, max_inclusive=min_inclusive), 10)
    messages += fail(validate.Length(min=2), "a")
    messages += fail(validate.Length(max=2), "abc")
    messages += fail(validate.Length(min=2, max=3), "a")
    messages += fail(validate.Length(equal=2), "a")
    messages += fail(validate.OneOf(["1", "2"]), "3")
    messages += fail(validate.ContainsOnly(["1", "2"]), ["3"])
    messages += fail(validate.ContainsNoneOf(["1", "2"]), ["1"])
    messages += fail(validate.NoneOf(["1"]), "1")
    messages += fail(validate.Equal(7), 8)
    messages += fail(validate.Regexp(r"^\d+$"), "x")
    messages += fail(validate.Predicate("isdigit"), "x")
    messages += fail(validate.Email(), "x")
    messages += fail(validate.URL(), "x")
    return set(messages)


def every_message():
    return sorted(field_messages() | validator_messages())


def test_the_walk_finds_what_the_api_uses():
    walked = every_message()
    for message in (
        "Must be one of: 1, 2.",
        "Must be greater than or equal to 1 and less than or equal to 9.",
        "Missing data for required field.",
        "Unknown field.",
        "Not a valid integer.",
        "Not a valid email address.",
        "Longer than maximum length 2.",
    ):
        assert message in walked


@pytest.mark.parametrize("message", every_message())
def test_every_validation_message_is_indonesian(app, message):
    with app.test_request_context(headers={"Accept-Language": "id"}), force_locale("id"):
        said = translate(message)
    assert said != message, f"not translated: {message!r}"
    # what marshmallow filled in (numbers, choices) stays; nothing else English
    leftover = ENGLISH.findall(re.sub(r"\d+(, \d+)*", "", said))
    assert not leftover, f"{message!r} -> {said!r}"


def test_the_catalogue_keeps_the_placeholders(app):
    with app.test_request_context(), force_locale("id"):
        for template in MARSHMALLOW_MESSAGES:
            names = set(re.findall(r"\{(\w+)\}", template))
            assert set(re.findall(r"\{(\w+)\}", tr(template))) == names, template


# --- through the API ------------------------------------------------------------------------


def test_a_choice_in_a_query_in_indonesian(client, api_headers, dummy_staff):
    response = client.get("/api/v1/users?role=king", headers=api_headers(dummy_staff, "id"))
    assert response.status_code == 400
    (message,) = response.get_json()["error"]["fields"]["role"]
    assert message == tr("Must be one of: {choices}.").format(
        choices="trainee, trainer, staff, admin"
    )
    assert not message.startswith("Must")


def test_a_page_out_of_range_in_indonesian(client, api_headers, dummy_staff):
    response = client.get("/api/v1/users?page=0", headers=api_headers(dummy_staff, "id"))
    (message,) = response.get_json()["error"]["fields"]["page"]
    assert message == tr(
        "Must be greater than or equal to {min} and less than or equal to {max}."
    ).format(min=1, max=1000000)
    assert not ENGLISH.findall(message)


def test_a_body_with_every_kind_of_mistake_in_indonesian(client, api_headers, dummy_staff):
    body = {"email": 5, "role": "king", "locale": "fr", "nik": None, "colour": "blue"}
    response = client.post("/api/v1/users", json=body, headers=api_headers(dummy_staff, "id"))
    assert response.status_code == 400
    fields_ = response.get_json()["error"]["fields"]
    assert fields_["colour"] == [tr("Unknown field.")]
    assert fields_["password"] == [tr("Missing data for required field.")]
    assert fields_["email"] == [tr("Not a valid string.")]
    for messages in fields_.values():
        for message in messages:
            assert not ENGLISH.findall(re.sub(r"[a-z]+(, [a-z]+)*\.$", "", message)), message


def test_a_broken_json_body_in_indonesian(client, api_headers, dummy_staff):
    headers = {**api_headers(dummy_staff, "id"), "Content-Type": "application/json"}
    response = client.post("/api/v1/users", data="{broken", headers=headers)
    assert response.status_code == 400
    messages = [m for ms in response.get_json()["error"]["fields"].values() for m in ms]
    assert messages == [tr("Invalid JSON body.")]
