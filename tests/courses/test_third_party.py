"""A sixth course type, packaged separately and registered through the entry-point group, works
everywhere — catalogue, staff form, API — with no change to lms/."""

import importlib
import sys
import textwrap
from datetime import time, timedelta

import pytest

from lms.catalog import services as catalog
from lms.core.time import combine_local, local_today
from lms.errors import InvalidInput
from lms.extensions import db
from tests.fixtures.users import log_in

EN = {"Accept-Language": "en"}

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
    details_template = "courses/caregiving/details.html"
    catalog_filters = ("setting",)
    attendance_threshold = 0.9
    requires_assessment = True
    certificate_wording = {"id": "telah mengikuti {course}", "en": "has attended {course}"}


course_type = CaregivingCourseType()
"""

#: the package's own templates, beside its module: its details fragment, and a fragment named
#: like one of the app's, which must not replace it
TEMPLATES = {
    "templates/courses/caregiving/details.html": """
        {% include "courses/_details.html" %}
        <p data-testid="caregiving-practice">Praktik merawat: {{ course.details.practice_hours }} jam</p>
    """,
    "templates/courses/_details.html": "<p>the plugin replaced a template of the app</p>",
}


@pytest.fixture
def install_plugin(tmp_path, monkeypatch):
    """Install ``latih_caregiving`` as a separate package registered under the entry-point group:
    ``install_plugin(source, files)``, ``files`` mapping paths inside the package to their text."""

    def _install(source=PLUGIN, files=TEMPLATES):
        package = tmp_path / "latih_caregiving"
        package.mkdir()
        (package / "__init__.py").write_text(textwrap.dedent(source))
        for path, text in files.items():
            (package / path).parent.mkdir(parents=True, exist_ok=True)
            (package / path).write_text(textwrap.dedent(text))
        dist = tmp_path / "latih_caregiving-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: latih-caregiving\nVersion: 1.0\n"
        )
        (dist / "entry_points.txt").write_text(
            "[lms.course_types]\ncaregiving = latih_caregiving:course_type\n"
        )
        monkeypatch.syspath_prepend(str(tmp_path))
        importlib.invalidate_caches()
        return package

    yield _install
    sys.modules.pop("latih_caregiving", None)


@pytest.fixture
def plugin_app(make_app, install_plugin):
    """An app built after the separate package declaring ``caregiving`` was installed."""
    install_plugin()
    return make_app()


def _caregiving_course(app, partner, **overrides):
    """Create a published caregiving course in ``app``; returns its id."""
    today = local_today()
    data = {
        "code": "CARE-01",
        "title": "Perawatan Lansia untuk Taiwan",
        "title_en": "Elderly Care for Taiwan",
        "type": "caregiving",
        "partner_id": partner.id,
        "capacity": 12,
        "starts_on": today + timedelta(days=20),
        "ends_on": today + timedelta(days=50),
        "registration_opens_at": combine_local(today - timedelta(days=1), time(8)),
        "registration_closes_at": combine_local(today + timedelta(days=10), time(8)),
        "status": "published",
        "details": {"setting": "elderly_home", "practice_hours": 40},
        **overrides,
    }
    with app.app_context():
        course = catalog.create_course(data)
        db.session.commit()
        return course.id


def _as_staff(client, staff):
    return log_in(client, staff)


def test_sixth_type_is_registered(plugin_app):
    assert "caregiving" in plugin_app.extensions["course_types"]
    assert {"hospitality", "language"} <= set(plugin_app.extensions["course_types"])
    # the package's own template folder is known; the built-in types ship none
    [folder] = plugin_app.extensions["course_type_templates"]
    assert folder.endswith("latih_caregiving/templates")


def test_sixth_type_in_catalogue(plugin_app, create_partner):
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    course_id = _caregiving_course(plugin_app, partner)
    client = plugin_app.test_client()
    page = client.get("/courses/?type=caregiving&d_setting=elderly_home")
    assert page.status_code == 200
    assert "Perawatan Lansia untuk Taiwan" in page.text
    assert 'value="caregiving" selected' in page.text
    detail = client.get(f"/courses/{course_id}")
    assert "Elderly home" in detail.text and "40" in detail.text


def test_sixth_type_shows_its_own_details_fragment(plugin_app, create_partner, create_user):
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    course_id = _caregiving_course(plugin_app, partner)
    client = plugin_app.test_client()
    for headers, title in (({}, "Perawatan Lansia untuk Taiwan"), (EN, "Elderly Care for Taiwan")):
        public = client.get(f"/courses/{course_id}", headers=headers)
        assert public.status_code == 200
        assert title in public.text
        assert "Praktik merawat: 40 jam" in public.text  # the package's own fragment
        assert "Elderly home" in public.text  # the app's generic list, which it includes
        assert "the plugin replaced a template of the app" not in public.text
    staff_page = _as_staff(client, create_user("staff")).get(
        f"/manage/courses/{course_id}", headers=EN
    )
    assert staff_page.status_code == 200
    assert "Praktik merawat: 40 jam" in staff_page.text and "Elderly home" in staff_page.text
    assert "the plugin replaced a template of the app" not in staff_page.text
    api = client.get(f"/api/v1/courses/{course_id}", headers=EN)
    assert api.status_code == 200
    assert api.get_json()["type"] == "caregiving"
    assert api.get_json()["details"] == {"setting": "elderly_home", "practice_hours": 40}


def test_a_fragment_the_package_does_not_ship_falls_back_to_the_generic_one(
    make_app, install_plugin, create_partner, create_user
):
    install_plugin(files={})  # declares courses/caregiving/details.html but ships no templates
    app = make_app()
    assert app.extensions["course_type_templates"] == []
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    course_id = _caregiving_course(app, partner)
    client = app.test_client()
    public = client.get(f"/courses/{course_id}", headers=EN)
    assert public.status_code == 200
    assert "Elderly home" in public.text and "Praktik merawat" not in public.text
    staff_page = _as_staff(client, create_user("staff")).get(f"/manage/courses/{course_id}")
    assert staff_page.status_code == 200
    assert "Elderly home" in staff_page.text


def test_a_plugin_may_name_its_template_folder(make_app, install_plugin, create_partner):
    source = PLUGIN.replace(
        '    details_template = "courses/caregiving/details.html"\n',
        '    details_template = "courses/caregiving/details.html"\n    template_folder = "jinja"\n',
    )
    package = install_plugin(
        source, {"jinja/courses/caregiving/details.html": "<p>Dari folder jinja</p>"}
    )
    app = make_app()
    assert app.extensions["course_type_templates"] == [str(package / "jinja")]
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    course_id = _caregiving_course(app, partner)
    assert "Dari folder jinja" in app.test_client().get(f"/courses/{course_id}").text


def test_a_named_template_folder_that_is_missing_stops_the_app(make_app, install_plugin):
    source = PLUGIN.replace(
        '    details_template = "courses/caregiving/details.html"\n',
        '    details_template = "courses/caregiving/details.html"\n    template_folder = "jinja"\n',
    )
    install_plugin(source, files={})
    with pytest.raises(RuntimeError, match="template folder"):
        make_app()


def test_sixth_type_in_the_staff_form_and_the_api(plugin_app, create_user, create_partner):
    from lms.auth import services as auth_services

    staff = create_user("staff")
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    client = plugin_app.test_client()
    types = client.get("/api/v1/course-types", headers=EN).get_json()
    caregiving = next(t for t in types if t["key"] == "caregiving")
    assert caregiving["label"] == "Caregiving"
    assert [f["name"] for f in caregiving["fields"]] == ["setting", "practice_hours"]
    form = _as_staff(client, staff).get("/manage/courses/new/caregiving")
    assert form.status_code == 200
    assert 'name="details-setting"' in form.text and 'name="details-practice_hours"' in form.text
    with plugin_app.app_context():
        token, _row = auth_services.issue_api_token(db.session.get(type(staff), staff.id))
        db.session.commit()
    today = local_today()
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
    headers = {"Authorization": f"Bearer {token}", **EN}
    refused = client.post("/api/v1/courses", json=body, headers=headers)
    assert refused.status_code == 400
    assert "details.practice_hours" in refused.get_json()["error"]["fields"]
    body["details"]["practice_hours"] = 30
    created = client.post("/api/v1/courses", json=body, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["details"] == {"setting": "household", "practice_hours": 30}
    # the course made through the API shows with the package's fragment on the staff page
    staff_page = client.get(f"/manage/courses/{created.get_json()['id']}")
    assert staff_page.status_code == 200 and "Praktik merawat: 30 jam" in staff_page.text


def test_disabling_a_type_hides_it(make_app):
    disabled = make_app(COURSE_TYPES_DISABLED=("plantation",))
    assert "plantation" not in disabled.extensions["course_types"]
    assert "language" in disabled.extensions["course_types"]


def test_course_of_a_disabled_type_still_shows(make_app, create_partner):
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    today = local_today()
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
