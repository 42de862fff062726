"""Flask-Login wiring: how a session cookie becomes a user."""

from flask_babel import lazy_gettext as _l

from lms.extensions import db


def load_user(user_id):
    """Load from ``"<id>:<session_version>"``; an old version (password changed) logs out."""
    from .models import User

    try:
        pk, version = (int(part) for part in user_id.split(":"))
    except (ValueError, AttributeError):
        return None
    user = db.session.get(User, pk)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def init_app(app, login_manager):
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
