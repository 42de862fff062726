"""Staff pages: the exports (trainees, courses, enrolments, attendance, certificates) as CSV or
XLSX, with the filters of the lists: a list's download buttons link here with its filters, and a
bad value is a 400. The CSV is streamed as it is written, any size; the XLSX is written to a
temporary file and sent from there up to JOBS_EXPORT_XLSX_MIN_ROWS rows, and by a job above.
The queries and columns live in ``services``, the filters in ``filters``.
"""

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import format_number, get_locale
from flask_login import current_user

from lms.auth.models import TARGET_GROUP_LABELS
from lms.auth.permissions import roles_required
from lms.catalog.models import COURSE_STATUS_LABELS
from lms.core import tabular
from lms.core.downloads import attachment
from lms.core.sealed import sealed_url
from lms.enrollment.models import ENROLLMENT_STATUS_LABELS
from lms.extensions import course_types
from lms.jobs import services as jobs

from . import services, tasks

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.route("/")
@roles_required("staff")
def index():
    """Every export with its filters and a CSV and an XLSX button."""
    return render_template(
        "exports/index.html",
        datasets=services.DATASETS,
        target_groups=list(TARGET_GROUP_LABELS.items()),
        types=course_types.choices(get_locale()),
        course_statuses=list(COURSE_STATUS_LABELS.items()),
        enrollment_statuses=list(ENROLLMENT_STATUS_LABELS.items()),
        **services.choices(),
    )


def _resealed(key):
    """A trainee or enrolment export's link with a NIK or mobile number typed into it sealed (see
    ``lms.core.sealed``)."""
    searched = key in ("trainees", "enrollments")
    return sealed_url() if searched and request.method == "GET" else None


def _filters(key):
    """The export's filters: from the export page's form (POST: a NIK searched for stays out of
    the URL) or from a list's download link (its query string)."""
    services.dataset(key)
    return services.filters_from(key, request.form if request.method == "POST" else request.args)


@bp.route("/<key>.csv", methods=["GET", "POST"])
@roles_required("staff")
def download_csv(key):
    """An export as CSV (UTF-8), streamed; the query string or the form holds the filters."""
    if resealed := _resealed(key):
        return redirect(resealed, 303)
    filters = _filters(key)
    _audit_full_niks(key, filters)
    name = services.file_name(key, filters, "csv")
    return attachment(stream_with_context(services.csv_chunks(key, filters)), name, "text/csv")


@bp.route("/<key>.xlsx", methods=["GET", "POST"])
@roles_required("staff")
def download_xlsx(key):
    """An export as an Excel workbook, written to a temporary file and sent from it."""
    if resealed := _resealed(key):
        return redirect(resealed, 303)
    filters = _filters(key)
    if tasks.larger_than(key, filters, _xlsx_min_rows()):
        # a workbook this large takes longer to write than a page should wait (its first byte
        # comes only once it is written whole), so a worker writes it and the job's page offers
        # it: the export page's button starts the job; a list's link (a GET, which starts
        # nothing) answers at once with a page whose button does
        if request.method == "POST":
            return _start(key, "xlsx", filters)
        return _offer_job(key)
    _audit_full_niks(key, filters)
    out = services.xlsx_file(key, filters)
    size = out.seek(0, 2)
    out.seek(0)
    name = services.file_name(key, filters, "xlsx")
    response = attachment(_blocks(out), name, tabular.XLSX_MIMETYPE, direct_passthrough=True)
    response.content_length = size
    return response


@bp.route("/<key>.<any(csv, xlsx):extension>/job", methods=["POST"])
@roles_required("staff")
def start_job(key, extension):
    """Have a large export written to a file in the background; the job's page follows it."""
    filters = _filters(key)  # a bad filter is a 400 now, not a failed job later
    return _start(key, extension, filters)


def _offer_job(key):
    """The page that offers a large workbook as a job, with the list's filters."""
    args = list(request.args.items(multi=True))
    return render_template(
        "exports/large.html",
        key=key,
        rows=_xlsx_min_rows(),
        args=args,
        csv_args=request.args.to_dict(flat=False),
        title=services.dataset(key).label,
        format_number=format_number,
    )


def _xlsx_min_rows():
    return current_app.config["JOBS_EXPORT_XLSX_MIN_ROWS"]


def _start(key, extension, filters):
    _audit_full_niks(key, filters)
    args = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    job = jobs.start(
        tasks.KIND,
        owner=current_user._get_current_object(),
        params={"key": key, "extension": extension, "args": args},
    )
    return redirect(url_for("jobs.detail", job_id=job.id), 303)


def _audit_full_niks(key, filters):
    """The trainee export carries full NIKs: each download is a staff view, so it is audited."""
    if key == "trainees":
        from lms.audit import services as audit

        audit.record(
            "user.nik_exported",
            actor=current_user,
            object_type="export",
            filters={name: str(value) for name, value in filters.audited().items()},
        )


def _blocks(out, size=64 * 1024):
    """The file's content in blocks; the file is closed when sent, or when the client leaves."""
    try:
        while block := out.read(size):
            yield block
    finally:
        out.close()
