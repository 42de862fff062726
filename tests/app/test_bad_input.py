"""Input the database cannot store (a NUL byte, an unpaired surrogate, a number beyond its
integers) is a 400 with a message in the user's language, on every route and on both databases."""

import io

import pytest
from flask import url_for
from flask_babel import force_locale, gettext
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField
from wtforms.validators import NumberRange

from lms.api.blueprint import bound_integers
from lms.core.forms import LmsForm
from lms.core.inputs import DB_INT_MAX, DB_INT_MIN
from tests.fixtures.api import assert_json_error
from tests.fixtures.pages import text
from tests.fixtures.users import PASSWORD

TOO_BIG = 2**31
NUL_MESSAGE = "The text contains a character that is not allowed. Remove it and try again."


def _in(locale, message):
    with force_locale(locale):
        return gettext(message)


# --- the cases of the attack drill -----------------------------------------------------------

#: (anonymous) page requests: method, path, form data
PAGE_CASES = [
    ("GET", "/courses/?q=a%00b", None),
    ("GET", "/verify/AB%00CD", None),
    ("GET", "/verify?code=AB%00CD", None),
    ("POST", "/login", {"email": "siti\x00@example.org", "password": PASSWORD}),
    ("POST", "/password/forgot", {"email": "siti\x00@example.org"}),
    (
        "POST",
        "/register",
        {
            "name": "Siti\x00Rahma",
            "email": "siti@example.org",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "nik": "1807015705950001",
            "birth_date": "1995-05-17",
            "gender": "female",
            "phone": "081234567890",
            "regency_code": "18.07",
            "target_group": "cpmi",
            "consent": "y",
        },
    ),
    ("GET", f"/courses/?partner_id={TOO_BIG}", None),
    ("GET", f"/courses/?partner_id={-TOO_BIG - 1}", None),
]


@pytest.mark.parametrize("method,path,data", PAGE_CASES)
@pytest.mark.parametrize("locale", ["id", "en"])
def test_pages_refuse_bad_input_in_the_users_language(client, method, path, data, locale):
    response = client.open(path, method=method, data=data, headers={"Accept-Language": locale})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    shown = text(response)
    if "partner_id" in path:
        assert _in(locale, "The number %(value)s is out of range.").split("%")[0] in shown
    else:
        assert _in(locale, NUL_MESSAGE) in shown
    if locale == "id":
        assert _in("id", NUL_MESSAGE) != NUL_MESSAGE


#: anonymous API requests: method, path, JSON body, the field at fault
API_CASES = [
    ("GET", "/api/v1/certificates/AB%00CD", None, "code"),
    ("GET", "/api/v1/certificates/AB%00CD/pdf", None, "code"),
    ("GET", "/api/v1/courses?q=a%00b", None, "q"),
    ("GET", "/api/v1/courses?type=%00", None, "type"),
    ("POST", "/api/v1/tokens", {"email": "siti\x00@example.org", "password": PASSWORD}, "email"),
    ("POST", "/api/v1/tokens", {"email": "siti@example.org", "password": "a\ud800b"}, "password"),
    ("POST", "/api/v1/tokens", {"email\x00": "x", "password": PASSWORD}, "email\ufffd"),
    ("GET", f"/api/v1/courses?partner_id={TOO_BIG}", None, "partner_id"),
    ("GET", f"/api/v1/courses?page=1&partner_id={-TOO_BIG - 1}", None, "partner_id"),
]


@pytest.mark.parametrize("method,path,body,field", API_CASES)
@pytest.mark.parametrize("locale", ["id", "en"])
def test_api_refuses_bad_input_with_the_field(client, method, path, body, field, locale):
    response = client.open(path, method=method, json=body, headers={"Accept-Language": locale})
    error = assert_json_error(response, 400)
    assert field in error["fields"], error
    if "partner_id" in path:
        expected = _in(
            locale, "Must be greater than or equal to {min} and less than or equal to {max}."
        ).format(min=DB_INT_MIN, max=DB_INT_MAX)
    else:
        expected = _in(locale, NUL_MESSAGE)
        assert error["message"] == expected
    assert error["fields"][field] == [expected]


