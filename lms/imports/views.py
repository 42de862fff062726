"""Staff pages: import trainees from a CSV or XLSX file (dry run, then all or nothing), and the
template to fill in. The rules live in ``services``; the command line uses the same ones.

A small file is checked and imported in the request: it travels from the dry run to the import
inside the page (compressed, in a hidden field), so that no server keeps it between two requests;
the import checks it all over again. A file of more rows than JOBS_IMPORT_MIN_ROWS goes to a job
for either step (``tasks``): the page then shows the job's progress (``?job=<id>``) and, once the
check is done, its report, whose import button hands the check's file to the import job.
"""

import base64
import binascii
import io
import json
import zlib
from types import SimpleNamespace

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import Length, Optional

from lms.auth.permissions import roles_required
from lms.core import tabular
from lms.core.downloads import attachment
from lms.core.forms import LmsForm
from lms.core.transaction import attempt, discard
from lms.errors import NotFound
from lms.jobs import services as jobs
from lms.jobs.models import DONE
from lms.regions.services import regency_choices

from . import services, tasks

bp = Blueprint("imports", __name__, url_prefix="/imports")

#: most bytes a file carried from the dry run may unpack to
PAYLOAD_MAX = 32 * 1024 * 1024
#: accepted rows of each kind listed on the page as examples (every rejected row is always
#: listed; the accepted ones are summed up in figures)
SHOWN = 10


class ImportForm(LmsForm):
    """Upload a file of trainees; optionally enrol them all in a course."""

    file = FileField(
        _l("File of trainees (CSV or XLSX)"), render_kw={"accept": ".csv,.xlsx,text/csv"}
    )
    course = StringField(
        _l("Enrol every trainee of the file in the course (code, optional)"),
        validators=[Optional(), Length(max=40)],
        render_kw={"list": "course-codes", "autocomplete": "off"},
    )
    #: the file of a dry run, compressed (zlib) and base64-encoded
    payload = HiddenField()
    filename = HiddenField()
    #: the check job whose file is to be imported (a large file's dry run)
    job = HiddenField()
    check = SubmitField(_l("Check the file (dry run)"))
    run = SubmitField(_l("Import"))


def _pack(data):
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def _unpack(text):
    """The file carried by a dry-run page, or None if the text is not one."""
    try:
        packed = base64.b64decode(text, validate=True)
        unpacker = zlib.decompressobj()
        data = unpacker.decompress(packed, PAYLOAD_MAX)
    except (binascii.Error, ValueError, zlib.error):
        return None
    return None if unpacker.unconsumed_tail else data


def _source(form):
    """(file name, bytes) of the upload or of the dry run's file; None when there is none."""
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        return upload.filename, upload.read()
    if form.payload.data:
        data = _unpack(form.payload.data)
        if data is not None:
            return form.filename.data or "", data
    return None


def _render(form, plan=None, payload=None, status=200, job=None, report=None):
    shown, summary = {}, None
    if report is not None:
        plan, shown, summary = _stored_plan(report)
    elif plan is not None:
        for action in services.ACTIONS:
            rows = [r for r in plan.rows if r.action == action]
            shown[action] = rows if action == services.REJECT else rows[:SHOWN]
        summary = services.accepted_summary(plan)
    regencies = regency_choices()
    return render_template(
        "imports/trainees.html",
        form=form,
        plan=plan,
        shown=shown,
        shown_max=SHOWN,
        summary=summary,
        payload=payload,
        job=job,
        job_info=jobs.describe(job) if job is not None else None,
        job_title=_job_title(job) if job is not None else None,
        file_kept=tasks.has_file(job) if job is not None and job.finished else False,
        check_job=job if report is not None else None,
        columns=services.COLUMNS,
        column_help=services.COLUMN_HELP,
        column_labels=services.COLUMN_LABELS,
        field_columns=services.FIELD_COLUMNS,
        column_values=services.COLUMN_VALUES,
        regencies=regencies,
        regency_names=dict(regencies),
        course_codes=services.open_course_codes(),
    ), status


# --- a large file: its jobs ----------------------------------------------------------------------


def _job_title(job):
    return _("Checking the file")


def _import_job(job_id):
    """An import or check job the acting staff member may see, else NotFound."""
    job = jobs.visible_job(job_id, current_user._get_current_object())
    if job.kind not in tasks.KINDS:
        raise NotFound(_("This page or record does not exist."))
    return job


def _stored_plan(report):
    """The check's report in the shape of a plan the page shows: (plan, shown rows, summary)."""
    counts = report["counts"]
    course = SimpleNamespace(code=report["course"]) if report["course"] else None

    def row(item):
        return SimpleNamespace(
            line=item["line"],
            raw={"name": item["name"], "regency": item["regency"]},
            contact=item["contact"],
            values={"regency_code": item["regency_code"]},
            errors=[tuple(pair) for pair in item["errors"]],
            changes=tuple(item["changes"]),
            enrollment=item["enrollment"],
        )

    shown = {action: [row(i) for i in report["shown"].get(action, [])] for action in counts}
    plan = SimpleNamespace(
        counts=counts,
        rejected=shown[services.REJECT],
        course=course,
        to_enroll=report["to_enroll"],
        changes_anything=report["changes_anything"],
    )
    summary = services.AcceptedSummary(
        regencies=[tuple(pair) for pair in report["summary"]["regencies"]],
        groups=[tuple(pair) for pair in report["summary"]["groups"]],
        enrollment=report["summary"]["enrollment"],
    )
    return plan, shown, summary


