"""Charts of the reports as SVG, drawn on the server with pygal and inlined in the page.

No JavaScript and nothing from another site: pygal's configuration script, its tooltip data and
its comments are removed, and its stylesheet is replaced by the few rules in
templates/reports/_charts.css, written once per page (so that a chart weighs a few kilobytes on
slow mobile data). Each chart names itself in its ``<title>`` for screen readers; the table beside
it holds the same figures, in full.

Every chart is drawn 480 units wide and scaled to its box (at most 30rem, 480 px, wide): the text stays
readable on a 360 px phone and on a desktop alike.
"""

import re
import sys

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

#: series colours (Bootstrap's blue, green, orange, purple, pink, teal); the page's legend and
#: templates/reports/_charts.css use the same ones
COLORS = ("#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997")
#: how each series of a line chart is drawn (templates/reports/_charts.css): stroke width,
#: opacity and dashes, for the legend's samples
LINE_PATTERNS = (
    ("6", ".55", ""),
    ("2.5", "1", "10 5"),
    ("3.5", "1", "2 5"),
    ("2.5", "1", "14 4 3 4"),
)
#: the page's own font (Bootstrap's system fonts)
FONT = "inherit"
#: the drawing's width in SVG units; the page scales it to the width of its box
WIDTH = 480
#: longest label drawn in full; longer ones end in "…" (the table holds the full names)
LABEL_CHARS = 20
#: text size in SVG units: at 360 px a chart is drawn about 0.7 of its size, so 18 units read
#: as about 12.5 px
FONT_SIZE = 18

_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
#: pygal gives every legend the same ids in every chart: ids must be unique in a page
_LEGEND_ID = re.compile(r'\s+id="activate-serie-\d+"')
_TITLE = re.compile(r"<title>.*?</title>", re.S)
#: data for pygal's tooltips, which need its JavaScript
_DESC = re.compile(r"<desc\b[^>]*>.*?</desc>", re.S)
#: coordinates to two decimals, in attribute values only (a text may hold "1.234", id locale)
_ATTRIBUTE = re.compile(r'="([^"]*)"')
_LONG_NUMBER = re.compile(r"(\d\.\d\d)\d+")


def _pygal():
    """pygal, without the import hook it appends to ``sys.meta_path`` for its map plugins.

    That hook has no ``find_spec()``: once it is installed, every import that fails anywhere in
    the process (a codec lookup of ReportLab, an optional dependency) warns ImportWarning, which
    the test suite turns into errors. No chart here is a map.
    """
    import pygal

    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]
    return pygal


def _config(**options):
    """Common settings: no script, no pygal stylesheet, sized by the page, values printed."""
    pygal = _pygal()
    from pygal.style import Style

    style = Style(
        font_family=FONT,
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#212529",
        foreground_strong="#212529",
        foreground_subtle="#dee2e6",
        colors=COLORS,
        label_font_size=FONT_SIZE,
        major_label_font_size=FONT_SIZE,
        legend_font_size=FONT_SIZE,
        value_font_size=FONT_SIZE - 1,
        value_label_font_size=FONT_SIZE - 1,
        no_data_font_size=FONT_SIZE + 4,
        legend_box_size=14,
    )
    config = pygal.Config(
        js=[],
        css=[],
        style=style,
        disable_xml_declaration=True,
        explicit_size=False,
        width=WIDTH,
        margin=6,
        spacing=10,
        truncate_label=-1,
        # the page writes the legend under the chart, in HTML (it wraps on a phone)
        show_legend=False,
        print_values=True,
        print_values_position="top",
        no_data_text=_("No data"),
        value_formatter=lambda value: format_decimal(value or 0),
        allow_interruptions=False,
    )
    for name, value in options.items():
        setattr(config, name, value)
    return config


