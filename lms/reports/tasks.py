"""The annual report's files (PDF, XLSX) drawn by a worker: at national scale the figures and
the charts take longer than a page should."""

from flask_babel import gettext as _

from lms.core import tabular
from lms.jobs import services as jobs

from . import documents, services

KIND = "reports.annual"
FORMATS = {
    "pdf": documents.PDF_MIMETYPE,
    "xlsx": tabular.XLSX_MIMETYPE,
}


@jobs.task(KIND)
def annual_file(context, year, extension):
    """The annual report of ``year`` as a PDF or XLSX file."""
    context.progress(done=0, total=2, message=_("Counting the year's figures…"))
    report = services.annual_report(year)
    context.progress(done=1, message=_("Writing the file…"))
    body = documents.annual_pdf(report) if extension == "pdf" else documents.annual_xlsx(report)
    name = f"annual-report-{year}.{extension}"
    path = context.file_path(name)
    with open(path, "wb") as out:
        out.write(body)
    context.progress(done=2)
    return jobs.Result(path=path, name=name, mimetype=FORMATS[extension])
