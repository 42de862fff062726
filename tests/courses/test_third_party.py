"""A sixth course type, packaged separately and registered through the entry-point group, works
everywhere — catalogue, staff form, API — with no change to lms/."""

import importlib
import sys
import textwrap
from datetime import date, time, timedelta

import pytest

from lms.catalog import services as catalog
from lms.core.time import combine_local
from lms.errors import InvalidInput
from lms.extensions import db

PLUGIN = """
from flask_babel import lazy_gettext as _l
from wtforms import Form, IntegerField, SelectField
from wtforms.validators import DataRequired, NumberRange

from lms.course_types.base import CourseType


class CaregivingDetails(Form):
    setting = SelectField(
        _l("Setting"),
        choices=[("elderly_home", "Elderly home"), ("household", "Household")],
        validators=[DataRequired()],
    )
    practice_hours = IntegerField("Practice hours", validators=[DataRequired(), NumberRange(min=1)])


class CaregivingCourseType(CourseType):
    key = "caregiving"
    labels = {"id": "Perawatan Lansia", "en": "Caregiving"}
    details_form = CaregivingDetails
    catalog_filters = ("setting",)
    attendance_threshold = 0.9
    requires_assessment = True
    certificate_wording = {"id": "telah mengikuti {course}", "en": "has attended {course}"}


course_type = CaregivingCourseType()
"""


@pytest.fixture
def plugin_app(make_app, tmp_path, monkeypatch):
    """An app built after a separate package declaring ``caregiving`` was installed."""
    package = tmp_path / "latih_caregiving"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    dist = tmp_path / "latih_caregiving-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: latih-caregiving\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[lms.course_types]\ncaregiving = latih_caregiving:course_type\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield make_app()
    sys.modules.pop("latih_caregiving", None)


def test_sixth_type_is_registered(plugin_app):
    assert "caregiving" in plugin_app.extensions["course_types"]
    assert {"hospitality", "language"} <= set(plugin_app.extensions["course_types"])


def test_sixth_type_in_catalogue(plugin_app, create_partner):
    partner = create_partner(mou_valid_until=date.today() + timedelta(days=365))
    today = date.today()
    with plugin_app.app_context():
        course = catalog.create_course(
            {
                "code": "CARE-01",
                "title": "Perawatan Lansia untuk Taiwan",
                "type": "caregiving",
                "partner_id": partner.id,
                "capacity": 12,
                "starts_on": today + timedelta(days=20),
                "ends_on": today + timedelta(days=50),
                "registration_opens_at": combine_local(today - timedelta(days=1), time(8)),
                "registration_closes_at": combine_local(today + timedelta(days=10), time(8)),
                "status": "published",
                "details": {"setting": "elderly_home", "practice_hours": 40},
            }
        )
        db.session.commit()
        course_id = course.id
    client = plugin_app.test_client()
    page = client.get("/courses/?type=caregiving&d_setting=elderly_home")
    assert page.status_code == 200
    assert "Perawatan Lansia untuk Taiwan" in page.text
    assert 'value="caregiving" selected' in page.text
    detail = client.get(f"/courses/{course_id}")
    assert "Elderly home" in detail.text and "40" in detail.text


def test_sixth_type_in_the_staff_form_and_the_api(plugin_app, create_user, create_partner):
    from lms.auth import services as auth_services

    staff = create_user("staff")
    partner = create_partner(mou_valid_until=date.today() + timedelta(days=365))
    client = plugin_app.test_client()
    types = client.get("/api/v1/course-types", headers={"Accept-Language": "en"}).get_json()
    caregiving = next(t for t in types if t["key"] == "caregiving")
    assert caregiving["label"] == "Caregiving"
    assert [f["name"] for f in caregiving["fields"]] == ["setting", "practice_hours"]
    with client.session_transaction() as session:
        session["_user_id"] = staff.get_id()
    form = client.get("/manage/courses/new/caregiving")
    assert form.status_code == 200
    assert 'name="details-setting"' in form.text and 'name="details-practice_hours"' in form.text
    with plugin_app.app_context():
        token, _row = auth_services.issue_api_token(db.session.get(type(staff), staff.id))
        db.session.commit()
    today = date.today()
    body = {
        "code": "CARE-API",
        "title": "Perawatan Lansia",
        "type": "caregiving",
        "partner_id": partner.id,
        "capacity": 10,
        "starts_on": (today + timedelta(days=20)).isoformat(),
        "ends_on": (today + timedelta(days=40)).isoformat(),
        "registration_opens_at": f"{today.isoformat()}T08:00:00+07:00",
        "registration_closes_at": f"{(today + timedelta(days=10)).isoformat()}T08:00:00+07:00",
        "requires_approval": False,
        "waitlist": True,
        "details": {"setting": "household", "practice_hours": 0},
    }
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    refused = client.post("/api/v1/courses", json=body, headers=headers)
    assert refused.status_code == 400
    assert "details.practice_hours" in refused.get_json()["error"]["fields"]
    body["details"]["practice_hours"] = 30
    created = client.post("/api/v1/courses", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["details"] == {"setting": "household", "practice_hours": 30}


def test_disabling_a_type_hides_it(make_app):
    disabled = make_app(COURSE_TYPES_DISABLED=("plantation",))
    assert "plantation" not in disabled.extensions["course_types"]
    assert "language" in disabled.extensions["course_types"]


def test_course_of_a_disabled_type_still_shows(make_app, create_partner):
    partner = create_partner(mou_valid_until=date.today() + timedelta(days=365))
    today = date.today()
    course = catalog.create_course(
        {
            "code": "KBN-X",
            "title": "Kelapa Sawit",
            "type": "plantation",
            "partner_id": partner.id,
            "capacity": 10,
            "starts_on": today + timedelta(days=20),
            "ends_on": today + timedelta(days=50),
            "registration_opens_at": combine_local(today, time(8)),
            "registration_closes_at": combine_local(today + timedelta(days=10), time(8)),
            "status": "published",
            "details": {"commodity": "oil_palm", "field_practice_hours": 10, "practice_site": "X"},
        }
    )
    db.session.commit()
    disabled = make_app(COURSE_TYPES_DISABLED=("plantation",))
    client = disabled.test_client()
    listing = client.get("/courses/", headers={"Accept-Language": "en"})
    assert "Kelapa Sawit" in listing.text
    page = client.get(f"/courses/{course.id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "This course type is not available at the moment." in page.text
    with disabled.app_context(), pytest.raises(InvalidInput) as refused:
        catalog.update_course(db.session.get(type(course), course.id), {"capacity": 12})
    assert "type" in refused.value.fields
