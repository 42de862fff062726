"""Language and time-zone selection."""

from flask import current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations
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
    """Everyone sees times in the office's zone (BABEL_DEFAULT_TIMEZONE: WIB by default)."""
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _babel_context():
    """flask_babel's per-request namespace (where it keeps the locale it picked), or None."""
    if not g:
        return None
    return getattr(g, "_flask_babel", None)


def translations():
    """The current request's catalogue, looked up once per locale and request.

    flask_babel finds it again on every call (the domain, the locale, its name, a dict); a
    page calls gettext a hundred times. The catalogue is kept beside the locale object it is
    for, so ``force_locale`` (which puts another locale object in place) gets its own.
    """
    ctx = _babel_context()
    locale = getattr(ctx, "babel_locale", None) if ctx is not None else None
    if locale is not None:
        cached = getattr(ctx, "lms_translations", None)
        if cached is not None and cached[0] is locale:
            return cached[1]
    found = get_translations()  # picks the locale when it is not picked yet
    ctx = _babel_context()
    locale = getattr(ctx, "babel_locale", None) if ctx is not None else None
    if locale is not None:
        ctx.lms_translations = (locale, found)
    return found


def locale_name():
    """The current locale's name ("id", "en"), computed once per locale and request."""
    ctx = _babel_context()
    locale = getattr(ctx, "babel_locale", None) if ctx is not None else None
    if locale is None:
        locale = get_locale()
        if locale is None:
            return current_app.config["BABEL_DEFAULT_LOCALE"]
        ctx = _babel_context()
    cached = getattr(ctx, "lms_locale_name", None)
    if cached is not None and cached[0] is locale:
        return cached[1]
    name = str(locale)
    ctx.lms_locale_name = (locale, name)
    return name


def gettext(string):
    """``_()`` in templates: the cached catalogue's translation."""
    return translations().ugettext(string)


def ngettext(singular, plural, n):
    """``ngettext()`` in templates."""
    return translations().ungettext(singular, plural, n)


def pgettext(context, string):
    return translations().upgettext(context, string)


def npgettext(context, singular, plural, n):
    return translations().unpgettext(context, singular, plural, n)


class BabelTranslations:
    """WTForms' translations interface over the app's Babel catalogue (WTForms formats itself)."""

    def gettext(self, string):
        return translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return translations().ungettext(singular, plural, n)


babel_translations = BabelTranslations()


def translated_meta():
    """``meta=`` for a plain WTForms form, so that its messages come from our catalogue."""
    return {"get_translations": lambda form: babel_translations}
