"""The privacy notice, a person's data download, and staff's audited NIK view and erasure."""

import json

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.models import User
from lms.auth.permissions import login_required, roles_required
from lms.core.downloads import attachment
from lms.core.forms import LmsForm
from lms.core.transaction import attempt
from lms.extensions import db

from . import services

bp = Blueprint("privacy", __name__)


@bp.route("/privacy")
def notice():
    return render_template("privacy/notice.html")


@bp.route("/my/data")
@login_required
def my_data():
    return render_template("privacy/my_data.html")


@bp.route("/my/data.json")
@login_required
def my_data_json():
    """Everything Latih holds on the logged-in person, as a JSON download."""
    data = services.personal_data(current_user._get_current_object())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return attachment(body, "latih-data-saya.json", "application/json")


@bp.route("/users/<int:user_id>/nik", methods=["POST"])
@roles_required("staff")
def reveal_nik(user_id):
    """Show the full NIK once; the view is written to the audit log."""
    user = db.get_or_404(User, user_id)
    nik = services.reveal_nik(user, current_user)
    return render_template("privacy/nik.html", user=user, nik=nik)


@bp.route("/users/<int:user_id>/erase", methods=["GET", "POST"])
@roles_required("staff")
def erase(user_id):
    """Erase a trainee's personal data at their request, after a confirmation."""
    user = db.get_or_404(User, user_id)
    form = LmsForm()
    if form.validate_on_submit():
        with attempt() as outcome:
            services.anonymise(user, current_user)
        if outcome.error is not None:
            flash(str(outcome.error.message), "danger")
            return render_template("privacy/erase.html", user=user, form=form), outcome.error.status
        flash(_("The personal data were erased."), "success")
        return redirect(url_for("users.detail", user_id=user.id))
    return render_template("privacy/erase.html", user=user, form=form)
