"""The pages' date formatting and translations are cached, and say the same as flask_babel."""

from datetime import UTC, date, datetime

import flask_babel
import pytest
from flask_babel import force_locale

from lms import i18n, templating


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("fmt", ["short", "medium", "long", "full", "d MMM y", None])
def test_date_filters_say_what_flask_babel_says(app, lang, fmt):
    moments = [datetime(2026, 12, 31, 17, 30, tzinfo=UTC), datetime(2027, 2, 28, 23, 59)]
    with app.test_request_context(headers={"Accept-Language": lang}):
        for day in (date(2026, 5, 4), date(2027, 1, 1)):
            assert templating.format_date(day, fmt) == flask_babel.format_date(day, fmt)
        for moment in moments:
            # a moment's day is its day in WIB (17:30 UTC on 31 December is 1 January there)
            assert templating.format_date(moment, fmt) == flask_babel.format_date(moment, fmt)
            assert templating.format_datetime(moment, fmt) == flask_babel.format_datetime(
                moment, fmt
            )
        assert templating.format_date(None) == ""


def test_a_format_is_worked_out_once(app):
    templating._format.cache_clear()
    with app.test_request_context():
        for _ in range(20):
            templating.format_date(date(2026, 5, 4))
    info = templating._format.cache_info()
    assert info.misses == 1 and info.hits == 19


def test_the_catalogue_is_looked_up_once_per_locale(app, monkeypatch):
    calls = []
    real = i18n.get_translations
    monkeypatch.setattr(i18n, "get_translations", lambda: calls.append(1) or real())
    with app.test_request_context(headers={"Accept-Language": "en"}):
        template = app.jinja_env.from_string("{{ _('Courses') }} {{ _('Dates') }}")
        assert template.render() == "Courses Dates"
        assert template.render() == "Courses Dates"
        with force_locale("id"):
            assert template.render() == "Pelatihan Tanggal"
            assert i18n.locale_name() == "id"
        assert template.render() == "Courses Dates"
        assert i18n.locale_name() == "en"
    assert len(calls) == 3  # English, Indonesian inside force_locale, English again
