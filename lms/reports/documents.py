"""The reports as labelled tables, and those tables as an XLSX workbook and a PDF.

The figures come from :mod:`lms.reports.services` unchanged; this module only names them in the
request's language (course types, target groups, months) and lays them out, so that the page,
the workbook and the PDF show the same numbers.
"""

import io
from dataclasses import dataclass, field

from babel.dates import get_month_names
from flask import current_app
from flask_babel import format_date, format_decimal, format_percent, get_locale
from flask_babel import gettext as _

from lms.auth.models import TARGET_GROUP_LABELS, TARGET_GROUPS
from lms.core.tabular import safe_text, sheet_title
from lms.core.time import local_today
from lms.extensions import course_types
from lms.partners.models import PARTNER_KIND_LABELS, PARTNER_KINDS
from lms.templating import type_label

from .services import UNKNOWN

PDF_MIMETYPE = "application/pdf"
#: a rate in the workbook: a number shown as a percentage
PERCENT_FORMAT = "0.0%"
DASH = "—"


@dataclass
class Row:
    """One line of a table: the group's key (as in the API), its label, its figures."""

    key: str
    label: str
    values: list
    #: a shorter label for a chart's axis (the label when None)
    short: str | None = None


@dataclass
class Section:
    """A table of the report, with how it is charted.

    ``fields`` names each value column as the API does (None: the group's value is the number
    itself, as in ``by_regency``); ``rates`` holds the indexes of value columns that are
    fractions 0..1 (shown as percentages, or a dash when None).
    """

    key: str
    title: str
    headers: list
    fields: list
    rows: list
    note: str = ""
    #: "bar", "line" or None (no chart)
    chart: str | None = "bar"
    #: header indexes of the columns that are charted
    chart_columns: tuple = (1,)
    rates: set = field(default_factory=set)

    def figure(self, row, index):
        """The dotted name of a cell, as in the API's JSON: ``by_course_type.language.trainees``,
        ``by_regency.Lampung Timur``, ``trainees`` (totals)."""
        name = self.fields[index]
        if name is not None and name.startswith("/"):  # a figure of another part of the report
            return name[1:].format(key=row.key)
        parts = [] if self.key == "totals" else [self.key]
        parts.append(str(row.key))
        if self.fields[index] is not None:
            parts.append(self.fields[index])
        return ".".join(parts)


def format_value(value, rate=False):
    """A figure as people read it: a number with the locale's separators, a rate as a
    percentage with one decimal, a date in the locale's words, a dash for nothing."""
    if value is None:
        return DASH
    if rate:
        return format_percent(value, "#,##0.0%")
    if hasattr(value, "strftime"):
        return format_date(value, "medium")
    return format_decimal(value)


def _type_rows(by_type):
    keys = [t.key for t in course_types.all() if t.enrols]  # outreach is no training
    keys += sorted(k for k in by_type if k not in keys)
    names = ("trainees", "enrollments", "completions", "certificates")
    return [
        Row(key, type_label(key), [by_type.get(key, {}).get(n, 0) for n in names]) for key in keys
    ]


def _group_rows(counts):
    keys = list(TARGET_GROUPS) + sorted(k for k in counts if k not in TARGET_GROUPS)
    return [
        Row(
            key,
            str(TARGET_GROUP_LABELS[key]) if key in TARGET_GROUP_LABELS else unknown_label(key),
            [counts.get(key, 0)],
        )
        for key in keys
        if key in TARGET_GROUPS or counts.get(key)
    ]


def unknown_label(key):
    """The label of a group key: "unknown" (the profile does not say) in words."""
    return _("Not recorded") if key == UNKNOWN else str(key)


def _ranked(counts, names_only=False):
    """Rows by number of trainees (most first), then name; "unknown" last. ``names_only``: the
    keys are names as they are (a partner may be called anything, even "unknown")."""
    if names_only:
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return [Row(key, key, [value]) for key, value in ordered]
    ordered = sorted(counts.items(), key=lambda kv: (kv[0] == UNKNOWN, -kv[1], str(kv[0])))
    return [Row(key, unknown_label(key), [value]) for key, value in ordered]


