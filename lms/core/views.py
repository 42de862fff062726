"""The home page, the language switch, the web app manifest and icon, and the health check."""

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text

from lms.core.assets import static_url
from lms.core.transaction import discard
from lms.core.urls import safe_next
from lms.extensions import csrf, db, limiter
from lms.i18n import LOCALE_COOKIE

bp = Blueprint("core", __name__)

#: the navbar's blue: the phone's status bar and the home-screen splash take it
THEME_COLOUR = "#0d6efd"


@bp.route("/")
def home():
    """The welcome page; a trainee's home says what comes next in each of their courses, the
    office's and a trainer's home what waits for them."""
    steps = waiting = teaching = None
    if current_user.is_authenticated and current_user.role == "trainee":
        from lms.progress.services import next_steps

        steps = next_steps(current_user._get_current_object())
    elif current_user.is_authenticated and current_user.is_staff:
        from lms.progress.office import waiting as office_waiting

        waiting = office_waiting()
    elif current_user.is_authenticated and current_user.role == "trainer":
        from lms.progress.teaching import waiting as trainer_waiting

        teaching = trainer_waiting(current_user._get_current_object())
    return render_template("core/home.html", steps=steps, waiting=waiting, teaching=teaching)


@bp.route("/language", methods=["POST"])
@csrf.exempt
def set_language():
    """Switch the language: kept in a cookie, and in the profile of a logged-in user.

    A visitor's switch carries no CSRF token (a token would start a session on every public
    page); it changes only the cookie of the browser that sends it, and a browser that says the
    form came from another site is refused. A logged-in user's switch needs the token."""
    if current_user.is_authenticated:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
    elif request.headers.get("Sec-Fetch-Site") == "cross-site":
        abort(400)
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


#: seconds a browser keeps the manifest and /favicon.ico (their URLs carry no content hash)
ICON_MAX_AGE = 7 * 24 * 3600
#: the manifest's icons: (file under static/img/, size, purpose)
MANIFEST_ICONS = (
    ("icon-192.png", "192x192", "any"),
    ("icon-512.png", "512x512", "any"),
    ("icon-maskable-192.png", "192x192", "maskable"),
    ("icon-maskable-512.png", "512x512", "maskable"),
)


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest, so that a trainee can add Latih to the phone's home screen; in the
    language the page asked for (``?lang=``), Indonesian by default."""
    locale = request.args.get("lang")
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        description = _(
            "Vocational training courses: find a course, enrol, check in, and get your certificate."
        )
    body = {
        "id": url_for("core.home"),
        "name": "Latih",
        "short_name": "Latih",
        "description": description,
        "lang": locale,
        "dir": "ltr",
        "start_url": url_for("core.home"),
        "scope": url_for("core.home"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {
                "src": static_url(f"img/{name}"),
                "sizes": size,
                "type": "image/png",
                "purpose": purpose,
            }
            for name, size, purpose in MANIFEST_ICONS
        ],
    }
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.cache_control.public = True
    response.cache_control.max_age = ICON_MAX_AGE
    return response


@bp.route("/favicon.ico")
def favicon():
    """The icon browsers ask for at the root by themselves."""
    response = send_from_directory(
        current_app.static_folder, "img/favicon.ico", mimetype="image/vnd.microsoft.icon"
    )
    response.cache_control.no_cache = None
    response.cache_control.public = True
    response.cache_control.max_age = ICON_MAX_AGE
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
