"""Staff pages: the annual report (with its charts, print layout, XLSX and PDF) and the partner
report for MoU evaluation. The figures come from :mod:`lms.reports.services`; the tables and the
files from :mod:`lms.reports.documents`; the charts from :mod:`lms.reports.charts`."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from lms.auth.permissions import roles_required
from lms.core import tabular
from lms.core.downloads import attachment
from lms.core.time import local_today
from lms.jobs import services as jobs

from . import charts, documents, services, tasks

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.context_processor
def _helpers():
    """How the report templates format a figure (as the PDF does) and colour a legend."""
    return {
        "format_value": documents.format_value,
        "is_rate": documents.is_rate,
        "chart_colors": charts.COLORS,
        "line_patterns": charts.LINE_PATTERNS,
    }


def _year():
    """The year of ``?year=``: the current one when not given; a bad value is a 400."""
    raw = request.args.get("year")
    if raw is None or not raw.strip():
        return local_today().year
    return services.parse_year(raw)


def _years(year):
    """The years to choose from: those with courses, the current one, and the one shown."""
    return sorted(set(services.report_years()) | {year}, reverse=True)


@bp.route("/")
@roles_required("staff")
def index():
    return redirect(url_for("reports.annual"))


@bp.route("/annual")
@roles_required("staff")
def annual():
    year = _year()
    report = services.annual_report(year)
    sections = documents.annual_sections(report)
    return render_template(
        "reports/annual.html",
        year=year,
        years=_years(year),
        report=report,
        sections=sections,
        charts=charts.annual_charts(sections),
    )


@bp.route("/annual.xlsx")
@roles_required("staff")
def annual_xlsx():
    year = _year()
    body = documents.annual_xlsx(services.annual_report(year))
    return attachment(body, f"annual-report-{year}.xlsx", tabular.XLSX_MIMETYPE)


@bp.route("/annual.pdf")
@roles_required("staff")
def annual_pdf():
    year = _year()
    body = documents.annual_pdf(services.annual_report(year))
    return attachment(body, f"annual-report-{year}.pdf", documents.PDF_MIMETYPE)


@bp.route("/annual.<any(pdf, xlsx):extension>/job", methods=["POST"])
@roles_required("staff")
def annual_job(extension):
    """Have the annual report's file drawn in the background; its page offers it when ready."""
    year = services.parse_year(request.form.get("year", ""))
    job = jobs.start(
        tasks.KIND,
        owner=current_user._get_current_object(),
        params={"year": year, "extension": extension},
    )
    return redirect(url_for("jobs.detail", job_id=job.id), 303)


@bp.route("/partners")
@roles_required("staff")
def partners():
    year = _year()
    section = documents.partner_section(services.partner_report(year))
    return render_template(
        "reports/partners.html",
        year=year,
        years=_years(year),
        section=section,
        chart=charts.annual_charts([section]).get(section.key),
    )


@bp.route("/partners.xlsx")
@roles_required("staff")
def partners_xlsx():
    year = _year()
    body = documents.partner_xlsx(services.partner_report(year), year)
    return attachment(body, f"partner-report-{year}.xlsx", tabular.XLSX_MIMETYPE)
