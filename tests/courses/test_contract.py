"""Every discovered course type keeps the plugin contract (a sixth type is tested for free)."""

import json
from datetime import timedelta
from importlib.metadata import entry_points
from types import SimpleNamespace

import pytest

from lms.core.time import local_today
from lms.course_types.base import Assessment, AttendanceSummary, CourseType
from lms.course_types.registry import GROUP

BUILT_INS = {
    "hospitality",
    "plantation",
    "language",
    "entrepreneurship",
    "digital_marketing",
    "school_class",
    "outreach",
}
DISCOVERED = sorted(ep.name for ep in entry_points(group=GROUP))
ALLOWED_TYPES = {"string", "integer", "number", "boolean", "date", "choice"}


def test_all_built_in_types_are_discovered():
    # fails loudly when the package was not (re)installed with `pip install -e .`
    assert set(DISCOVERED) >= BUILT_INS


@pytest.fixture(params=DISCOVERED)
def course_type(request, app):
    with app.test_request_context():
        yield app.extensions["course_types"][request.param]


def sample_details(course_type):
    """Valid details built from the type's own description of its fields."""
    details = {}
    for field in course_type.describe_fields():
        if field["type"] == "choice":
            values = [c["value"] for c in field["choices"] if c["value"]]
            details[field["name"]] = values[:1] if field.get("multiple") else values[0]
        elif field["type"] in ("integer", "number"):
            details[field["name"]] = 10
        elif field["type"] == "boolean":
            details[field["name"]] = True
        elif field["type"] == "date":
            details[field["name"]] = local_today().isoformat()
        else:
            details[field["name"]] = "Praktik"
    return details


def test_key_labels_and_wording(course_type):
    assert isinstance(course_type, CourseType)
    assert course_type.key in DISCOVERED
    assert course_type.labels["id"] and course_type.labels["en"]
    for locale in ("id", "en"):
        text = course_type.certificate_text(
            locale, name="Siti", course="Bahasa", hours=10, partner="UPT"
        )
        assert "{" not in text
    assert 0 < course_type.attendance_threshold <= 1
    assert course_type.certificate_kind in ("competence", "attendance")


def test_fields_are_described_in_api_terms(course_type):
    for field in course_type.describe_fields():
        assert field["type"] in ALLOWED_TYPES
        assert field["label"]
        assert isinstance(field["required"], bool)
        if field["type"] == "choice":
            assert field["choices"] and all("value" in c and "label" in c for c in field["choices"])


def test_details_round_trip_through_json(course_type):
    details = sample_details(course_type)
    clean, errors = course_type.validate_details(details)
    assert errors == {}
    stored = json.loads(json.dumps(clean))
    form = course_type.make_form(stored)
    if form is not None:
        assert course_type.validate_form(form) == clean


def test_unknown_detail_is_refused(course_type):
    clean, errors = course_type.validate_details({**sample_details(course_type), "bogus": 1})
    assert clean is None
    assert "bogus" in errors


def test_catalog_filters_are_choice_fields(course_type):
    choice_fields = {f["name"] for f in course_type.describe_fields() if f["type"] == "choice"}
    assert set(course_type.catalog_filters) <= choice_fields


def _course(course_type, ended=True):
    today = local_today()
    return SimpleNamespace(
        ends_on=today - timedelta(days=1) if ended else today + timedelta(days=5),
        attendance_threshold=None,
        details=sample_details(course_type),
    )


def test_low_attendance_is_not_eligible_with_a_reason(course_type):
    course = _course(course_type)
    summary = AttendanceSummary(held=10, present=1, absent=9)
    result = course_type.certificate_eligibility(
        course, summary, Assessment(competent=True, score=100), local_today()
    )
    assert not result.eligible
    assert result.reasons and all(str(r) for r in result.reasons)


def test_full_attendance_and_passed_assessment_is_eligible(course_type):
    course = _course(course_type)
    summary = AttendanceSummary(held=10, present=10)
    result = course_type.certificate_eligibility(
        course, summary, Assessment(competent=True, score=100), local_today()
    )
    # a type that counts people instead of enrolling them issues no certificate, with a reason
    assert result.eligible is course_type.enrols, result.reasons
    assert result.eligible or result.reasons


def test_course_not_ended_is_not_eligible(course_type):
    result = course_type.certificate_eligibility(
        _course(course_type, ended=False),
        AttendanceSummary(held=10, present=10),
        Assessment(competent=True),
        local_today(),
    )
    assert not result.eligible


def test_assessment_rule_follows_the_type(course_type):
    result = course_type.certificate_eligibility(
        _course(course_type), AttendanceSummary(held=10, present=10), None, local_today()
    )
    assert result.eligible is (course_type.enrols and not course_type.requires_assessment)


def test_a_type_that_does_not_enrol_gives_no_rate_and_no_absence(course_type):
    summary = AttendanceSummary(held=3, present=1, absent=2)
    shown = course_type.attendance_for(summary)
    if course_type.enrols:
        assert shown == summary
    else:
        assert shown.rate is None and shown.absent == 0 and shown.present == 1


def test_people_counting_flags_are_booleans(course_type):
    assert isinstance(course_type.enrols, bool) and isinstance(course_type.counts_people, bool)
    assert isinstance(course_type.requires_mou, bool)


def test_details_template_is_found(app, course_type):
    # the course pages fall back to the generic fragment, so a misspelt name would go unnoticed
    app.jinja_env.get_template(course_type.details_template)
