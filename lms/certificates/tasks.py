"""Certificate jobs: a bulk issue and a course's ZIP, run by a worker.

The bulk issue is one transaction, as on the page: a worker killed midway wrote nothing, and the
retried job issues to whoever still has no certificate (the service skips those who have one),
so nobody gets two."""

from flask_babel import gettext as _
from flask_babel import ngettext

from lms.catalog.models import Course
from lms.errors import NotFound
from lms.extensions import db
from lms.jobs import services as jobs

from . import archive, services

ISSUE, ZIP = "certificates.issue", "certificates.zip"


def _course(course_id):
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("This page or record does not exist."))
    return course


@jobs.task(ISSUE)
def issue(context, course_id, ids=None):
    """Issue the course's certificates to every eligible trainee (or to ``ids``)."""
    course = _course(course_id)
    context.progress(done=0, total=len(ids) if ids else 0, message=_("Issuing…"))
    issued, skipped = services.issue(course, context.job.owner, ids)
    context.progress(
        done=len(issued),
        total=len(issued) + (len(skipped) if ids else 0),
        message=_("Saving…"),
    )
    if not issued:
        return jobs.Result(message=_("No trainee is eligible for a new certificate."))
    return jobs.Result(
        message=ngettext("%(num)s certificate issued.", "%(num)s certificates issued.", len(issued))
    )


@jobs.task(ZIP)
def course_zip(context, course_id):
    """Every valid certificate of the course as PDFs in one ZIP file."""
    course = _course(course_id)
    certificates = archive.valid_certificates(course)
    if not certificates:
        return jobs.Result(message=_("This course has no certificate to download yet."))
    context.progress(done=0, total=len(certificates), message=_("Drawing the certificates…"))
    name = archive.zip_name(course)
    path = context.file_path(name)
    with open(path, "wb") as out:
        archive.write_course_zip(out, course, certificates)
    context.progress(done=len(certificates))
    return jobs.Result(path=path, name=name, mimetype="application/zip")
