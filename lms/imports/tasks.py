"""The import job: a large file of trainees checked and imported by a worker, all or nothing,
with its progress in rows. A worker killed midway wrote nothing (one transaction); the job then
runs again from the start and finds the file as it was: nobody is imported twice."""

import io

from flask_babel import format_decimal
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from lms.errors import InvalidInput
from lms.jobs import services as jobs

from . import services

KIND = "import.trainees"


@jobs.task(KIND)
def import_trainees(context, filename, course=None):
    """Check the job's file, then import it (the import page's rules), or refuse it whole."""
    owner = context.job.owner
    rows = services.read_rows(FileStorage(io.BytesIO(context.job.payload), filename=filename))
    found = services.find_course(course) if course else None
    context.progress(done=0, total=len(rows), message=_("Checking the rows…"))
    checked = []

    def every_fifty(n):
        checked.append(n)
        if len(checked) >= 50:
            context.progress(add=len(checked))
            checked.clear()

    plan = services.plan_import(rows, found, progress=every_fifty)
    context.progress(done=len(rows))
    if plan.rejected:
        raise InvalidInput(
            _(
                "Nothing was imported: %(n)s rows are rejected. Check the file on the import "
                "page to see why.",
                n=len(plan.rejected),
            )
        )
    steps = sum(1 for row in plan.rows if row.action in (services.CREATE, services.UPDATE))
    if found is not None:
        steps += sum(1 for row in plan.rows if row.enrollment in services.ENROLLING)
    context.progress(done=0, total=steps, message=_("Importing…"))
    result = services.apply_plan(plan, actor=owner, progress=lambda n: context.progress(add=n))
    return jobs.Result(
        message=_(
            "Import done: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(enrolled)s enrolled.",
            created=format_decimal(result.created),
            updated=format_decimal(result.updated),
            unchanged=format_decimal(result.unchanged),
            enrolled=format_decimal(result.enrolled),
        )
    )
