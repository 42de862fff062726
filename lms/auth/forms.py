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
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from lms.core.forms import LmsForm

from .models import GENDER_LABELS, TARGET_GROUP_LABELS


class LoginForm(LmsForm):
    #: an e-mail address or a mobile number (the field keeps its name for old bookmarks and tests)
    email = StringField(
        _l("E-mail or mobile number"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
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
    #: choices from the channel registry, set by the view
    preferred_channel = SelectField(
        _l("Send me messages by"),
        validators=[Optional()],
        description=_l("If it fails, we try the other ways we can reach you."),
    )


class RegisterForm(ProfileFieldsMixin, LmsForm):
    email = EmailField(
        _l("E-mail (optional)"),
        validators=[Optional()],
        render_kw={"autocomplete": "email"},
        description=_l("Without one, you log in with your mobile number."),
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
    #: an e-mail address (a link is sent) or a mobile number (a code is sent)
    email = StringField(
        _l("E-mail or mobile number"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    submit = SubmitField(_l("Send"))


class ResetWithCodeForm(LmsForm):
    phone = TelField(
        _l("Mobile number"),
        validators=[DataRequired()],
        render_kw={"inputmode": "tel", "autocomplete": "tel", "placeholder": "0812 3456 7890"},
    )
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 20},
    )
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set the new password"))


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
