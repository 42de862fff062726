"""The certificate as a PDF: A4 landscape, Indonesian with English beneath, rendered from the record.

Everything printed comes from the stored certificate: its signed claims (holder, course, type,
partner, dates, hours, serial, code, issuer), its revocation, the course type's wording through
its plugin (a generic wording when the type is no longer installed) and the signatories as
signed on the day of issue (from the settings for a certificate signed before they were part of
its claims). Nothing is read from the course or the user as they are now, so a certificate prints
what was signed, and no query runs while rendering. When the holder's personal data were erased
the claims name nobody, and the place of the name says, in both languages, that it is withheld.

The output is deterministic (ReportLab's invariant mode, fixed metadata, no clock): the same
certificate gives the same bytes in every process. The Noto Sans font is parsed once per process;
the QR code to the verification page is embedded as an image so that it can be read back.
"""

import io
import threading
import unicodedata
from datetime import date

import fontpkg_noto_sans
from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from lms.core.time import utc_to_local
from lms.extensions import course_types

from . import services

#: the two languages of every certificate: Indonesian first, English beneath
LANGUAGES = ("id", "en")
#: Babel locales for dates ("4 Mei 2026" / "4 May 2026")
DATE_LOCALES = {"id": "id", "en": "en_GB"}

FONT = "LatihNotoSans"
FONT_ITALIC = "LatihNotoSans-Italic"

#: A4 landscape in points, as ReportLab's ``landscape(A4)`` computes it (210 × 297 mm)
_MM = 72.0 / 2.54 * 0.1
PAGE_WIDTH, PAGE_HEIGHT = 297 * _MM, 210 * _MM
CENTRE = PAGE_WIDTH / 2

# ReportLab, segno and Pillow are imported on the first rendering (``_load_renderer``): a web
# worker that never draws a certificate does not carry them (about 25 MB of memory)
segno = Image = rl_config = pdfmetrics = None
Color = ImageReader = simpleSplit = TTFont = Canvas = None
NAVY = GOLD = INK = GREY = RED = None
_load_lock = threading.Lock()


def _load_renderer():
    """Import the drawing libraries and make the colours, once per process."""
    global segno, Image, rl_config, pdfmetrics, Color, ImageReader, simpleSplit, TTFont, Canvas
    global NAVY, GOLD, INK, GREY, RED
    if Canvas is not None:
        return
    with _load_lock:
        if Canvas is not None:
            return
        import segno as _segno
        from PIL import Image as _Image
        from reportlab import rl_config as _rl_config
        from reportlab.lib.colors import Color as _Color
        from reportlab.lib.utils import ImageReader as _ImageReader
        from reportlab.lib.utils import simpleSplit as _simpleSplit
        from reportlab.pdfbase import pdfmetrics as _pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont as _TTFont
        from reportlab.pdfgen.canvas import Canvas as _Canvas

        segno, Image, rl_config, pdfmetrics = _segno, _Image, _rl_config, _pdfmetrics
        Color, ImageReader, simpleSplit, TTFont = _Color, _ImageReader, _simpleSplit, _TTFont
        NAVY = Color(0.09, 0.2, 0.36)
        GOLD = Color(0.72, 0.57, 0.24)
        INK = Color(0.13, 0.13, 0.15)
        GREY = Color(0.38, 0.4, 0.44)
        RED = Color(0.75, 0.08, 0.1)
        Canvas = _Canvas  # last: the others are set when this is


