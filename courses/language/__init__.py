"""Language: Japanese, Mandarin, Cantonese and English for placement abroad."""

from flask_babel import lazy_gettext as _l
from wtforms import Form, IntegerField, SelectField
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from lms.course_types.base import CourseType, SessionPlan

#: each language's own scale of levels
LEVELS = {
    "ja": [
        ("N5", "JLPT N5"),
        ("N4", "JLPT N4"),
        ("N3", "JLPT N3"),
        ("N2", "JLPT N2"),
        ("N1", "JLPT N1"),
    ],
    "zh": [(f"HSK{n}", f"HSK {n}") for n in range(1, 7)],
    "yue": [(lvl, f"CEFR {lvl}") for lvl in ("A1", "A2", "B1", "B2", "C1", "C2")],
    "en": [(lvl, f"CEFR {lvl}") for lvl in ("A1", "A2", "B1", "B2", "C1", "C2")],
}


def _all_levels():
    seen, choices = set(), []
    for levels in LEVELS.values():
        for value, label in levels:
            if value not in seen:
                seen.add(value)
                choices.append((value, label))
    return choices


class LanguageDetails(Form):
    language = SelectField(
        _l("Language"),
        choices=[
            ("ja", _l("Japanese")),
            ("zh", _l("Mandarin")),
            ("yue", _l("Cantonese")),
            ("en", _l("English")),
        ],
        validators=[DataRequired()],
    )
    target_level = SelectField(
        _l("Target level"),
        choices=_all_levels(),
        validators=[DataRequired()],
        description=_l("JLPT for Japanese, HSK for Mandarin, CEFR for Cantonese and English."),
    )
    pass_mark = IntegerField(
        _l("Pass mark of the final test (0-100)"),
        default=60,
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    lesson_hours = IntegerField(
        _l("Lesson hours"), validators=[Optional(), NumberRange(min=1, max=2000)]
    )

    def validate_target_level(self, field):
        allowed = {value for value, _label in LEVELS.get(self.language.data, [])}
        if field.data not in allowed:
            raise ValidationError(_l("This level does not belong to the chosen language's scale."))


class LanguageCourseType(CourseType):
    """Language courses with a final test scored against a pass mark."""

    key = "language"
    labels = {"id": "Bahasa", "en": "Language"}
    descriptions = {
        "id": "Bahasa Jepang, Mandarin, Kanton dan Inggris untuk bekerja di luar negeri",
        "en": "Japanese, Mandarin, Cantonese and English for work abroad",
    }
    details_form = LanguageDetails
    details_template = "courses/language/details.html"
    catalog_filters = ("language",)
    attendance_threshold = 0.8
    requires_assessment = True
    pass_mark = 60.0
    certificate_kind = "competence"
    serial_code = "BHS"
    certificate_wording = {
        "id": "telah menyelesaikan pelatihan {course} selama {hours} jam pelajaran "
        "dan lulus ujian akhir di {partner}",
        "en": "has completed the {course} training of {hours} lesson hours "
        "and passed the final test at {partner}",
    }
    session_plan = SessionPlan(weekdays=(0, 1, 2, 3, 4), weeks=8)


course_type = LanguageCourseType()
