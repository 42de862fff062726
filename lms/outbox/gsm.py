"""How many SMS parts a text takes: 160 GSM-7 characters fit one SMS (153 a part when split);
a character outside GSM-7 sends the whole text as UCS-2 (70, 67 a part)."""

#: the GSM 03.38 basic character set
BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: the extension table: each takes two of the 160
EXTENDED = set("^{}\\[~]|€\f")


def is_gsm7(text):
    """Whether every character of ``text`` is in GSM-7."""
    return all(ch in BASIC or ch in EXTENDED for ch in text)


def length(text):
    """Septets (GSM-7) or characters (UCS-2) the text takes."""
    if is_gsm7(text):
        return sum(2 if ch in EXTENDED else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def parts(text):
    """The number of SMS a text is sent as (1 for an empty one)."""
    size = length(text)
    single, part = (160, 153) if is_gsm7(text) else (70, 67)
    if size <= single:
        return 1
    return -(-size // part)


def describe(text):
    """(encoding name, length, limit of one SMS, parts) for the staff pages."""
    gsm = is_gsm7(text)
    return ("GSM-7" if gsm else "UCS-2", length(text), 160 if gsm else 70, parts(text))