@pytest.fixture
def staff_headers(api_headers, dummy_staff):
    return api_headers(dummy_staff)


def _course_body(partner_id, **extra):
    return {
        "code": "NUL-1",
        "title": "Tata Graha",
        "type": "hospitality",
        "partner_id": partner_id,
        "capacity": 10,
        "starts_on": "2030-02-01",
        "ends_on": "2030-02-28",
        "registration_opens_at": "2030-01-01T08:00:00+07:00",
        "registration_closes_at": "2030-01-31T08:00:00+07:00",
        "requires_approval": False,
        "waitlist": True,
        "details": {"specialisation": "housekeeping", "destination": "JP"},
        **extra,
    }


def test_staff_api_bodies_refuse_numbers_beyond_the_database(
    client, staff_headers, dummy_course, create_partner
):
    partner = create_partner()
    cases = [
        ("/api/v1/courses", _course_body(TOO_BIG), "partner_id"),
        ("/api/v1/courses", _course_body(partner.id, trainer_ids=[TOO_BIG]), "trainer_ids.0"),
        ("/api/v1/courses", _course_body(partner.id, capacity=-TOO_BIG - 1), "capacity"),
        (
            "/api/v1/users",
            {
                "email": "latih@example.org",
                "password": PASSWORD,
                "name": "Latih",
                "role": "trainer",
                "partner_id": TOO_BIG,
            },
            "partner_id",
        ),
        (f"/api/v1/courses/{dummy_course.id}/enrollments", {"user_id": TOO_BIG}, "user_id"),
    ]
    for path, body, field in cases:
        error = assert_json_error(client.post(path, json=body, headers=staff_headers), 400)
        assert list(error["fields"]) == [field], (path, error)


def test_staff_api_queries_and_bodies_refuse_nul(client, staff_headers, create_partner):
    partner = create_partner()
    cases = [
        ("GET", "/api/v1/users?q=%00", None, "q"),
        ("POST", "/api/v1/courses", _course_body(partner.id, title="Tata\x00Graha"), "title"),
        (
            "POST",
            "/api/v1/courses",
            _course_body(partner.id, details={"practice_site": "\x00"}),
            "details.practice_site",
        ),
        ("POST", "/api/v1/partners", {"name": "Mitra\x00", "kind": "university"}, "name"),
    ]
    for method, path, body, field in cases:
        response = client.open(path, method=method, json=body, headers=staff_headers)
        error = assert_json_error(response, 400)
        assert list(error["fields"]) == [field], (path, error)


def test_the_page_forms_refuse_nul_as_staff(client, login, dummy_staff, dummy_course):
    login(dummy_staff)
    response = client.post(
        f"/manage/courses/{dummy_course.id}/enrollments/add", data={"user_id": "1\x00"}
    )
    assert response.status_code == 400
    response = client.post(
        "/users/new",
        data={"email": "a@example.org", "password": PASSWORD, "name": "\x00", "role": "trainee"},
    )
    assert response.status_code == 400


