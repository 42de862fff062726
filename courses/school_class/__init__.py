"""School class: migrant vocational classes ("kelas migran vokasi") inside a vocational school."""

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from wtforms import Form, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from courses._choices import DESTINATIONS
from lms.course_types.base import CourseType, SessionPlan


class SchoolClassDetails(Form):
    destination = SelectField(_l("Destination country"), choices=DESTINATIONS, default="")
    skill = SelectField(
        _l("Language or skill taught"),
        choices=[
            ("japanese", _l("Japanese")),
            ("korean", _l("Korean")),
            ("mandarin", _l("Mandarin")),
            ("english", _l("English")),
            ("german", _l("German")),
            ("hospitality", _l("Hospitality")),
            ("caregiving", _l("Caregiving")),
            ("manufacturing", _l("Manufacturing")),
            ("agriculture", _l("Agriculture")),
            ("other", _l("Other skill")),
        ],
        validators=[DataRequired()],
    )
    school_year = StringField(
        _l("School year"),
        validators=[Optional(), Length(max=20)],
        description=_l("For example 2026/2027."),
    )
    grade = IntegerField(_l("Grade"), validators=[Optional(), NumberRange(min=10, max=13)])
    lesson_hours = IntegerField(
        _l("Lesson hours"), validators=[Optional(), NumberRange(min=1, max=2000)]
    )
    programme = StringField(
        _l("Programme"),
        validators=[Optional(), Length(max=100)],
        description=_l("For example SMK Go Global."),
    )


class SchoolClassCourseType(CourseType):
    """A class of a semester or longer in a vocational school; participation is certified."""

    key = "school_class"
    labels = {"id": "Kelas migran vokasi", "en": "Migrant vocational class"}
    descriptions = {
        "id": "Kelas di SMK yang menyiapkan siswa bekerja di luar negeri",
        "en": "Classes in vocational schools that prepare students for work abroad",
    }
    details_form = SchoolClassDetails
    details_template = "courses/school_class/details.html"
    catalog_filters = ("skill",)
    attendance_threshold = 0.75
    requires_assessment = False
    certificate_kind = "attendance"
    serial_code = "KMV"
    certificate_wording = {
        "id": "telah mengikuti kelas migran vokasi {course} selama {hours} jam pelajaran "
        "di {partner}",
        "en": "has taken part in the migrant vocational class {course} of {hours} lesson hours "
        "at {partner}",
    }
    #: the wording when the certificate states the class's language or skill (and destination)
    certificate_wording_skill = {
        "id": "telah mengikuti kelas migran vokasi {course} ({skill}) selama {hours} jam "
        "pelajaran di {partner}",
        "en": "has taken part in the migrant vocational class {course} ({skill}) of {hours} "
        "lesson hours at {partner}",
    }
    certificate_wording_destination = {
        "id": "telah mengikuti kelas migran vokasi {course} ({skill}, persiapan kerja di "
        "{destination}) selama {hours} jam pelajaran di {partner}",
        "en": "has taken part in the migrant vocational class {course} ({skill}, preparing for "
        "work in {destination}) of {hours} lesson hours at {partner}",
    }
    session_plan = SessionPlan(weekdays=(1, 3), weeks=18)

    def certificate_facts(self, course):
        """The class's language or skill and its destination country, as codes."""
        details = course.details or {}
        return {key: details[key] for key in ("skill", "destination") if details.get(key)}

    def certificate_text(self, locale, facts=None, **values):
        """The participation certificate names the class's language or skill and, when set,
        its destination country (in the certificate's language)."""
        facts = facts or {}
        form = SchoolClassDetails(formdata=None)
        skills, countries = dict(form.skill.choices), dict(form.destination.choices)
        if facts.get("skill") not in skills:
            return super().certificate_text(locale, **values)
        with force_locale(str(locale)):
            values["skill"] = str(skills[facts["skill"]])
            destination = facts.get("destination")
            if destination in countries and destination not in ("", "other"):
                values["destination"] = str(countries[destination])
                wording = self.certificate_wording_destination
            else:
                wording = self.certificate_wording_skill
        return (wording.get(str(locale)) or wording["en"]).format(**values)

    def certificate_rule(self, course):
        """A certificate of participation in the class's language or skill, for the class's
        attendance threshold (75 % unless the course sets its own)."""
        pct = round(self.threshold_for(course) * 100)
        skill = (course.details or {}).get("skill")
        skills = dict(SchoolClassDetails(formdata=None).skill.choices)
        if skill in skills:
            return _l(
                "Certificate of participation in %(skill)s, for at least %(pct)s%% attendance.",
                skill=skills[skill],
                pct=pct,
            )
        return _l("Certificate of participation, for at least %(pct)s%% attendance.", pct=pct)


course_type = SchoolClassCourseType()
