"""Staff forms for accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class UserCreateForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired()])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired()],
        description=_l("Give it to the person; they can change it after logging in."),
    )
    role = SelectField(_l("Role"), validators=[DataRequired()])
    partner_id = SelectField(_l("Partner institution"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Create the account"))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired()])
    partner_id = SelectField(_l("Partner institution"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Change the role"))
