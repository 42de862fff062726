"""Forms of the attendance pages: check-in by code, the import of a paper sheet, assessments."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import FloatField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.core.forms import LmsForm

from .checkin import DIGITS
from .reach import MAX_PEOPLE


class CheckinForm(LmsForm):
    """The trainee's check-in: the code comes from the QR code's URL or is typed in."""

    code = StringField(
        _l("Check-in code"),
        validators=[InputRequired(), Length(max=20)],
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "pattern": "[0-9 ]*",
            "maxlength": DIGITS + 1,
        },
        description=_l("The 6 digits shown on the trainer's screen."),
    )
    submit = SubmitField(_l("Check in"))


class ImportForm(LmsForm):
    """Upload a filled-in sign-in sheet (CSV or XLSX)."""

    file = FileField(
        _l("Filled-in sheet (CSV or XLSX)"),
        validators=[FileRequired()],
        render_kw={"accept": ".csv,.xlsx,text/csv"},
    )
    submit = SubmitField(_l("Import the marks"))


class ScoreField(FloatField):
    """A score as typed on a phone: a decimal comma is read as a point."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [str(valuelist[0]).strip().replace(",", ".")]
        super().process_formdata(valuelist)


#: the answers of "competent?": none yet, competent, not yet competent
COMPETENT_CHOICES = (
    ("", _l("Not decided")),
    ("yes", _l("Competent")),
    ("no", _l("Not yet competent")),
)


class AssessmentForm(LmsForm):
    """One trainee's final assessment: a score, competent or not, or both."""

    score = ScoreField(
        _l("Score (0–100)"),
        validators=[Optional(), NumberRange(min=0, max=100)],
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    competent = SelectField(_l("Result"), choices=COMPETENT_CHOICES, default="")
    submit = SubmitField(_l("Save"))

    def competent_value(self):
        """The choice as the service takes it: True, False or None."""
        return {"yes": True, "no": False}.get(self.competent.data)

    @staticmethod
    def data_of(result):
        """Form data of a stored assessment (or None)."""
        if result is None:
            return {}
        score = result.score
        if score is not None and score == int(score):
            score = int(score)
        competent = {True: "yes", False: "no"}.get(result.competent, "")
        return {"score": score, "competent": competent}


class ReachForm(LmsForm):
    """The people an outreach event's session reached, as counted on the day."""

    people = IntegerField(
        _l("People reached"),
        validators=[InputRequired(), NumberRange(min=0, max=MAX_PEOPLE)],
        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_PEOPLE},
        description=_l("Everyone who attended, counted at the door or from the sheets."),
    )
    #: the phone's id of this figure when it waited offline (a resend is applied once)
    batch_id = HiddenField(validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("Save the number"))
