"""The home page and the language switch."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from lms.core.urls import safe_next
from lms.extensions import db
from lms.i18n import LOCALE_COOKIE

bp = Blueprint("core", __name__)


@bp.route("/")
def home():
    return render_template("core/home.html")


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the language: kept in a cookie, and in the profile of a logged-in user."""
    locale = request.form.get("locale")
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    target = safe_next(request.form.get("next"), url_for("core.home"))
    if current_user.is_authenticated:
        from lms.auth.services import set_locale

        set_locale(current_user, locale)
        db.session.commit()
    response = redirect(target)
    response.set_cookie(
        LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
    )
    return response