def _month_rows(by_month):
    locale = get_locale()
    wide = get_month_names("wide", "stand-alone", locale=locale)
    short = get_month_names("abbreviated", "stand-alone", locale=locale)
    rows = []
    for month in range(1, 13):
        f = by_month.get(month) or by_month.get(str(month)) or {}
        rows.append(
            Row(
                month,
                wide[month],
                [f.get(n, 0) for n in ("trainees", "enrollments", "completions")],
                short=short[month],
            )
        )
    return rows


def _kind_rows(by_kind):
    """People reached per partner kind, in the order of the kinds, the kinds with none left out."""
    keys = [k for k in PARTNER_KINDS if by_kind.get(k)]
    keys += sorted(k for k in by_kind if k not in PARTNER_KINDS)
    return [Row(k, str(PARTNER_KIND_LABELS.get(k, k)), [by_kind[k]]) for k in keys]


def _outreach_month_rows(by_month):
    """Events and people per month ("YYYY-MM" keys), January to December."""
    locale = get_locale()
    wide = get_month_names("wide", "stand-alone", locale=locale)
    short = get_month_names("abbreviated", "stand-alone", locale=locale)
    rows = []
    for key in sorted(by_month):
        month = int(key[5:7])
        f = by_month[key]
        rows.append(Row(key, wide[month], [f["events"], f["people"]], short=short[month]))
    return rows


def outreach_sections(outreach):
    """The outreach section of the annual report: totals, by regency, partner kind and month.

    Without any event in the year, no chart is drawn (bars of nothing say nothing). The month's
    events are charted with the training figures (``annual_sections``), not here: on one axis
    with the hundreds of people reached they would lie flat on zero.
    """
    events, people = _("Outreach events"), _("People reached")
    bars = "bar" if outreach["events"] else None
    return [
        Section(
            "outreach",
            _("Outreach"),
            [_("Figure"), _("Value")],
            [None],
            [
                Row("events", events, [outreach["events"]]),
                Row("people", people, [outreach["people"]]),
            ],
            note=_(
                "Safe-migration outreach events held in the year and the people they reached; "
                "they are not part of the training figures."
            ),
            chart=None,
        ),
        Section(
            "outreach.by_regency",
            _("Outreach by regency"),
            [_("Regency or city where it was held"), people],
            [None],
            _ranked(outreach["by_regency"]),
            chart=bars,
        ),
        Section(
            "outreach.by_partner_kind",
            _("Outreach by kind of partner"),
            [_("Kind of partner"), people],
            [None],
            _kind_rows(outreach["by_partner_kind"]),
            chart=bars,
        ),
        Section(
            "outreach.by_month",
            _("Outreach month by month"),
            [_("Month"), events, people],
            ["events", "people"],
            _outreach_month_rows(outreach["by_month"]),
            note=_(
                "An event's people are the larger of the head count and the attendees "
                "signed in by name. The events are charted month by month with the training "
                "figures above."
            ),
            chart=None,
        ),
    ]


def _month_section(report, trainees, enrolments, completions):
    """Month by month: the training figures and, in a year with outreach, the outreach events
    as a series of their own (the API's ``by_month`` stays the training figures)."""
    rows = _month_rows(report.get("by_month", {}))
    headers = [_("Month"), trainees, enrolments, completions]
    fields = ["trainees", "enrollments", "completions"]
    note = _("By the month in which the course starts; a trainee counts once in each month.")
    outreach = report.get("outreach") or {}
    if outreach.get("events"):
        by_month = outreach["by_month"]
        for row in rows:
            month = by_month.get(f"{report['year']}-{row.key:02d}", {})
            row.values.append(month.get("events", 0))
        headers.append(_("Outreach events"))
        fields.append(f"/outreach.by_month.{report['year']}-{{key:02d}}.events")
        note += " " + _("Outreach events count in the month in which they are held.")
    return Section(
        "by_month",
        _("Month by month"),
        headers,
        fields,
        rows,
        note=note,
        chart="line",
        chart_columns=tuple(range(1, len(headers))),
    )


