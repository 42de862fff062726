"""Staff forms for accounts."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import DataRequired, Length, Optional

from lms.auth.models import GENDER_LABELS, TARGET_GROUP_LABELS
from lms.core.forms import LmsForm


class UserCreateForm(LmsForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[Optional()],
        description=_l("A trainee with a mobile number may have none."),
    )
    phone = TelField(
        _l("Mobile number"),
        validators=[Optional()],
        render_kw={"inputmode": "tel", "autocomplete": "off", "placeholder": "0812 3456 7890"},
    )
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired()],
        description=_l("Give it to the person; they can change it after logging in."),
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    partner_id = SelectField(_l("Partner institution"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Create the account"))


class RoleForm(LmsForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])
    partner_id = SelectField(_l("Partner institution"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Change the role"))


class StaffProfileForm(LmsForm):
    """Staff complete or correct a trainee's profile (a walk-in's): every field but the name may
    stay empty for now; an e-mail address lets the person claim the account by the password
    reset."""

    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        _l("E-mail"),
        validators=[Optional(), Length(max=254)],
        description=_l("With an address, the person claims the account by “Forgot password”."),
    )
    nik = StringField(
        _l("NIK"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    gender = SelectField(
        _l("Gender"),
        choices=[("", "—")] + list(GENDER_LABELS.items()),
        validators=[Optional()],
    )
    phone = TelField(_l("Mobile number"), validators=[Optional()])
    #: choices from the channel registry, set by the view
    preferred_channel = SelectField(
        _l("Send messages by"),
        validators=[Optional()],
        description=_l("If it fails, the other ways that reach the person are tried."),
    )
    regency_code = SelectField(_l("Regency or city of origin"), validators=[Optional()])
    target_group = SelectField(
        _l("Participant group"),
        choices=[("", "—")] + list(TARGET_GROUP_LABELS.items()),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Save the profile"))