def test_an_upload_named_with_a_nul_is_refused(client, login, dummy_staff):
    login(dummy_staff)
    response = client.post(
        "/imports/trainees",
        data={"file": (io.BytesIO(b"name\nSiti\n"), "trainees\x00.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


# --- the sweep: every route refuses a NUL, wherever it is sent ----------------------------------


def _path_of(rule, text_value):
    """A URL of ``rule``: 1 for each number, ``text_value`` for each text."""
    values = {}
    for name, converter in rule._converters.items():
        if type(converter).__name__.endswith("IntConverter"):
            values[name] = 1
        elif hasattr(converter, "items"):  # <any(csv, xlsx):...>
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = text_value
    return values


@pytest.mark.parametrize("role", [None, "staff"])
def test_every_route_refuses_nul_in_the_query_and_the_body(
    app, client, login, users_by_role, api_headers, role
):
    """Whatever the route does with it, a NUL in the query string, a form field or a JSON body
    never reaches it: 400, as a page or as API.md's error."""
    if role is not None:
        login(users_by_role[role])
    headers = api_headers(users_by_role[role])
    checked = 0
    for rule in app.url_map.iter_rules():
        values = _path_of(rule, "x")
        with app.test_request_context():
            path = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            attempts = [{"query_string": {"q": "a\x00b"}}]
            if method != "GET":
                attempts += [{"data": {"note": "a\x00b"}}, {"json": {"note": ["a", "\x00"]}}]
            for attempt in attempts:
                response = client.open(path, method=method, headers=headers, **attempt)
                assert response.status_code == 400, (method, path, attempt, response.status_code)
                if path.startswith("/api/"):
                    assert_json_error(response, 400)
                checked += 1
    assert checked > 100


def test_every_text_part_of_a_path_refuses_nul(app, client, login, dummy_staff):
    login(dummy_staff)
    checked = 0
    for rule in app.url_map.iter_rules():
        texts = [
            c
            for c in rule._converters.values()
            if not type(c).__name__.endswith("IntConverter") and not hasattr(c, "items")
        ]
        if not texts:
            continue
        values = _path_of(rule, "a\x00b")
        with app.test_request_context():
            path = url_for(rule.endpoint, **values)
        response = client.get(path)
        assert response.status_code == 400, (path, response.status_code)
        checked += 1
    assert checked >= 5


def test_every_integer_the_api_reads_fits_the_database(client):
    """The OpenAPI document shows every integer of a query or a body bounded to the database's
    integers (the API's Blueprint bounds them): a larger one is a 400, never an overflow."""
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    found = []

    def walk(schema, where, seen=()):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(schemas[name], f"{where}>{name}", (*seen, name))
            return
        if schema.get("type") == "integer":
            found.append(where)
            assert schema.get("minimum", -(2**63)) >= DB_INT_MIN, where
            assert schema.get("maximum", 2**63) <= DB_INT_MAX, where
        for key in ("items", "additionalProperties"):
            if isinstance(schema.get(key), dict):
                walk(schema[key], f"{where}[]", seen)
        for name, inner in (schema.get("properties") or {}).items():
            walk(inner, f"{where}.{name}", seen)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    walk(parameter["schema"], f"{method} {path} ?{parameter['name']}")
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                walk(body["schema"], f"{method} {path}")
    assert any("trainer_ids" in where for where in found), found
    assert any("user_id" in where for where in found), found


def test_a_narrower_range_is_kept():
    class Args(Schema):
        small = fields.Integer(validate=validate.Range(min=1, max=10))
        big = fields.List(fields.Integer())

    bound_integers(Args)
    bound_integers(Args)
    small, big = Args._declared_fields["small"], Args._declared_fields["big"].inner
    assert [(v.min, v.max) for v in small.validators] == [(1, 10)]
    assert [(v.min, v.max) for v in big.validators] == [(DB_INT_MIN, DB_INT_MAX)]
    assert Args().validate({"big": [TOO_BIG]}) == {
        "big": {
            0: [
                f"Must be greater than or equal to {DB_INT_MIN} and less than or equal to "
                f"{DB_INT_MAX}."
            ]
        }
    }


def test_form_integers_fit_the_database(app):
    class Numbers(LmsForm):
        free = IntegerField()
        narrow = IntegerField(validators=[NumberRange(min=1, max=10)])

    with app.test_request_context(), force_locale("en"):
        form = Numbers(formdata=MultiDict({"free": str(TOO_BIG), "narrow": str(TOO_BIG)}))
        assert not form.validate()
        assert form.errors == {
            "free": [f"Number must be between {DB_INT_MIN} and {DB_INT_MAX}."],
            "narrow": ["Number must be between 1 and 10."],
        }
        form = Numbers(formdata=MultiDict({"free": str(DB_INT_MAX), "narrow": "3"}))
        assert form.validate(), form.errors