def _start(kind, name, data, course, rows):
    """A job of ``kind`` on the file, and the page of its progress: for the check, this page
    (its report comes here); for the import, the job's page (its outcome in a sentence)."""
    job = jobs.start(
        kind,
        owner=current_user._get_current_object(),
        params={"filename": name, "course": course, "locale": str(get_locale())},
        payload=data,
        total=rows,
    )
    if kind == tasks.CHECK_KIND:
        return redirect(url_for(".trainees", job=job.id), 303)
    return redirect(url_for("jobs.detail", job_id=job.id), 303)


def _show_job(form, job_id):
    """The page of a large file's check: its progress, then its report."""
    job = _import_job(job_id)
    if job.kind != tasks.CHECK_KIND:
        return redirect(url_for("jobs.detail", job_id=job.id))
    report = tasks.read_report(job)
    form.filename.data = report["filename"] if report else ""
    return _render(form, job=job, report=report)


def _import_checked(form):
    """ "Import these rows now" on a finished check's report: the import job takes the file."""
    check = _import_job(int(form.job.data)) if form.job.data.isdigit() else None
    ready = check is not None and check.kind == tasks.CHECK_KIND and check.status == DONE
    data = tasks.take_file(check) if ready and form.run.data else None
    if data is None:
        # imported already, or kept too long: upload it again
        flash(_("This file is no longer kept. Choose it again and check it."), "danger")
        return redirect(url_for(".trainees"), 303)
    params = json.loads(check.params or "{}")
    return _start(tasks.KIND, params.get("filename") or "", data, params.get("course"), check.total)


# --- the page ----------------------------------------------------------------------------------


@bp.route("/trainees", methods=["GET", "POST"])
@roles_required("staff")
def trainees():
    """The import page: upload, dry run (every row's outcome), then the import, all or nothing."""
    form = ImportForm()
    if request.method == "GET" and request.args.get("job"):
        job_id = request.args.get("job", type=int)
        if job_id is None:
            raise NotFound(_("This page or record does not exist."))
        return _show_job(form, job_id)
    if not form.validate_on_submit():
        return _render(form, status=400 if form.is_submitted() else 200)
    if form.job.data:
        return _import_checked(form)
    source = _source(form)
    if source is None:
        form.file.errors = [_("Choose a CSV or XLSX file.")]
        return _render(form, status=400)
    name, data = source
    with attempt() as read:
        course = services.find_course(form.course.data) if form.course.data else None
        rows = services.read_rows(FileStorage(io.BytesIO(data), filename=name))
    if read.error is not None:
        form.course.errors = [str(m) for m in read.error.fields.get("course", [])]
        form.file.errors = [str(m) for m in read.error.fields.get("file", [])]
        return _render(form, status=read.error.status)
    if len(rows) > current_app.config["JOBS_IMPORT_MIN_ROWS"]:
        # a large file: a worker checks it (and writes it, all or nothing); this page shows the
        # job's progress, then its outcome (the request answers at once)
        kind = tasks.KIND if form.run.data else tasks.CHECK_KIND
        return _start(kind, name, data, course.code if course is not None else None, len(rows))
    plan = services.plan_import(rows, course)
    status = 400 if form.run.data else 200
    if form.run.data and not plan.rejected:
        with attempt() as run:
            result = services.apply_plan(plan, actor=current_user._get_current_object())
        if run.error is not None:
            # something changed since the check (an e-mail taken, a course filled up): nothing
            # was written; show the file as it stands now
            flash(str(run.error.message), "danger")
            plan, status = services.plan_import(rows, course), run.error.status
        else:
            flash(
                _(
                    "Import done: %(created)s created, %(updated)s updated, "
                    "%(unchanged)s unchanged, %(enrolled)s enrolled.",
                    created=format_decimal(result.created),
                    updated=format_decimal(result.updated),
                    unchanged=format_decimal(result.unchanged),
                    enrolled=format_decimal(result.enrolled),
                ),
                "success",
            )
            return redirect(url_for(".trainees"))
    elif form.run.data:
        flash(_("Nothing was imported: correct the rejected rows and try again."), "danger")
    discard()  # a dry run writes nothing
    payload = _pack(data) if not plan.rejected and plan.changes_anything else None
    form.filename.data = name
    return _render(form, plan, payload, status=status)


@bp.route("/trainees/template.<any(csv, xlsx):extension>")
@roles_required("staff")
def template(extension):
    """The file to fill in: the header row of the import's columns (XLSX: with a help sheet)."""
    if extension == "csv":
        body, mimetype = services.template_csv(), "text/csv; charset=utf-8"
    else:
        body, mimetype = services.template_xlsx(), tabular.XLSX_MIMETYPE
    return attachment(body, f"latih-trainees.{extension}", mimetype)
