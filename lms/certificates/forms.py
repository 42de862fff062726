"""Forms of the certificate pages: issuing for a course, revoking and re-issuing one certificate."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from lms.core.forms import LmsForm
from lms.enrollment.forms import BULK_MAX, REASON_MAX, IdListField


def _some_ticked(form, field):
    """Issuing to "the selected" needs at least one ticked trainee; "all eligible" needs none."""
    if form.action.data != "selected":
        return
    if not field.data:
        raise ValidationError(_l("Tick at least one trainee."))
    if len(field.data) > BULK_MAX:
        raise ValidationError(_l("Tick at most %(n)s trainees at a time.", n=BULK_MAX))


class IssueForm(LmsForm):
    """Issue the certificates of a course: to every eligible trainee, or to the ticked ones."""

    #: "all" issues to every eligible trainee; "selected" to the ticked enrolments
    action = SelectField(
        _l("Issue to"),
        choices=[("all", _l("All eligible")), ("selected", _l("The selected"))],
        validators=[InputRequired()],
    )
    #: ids of the ticked enrolments
    ids = IdListField(validators=[_some_ticked])


class ReasonForm(LmsForm):
    """Revoke a certificate, or re-issue it after a correction: the reason is required."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(_l("Give the reason.")), Length(max=REASON_MAX)],
        render_kw={"rows": 2, "maxlength": REASON_MAX},
    )


#: what staff choose as the public reason of a revocation (superseded comes with a re-issue)
REVOKE_CHOICES = [
    ("", _l("Choose…")),
    ("error", _l("Issued in error")),
    ("fraud", _l("Obtained by fraud")),
    ("withdrawn", _l("Withdrawn by the issuer")),
]


class RevokeForm(ReasonForm):
    """Revoke a certificate: the staff's note (private) and the public category."""

    #: what the verification page shows as the reason; the note above never is
    category = SelectField(
        _l("Reason shown publicly"),
        choices=REVOKE_CHOICES,
        validators=[DataRequired(_l("Choose what the public reads."))],
    )
