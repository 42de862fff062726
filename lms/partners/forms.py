"""Staff forms for partner institutions and their trainers."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from lms.core.forms import LmsForm

from .models import PARTNER_KIND_LABELS, PARTNER_KINDS


class PartnerForm(LmsForm):
    """Create or edit a partner institution."""

    name = StringField(_l("Name of the institution"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=[(k, PARTNER_KIND_LABELS[k]) for k in PARTNER_KINDS],
        validators=[DataRequired()],
    )
    mou_number = StringField(_l("MoU number"), validators=[Optional(), Length(max=100)])
    mou_valid_until = DateField(
        _l("MoU valid until"),
        validators=[Optional()],
        description=_l("After this day no new course can be created with this partner."),
    )
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Save"))


class TrainerForm(LmsForm):
    """A trainer account for one partner institution."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired()],
        description=_l("Give it to the person; they can change it after logging in."),
    )
    submit = SubmitField(_l("Create the trainer account"))
