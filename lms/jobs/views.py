"""A job's page (its progress bar, polling GET /api/v1/jobs/{id} from static/js/jobs.js) and
its file, for the person who started it and for staff; anyone else gets a 404."""

import os

from flask import Blueprint, render_template, send_file
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.auth.permissions import current_actor, login_required
from lms.errors import NotFound

from . import services

bp = Blueprint("jobs", __name__, url_prefix="/jobs")

#: what each kind of job is called on its page
KIND_TITLES = {
    "export": _l("Export"),
    "import.trainees": _l("Import of trainees"),
    "import.trainees.check": _l("Check of a file of trainees"),
    "certificates.issue": _l("Issue of certificates"),
    "certificates.zip": _l("Certificates as one ZIP"),
    "reports.annual": _l("Annual report file"),
}


def title(job):
    label = KIND_TITLES.get(job.kind)
    return str(label) if label else _("Background work")


def visible_job(job_id):
    """The job if the acting user may see it, else NotFound (its existence stays hidden)."""
    return services.visible_job(job_id, current_actor())


@bp.route("/<int:job_id>")
@login_required
def detail(job_id):
    """The job's progress bar, message and, once ready, its download link."""
    job = visible_job(job_id)
    return render_template(
        "jobs/job.html",
        job=job,
        info=services.describe(job),
        title=title(job),
        expires_at=services.expires_at(job),
        format_number=format_number,
    )


@bp.route("/<int:job_id>/file")
@login_required
def download(job_id):
    """The job's result file while it is kept (JOBS_FILE_MAX_AGE)."""
    job = visible_job(job_id)
    path = services.result_file(job)
    if path is None:
        raise NotFound(_("This file is no longer kept. Start the work again."))
    response = send_file(
        path,
        mimetype=job.result_mimetype,
        as_attachment=True,
        download_name=job.result_name or os.path.basename(path),
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
