"""Outreach: one-off safe-migration events ("sosialisasi migrasi aman") that count the people
they reach instead of enrolling them."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from lms.course_types.base import CourseType, SessionPlan


class OutreachDetails(Form):
    regency = StringField(
        _l("Regency or city where it was held"),
        validators=[DataRequired(), Length(max=8)],
        # the API's clients send the code; people choose the regency by its name from a list
        description=_l(
            "The regency or city, chosen by its name from the list of regencies; the course "
            "keeps its code (e.g. 18.07 for Lampung Timur)."
        ),
    )
    audience = SelectField(
        _l("Audience"),
        choices=[
            ("village", _l("Village")),
            ("school", _l("School")),
            ("university", _l("University")),
            ("religious_community", _l("Religious community")),
            ("job_fair", _l("Job fair")),
            ("other", _l("Other audience")),
        ],
        validators=[DataRequired()],
    )
    venue = StringField(_l("Venue"), validators=[DataRequired(), Length(max=200)])
    topics = SelectMultipleField(
        _l("Topics covered"),
        choices=[
            ("safe_migration", _l("Safe and legal migration")),
            ("official_channels", _l("Official placement channels")),
            ("documents", _l("Documents and costs")),
            ("trafficking", _l("Trafficking and fraud")),
            ("rights", _l("Workers' rights and protection")),
            ("training", _l("Training before departure")),
            ("remittances", _l("Remittances and savings")),
        ],
        validators=[Optional()],
    )


class OutreachCourseType(CourseType):
    """An event for the public: nobody enrols; a trainer or staff counts the people reached."""

    key = "outreach"
    labels = {"id": "Sosialisasi migrasi aman", "en": "Safe-migration outreach"}
    descriptions = {
        "id": "Sosialisasi di desa, sekolah, kampus dan komunitas; peserta dihitung, tidak mendaftar",
        "en": "Events in villages, schools, universities and communities; people are counted, "
        "nobody registers",
    }
    details_form = OutreachDetails
    details_template = "courses/outreach/details.html"
    catalog_filters = ("audience",)
    enrols = False
    counts_people = True
    requires_mou = False
    regency_field = "regency"
    requires_assessment = False
    certificate_kind = "attendance"
    serial_code = "SOS"
    certificate_wording = {
        "id": "telah menghadiri sosialisasi {course} bersama {partner}",
        "en": "has attended the {course} outreach event with {partner}",
    }
    session_plan = SessionPlan(weekdays=(5,), weeks=1)


course_type = OutreachCourseType()