def _ticks(top):
    """Whole-number ticks from 0 past ``top``, about five of them (people are counted whole)."""
    step = 1
    while top / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 5:
                break
    if not top:
        return [0, 1]
    return list(range(0, -(-int(top) // step) * step + 1, step))


def _label(text):
    text = str(text)
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def _common_words(texts):
    """The whole words that all of ``texts`` begin with, as one string with its space."""
    words = [str(t).split(" ") for t in texts]
    common = []
    for group in zip(*words, strict=False):
        if len(set(group)) != 1:
            break
        common.append(group[0])
    return " ".join(common) + " " if common else ""


def distinct_labels(labels):
    """Short axis labels that tell every group apart: cut at the end; where two would read the
    same, the words they share at the start give way to the words that differ ("…Kerja Kota
    Bandar…"); numbered when even those are alike (the table beside the chart holds the full
    names)."""
    labels = [str(label) for label in labels]
    short = [_label(label) for label in labels]
    groups = {}
    for label, s in zip(labels, short, strict=True):
        groups.setdefault(s, []).append(label)
    for i, (label, s) in enumerate(zip(labels, short, strict=True)):
        if len(groups[s]) > 1:
            rest = label[len(_common_words(groups[s])) :]
            if rest and rest != label:
                short[i] = "…" + _label(rest)[: LABEL_CHARS - 1]
                if len(rest) > LABEL_CHARS - 1 and not short[i].endswith("…"):
                    short[i] = short[i][:-1].rstrip() + "…"
    seen = {}
    result = []
    for s in short:
        seen[s] = seen.get(s, 0) + 1
        result.append(s if short.count(s) == 1 else f"{s} ({seen[s]})")
    return result


def _clean(svg, title):
    """The SVG as markup for the page: no script or comments, unique ids, a real title."""
    svg = _SCRIPT.sub("", svg)
    svg = _COMMENT.sub("", svg)
    svg = _LEGEND_ID.sub("", svg)
    svg = _DESC.sub("", svg)
    svg = _ATTRIBUTE.sub(lambda m: '="' + _LONG_NUMBER.sub(r"\1", m.group(1)) + '"', svg)
    svg = _TITLE.sub(f"<title>{escape(title)}</title>", svg, count=1)
    svg = svg.replace("<svg ", '<svg role="img" ', 1)
    return Markup(svg)


def _percent(value):
    return "" if value is None else format_percent(value, "#,##0.0%")


def bar_chart(title, labels, series, rates=False):
    """Horizontal bars, the first group on top: ``labels`` of the groups, ``series`` a list of
    (name, values); ``rates``: the values are fractions 0..1, printed as percentages. The values
    are printed at the bars' ends, so the value axis is left out."""
    pygal = _pygal()
    rows = max(len(labels), 1)
    height = 30 + rows * (24 * len(series) + 12)
    # room on the right for the value printed at the end of the longest bar
    options = {"value_formatter": _percent, "range": (0, 1)} if rates else {}
    chart = pygal.HorizontalBar(
        _config(height=max(height, 100), show_x_labels=False, margin_right=56, **options)
    )
    # pygal draws the first label at the bottom: reverse, so the chart reads like the table
    chart.x_labels = list(reversed(distinct_labels(labels)))
    for name, values in series:
        chart.add(str(name), list(reversed(list(values))))
    return _clean(chart.render(), title)


def line_chart(title, labels, series):
    """A line chart (a trend): ``labels`` on the x axis, ``series`` a list of (name, values)."""
    pygal = _pygal()
    chart = pygal.Line(
        _config(height=300, print_values=False, dots_size=3.5, x_label_rotation=0, fill=False)
    )
    chart.x_labels = [str(label) for label in labels]
    chart.y_labels = _ticks(max((max(v, default=0) for _n, v in series), default=0))
    for name, values in series:
        chart.add(str(name), list(values))
    return _clean(chart.render(), title)


def annual_charts(sections):
    """{section key: SVG} of sections that have a chart (see documents.annual_sections)."""
    charts = {}
    for section in sections:
        if section.chart is None:
            continue
        rates = all(c - 1 in section.rates for c in section.chart_columns)
        # a rate without a value (nothing held) draws no bar; a count of nobody is a zero
        series = [
            (
                section.headers[c],
                [row.values[c - 1] if rates else row.values[c - 1] or 0 for row in section.rows],
            )
            for c in section.chart_columns
        ]
        if section.chart == "line":
            labels = [row.short or row.label for row in section.rows]
            charts[section.key] = line_chart(section.title, labels, series)
        else:
            labels = [row.label for row in section.rows]
            charts[section.key] = bar_chart(section.title, labels, series, rates=rates)
    return charts
