"""Staff forms for courses and their sessions; times are typed in the office's zone (WIB by
default)."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from lms.auth.models import TARGET_GROUP_LABELS, TARGET_GROUPS
from lms.core.forms import LmsForm
from lms.core.time import ZONE

from .models import COURSE_STATUS_LABELS, COURSE_STATUSES

#: Monday = 0, as ``date.weekday()`` counts
WEEKDAY_LABELS = (
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
    (5, _l("Saturday")),
    (6, _l("Sunday")),
)
#: what browsers send from <input type="datetime-local"> (the first is also how it is shown)
LOCAL_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
#: what browsers send from <input type="time">
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def plausible_date(form, field):
    """Refuse years no course runs in (they would also overflow when shifted to UTC)."""
    if field.data is not None and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("Enter a date between the years 2000 and 2100."))


class PercentField(FloatField):
    """A percentage; takes the Indonesian decimal comma ("87,5") and a trailing "%" too."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0]:
            valuelist = [valuelist[0].replace(",", ".").rstrip("% ").strip()]
        super().process_formdata(valuelist)


class CourseForm(LmsForm):
    """The fields every course has; the type's own fields come from its plugin form."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("Unique code of this batch, e.g. BHS-MAN-2026-01."),
    )
    title = StringField(_l("Title (Indonesian)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(
        _l("Title (English, optional)"), validators=[Optional(), Length(max=200)]
    )
    description = TextAreaField(
        _l("Description (Indonesian)"), validators=[Optional(), Length(max=5000)]
    )
    description_en = TextAreaField(
        _l("Description (English, optional)"), validators=[Optional(), Length(max=5000)]
    )
    partner_id = SelectField(_l("Partner institution"), coerce=int, validators=[DataRequired()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    capacity = IntegerField(
        _l("Capacity (seats)"), validators=[InputRequired(), NumberRange(min=1, max=10000)]
    )
    starts_on = DateField(_l("First day"), validators=[InputRequired(), plausible_date])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(), plausible_date])
    registration_opens_at = DateTimeLocalField(
        _l("Registration opens (%(zone)s)", zone=ZONE),
        format=LOCAL_DATETIME_FORMATS,
        validators=[InputRequired(), plausible_date],
    )
    registration_closes_at = DateTimeLocalField(
        _l("Registration closes (%(zone)s)", zone=ZONE),
        format=LOCAL_DATETIME_FORMATS,
        validators=[InputRequired(), plausible_date],
    )
    requires_approval = BooleanField(_l("Enrolments need approval by staff"))
    waitlist = BooleanField(
        _l("Put enrolments on a waitlist when the course is full"), default=True
    )
    attendance_threshold = PercentField(
        _l("Attendance needed for a certificate (%)"),
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    certificate_validity_months = IntegerField(
        _l("Certificates valid for (months)"),
        validators=[Optional(), NumberRange(min=1, max=600)],
    )
    target_groups = SelectMultipleField(
        _l("Who may enrol"),
        choices=[(g, TARGET_GROUP_LABELS[g]) for g in TARGET_GROUPS],
        validators=[Optional()],
        description=_l("None ticked: everyone may enrol."),
    )
    min_age = IntegerField(_l("Minimum age"), validators=[Optional(), NumberRange(min=15, max=80)])
    max_age = IntegerField(_l("Maximum age"), validators=[Optional(), NumberRange(min=15, max=80)])
    trainer_ids = SelectMultipleField(
        _l("Trainers"),
        coerce=int,
        validators=[Optional()],
        description=_l("Only trainers of the course's partner institution can be assigned."),
    )
    status = SelectField(
        _l("Status"),
        choices=[(s, COURSE_STATUS_LABELS[s]) for s in COURSE_STATUSES],
        default="draft",
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Save"))


class StatusForm(LmsForm):
    """One of the publish / close / archive / return-to-draft buttons."""

    status = SelectField(
        _l("Status"),
        choices=[(s, COURSE_STATUS_LABELS[s]) for s in COURSE_STATUSES],
        validators=[DataRequired()],
    )


class CloneForm(LmsForm):
    """Copy a course into a new batch."""

    code = StringField(_l("Code of the new batch"), validators=[DataRequired(), Length(max=40)])
    starts_on = DateField(
        _l("First day of the new batch"),
        validators=[InputRequired(), plausible_date],
        description=_l("The last day, the registration window and the sessions move along."),
    )
    submit = SubmitField(_l("Create the new batch"))


class SessionForm(LmsForm):
    """One meeting: a day and its hours in local time."""

    day = DateField(_l("Day"), validators=[InputRequired(), plausible_date])
    starts = TimeField(
        _l("Starts (%(zone)s)", zone=ZONE), format=TIME_FORMATS, validators=[InputRequired()]
    )
    ends = TimeField(
        _l("Ends (%(zone)s)", zone=ZONE), format=TIME_FORMATS, validators=[InputRequired()]
    )
    topic = StringField(_l("Topic"), validators=[Optional(), Length(max=200)])
    location = StringField(
        _l("Room or site"),
        validators=[Optional(), Length(max=200)],
        description=_l("Only when it differs from the course's location."),
    )
    #: choices set by the view (the course's groups); "" is the whole course
    group_id = SelectField(
        _l("Class group"),
        coerce=lambda value: int(value) if value not in (None, "", "None") else None,
        validate_choice=False,
        validators=[Optional()],
        description=_l("A group's session is on the roster of its members only."),
    )
    submit = SubmitField(_l("Save"))


class TimetableForm(LmsForm):
    """A recurring timetable: these weekdays, these hours, for some weeks."""

    weekdays = SelectMultipleField(
        _l("Weekdays"), choices=WEEKDAY_LABELS, coerce=int, validators=[DataRequired()]
    )
    starts = TimeField(
        _l("Starts (%(zone)s)", zone=ZONE), format=TIME_FORMATS, validators=[InputRequired()]
    )
    ends = TimeField(
        _l("Ends (%(zone)s)", zone=ZONE), format=TIME_FORMATS, validators=[InputRequired()]
    )
    first_day = DateField(_l("From"), validators=[InputRequired(), plausible_date])
    weeks = IntegerField(
        _l("Number of weeks"), validators=[InputRequired(), NumberRange(min=1, max=52)]
    )
    location = StringField(_l("Room or site"), validators=[Optional(), Length(max=200)])
    #: choices set by the view (the course's groups); "" is the whole course
    group_id = SelectField(
        _l("Class group"),
        coerce=lambda value: int(value) if value not in (None, "", "None") else None,
        validate_choice=False,
        validators=[Optional()],
        description=_l("A group's session is on the roster of its members only."),
    )
    submit = SubmitField(_l("Generate the sessions"))


class CancelSessionForm(LmsForm):
    """Call a session off, saying why."""

    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("Shown to the trainees, e.g. national holiday."),
    )
    submit = SubmitField(_l("Cancel the session"))
