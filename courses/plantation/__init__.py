"""Plantation: field and vocational training for plantation work (mostly oil palm)."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from courses._choices import DESTINATIONS
from lms.course_types.base import CourseType, SessionPlan


class PlantationDetails(Form):
    commodity = SelectField(
        _l("Commodity"),
        choices=[
            ("oil_palm", _l("Oil palm")),
            ("rubber", _l("Rubber")),
            ("coffee", _l("Coffee")),
            ("cocoa", _l("Cocoa")),
            ("other", _l("Other")),
        ],
        validators=[DataRequired()],
    )
    field_practice_hours = IntegerField(
        _l("Field practice hours"), validators=[DataRequired(), NumberRange(min=1, max=1000)]
    )
    practice_site = StringField(
        _l("Practice site (estate or farm)"), validators=[DataRequired(), Length(max=200)]
    )
    destination = SelectField(_l("Destination country"), choices=DESTINATIONS, default="")
    lesson_hours = IntegerField(
        _l("Lesson hours"), validators=[Optional(), NumberRange(min=1, max=2000)]
    )


class PlantationCourseType(CourseType):
    """Plantation training with field practice and a competence test."""

    key = "plantation"
    labels = {"id": "Perkebunan", "en": "Plantation"}
    descriptions = {
        "id": "Pelatihan kerja perkebunan dengan praktik lapangan",
        "en": "Plantation work training with field practice",
    }
    details_form = PlantationDetails
    details_template = "courses/plantation/details.html"
    catalog_filters = ("commodity",)
    attendance_threshold = 0.8
    requires_assessment = True
    certificate_kind = "competence"
    serial_code = "KBN"
    certificate_wording = {
        "id": "telah mengikuti dan dinyatakan kompeten dalam pelatihan {course} "
        "selama {hours} jam pelajaran termasuk praktik lapangan di {partner}",
        "en": "has attended and been found competent in the {course} training "
        "of {hours} lesson hours including field practice at {partner}",
    }
    session_plan = SessionPlan(weekdays=(0, 1, 2, 3, 4, 5), weeks=4)


course_type = PlantationCourseType()
