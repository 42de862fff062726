"""The core rules a course type relies on: the attendance rate and the default certificate rule."""

from datetime import timedelta
from types import SimpleNamespace

from courses.entrepreneurship import course_type as entrepreneurship
from courses.language import course_type as language
from lms.core.time import local_today
from lms.course_types.base import Assessment, AttendanceSummary


def test_rate_counts_present_and_late_over_held_minus_excused():
    assert AttendanceSummary(held=10, present=6, late=2, excused=2).rate == 1.0
    assert AttendanceSummary(held=10, present=4, late=1, excused=0, absent=5).rate == 0.5


def test_rate_is_none_when_nothing_was_held_or_all_excused():
    assert AttendanceSummary(held=0).rate is None
    assert AttendanceSummary(held=3, excused=3).rate is None


def _course(**kw):
    base = {
        "ends_on": local_today() - timedelta(days=1),
        "attendance_threshold": None,
        "details": {},
    }
    return SimpleNamespace(**{**base, **kw})


def test_course_threshold_overrides_type_default(app):
    with app.test_request_context():
        summary = AttendanceSummary(held=10, present=7, absent=3)
        strict = language.certificate_eligibility(
            _course(), summary, Assessment(score=90), local_today()
        )
        lenient = language.certificate_eligibility(
            _course(attendance_threshold=0.7), summary, Assessment(score=90), local_today()
        )
    assert not strict.eligible
    assert lenient.eligible


def test_language_pass_mark_from_course_details(app):
    with app.test_request_context():
        summary = AttendanceSummary(held=10, present=10)
        course = _course(details={"pass_mark": 75})
        failed = language.certificate_eligibility(
            course, summary, Assessment(score=70), local_today()
        )
        passed = language.certificate_eligibility(
            course, summary, Assessment(score=75), local_today()
        )
    assert not failed.eligible
    assert len(failed.reasons) == 1
    assert passed.eligible


def test_workshop_needs_full_attendance(app):
    with app.test_request_context():
        almost = entrepreneurship.certificate_eligibility(
            _course(), AttendanceSummary(held=4, present=3, absent=1), None, local_today()
        )
        full = entrepreneurship.certificate_eligibility(
            _course(), AttendanceSummary(held=4, present=3, late=1), None, local_today()
        )
    assert not almost.eligible
    assert full.eligible


def test_language_level_must_match_the_language_scale(app):
    with app.test_request_context():
        clean, errors = language.validate_details({"language": "ja", "target_level": "HSK3"})
        ok, none = language.validate_details({"language": "zh", "target_level": "HSK3"})
    assert clean is None and "target_level" in errors
    assert none == {} and ok["target_level"] == "HSK3"


def test_the_core_reads_only_the_detail_fields_the_contract_declares():
    """A type names the details fields holding a pass mark and lesson hours; the core reads
    those, and counts the hours of the sessions when the course states none."""
    from datetime import datetime

    from lms.course_types.base import CourseType

    class Workshop(CourseType):
        key = "workshop"
        labels = {"id": "Lokakarya", "en": "Workshop"}
        certificate_wording = {"id": "{name}", "en": "{name}"}
        pass_mark_field = "nilai_lulus"
        lesson_hours_field = "jam_pelajaran"

    start = datetime(2026, 3, 2, 1, 0)
    sessions = [
        SimpleNamespace(starts_at=start, ends_at=start + timedelta(hours=3), cancelled_at=None),
        SimpleNamespace(starts_at=start, ends_at=start + timedelta(hours=4), cancelled_at=start),
    ]
    stated = SimpleNamespace(details={"nilai_lulus": 75, "jam_pelajaran": 32}, sessions=sessions)
    unstated = SimpleNamespace(details={"pass_mark": 90, "lesson_hours": 99}, sessions=sessions)
    workshop = Workshop()
    assert (workshop.pass_mark_for(stated), workshop.lesson_hours_for(stated)) == (75.0, 32)
    assert (workshop.pass_mark_for(unstated), workshop.lesson_hours_for(unstated)) == (60.0, 3)
