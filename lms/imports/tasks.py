"""The import jobs: a large file of trainees checked (the dry run) or imported by a worker, with
its progress in rows.

The file travels with the job (``Job.payload``): the check keeps it until the import is started
from the check's page (the import job then takes it over) or until the job's files are deleted;
the import drops it once it is written. The check's report (every rejected row, the accepted
ones in figures and a few examples) is the check job's file, read back by the import page.

The import is all or nothing in the job's one transaction: a worker killed midway wrote
nothing; the job then runs again from the start and finds the file as it was, so nobody is
imported twice (tests/imports/test_import_jobs.py kills a worker to prove it).
"""

import io
import json

from flask_babel import force_locale, format_decimal
from flask_babel import gettext as _
from sqlalchemy import select, update
from werkzeug.datastructures import FileStorage

from lms.errors import InvalidInput
from lms.extensions import db
from lms.jobs import services as jobs
from lms.jobs.models import DONE, Job

from . import services

KIND = "import.trainees"
CHECK_KIND = "import.trainees.check"
KINDS = (KIND, CHECK_KIND)
#: the check's report, the check job's file
REPORT_NAME = "import-check.json"
#: accepted rows of each kind kept as examples in the report (rejected rows: every one)
EXAMPLES = 10
#: rows checked between two progress reports
STEP = 50


def take_file(job):
    """The file of a finished job, taken from it to hand to the next one (one request wins: a
    button pressed twice starts one job), or None when it is gone. Flushes."""
    data = job.payload
    taken = db.session.execute(
        update(Job)
        .where(Job.id == job.id, Job.payload.is_not(None))
        .values(payload=None)
        .execution_options(synchronize_session=False)
    )
    return data if data is not None and taken.rowcount == 1 else None


def has_file(job):
    """Whether the job still keeps its file (without loading it)."""
    return bool(db.session.scalar(select(Job.payload.is_not(None)).where(Job.id == job.id)))


def read_report(job):
    """The check job's report, or None (not a finished check, or its file is no longer kept)."""
    if job.kind != CHECK_KIND or job.status != DONE:
        return None
    path = jobs.result_file(job)
    if path is None:
        return None
    with open(path, encoding="utf-8") as kept:
        return json.load(kept)


def _rows(context, filename):
    return services.read_rows(FileStorage(io.BytesIO(context.job.payload), filename=filename))


def _checked(context, rows, found):
    """The plan of ``rows``, reporting progress every STEP rows checked."""
    context.progress(done=0, total=len(rows), message=_("Checking the rows…"))
    checked = []

    def every_step(n):
        checked.append(n)
        if len(checked) >= STEP:
            context.progress(add=len(checked))
            checked.clear()

    plan = services.plan_import(rows, found, progress=every_step)
    context.progress(done=len(rows))
    return plan


def _row(row):
    return {
        "line": row.line,
        "name": row.raw.get("name", ""),
        "contact": row.contact,
        "regency": row.raw.get("regency", ""),
        "regency_code": row.values.get("regency_code"),
        "errors": [[column, str(message)] for column, message in row.errors],
        "changes": list(row.changes),
        "enrollment": row.enrollment,
    }


def report(plan, filename):
    """The dry run of ``plan`` as the check job keeps it (JSON-ready, messages in words)."""
    summary = services.accepted_summary(plan)
    shown = {}
    for action in services.ACTIONS:
        rows = [r for r in plan.rows if r.action == action]
        shown[action] = [_row(r) for r in (rows if action == services.REJECT else rows[:EXAMPLES])]
    return {
        "filename": filename,
        "course": plan.course.code if plan.course is not None else None,
        "rows": len(plan.rows),
        "counts": plan.counts,
        "to_enroll": plan.to_enroll,
        "changes_anything": plan.changes_anything,
        "summary": {
            "regencies": summary.regencies,
            "groups": summary.groups,
            "enrollment": dict(summary.enrollment),
        },
        "shown": shown,
    }


@jobs.task(CHECK_KIND)
def check_trainees(context, filename, course=None, locale=None):
    """The dry run of the job's file: every row's outcome, kept as the job's report in the
    language of the page that asked for it; writes nothing (the file stays with the job for the
    import)."""
    if locale:
        with force_locale(locale):
            return check_trainees(context, filename, course)
    found = services.find_course(course) if course else None
    rows = _rows(context, filename)
    plan = _checked(context, rows, found)
    path = context.file_path(REPORT_NAME)
    with open(path, "w", encoding="utf-8") as out:
        json.dump(report(plan, filename), out, ensure_ascii=False)
    counts = plan.counts
    return jobs.Result(
        message=_(
            "Check done: %(create)s to create, %(update)s to update, %(unchanged)s unchanged, "
            "%(reject)s rejected.",
            create=format_decimal(counts[services.CREATE]),
            update=format_decimal(counts[services.UPDATE]),
            unchanged=format_decimal(counts[services.UNCHANGED]),
            reject=format_decimal(counts[services.REJECT]),
        ),
        path=path,
        name=REPORT_NAME,
        mimetype="application/json",
    )


@jobs.task(KIND)
def import_trainees(context, filename, course=None, locale=None):
    """Check the job's file, then import it (the import page's rules), or refuse it whole; its
    messages in the language of the page that started it."""
    if locale:
        with force_locale(locale):
            return import_trainees(context, filename, course)
    owner = context.job.owner
    rows = _rows(context, filename)
    found = services.find_course(course) if course else None
    plan = _checked(context, rows, found)
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
    # written: the file is not needed any more (committed with the trainees, or not at all)
    context.job.payload = None
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
