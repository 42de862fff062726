"""The WhatsApp message templates Latih sends, with their variables, for the office to register.

WhatsApp lets a business write first only with a template Meta approved. Each message kind may
have its own template here; every other kind goes with ``latih_message``, whose variables carry
the message's subject and short text. Register each template under its name, in Indonesian
(``id``) and English (``en``), with the body shown on the staff page /outbox/whatsapp-templates.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class WhatsAppTemplate:
    """One template: what Meta must approve, and where each variable's value comes from."""

    #: the template's name in WhatsApp Manager
    name: str
    #: Meta's category: UTILITY or AUTHENTICATION
    category: str
    #: the body with {{1}}, {{2}}, ... (translated: register each language's text)
    body: object
    #: (value key, label) per variable, in order: the key names a value of the message
    #: (name, subject, text, or a value the message was written with, e.g. link, code, minutes)
    variables: tuple
    #: the message kinds sent with it; empty for the fallback template
    kinds: tuple = field(default=())
    #: an authentication template's copy-code button, which carries the first variable again
    copy_code_button: bool = False


#: the fallback: any message kind without a template of its own
GENERIC = WhatsAppTemplate(
    name="latih_message",
    category="UTILITY",
    body=_l("Hello {{1}}, a message from Latih: *{{2}}*. {{3}}"),
    variables=(("name", _l("Name")), ("subject", _l("Subject")), ("text", _l("Short text"))),
)

TEMPLATES = (
    WhatsAppTemplate(
        name="latih_password_code",
        category="AUTHENTICATION",
        body=_l("{{1}} is your verification code. For your security, do not share this code."),
        variables=(("code", _l("Code")),),
        kinds=("password_code",),
        copy_code_button=True,
    ),
    WhatsAppTemplate(
        name="latih_password_reset",
        category="UTILITY",
        body=_l(
            "Hello {{1}}, open this link to set a new password for Latih: {{2}} The link works "
            "once and for {{3}} minutes. If you did not ask for it, ignore this message."
        ),
        variables=(("name", _l("Name")), ("link", _l("Link")), ("minutes", _l("Minutes"))),
        kinds=("password_reset",),
    ),
    GENERIC,
)

_BY_NAME = {template.name: template for template in TEMPLATES}
_BY_KIND = {kind: template for template in TEMPLATES for kind in template.kinds}


def for_kind(kind):
    """The template a message kind is sent with."""
    return _BY_KIND.get(kind, GENERIC)


def by_name(name):
    """The template of this name, or None."""
    return _BY_NAME.get(name)


def clean_value(value):
    """A variable's text as the Cloud API takes it: no new lines or tabs, no long runs of spaces."""
    return " ".join(str(value).split())[:1000]


def params(template, values):
    """The template's variables, in order, from ``values`` (a missing one is empty)."""
    return [clean_value(values.get(key, "")) for key, _label in template.variables]
