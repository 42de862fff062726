"""Forms for login, registration, profile and password reset.

Forms check types and presence; the rules (NIK, phone, uniqueness, password strength) live in services.
"""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from lms.core.forms import LmsForm

from .models import GENDER_LABELS, TARGET_GROUP_LABELS


class LoginForm(LmsForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class ProfileFieldsMixin:
    """The trainee profile fields, shared by registration and the profile page."""

    name = StringField(
        _l("Full name (as on your KTP)"), validators=[DataRequired(), Length(max=200)]
    )
    nik = StringField(
        _l("NIK (16 digits, on your KTP)"),
        validators=[DataRequired()],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )
    birth_date = DateField(_l("Date of birth"), validators=[InputRequired()])
    gender = RadioField(
        _l("Gender"), choices=list(GENDER_LABELS.items()), validators=[InputRequired()]
    )
    phone = TelField(
        _l("Mobile number (WhatsApp)"),
        validators=[DataRequired()],
        render_kw={"inputmode": "tel", "autocomplete": "tel", "placeholder": "0812 3456 7890"},
    )
    regency_code = SelectField(_l("Regency or city of origin"), validators=[DataRequired()])
    target_group = SelectField(
        _l("Participant group"),
        choices=[("", _l("Choose..."))] + list(TARGET_GROUP_LABELS.items()),
        validators=[DataRequired()],
    )


class RegisterForm(ProfileFieldsMixin, LmsForm):
    email = EmailField(
        _l("E-mail"), validators=[DataRequired()], render_kw={"autocomplete": "email"}
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    consent = BooleanField(
        _l("I have read the privacy notice and agree to it"),
        validators=[DataRequired(message=_l("Please agree to the privacy notice to register."))],
    )
    submit = SubmitField(_l("Create my account"))


class ProfileForm(ProfileFieldsMixin, LmsForm):
    locale = SelectField(_l("Language"), choices=[("id", "Bahasa Indonesia"), ("en", "English")])
    submit = SubmitField(_l("Save"))


class ForgotPasswordForm(LmsForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(LmsForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )
    submit = SubmitField(_l("Set the new password"))
