"""Entrepreneurship workshops for returned migrant workers and their families."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField
from wtforms.validators import DataRequired

from lms.course_types.base import CourseType, SessionPlan


class EntrepreneurshipDetails(Form):
    business_stage = SelectField(
        _l("Business stage"),
        choices=[
            ("idea", _l("Business idea")),
            ("starting", _l("Starting a business")),
            ("running", _l("Running business")),
        ],
        validators=[DataRequired()],
    )
    format = SelectField(
        _l("Format"),
        choices=[("one_day", _l("One-day workshop")), ("multi_day", _l("Multi-day workshop"))],
        validators=[DataRequired()],
    )


class EntrepreneurshipCourseType(CourseType):
    """Short workshops: full attendance earns an attendance certificate."""

    key = "entrepreneurship"
    labels = {"id": "Kewirausahaan", "en": "Entrepreneurship"}
    descriptions = {
        "id": "Lokakarya usaha untuk purna PMI dan keluarganya",
        "en": "Business workshops for returned workers and their families",
    }
    details_form = EntrepreneurshipDetails
    details_template = "courses/entrepreneurship/details.html"
    catalog_filters = ("business_stage",)
    attendance_threshold = 1.0
    requires_assessment = False
    certificate_kind = "attendance"
    serial_code = "WRA"
    certificate_wording = {
        "id": "telah mengikuti lokakarya {course} yang diselenggarakan bersama {partner}",
        "en": "has attended the {course} workshop held with {partner}",
    }
    session_plan = SessionPlan(weekdays=(5,), weeks=1)


course_type = EntrepreneurshipCourseType()