def annual_sections(report):
    """The annual report as a list of Sections: totals, then each breakdown and the trend."""
    trainees, enrolments = _("Trainees"), _("Enrolments")
    completions, certificates = _("Completions"), _("Certificates")
    totals = Section(
        "totals",
        _("Totals"),
        [_("Figure"), _("Value")],
        [None],
        [
            Row("trainees", trainees, [report["trainees"]]),
            Row("enrollments", enrolments, [report["enrollments"]]),
            Row("completions", completions, [report["completions"]]),
            Row("certificates_issued", _("Certificates issued"), [report["certificates_issued"]]),
            Row("sessions_held", _("Sessions held"), [report["sessions_held"]]),
            Row("attendance_rate", _("Attendance rate"), [report["attendance_rate"]]),
        ],
        chart=None,
    )
    return [
        totals,
        Section(
            "by_course_type",
            _("By course type"),
            [_("Course type"), trainees, enrolments, completions, certificates],
            ["trainees", "enrollments", "completions", "certificates"],
            _type_rows(report["by_course_type"]),
            note=_("A trainee in courses of two types counts once under each type."),
            chart_columns=(1, 2, 3),
        ),
        Section(
            "by_regency",
            _("By regency of origin"),
            [_("Regency or city of origin"), trainees],
            [None],
            _ranked(report["by_regency"]),
        ),
        Section(
            "by_partner",
            _("By partner"),
            [_("Partner"), trainees],
            [None],
            _ranked(report["by_partner"], names_only=True),
            note=_("A trainee in courses of two partners counts once under each partner."),
        ),
        Section(
            "by_target_group",
            _("By target group"),
            [_("Participant group"), trainees],
            [None],
            _group_rows(report["by_target_group"]),
        ),
        _month_section(report, trainees, enrolments, completions),
        *(outreach_sections(report["outreach"]) if "outreach" in report else []),
    ]


def is_rate(section, row, index):
    """Whether a cell holds a rate (a fraction shown as a percentage)."""
    return index in section.rates or (section.key == "totals" and row.key == "attendance_rate")


def partner_section(rows):
    """The partner report as one Section, a row per partner (keyed by partner id)."""
    headers = [
        _("Partner"),
        _("MoU valid until"),
        _("Courses"),
        _("Sessions held"),
        _("Trainees"),
        _("Enrolments"),
        _("Completions"),
        _("Completion rate"),
        _("Attendance rate"),
        _("Certificates"),
    ]
    names = [
        "mou_valid_until",
        "courses",
        "sessions_held",
        "trainees",
        "enrollments",
        "completions",
        "completion_rate",
        "attendance_rate",
        "certificates",
    ]
    return Section(
        "partners",
        _("Partners"),
        headers,
        names,
        [
            Row(
                r["partner"].id,
                r["partner"].name,
                [r["partner"].mou_valid_until] + [r[n] for n in names[1:]],
            )
            for r in rows
        ],
        # the rates side by side: what an MoU evaluation compares
        chart="bar",
        chart_columns=(7, 8),
        rates={6, 7},
    )


# --- XLSX ----------------------------------------------------------------------------------------


