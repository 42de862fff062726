"""Staff forms for accounts."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField, TelField
from wtforms.validators import DataRequired, Length, Optional

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
