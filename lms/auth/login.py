"""Flask-Login wiring: how a session cookie becomes a user."""

from flask_babel import lazy_gettext as _l


def load_user(token):
    """The cookies carry a login session's token: an ended or expired one logs out."""
    from . import sessions

    return sessions.load(token)


def init_app(app, login_manager):
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
