"""Language and time-zone selection."""

from flask import current_app, g, has_request_context, request
from flask_babel import get_translations
from flask_login import current_user

from lms.web import is_api_request

#: name of the cookie that keeps a visitor's language choice
LOCALE_COOKIE = "lms_locale"


def select_locale():
    """Pick the language of a request.

    Pages: the user's profile, then the cookie, then Accept-Language, then Indonesian.
    API: Accept-Language first (the contract), then the token user's profile, then Indonesian.
    """
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():  # CLI and background work: the default language
        return default
    browser = request.accept_languages.best_match(languages)
    if is_api_request():
        user = g.get("api_user")
        return browser or (user.locale if user and user.locale in languages else default)
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LOCALE_COOKIE)
    if cookie in languages:
        return cookie
    return browser or default


def select_timezone():
    """Everyone sees times in the office's zone (WIB)."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


class BabelTranslations:
    """WTForms' translations interface over the app's Babel catalogue (WTForms formats itself)."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ungettext(singular, plural, n)


babel_translations = BabelTranslations()


def translated_meta():
    """``meta=`` for a plain WTForms form, so that its messages come from our catalogue."""
    return {"get_translations": lambda form: babel_translations}
