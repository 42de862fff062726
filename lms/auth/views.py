"""Pages for logging in and out, registering, the profile and password reset."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms.core.forms import apply_errors, form_status
from lms.core.transaction import attempt, form_errors
from lms.core.urls import public_url, safe_next
from lms.errors import Conflict
from lms.outbox import registry as channels
from lms.privacy.services import record_consent
from lms.regions.services import regency_choices

from . import services, sessions
from .forms import (
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetWithCodeForm,
)
from .limits import (
    limit_login,
    limit_profile,
    limit_registration,
    limit_reset,
    limit_reset_request,
)
from .permissions import login_required

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limit_login
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            sessions.start(user)
            login_user(user, remember=form.remember.data)
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(safe_next(request.args.get("next"), url_for("core.home")))
        if services.login_identifier(form.email.data).startswith("+"):
            form.password.errors = [_("The mobile number or the password is wrong.")]
        else:
            form.password.errors = [_("The e-mail or the password is wrong.")]
    return render_template("auth/login.html", form=form), form_status(form)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # the server-side record goes: a copy of the session or remember-me cookie stops working
        sessions.end(current_user._get_current_object())
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("core.home"))


def _profile_data(form):
    return {
        "name": form.name.data,
        "nik": form.nik.data,
        "birth_date": form.birth_date.data,
        "gender": form.gender.data,
        "phone": form.phone.data,
        "regency_code": form.regency_code.data,
        "target_group": form.target_group.data,
        "preferred_channel": form.preferred_channel.data or None,
    }


def _channel_choices(form, blank, current=None):
    """The channels a person may choose (the enabled ones; every one on a site with none; their
    current one too, see ``channels.choices``)."""
    offered = channels.choices(str(get_locale()), current)
    form.preferred_channel.choices = ([("", _("Choose..."))] if blank else []) + offered


def _add_rule_errors(form):
    """Put the account rules' messages next to the fields the form itself did not refuse."""
    found = services.registration_errors(
        email=form.email.data, password=form.password.data, **_profile_data(form)
    )
    for name, messages in found.items():
        field = form._fields.get(name)
        if field is not None and not field.errors:
            field.errors = list(field.errors) + [str(m) for m in messages]


@bp.route("/register", methods=["GET", "POST"])
@limit_registration
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegisterForm()
    form.password.description = _(
        "At least %(n)s characters. A few uncommon words together are strong and easy to "
        "remember; avoid your name, NIK, phone number or birth date.",
        n=current_app.config["PASSWORD_MIN_LENGTH"],
    )
    form.regency_code.choices = [("", _("Choose..."))] + regency_choices()
    _channel_choices(form, blank=True)
    taken = False
    if form.validate_on_submit():
        with attempt() as outcome:
            user = services.create_user(
                email=form.email.data or None,
                password=form.password.data,
                role="trainee",
                locale=str(get_locale()),
                **_profile_data(form),
            )
        if isinstance(outcome.error, Conflict):
            # one answer whether the e-mail, the NIK or both are registered, pointing the owner
            # to the login and the reset link: the form tells a stranger nothing about which
            taken = True
        elif outcome.error is not None:
            apply_errors(form, outcome.error)
        else:
            record_consent(user)
            sessions.start(user)
            login_user(user)
            flash(_("Your account is ready. Welcome to Latih!"), "success")
            return redirect(url_for("core.home"))
    elif form.is_submitted():
        _add_rule_errors(form)  # every error at once, not the form's first and then the rules'
    status = 400 if taken else form_status(form)
    return render_template("auth/register.html", form=form, taken=taken), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@limit_profile
def profile():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    form.regency_code.choices = [("", _("Choose..."))] + regency_choices()
    # the channel that reaches them (a walk-in's made before it had a choice says e-mail)
    shown = services.channel_in_use(user)
    _channel_choices(form, blank=False, current=shown)
    if request.method == "GET":
        form.locale.data = user.locale or str(get_locale())
        form.preferred_channel.data = shown
    if form.validate_on_submit():
        with form_errors(form):
            services.update_profile(user, {**_profile_data(form), "locale": form.locale.data})
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form), form_status(form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limit_reset_request
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        account = form.email.data.strip()
        if "@" not in account and services.login_identifier(account).startswith("+"):
            # a mobile number: a one-time code by SMS or WhatsApp, entered on the next page
            services.request_password_code(account)
            session["reset_phone"] = services.login_identifier(account)
            flash(
                _(
                    "If an account uses this mobile number, we have sent it a code by SMS or "
                    "WhatsApp. Enter it below with your new password."
                ),
                "info",
            )
            return redirect(url_for("auth.reset_with_code"))
        services.request_password_reset(
            account,
            lambda token: public_url("auth.reset_password", token=token),
            locale=str(get_locale()),  # the mail speaks the language the request was made in
        )
        flash(
            _("If an account uses this address, we have sent it a link to set a new password."),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), form_status(form)


@bp.route("/password/code", methods=["GET", "POST"])
@limit_reset
def reset_with_code():
    form = ResetWithCodeForm()
    if request.method == "GET" and session.get("reset_phone"):
        form.phone.data = session["reset_phone"]
    if form.validate_on_submit():
        with form_errors(form):
            services.reset_password_with_code(form.phone.data, form.code.data, form.password.data)
            session.pop("reset_phone", None)
            logout_user()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    minutes = current_app.config["PASSWORD_CODE_MAX_AGE"] // 60
    return render_template("auth/reset_code.html", form=form, minutes=minutes), form_status(form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    if services.user_for_reset_token(token) is None:
        message = _(
            "This reset link is invalid, has expired or was already used. Ask for a new one."
        )
        return render_template("auth/reset_invalid.html", message=message), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with form_errors(form):
            services.reset_password(token, form.password.data)
            logout_user()
            flash(_("Your password is changed. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), form_status(form)
