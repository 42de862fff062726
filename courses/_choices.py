"""Choices shared by several built-in course types."""

from flask_babel import lazy_gettext as _l

#: destination countries of placement
DESTINATIONS = [
    ("", _l("Not set")),
    ("JP", _l("Japan")),
    ("MY", _l("Malaysia")),
    ("SG", _l("Singapore")),
    ("HK", _l("Hong Kong")),
    ("TW", _l("Taiwan")),
    ("KR", _l("South Korea")),
    ("SA", _l("Saudi Arabia")),
    ("AE", _l("United Arab Emirates")),
    ("other", _l("Other country")),
]