def _cell(sheet, value, rate=False, bold=False):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if rate and value is None:
        value = DASH
    cell = WriteOnlyCell(sheet, value=safe_text(value) if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula
    elif rate:
        cell.number_format = PERCENT_FORMAT
    elif hasattr(value, "strftime"):
        cell.number_format = "yyyy-mm-dd"
    if bold:
        cell.font = Font(bold=True)
    return cell


def workbook_bytes(title, sections, year):
    """An XLSX workbook with one sheet per section: a title line, the headers, the rows."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    used = set()
    for section in sections:
        name = sheet_title(section.title)
        while name in used:  # titles cut at 31 characters could collide
            name = sheet_title(f"{len(used)} {section.title}")
        used.add(name)
        sheet = workbook.create_sheet(title=name)
        sheet.column_dimensions["A"].width = 36
        for index in range(2, len(section.headers) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 16
        sheet.append([_cell(sheet, f"{title} {year} · {section.title}", bold=True)])
        sheet.append([_cell(sheet, h, bold=True) for h in section.headers])
        for row in section.rows:
            sheet.append(
                [_cell(sheet, row.label)]
                + [
                    _cell(sheet, value, rate=is_rate(section, row, i))
                    for i, value in enumerate(row.values)
                ]
            )
        if section.note:
            sheet.append([])
            sheet.append([_cell(sheet, section.note)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


#: the rows of a section's sheet before its table: the title line and the headers
XLSX_HEADER_ROWS = 2


def annual_xlsx(report):
    return workbook_bytes(_("Annual report"), annual_sections(report), report["year"])


def partner_xlsx(rows, year):
    return workbook_bytes(_("Partner report"), [partner_section(rows)], year)


# --- PDF -----------------------------------------------------------------------------------------

FONT = "LatihReportSans"


def _font():
    """Noto Sans (Indonesian and English, the dash and the thin spaces), registered once."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        import fontpkg_noto_sans

        path = fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf"
        pdfmetrics.registerFont(TTFont(FONT, str(path)))
    return FONT


def _pdf_value(section, row, index, value):
    return format_value(value, is_rate(section, row, index))


def pdf_bytes(title, sections, year, subtitle=None):
    """An A4 PDF: the title, the office, the date, then each section as a table."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        CondPageBreak,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    font = _font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12)
    heading = ParagraphStyle("heading", parent=base, fontSize=13, leading=17, spaceBefore=8)
    big = ParagraphStyle("title", parent=base, fontSize=18, leading=23)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=10, textColor=colors.grey)
    number = ParagraphStyle("number", parent=base, alignment=TA_RIGHT)
    office = current_app.config.get("OFFICE_NAME", "")
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{title} {year}",
        author=office,
        creator="Latih",
    )
    story = [
        Paragraph(f"{_esc(title)} {year}", big),
        Paragraph(_esc(office), base),
        Paragraph(_esc(_("Made on %(day)s", day=format_date(local_today(), "long"))), small),
    ]
    if subtitle:
        story.append(Paragraph(_esc(subtitle), small))
    story.append(Spacer(1, 4 * mm))
    width = A4[0] - 32 * mm
    for section in sections:
        columns = len(section.headers)
        first = min(width * 0.45, width - (columns - 1) * 18 * mm) if columns > 2 else width * 0.6
        rest = (width - first) / max(columns - 1, 1) if columns > 2 else width * 0.25
        header = [Paragraph(_esc(section.headers[0]), base)] + [
            Paragraph(_esc(h), number) for h in section.headers[1:]
        ]
        body = [
            [Paragraph(_esc(row.label), base)]
            + [
                Paragraph(_esc(_pdf_value(section, row, i, v)), number)
                for i, v in enumerate(row.values)
            ]
            for row in section.rows
        ]
        if not body:
            body = [[Paragraph(_esc(_("No data")), base)] + [""] * (columns - 1)]
        table = Table(
            [header, *body], colWidths=[first] + [rest] * (columns - 1), repeatRows=1, hAlign="LEFT"
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), font),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e7f1ff")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dee2e6")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        parts = [Paragraph(_esc(section.title), heading), Spacer(1, 1.5 * mm), table]
        if section.note:
            parts += [Spacer(1, 1 * mm), Paragraph(_esc(section.note), small)]
        # a heading never ends a page; a short table stays in one piece
        story.append(CondPageBreak(30 * mm))
        story.append(KeepTogether(parts) if len(section.rows) <= 20 else parts[0])
        if len(section.rows) > 20:
            story.extend(parts[1:])
    document.build(story)
    return out.getvalue()


def _esc(text):
    from xml.sax.saxutils import escape

    return escape(str(text))


def annual_pdf(report):
    return pdf_bytes(_("Annual report"), annual_sections(report), report["year"])