#: the certificate's own phrases, in both languages. The document is always bilingual, whatever
#: the reader's language, and like the course types' wording these are declared per language
#: here; plain labels that the message catalogue already has come from it (see _labels).
WORDS = {
    "awarded_to": {"id": "Diberikan kepada", "en": "This is to certify that"},
    "number": {"id": "Nomor", "en": "No."},
    "issued_on": {"id": "Diterbitkan pada {date}", "en": "Issued on {date}"},
    "valid_until": {"id": "berlaku sampai {date}", "en": "valid until {date}"},
    "verify": {
        "id": "Periksa keaslian sertifikat ini:",
        "en": "Verify this certificate:",
    },
    "code": {"id": "Kode", "en": "Code"},
    "signed": {
        "id": "Sertifikat ini ditandatangani secara elektronik oleh {issuer}; "
        "keabsahannya dapat diperiksa melalui kode QR.",
        "en": "This certificate is signed electronically by {issuer}; "
        "its validity can be checked through the QR code.",
    },
    "revoked": {"id": "DICABUT", "en": "REVOKED"},
    "revoked_on": {"id": "Dicabut pada {date}", "en": "Revoked on {date}"},
    "hours": {"id": "{hours} jam pelajaran", "en": "{hours} lesson hours"},
    # in place of the name once the holder's personal data were erased (the same words as the
    # catalogue's "Name withheld at the holder's request" on the pages)
    "withheld": {
        "id": "Nama dirahasiakan atas permintaan pemegang sertifikat",
        "en": "Name withheld at the holder's request",
    },
}

#: wording when the course type's plugin is not installed any more (by certificate kind)
FALLBACK_WORDING = {
    "competence": {
        "id": "telah mengikuti dan dinyatakan kompeten dalam pelatihan {course} di {partner}",
        "en": "has attended and been found competent in the {course} training at {partner}",
    },
    "attendance": {
        "id": "telah mengikuti pelatihan {course} yang diselenggarakan bersama {partner}",
        "en": "has attended the {course} training held with {partner}",
    },
}

#: the QR code's mask pattern (see _qr_image)
QR_MASK = 2

_font_lock = threading.Lock()
_fonts_ready = False


def _register_fonts():
    """Parse the TTF files once per process (ReportLab subsets them per document).

    Also switches off ReportLab's ASCII85 stream encoding (a process-wide setting): binary
    streams are standard PDF, a fifth smaller, and ReportLab's pure-Python ASCII85 encoder is
    slow without its optional C accelerator.
    """
    global _fonts_ready
    _load_renderer()
    if _fonts_ready:
        return
    with _font_lock:
        if _fonts_ready:
            return
        rl_config.useA85 = 0
        files = fontpkg_noto_sans.ROOT / "files"
        pdfmetrics.registerFont(TTFont(FONT, str(files / "NotoSans[wdth,wght].ttf")))
        pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(files / "NotoSans-Italic[wdth,wght].ttf")))
        _fonts_ready = True


# --- helpers for callers -------------------------------------------------------------------


def holder_withheld(claims):
    """Whether the claims name no holder: their personal data were erased at their request (the
    claims were signed again without the name; the certificate stays valid and verifiable)."""
    return bool(claims.get("holder_withheld")) or not claims.get("holder")


def file_name(certificate, claims=None, extension="pdf"):
    """The one file name of a certificate's downloads: the serial (slashes replaced) and the
    holder's name in plain ASCII, e.g. ``LPG-HSP-2026-00042_Siti_Nuraini.pdf`` (``.jwt`` for
    its credential)."""
    claims = claims or services.claims(certificate)
    serial = safe_ascii(claims["serial"].replace("/", " "), "-") or str(certificate.id)
    holder = None if holder_withheld(claims) else claims["holder"]
    return f"{serial}_{safe_ascii(holder, '_') or 'holder'}.{extension}"


def safe_ascii(text, space="-"):
    """ASCII letters, digits and dashes, words joined by ``space``: accents dropped, apostrophes
    and other characters removed (so never a path separator or a dot)."""
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    kept = "".join(c if c.isalnum() or c == "-" else (" " if c in " \t/_" else "") for c in plain)
    return space.join(kept.split())[:80].strip("-_")


# --- text ------------------------------------------------------------------------------------


def _labels():
    """Labels the message catalogue already has, in both languages."""
    labels = {}
    for locale in LANGUAGES:
        with force_locale(locale):
            labels[locale] = {
                "certificate": _("Certificate"),
                "type": _("Type"),
                "dates": _("Dates"),
                "hours": _("Lesson hours"),
                "partner": _("Partner institution"),
            }
    return labels


def _date(day, locale):
    return format_date(day, "d MMMM y", locale=DATE_LOCALES[locale])


