"""Digital marketing programmes: selling online through marketplaces and social media."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.course_types.base import CourseType, SessionPlan


class DigitalMarketingDetails(Form):
    channels = SelectMultipleField(
        _l("Channels"),
        choices=[
            ("marketplace", _l("Marketplace (online shop)")),
            ("social_media", _l("Social media")),
            ("whatsapp_business", _l("WhatsApp Business")),
            ("website", _l("Own website")),
        ],
        validators=[DataRequired()],
    )
    practical_assignment = TextAreaField(
        _l("Practical assignment"),
        validators=[DataRequired(), Length(max=1000)],
        description=_l("What each participant makes, e.g. an online shop page for their product."),
    )


class DigitalMarketingCourseType(CourseType):
    """A workshop programme with a practical assignment; full attendance earns a certificate."""

    key = "digital_marketing"
    labels = {"id": "Pemasaran Digital", "en": "Digital Marketing"}
    descriptions = {
        "id": "Berjualan daring lewat marketplace dan media sosial",
        "en": "Selling online through marketplaces and social media",
    }
    details_form = DigitalMarketingDetails
    details_template = "courses/digital_marketing/details.html"
    catalog_filters = ("channels",)
    attendance_threshold = 1.0
    requires_assessment = False
    certificate_kind = "attendance"
    serial_code = "DGM"
    certificate_wording = {
        "id": "telah mengikuti program {course} selama {hours} jam pelajaran bersama {partner}",
        "en": "has attended the {course} programme of {hours} lesson hours with {partner}",
    }
    session_plan = SessionPlan(weekdays=(5,), weeks=3)


course_type = DigitalMarketingCourseType()
