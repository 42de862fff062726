"""The export job: a whole export (2,000,000 attendance rows too) written to a file by a worker,
CSV or XLSX (openpyxl's write-only workbook, through lxml), with its progress in rows."""

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from lms.core import tabular
from lms.extensions import db
from lms.jobs import services as jobs

from . import services

KIND = "export"
MIMETYPES = {"csv": "text/csv; charset=utf-8", "xlsx": tabular.XLSX_MIMETYPE}


def _counted(rows, context, every=1000):
    """The rows, reporting progress every ``every`` rows."""
    n = 0
    for row in rows:
        n += 1
        if n % every == 0:
            context.progress(done=n)
        yield row
    context.progress(done=n)


def rows(key, filters, limit=None):
    """How many rows export ``key`` holds with ``filters``; with ``limit``, at most that many
    are counted (unordered, the query stops there: quick at any size)."""
    query = services.dataset(key).query(filters)
    if limit is not None:
        query = query.order_by(None).limit(limit)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def larger_than(key, filters, rows_at_most):
    """Whether export ``key`` with ``filters`` holds more than ``rows_at_most`` rows; reads at
    most one row more."""
    return rows(key, filters, limit=rows_at_most + 1) > rows_at_most


@jobs.task(KIND)
def export(context, key, extension, args):
    """Write export ``key`` (filters from ``args``, as the export page sends them) to a file."""
    data = services.dataset(key)
    filters = services.filters_from(key, MultiDict(args))
    total = rows(key, filters)
    context.progress(done=0, total=total, message=_("Writing the file…"))
    name = services.file_name(key, filters, extension)
    path = context.file_path(name)
    counted = _counted(data.rows(filters), context)
    if extension == "csv":
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.writelines(tabular.csv_stream(list(data.headers), counted))
    else:
        with open(path, "wb") as out:
            tabular.write_xlsx(out, key, data.headers, counted, data.widths)
    return jobs.Result(
        message=_("The file is ready: %(rows)s rows.", rows=context.done),
        path=path,
        name=name,
        mimetype=MIMETYPES[extension],
    )