def _date_range(start, end, locale):
    """4–29 Mei 2026; 4 Mei – 2 Juni 2026; 28 Desember 2026 – 3 Januari 2027."""
    loc = DATE_LOCALES[locale]
    if start == end:
        return _date(start, locale)
    if start.year != end.year:
        return f"{_date(start, locale)} – {_date(end, locale)}"
    if start.month != end.month:
        return f"{format_date(start, 'd MMMM', locale=loc)} – {_date(end, locale)}"
    return f"{start.day}–{_date(end, locale)}"


def _wording(claims):
    """The body text per language: the plugin's wording, or the generic one."""
    course = claims["course"]
    course_type = course_types.get(course.get("type"))
    withheld = holder_withheld(claims)
    values = {
        "hours": claims.get("hours", ""),
        "partner": claims.get("partner") or "",
    }
    texts, type_labels = {}, {}
    for locale in LANGUAGES:
        values["course"] = services.course_title(claims, locale)
        values["name"] = WORDS["withheld"][locale] if withheld else claims["holder"]
        if course_type is not None:
            texts[locale] = course_type.certificate_text(
                locale, facts=course.get("facts"), **values
            )
            type_labels[locale] = course_type.label(locale)
        else:
            kind = course.get("kind") if course.get("kind") in FALLBACK_WORDING else "attendance"
            texts[locale] = FALLBACK_WORDING[kind][locale].format(**values)
            type_labels[locale] = (course.get("type") or "").replace("_", " ").title()
    return texts, type_labels


