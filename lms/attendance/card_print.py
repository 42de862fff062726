"""Attendance cards as files: the QR code as SVG, one card as a PDF (A6, the card at wallet size
in the middle, to cut out) and a course's cards in bulk (ten wallet-size cards per A4 page).

A card shows the office's name, the holder's name (no photo, no NIK), the QR code and the short
code printed under it; its words are in both languages, as a certificate's are, whatever the
reader's language. ReportLab and segno, as for the certificates; the QR code is drawn as
vectors, so it stays sharp on any printer.
"""

import io
import threading

import fontpkg_noto_sans
import segno
from flask import current_app
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4, A6
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .cards import grouped, qr_text

FONT = "LatihCardSans"
#: ISO/IEC 7810 ID-1, the size of a bank card: fits a wallet
CARD_WIDTH, CARD_HEIGHT = 85.6 * mm, 54 * mm
#: cards per A4 page in bulk: two columns of five
COLUMNS, ROWS = 2, 5
NAVY = Color(0.09, 0.2, 0.36)
INK = Color(0.13, 0.13, 0.15)
GREY = Color(0.45, 0.47, 0.5)
#: the card's words, in both languages (a card is read by trainers of any language)
TITLE = "KARTU KEHADIRAN · ATTENDANCE CARD"
HINT = "Tunjukkan kartu ini kepada pelatih · Show this card to the trainer"
CUT = "Gunting di sepanjang garis · Cut along the line"

_font_lock = threading.Lock()
_font_ready = False


def _register_font():
    global _font_ready
    if _font_ready:
        return
    with _font_lock:
        if not _font_ready:
            files = fontpkg_noto_sans.ROOT / "files"
            pdfmetrics.registerFont(TTFont(FONT, str(files / "NotoSans[wdth,wght].ttf")))
            _font_ready = True


def qr_svg(card, title):
    """The card's QR code as an SVG document."""
    buffer = io.BytesIO()
    segno.make(qr_text(card), error="m", micro=False).save(
        buffer, kind="svg", scale=1, omitsize=True, xmldecl=False, title=title
    )
    return buffer.getvalue()


def _qr(canvas, text, x, y, side):
    """Draw the QR code of ``text`` in a square of ``side`` at (x, y) (bottom left), quiet zone
    included."""
    matrix = segno.make(text, error="m", micro=False).matrix
    border = 2
    cells = len(matrix) + 2 * border
    cell = side / cells
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, side, side, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(
                    x + (c + border) * cell,
                    y + side - (r + border + 1) * cell,
                    cell + 0.01,
                    cell + 0.01,
                    stroke=0,
                    fill=1,
                )


def _card(canvas, x, y, name, card):
    """One card with its bottom left corner at (x, y), its outline a cutting line."""
    office = current_app.config.get("OFFICE_NAME") or "Latih"
    canvas.setStrokeColor(GREY)
    canvas.setLineWidth(0.4)
    canvas.setDash(2, 2)
    canvas.roundRect(x, y, CARD_WIDTH, CARD_HEIGHT, 3 * mm, stroke=1, fill=0)
    canvas.setDash()
    pad = 4 * mm
    # the top band: the office and the card's title
    canvas.setFillColor(NAVY)
    canvas.setFont(FONT, 6.5)
    canvas.drawString(x + pad, y + CARD_HEIGHT - pad - 2 * mm, office[:60])
    canvas.setFont(FONT, 7)
    canvas.drawString(x + pad, y + CARD_HEIGHT - pad - 5.5 * mm, TITLE)
    # the QR code on the left, the code beneath it
    side = 31 * mm
    qx, qy = x + pad - 1 * mm, y + 9 * mm
    _qr(canvas, qr_text(card), qx, qy, side)
    canvas.setFillColor(INK)
    canvas.setFont(FONT, 11)
    canvas.drawCentredString(qx + side / 2, y + 4.5 * mm, grouped(card.code))
    # the name on the right, on up to three lines
    left = qx + side + 3 * mm
    width = x + CARD_WIDTH - pad - left
    size = 12
    lines = simpleSplit(name, FONT, size, width)
    while len(lines) > 3 and size > 8:
        size -= 1
        lines = simpleSplit(name, FONT, size, width)
    canvas.setFont(FONT, size)
    top = y + CARD_HEIGHT - 17 * mm
    for i, line in enumerate(lines[:3]):
        canvas.drawString(left, top - i * (size + 2), line)
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 5.5)
    for i, line in enumerate(simpleSplit(HINT, FONT, 5.5, width)[:3]):
        canvas.drawString(left, y + 12 * mm - i * 7, line)


def _canvas(buffer, pagesize, title):
    _register_font()
    canvas = Canvas(buffer, pagesize=pagesize, invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor(current_app.config.get("OFFICE_NAME") or "Latih")
    return canvas


def single_pdf(name, card):
    """One card on an A6 page, at wallet size, to print and cut out."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, A6, f"{TITLE} – {name}")
    width, height = A6
    x, y = (width - CARD_WIDTH) / 2, height - CARD_HEIGHT - 20 * mm
    _card(canvas, x, y, name, card)
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 6.5)
    canvas.drawCentredString(width / 2, y - 6 * mm, CUT)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def bulk_pdf(people, title):
    """Many cards, ten to an A4 page: ``people`` is [(name, card)]."""
    buffer = io.BytesIO()
    canvas = _canvas(buffer, A4, title)
    width, height = A4
    gap_x = (width - COLUMNS * CARD_WIDTH) / (COLUMNS + 1)
    gap_y = (height - ROWS * CARD_HEIGHT) / (ROWS + 1)
    per_page = COLUMNS * ROWS
    for index, (name, card) in enumerate(people):
        slot = index % per_page
        if index and slot == 0:
            canvas.showPage()
        column, row = slot % COLUMNS, slot // COLUMNS
        x = gap_x + column * (CARD_WIDTH + gap_x)
        y = height - (row + 1) * (CARD_HEIGHT + gap_y)
        _card(canvas, x, y, name, card)
    if not people:
        canvas.setFont(FONT, 10)
        canvas.drawString(20 * mm, height - 20 * mm, title)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
