"""Forms of the enrolment pages: one-step enrolment, cancellation, and the staff decisions."""

from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from lms.core.forms import LmsForm
from lms.core.inputs import DB_INT_MAX

#: the longest reason the services keep
REASON_MAX = 500


class EnrolForm(LmsForm):
    """The one button on a course page (CSRF only)."""

    submit = SubmitField(_l("Enrol"))


class CancelForm(LmsForm):
    """Confirm that a trainee cancels their own enrolment."""

    submit = SubmitField(_l("Yes, cancel my enrolment"))


#: the most rows one bulk decision takes (a page of the list is far shorter)
BULK_MAX = 500
REJECT_NEEDS_REASON = _l("Give a reason for the rejection; the trainee will read it.")


class IdListField(Field):
    """The values of the ticked check boxes sharing this name, as a list of ids."""

    def process_formdata(self, valuelist):
        self.data = []
        for value in valuelist:
            try:
                number = int(value)
            except ValueError:
                number = 0
            if not 0 < number <= DB_INT_MAX:
                self.data = []
                raise ValueError(self.gettext("Not a valid integer value."))
            if number not in self.data:
                self.data.append(number)

    def _value(self):
        return ""


def _reason_for_reject(form, field):
    """A rejection tells the trainee why: the reason is required then."""
    if form.action.data == "rejected" and not (field.data or "").strip():
        raise ValidationError(REJECT_NEEDS_REASON)


def _some_ticked(form, field):
    if not field.data:
        raise ValidationError(_l("Tick at least one enrolment."))
    if len(field.data) > BULK_MAX:
        raise ValidationError(_l("Tick at most %(n)s enrolments at a time.", n=BULK_MAX))


class BulkForm(LmsForm):
    """Approve or reject the ticked enrolments of a course, all at once."""

    #: "enrolled" approves, "rejected" rejects (the names of the target statuses)
    action = SelectField(
        _l("Action"),
        choices=[("enrolled", _l("Approve")), ("rejected", _l("Reject"))],
        validators=[InputRequired()],
    )
    ids = IdListField(validators=[_some_ticked])
    reason = TextAreaField(
        _l("Reason for a rejection"),
        validators=[Length(max=REASON_MAX), _reason_for_reject],
        render_kw={"rows": 2, "maxlength": REASON_MAX},
    )


class MoveForm(LmsForm):
    """Move one enrolment to another status, with a reason for the trainee."""

    #: the target status; the service decides whether the move is possible
    action = SelectField(
        _l("New status"),
        choices=[
            ("enrolled", _l("Enrolled")),
            ("rejected", _l("Rejected")),
            ("cancelled", _l("Cancelled")),
        ],
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _l("Reason (the trainee will read it)"),
        validators=[Length(max=REASON_MAX), _reason_for_reject],
        render_kw={"rows": 2, "maxlength": REASON_MAX},
    )


class AddTraineeForm(LmsForm):
    """Staff enrol a trainee they found by hand (the search itself is a GET)."""

    user_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=DB_INT_MAX)])