def _grouped(code):
    """A code in groups of four, easier to read out and type (the page ignores the dashes)."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# --- the QR code ---------------------------------------------------------------------------


def _qr_image(url, scale=4):
    """The QR code as a small greyscale image, built straight from segno's matrix.

    The mask pattern is fixed: every mask is valid and readers handle any of them, and letting
    segno score all eight (pure Python) would take about half of a certificate's rendering time.
    """
    qr = segno.make(url, error="m", micro=False, mask=QR_MASK)
    border = 4
    size = len(qr.matrix)
    side = size + 2 * border
    rows = []
    blank = b"\xff" * (side * scale)
    rows.extend([blank] * (border * scale))
    pad = b"\xff" * (border * scale)
    for row in qr.matrix:
        line = pad + b"".join((b"\x00" if cell else b"\xff") * scale for cell in row) + pad
        rows.extend([line] * scale)
    rows.extend([blank] * (border * scale))
    return Image.frombytes("L", (side * scale, side * scale), b"".join(rows))


# --- drawing ---------------------------------------------------------------------------------


def _fit(text, font, size, width, smallest):
    """The largest font size up to ``size`` at which ``text`` fits ``width``."""
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    return size


def _centred_lines(canvas, text, font, size, y, width, leading, colour):
    """Draw ``text`` wrapped to ``width``, centred; returns the y below it."""
    canvas.setFont(font, size)
    canvas.setFillColor(colour)
    for line in simpleSplit(text, font, size, width):
        canvas.drawCentredString(CENTRE, y, line)
        y -= leading
    return y


def _bold(canvas, x, y, text, font, size, colour, char_space=0, weight=0.035):
    """Centred text drawn with a thin outline of its own colour (the font has one weight)."""
    canvas.setFont(font, size)
    canvas.setFillColor(colour)
    canvas.setStrokeColor(colour)
    canvas.setLineWidth(size * weight)
    canvas.drawCentredString(x, y, text, mode=2, charSpace=char_space)


def _frame(canvas):
    """A navy border with a gold inner rule and corner ornaments."""
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(3)
    canvas.rect(18, 18, PAGE_WIDTH - 36, PAGE_HEIGHT - 36)
    canvas.setLineWidth(0.6)
    canvas.rect(25, 25, PAGE_WIDTH - 50, PAGE_HEIGHT - 50)
    canvas.setStrokeColor(GOLD)
    canvas.setLineWidth(1.2)
    canvas.rect(29, 29, PAGE_WIDTH - 58, PAGE_HEIGHT - 58)
    canvas.setFillColor(GOLD)
    for x, y in (
        (29, 29),
        (PAGE_WIDTH - 29, 29),
        (29, PAGE_HEIGHT - 29),
        (PAGE_WIDTH - 29, PAGE_HEIGHT - 29),
    ):
        path = canvas.beginPath()
        path.moveTo(x, y - 7)
        path.lineTo(x + 7, y)
        path.lineTo(x, y + 7)
        path.lineTo(x - 7, y)
        path.close()
        canvas.drawPath(path, stroke=0, fill=1)


def _rule(canvas, y, half_width, colour=None, width=0.8):
    canvas.setStrokeColor(colour or GOLD)
    canvas.setLineWidth(width)
    canvas.line(CENTRE - half_width, y, CENTRE + half_width, y)


def _details(canvas, columns, y):
    """Label/value columns side by side, each label and value in both languages."""
    span = 620
    step = span / len(columns)
    left = CENTRE - span / 2
    for i, (label_id, label_en, value_id, value_en) in enumerate(columns):
        x = left + step * (i + 0.5)
        canvas.setFillColor(GREY)
        canvas.setFont(FONT, 7.5)
        canvas.drawCentredString(x, y, f"{label_id.upper()} / {label_en.upper()}", charSpace=0.6)
        canvas.setFillColor(INK)
        value_y = y - 15
        for line in simpleSplit(value_id, FONT, 10.5, step - 14)[:2]:
            canvas.setFont(FONT, 10.5)
            canvas.drawCentredString(x, value_y, line)
            value_y -= 12.5
        if value_en and value_en != value_id:
            canvas.setFillColor(GREY)
            for line in simpleSplit(value_en, FONT_ITALIC, 9, step - 14)[:2]:
                canvas.setFont(FONT_ITALIC, 9)
                canvas.drawCentredString(x, value_y, line)
                value_y -= 11
    if len(columns) > 1:
        canvas.setStrokeColor(GOLD)
        canvas.setLineWidth(0.5)
        for i in range(1, len(columns)):
            x = left + step * i
            canvas.line(x, y + 8, x, y - 38)


def _dated(issued_on, expires_on, locale):
    """ "Diterbitkan pada 6 Desember 2026, berlaku sampai 5 Desember 2029"."""
    text = WORDS["issued_on"][locale].format(date=_date(issued_on, locale))
    if expires_on is not None:
        text += ", " + WORDS["valid_until"][locale].format(date=_date(expires_on, locale))
    return text


def _signatories(canvas, signatories, issued_on, expires_on=None):
    """The place for each signatory: the date of issue (and of expiry), their title, space,
    then their name."""
    left, right = 470, PAGE_WIDTH - 60
    signatories = list(signatories) or [("", "")]
    step = (right - left) / len(signatories)
    middle = (left + right) / 2
    line_id = _dated(issued_on, expires_on, "id")
    line_en = _dated(issued_on, expires_on, "en")
    canvas.setFillColor(INK)
    canvas.setFont(FONT, _fit(line_id, FONT, 9.5, right - left + 40, 7))
    canvas.drawCentredString(middle, 178, line_id)
    canvas.setFillColor(GREY)
    canvas.setFont(FONT_ITALIC, _fit(line_en, FONT_ITALIC, 8, right - left + 40, 6.5))
    canvas.drawCentredString(middle, 167, line_en)
    width = step - 16
    titles = [f"{title}," if title else "" for _name, title in signatories]
    size = 10 if all(len(simpleSplit(t, FONT, 10, width)) <= 2 for t in titles) else 8.5
    for i, ((name, _title), title) in enumerate(zip(signatories, titles, strict=True)):
        x = left + step * (i + 0.5)
        canvas.setFillColor(INK)
        canvas.setFont(FONT, size)
        for n, line in enumerate(simpleSplit(title, FONT, size, width)[:3]):
            canvas.drawCentredString(x, 146 - (size + 2) * n, line)
        size = _fit(name, FONT, 11, width, 7)
        _bold(canvas, x, 86, name, FONT, size, INK, weight=0.025)
        half = min(width, pdfmetrics.stringWidth(name, FONT, size) + 20) / 2
        canvas.setStrokeColor(INK)
        canvas.setLineWidth(0.6)
        canvas.line(x - half, 82, x + half, 82)


def _verification(canvas, url, code):
    """The QR code to the verification page, with the URL and the code printed small."""
    size = 92
    x, y = 56, 58
    canvas.drawImage(ImageReader(_qr_image(url)), x, y, size, size)
    text_x = x + size + 8
    width = 440 - text_x
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(text_x, y + size - 14, WORDS["verify"]["id"])
    canvas.setFillColor(GREY)
    canvas.setFont(FONT_ITALIC, 7)
    canvas.drawString(text_x, y + size - 23, WORDS["verify"]["en"])
    canvas.setFillColor(NAVY)
    canvas.setFont(FONT, 7)
    line_y = y + size - 36
    for line in _split_url(url, FONT, 7, width):
        canvas.drawString(text_x, line_y, line)
        line_y -= 9
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 7.5)
    canvas.drawString(
        text_x,
        line_y - 4,
        f"{WORDS['code']['id']} / {WORDS['code']['en']}: {_grouped(code)}",
    )


def _split_url(url, font, size, width):
    """A URL on as few lines as fit ``width`` (it has no spaces): broken after a slash where
    possible, anywhere else if a part is too long; at most three lines."""
    if pdfmetrics.stringWidth(url, font, size) <= width:
        return [url]
    lines, line = [], ""
    parts = [p + "/" for p in url.split("/")]
    parts[-1] = parts[-1][:-1]
    for part in parts:
        if line and pdfmetrics.stringWidth(line + part, font, size) > width:
            lines.append(line)
            line = ""
        for char in part:
            if line and pdfmetrics.stringWidth(line + char, font, size) > width:
                lines.append(line)
                line = ""
            line += char
    lines.append(line)
    return lines[:3]


def _holder(canvas, name):
    """The holder's name, large, with a rule beneath."""
    size = _fit(name, FONT, 30, 640, 14)
    _bold(canvas, CENTRE, 360, name, FONT, size, NAVY, weight=0.03)
    _rule(canvas, 349, min(320, pdfmetrics.stringWidth(name, FONT, size) / 2 + 30))


