"""Hospitality: vocational training for hotels, restaurants and cruise ships abroad."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, IntegerField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional

from courses._choices import DESTINATIONS
from lms.course_types.base import CourseType, SessionPlan


class HospitalityDetails(Form):
    specialisation = SelectField(
        _l("Specialisation"),
        choices=[
            ("housekeeping", _l("Housekeeping")),
            ("food_beverage", _l("Food and beverage service")),
            ("front_office", _l("Front office")),
            ("culinary", _l("Culinary (kitchen)")),
            ("spa", _l("Spa and wellness")),
        ],
        validators=[DataRequired()],
    )
    destination = SelectField(_l("Destination country"), choices=DESTINATIONS, default="")
    lesson_hours = IntegerField(
        _l("Lesson hours"), validators=[Optional(), NumberRange(min=1, max=2000)]
    )


class HospitalityCourseType(CourseType):
    """Vocational hospitality training with a competence test."""

    key = "hospitality"
    labels = {"id": "Perhotelan", "en": "Hospitality"}
    descriptions = {
        "id": "Pelatihan kerja hotel, restoran dan kapal pesiar",
        "en": "Vocational training for hotels, restaurants and cruise ships",
    }
    details_form = HospitalityDetails
    details_template = "courses/hospitality/details.html"
    catalog_filters = ("specialisation",)
    attendance_threshold = 0.8
    requires_assessment = True
    certificate_kind = "competence"
    serial_code = "HSP"
    certificate_wording = {
        "id": "telah mengikuti dan dinyatakan kompeten dalam pelatihan {course} "
        "selama {hours} jam pelajaran di {partner}",
        "en": "has attended and been found competent in the {course} training "
        "of {hours} lesson hours at {partner}",
    }
    session_plan = SessionPlan(weekdays=(0, 1, 2, 3, 4), weeks=6)


course_type = HospitalityCourseType()
