"""The home page, the language switch and the health check."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from lms.core.transaction import discard
from lms.core.urls import safe_next
from lms.extensions import db, limiter
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
    response = redirect(target)
    response.set_cookie(
        LOCALE_COOKIE,
        locale,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],  # over HTTPS only in production
    )
    return response


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """For load balancers and monitors: 200 when this process answers and the database (and a
    Redis rate-limit store) does, else 503 naming what fails; nothing else (no versions)."""
    failing = []
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any failure of the database is the answer, not an error page
        current_app.logger.warning("Health check: the database fails (%s).", type(exc).__name__)
        failing.append("database")
    finally:
        discard()  # a failed database leaves nothing to commit
    storage = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "")
    in_use = current_app.config["RATELIMIT_ENABLED"] and storage.startswith("redis")
    if in_use and not limiter.storage.check():
        current_app.logger.warning("Health check: the Redis rate-limit store does not answer.")
        failing.append("redis")
    body = {"status": "error", "failing": failing} if failing else {"status": "ok"}
    response = jsonify(body)
    response.status_code = 503 if failing else 200
    response.headers["Cache-Control"] = "no-store"
    return response