def _holder_withheld(canvas):
    """In place of an erased holder's name: that it is withheld, in both languages, smaller and
    in the colours of the text around it (it must not read as a name)."""
    text_id, text_en = WORDS["withheld"]["id"], WORDS["withheld"]["en"]
    size = _fit(text_id, FONT, 17, 640, 11)
    canvas.setFillColor(NAVY)
    canvas.setFont(FONT, size)
    canvas.drawCentredString(CENTRE, 370, text_id)
    canvas.setFillColor(GREY)
    canvas.setFont(FONT_ITALIC, 10)
    canvas.drawCentredString(CENTRE, 354, text_en)
    _rule(canvas, 346, min(320, pdfmetrics.stringWidth(text_id, FONT, size) / 2 + 30))


def _revoked(canvas, revoked_at):
    """DICABUT / REVOKED across the page, and the date of revocation at the top."""
    canvas.saveState()
    canvas.setFillColor(RED)
    canvas.setFillAlpha(0.28)
    canvas.translate(CENTRE, PAGE_HEIGHT / 2)
    canvas.rotate(24)
    canvas.setFont(FONT, 110)
    canvas.drawCentredString(0, 0, WORDS["revoked"]["id"], charSpace=6)
    canvas.setFont(FONT, 64)
    canvas.drawCentredString(0, -72, WORDS["revoked"]["en"], charSpace=6)
    canvas.restoreState()
    if revoked_at is not None:
        day = utc_to_local(revoked_at).date()
        canvas.setFillColor(RED)
        canvas.setFont(FONT, 8.5)
        canvas.drawCentredString(
            CENTRE,
            554,
            f"{WORDS['revoked_on']['id'].format(date=_date(day, 'id'))} · "
            f"{WORDS['revoked_on']['en'].format(date=_date(day, 'en'))}",
        )


def render(certificate, verify_url):
    """The certificate as PDF bytes: the same certificate gives the same bytes every time."""
    _register_fonts()
    claims = services.claims(certificate)
    labels = _labels()
    texts, type_labels = _wording(claims)
    config = current_app.config
    issuer = claims.get("issuer") or config["OFFICE_NAME"]

    out = io.BytesIO()
    canvas = Canvas(
        out,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        invariant=1,
        pageCompression=1,
        initialFontName=FONT,
        initialFontSize=10,
    )
    canvas.setTitle(f"{labels['id']['certificate']} {claims['serial']}")
    canvas.setAuthor(issuer)
    withheld = holder_withheld(claims)
    if withheld:
        canvas.setSubject(claims["course"]["title"])
    else:
        canvas.setSubject(f"{claims['holder']} – {claims['course']['title']}")
    canvas.setCreator("Latih")
    canvas.setProducer("Latih")
    canvas.setKeywords([claims["serial"], claims["code"]])

    _frame(canvas)

    # the office and the title
    canvas.setFillColor(NAVY)
    canvas.setFont(FONT, 11)
    canvas.drawCentredString(CENTRE, 538, issuer.upper(), charSpace=2.5)
    _rule(canvas, 528, 40)
    _bold(canvas, CENTRE, 484, labels["id"]["certificate"].upper(), FONT, 36, NAVY, char_space=6)
    canvas.setFillColor(GREY)
    canvas.setFont(FONT_ITALIC, 13)
    canvas.drawCentredString(CENTRE, 464, labels["en"]["certificate"].upper(), charSpace=4)
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 10)
    canvas.drawCentredString(
        CENTRE,
        442,
        f"{WORDS['number']['id']} / {WORDS['number']['en']}: {claims['serial']}",
    )

    # the holder
    canvas.setFont(FONT, 11)
    canvas.drawCentredString(CENTRE, 410, WORDS["awarded_to"]["id"])
    canvas.setFillColor(GREY)
    canvas.setFont(FONT_ITALIC, 9)
    canvas.drawCentredString(CENTRE, 397, WORDS["awarded_to"]["en"])
    if withheld:
        _holder_withheld(canvas)
    else:
        _holder(canvas, claims["holder"])

    # what the holder did, in the type's words
    y = _centred_lines(canvas, texts["id"], FONT, 12, 327, 600, 15, INK)
    y = _centred_lines(canvas, texts["en"], FONT_ITALIC, 10, y - 2, 600, 12.5, GREY)

    # course type, partner (unless the wording names it), dates, hours
    columns = [(labels["id"]["type"], labels["en"]["type"], type_labels["id"], type_labels["en"])]
    partner = claims.get("partner") or ""
    if partner and partner not in texts["id"]:
        columns.append((labels["id"]["partner"], labels["en"]["partner"], partner, ""))
    starts_on, ends_on = (
        date.fromisoformat(claims["starts_on"]),
        date.fromisoformat(claims["ends_on"]),
    )
    columns.append(
        (
            labels["id"]["dates"],
            labels["en"]["dates"],
            _date_range(starts_on, ends_on, "id"),
            _date_range(starts_on, ends_on, "en"),
        )
    )
    if claims.get("hours"):
        columns.append(
            (
                labels["id"]["hours"],
                labels["en"]["hours"],
                WORDS["hours"]["id"].format(hours=claims["hours"]),
                WORDS["hours"]["en"].format(hours=claims["hours"]),
            )
        )
    _details(canvas, columns, min(y - 12, 238))

    # the verification block, the signatories and the note on the electronic signature
    _verification(canvas, verify_url, claims["code"])
    signers = claims.get("signatories")
    if signers is None:  # signed before signatories were part of the claims
        signers = services.signatories(config)
    expires_on = date.fromisoformat(claims["expires_on"]) if claims.get("expires_on") else None
    _signatories(
        canvas,
        [(person.get("name") or "", person.get("title") or "") for person in signers],
        date.fromisoformat(claims["issued_on"]),
        expires_on,
    )
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 6.5)
    canvas.drawCentredString(CENTRE, 44, WORDS["signed"]["id"].format(issuer=issuer))
    canvas.setFont(FONT_ITALIC, 6.5)
    canvas.drawCentredString(CENTRE, 36, WORDS["signed"]["en"].format(issuer=issuer))

    if certificate.revoked_at is not None:
        _revoked(canvas, certificate.revoked_at)

    canvas.showPage()
    canvas.save()
    return out.getvalue()
