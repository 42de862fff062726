"""Attendance pages: the trainer's day, the trainee's QR check-in, the paper sign-in sheet and its
import, assessments, a course's attendance summary (with exports) and a trainee's own attendance.

The rules live in ``services``; these views find the records, check who may see them and render.
Trainers see only the courses assigned to them (others are a 404), trainees get a 403 on trainer
pages, staff see everything.
"""

import re

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from lms.auth.permissions import ensure_course_access, roles_required
from lms.catalog.models import Course
from lms.core import tabular
from lms.core.downloads import attachment
from lms.core.forms import apply_errors
from lms.core.records import get_within_or_404
from lms.core.time import local_today, utc_to_local
from lms.core.transaction import attempt, flash_errors
from lms.core.types import utcnow
from lms.course_types.base import Assessment as AssessmentResult
from lms.enrollment.models import Enrollment
from lms.errors import InvalidInput, NotFound
from lms.extensions import db
from lms.templating import identity_columns, identity_headers

from . import excuses, reach, services
from .day import trainer_day
from .forms import AssessmentForm, CheckinForm, ImportForm, ReachForm
from .limits import limit_checkin
from .models import ATTENDANCE_STATUS_LABELS, ATTENDANCE_STATUSES, Assessment

bp = Blueprint("attendance", __name__)

#: who may open the trainer pages (admins pass every staff check)
TRAINER_ROLES = ("trainer", "staff")


# --- helpers shared by the pages ---------------------------------------------------------------


def _actor():
    return current_user._get_current_object()


@bp.app_template_global()
def status_initial(status):
    """The one-letter initial of a mark in the reader's language (matrix and sheet)."""
    initials = {
        "present": pgettext("attendance initial", "P"),
        "late": pgettext("attendance initial", "L"),
        "excused": pgettext("attendance initial", "E"),
        "absent": pgettext("attendance initial", "A"),
    }
    return initials.get(status, "")


@bp.app_template_filter()
def attendance_status_label(status):
    """The translated name of a mark."""
    return ATTENDANCE_STATUS_LABELS.get(status, status or "")


@bp.app_template_global()
def roster_url(session_id):
    """The trainer's roster (marking) page of a session."""
    try:
        return url_for("roster.roster", session_id=session_id)
    except BuildError:
        return f"{request.script_root}/trainer/sessions/{session_id}/roster"


def _course_for(course_id):
    """The course, if the current user may see its attendance (staff, its trainers); else 404."""
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound(_("This course does not exist."))
    return ensure_course_access(_actor(), course)


def _safe_code(course):
    return re.sub(r"[^A-Za-z0-9_-]+", "-", course.code)


# --- the trainer's day --------------------------------------------------------------------------


@bp.route("/trainer/today")
@roles_required(*TRAINER_ROLES)
def today():
    """Today's sessions (the office's day) of the trainer's courses, then the next days, and
    the courses."""
    return _render_today()


def _render_today(posted=None, status=200):
    """The today page; ``posted`` is (session id, a reach form with its errors)."""
    plan = trainer_day(_actor(), local_today())
    reached = reach.sessions_reach(plan.todays)

    def reach_form(session):
        """An empty form for an event's session, showing the figure recorded so far."""
        return ReachForm(formdata=None, people=reached[session.id].people)

    page = render_template(
        "attendance/today.html",
        day=plan.day,
        todays=plan.todays,
        later=plan.later,
        later_count=plan.later_count,
        marked=plan.marked,
        sizes=plan.sizes,
        group_sizes=plan.group_sizes,
        courses=plan.courses,
        now=utcnow(),
        reached=reached,
        reach_form=reach_form,
        posted=posted or (None, None),
    )
    return page, status


@bp.route("/trainer/sessions/<int:session_id>/reach", methods=["POST"])
@roles_required(*TRAINER_ROLES)
def record_reach(session_id):
    """Save how many people an outreach event's session reached (the form of the today page)."""
    actor = _actor()
    session = services.session_for(actor, session_id)
    form = ReachForm()
    if not form.validate_on_submit():
        return _render_today((session.id, form), 400)
    with flash_errors():
        result = reach.record_reach(
            session, form.people.data, actor, batch_id=form.batch_id.data or None
        )
        flash(
            ngettext(
                "Saved: %(num)s person reached.", "Saved: %(num)s people reached.", result.counted
            ),
            "success",
        )
    return redirect(url_for(".today", _anchor=f"session-{session.id}"), 303)


# --- the trainee's check-in ---------------------------------------------------------------------


@bp.route("/checkin/<int:session_id>", methods=["GET", "POST"])
@limit_checkin
@roles_required("trainee")
def checkin(session_id):
    """What the QR code opens: the session and one "Check in" button (or a box for the code);
    after the POST, the result in big letters or the reason it was refused."""
    user = _actor()
    form = CheckinForm()
    with attempt() as outcome:
        session, enrollment = services.checkin_enrollment(user, session_id)
    if outcome.error is not None:
        # one page for a missing session and one of a course the trainee is not enrolled in (a
        # draft's too), naming no course: a session id must not tell a stranger about it
        return render_template(
            "attendance/checkin.html",
            form=form,
            error=str(outcome.error.message),
            error_code="not_enrolled",
            session_shown=False,
        ), 404
    page = {"session": session, "course": session.course, "form": form}

    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template(
                "attendance/checkin.html", **page, show_form=True, typed=True
            ), 400
        with attempt() as outcome:
            mark = services.check_in(session, user, form.code.data)
        error = outcome.error
        if error is not None:
            bad_code = error.code == "bad_code"
            if bad_code:
                form.code.errors = [str(m) for m in error.fields.get("code", [])]
            return render_template(
                "attendance/checkin.html",
                **page,
                error=str(error.message),
                error_code=error.code,
                show_form=bad_code,
                typed=True,
            ), error.status
        return render_template("attendance/checkin.html", **page, outcome=mark.status)

    # GET: tell at once what a press of the button would do
    code = (request.args.get("code") or "").strip()
    form.code.data = code
    existing = services.own_mark(session, enrollment)
    if existing is not None:
        return render_template("attendance/checkin.html", **page, existing=existing)
    closed = services.checkin_closed(session)
    notice = str(closed.message) if closed is not None else None
    # a QR link whose code is no longer accepted (a photo of the code, a page opened late): say
    # so before the button, with what to do next, and ask for the current code
    expired = notice is None and bool(code) and not services.checkin_code_valid(session, code)
    if expired:
        form.code.data = ""
    return render_template(
        "attendance/checkin.html",
        **page,
        notice=notice,
        expired=expired,
        show_form=notice is None,
        typed=not code or expired,
    )


# --- the paper sign-in sheet and its import -----------------------------------------------------


def _sheet_name(session, extension):
    day = utc_to_local(session.starts_at).strftime("%Y-%m-%d")
    return f"sheet-{_safe_code(session.course)}-{day}-{session.id}.{extension}"


@bp.route("/trainer/sessions/<int:session_id>/sheet")
@roles_required(*TRAINER_ROLES)
def sheet(session_id):
    """The sign-in sheet of a session, laid out to print on A4."""
    session = services.session_for(_actor(), session_id)
    return render_template(
        "attendance/sheet.html",
        session=session,
        course=session.course,
        rows=services.roster(session),
        statuses=ATTENDANCE_STATUSES,
    )


@bp.route("/trainer/sessions/<int:session_id>/sheet.xlsx")
@roles_required(*TRAINER_ROLES)
def sheet_xlsx(session_id):
    """The same sheet as a workbook, prefilled with the saved marks, to fill in and import."""
    session = services.session_for(_actor(), session_id)
    title = f"{session.course.code} {utc_to_local(session.starts_at):%Y-%m-%d}"
    body = tabular.xlsx_bytes(
        title,
        list(services.SHEET_COLUMNS),
        services.sheet_rows(session),
        widths=(14, 36, 24, 20, 10, 14, 40),
    )
    return attachment(body, _sheet_name(session, "xlsx"), tabular.XLSX_MIMETYPE)


@bp.route("/trainer/sessions/<int:session_id>/import", methods=["GET", "POST"])
@roles_required(*TRAINER_ROLES)
def import_sheet(session_id):
    """Upload a filled-in sheet: every row is saved, or none and the rows' problems are listed."""
    user = _actor()
    session = services.session_for(user, session_id)
    form = ImportForm()
    report, error, status = {}, None, 200
    if form.validate_on_submit():
        with attempt() as outcome:
            _headers, rows = tabular.read_table(form.file.data)
            saved = services.import_marks(session, rows, user)
        if outcome.error is not None:
            exc = outcome.error
            form.file.errors = [str(m) for m in exc.fields.get("file", [])]
            report = {k: [str(m) for m in v] for k, v in exc.fields.items() if k != "file"}
            error, status = str(exc.message), exc.status
        else:
            if saved:
                flash(ngettext("%(num)s mark saved.", "%(num)s marks saved.", saved), "success")
            else:
                flash(_("Nothing changed: the sheet holds the marks already saved."), "info")
            return redirect(roster_url(session.id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "attendance/import.html",
        session=session,
        course=session.course,
        form=form,
        report=report,
        error=error,
        refusal=services.marking_refusal(user, session),
    ), status


# --- assessments ------------------------------------------------------------------------------


def _render_assessments(course, posted=None, status=200):
    """The assessment list; ``posted`` is (enrolment id, form) of a refused row."""
    from lms.catalog.services import course_type_of

    summaries = services.course_summaries(course)
    ids = [e.id for e, _summary in summaries]
    results = {
        a.enrollment_id: a
        for a in db.session.scalars(select(Assessment).where(Assessment.enrollment_id.in_(ids)))
    }
    course_type = course_type_of(course)
    rows = []
    for enrollment, summary in summaries:
        result = results.get(enrollment.id)
        if posted is not None and posted[0] == enrollment.id:
            form = posted[1]
        else:
            form = AssessmentForm(formdata=None, data=AssessmentForm.data_of(result))
        passed = None
        if course_type is not None and result is not None:
            passed = course_type.assessment_passed(
                course, AssessmentResult(score=result.score, competent=result.competent)
            )
        rows.append((enrollment, summary, result, form, passed))
    return render_template(
        "attendance/assessments.html",
        course=course,
        rows=rows,
        course_type=course_type,
        pass_mark=course_type.pass_mark_for(course) if course_type else None,
    ), status


@bp.route("/trainer/courses/<int:course_id>/assessments")
@roles_required(*TRAINER_ROLES)
def assessments(course_id):
    """Every trainee of the course with a small form: score and competent or not."""
    return _render_assessments(_course_for(course_id))


@bp.route("/trainer/courses/<int:course_id>/assessments/<int:enrollment_id>", methods=["POST"])
@roles_required(*TRAINER_ROLES)
def assess(course_id, enrollment_id):
    """Save one trainee's assessment."""
    course = _course_for(course_id)
    enrollment = get_within_or_404(Enrollment, enrollment_id, course_id=course.id)
    form = AssessmentForm()
    status = 400
    if form.validate_on_submit():
        with attempt() as outcome:
            services.set_assessment(
                enrollment, _actor(), score=form.score.data, competent=form.competent_value()
            )
        if isinstance(outcome.error, InvalidInput):
            apply_errors(form, outcome.error)
        elif outcome.error is not None:
            flash(str(outcome.error.message), "danger")
            status = outcome.error.status
        else:
            name = enrollment.user.name
            flash(_("The assessment of %(name)s is saved.", name=name), "success")
            return redirect(
                url_for(".assessments", course_id=course.id, _anchor=f"trainee-{enrollment.id}")
            )
    return _render_assessments(course, (enrollment.id, form), status)


# --- the course's attendance summary --------------------------------------------------------------


def _grid(course):
    """The matrix of a course: sessions (not cancelled), rows with the below-threshold flag."""
    now = utcnow()
    sessions, rows = services.course_matrix(course, now)
    sessions = [s for s in sessions if s.cancelled_at is None]
    threshold = services.threshold_of(course)
    rows = [
        (enrollment, summary, marks, services.below_threshold(summary, threshold))
        for enrollment, summary, marks in rows
    ]
    return {
        "sessions": sessions,
        "rows": rows,
        "held": {s.id for s in sessions if s.starts_at <= now},
        "threshold": threshold,
        "below": sum(1 for row in rows if row[3]),
    }


@bp.route("/trainer/courses/<int:course_id>/attendance")
@roles_required(*TRAINER_ROLES)
def course_summary(course_id):
    """Trainees x sessions with each trainee's rate; those below the threshold highlighted."""
    course = _course_for(course_id)
    return render_template(
        "attendance/summary.html",
        course=course,
        statuses=ATTENDANCE_STATUSES,
        **_grid(course),
    )


def _summary_table(course):
    """(headers, rows) of the matrix export, in the reader's language."""
    grid = _grid(course)
    sessions, held = grid["sessions"], grid["held"]
    headers = [
        _("Name"),
        # who is who when two share a name (what a trainer may see of them)
        *identity_headers(),
        *(f"{utc_to_local(s.starts_at):%Y-%m-%d %H:%M}" for s in sessions),
        _("Attendance rate (%)"),
        _("Present"),
        _("Late"),
        _("Excused"),
        _("Absent"),
        _("Held sessions"),
        _("Below the threshold"),
    ]

    def rows():
        for enrollment, summary, marks, below in grid["rows"]:
            cells = [
                str(ATTENDANCE_STATUS_LABELS[marks[s.id]]) if s.id in held and s.id in marks else ""
                for s in sessions
            ]
            rate = round(summary.rate * 100, 1) if summary.rate is not None else None
            yield [
                enrollment.user.name,
                *identity_columns(enrollment),
                *cells,
                rate,
                summary.present,
                summary.late,
                summary.excused,
                summary.absent,
                summary.held,
                _("Yes") if below else _("No"),
            ]

    return headers, rows()


@bp.route("/trainer/courses/<int:course_id>/attendance.csv")
@roles_required(*TRAINER_ROLES)
def summary_csv(course_id):
    """The matrix as CSV."""
    course = _course_for(course_id)
    headers, rows = _summary_table(course)
    return attachment(
        stream_with_context(tabular.csv_stream(headers, rows)),
        f"attendance-{_safe_code(course)}.csv",
        "text/csv",
    )


@bp.route("/trainer/courses/<int:course_id>/attendance.xlsx")
@roles_required(*TRAINER_ROLES)
def summary_xlsx(course_id):
    """The matrix as an Excel workbook."""
    course = _course_for(course_id)
    headers, rows = _summary_table(course)
    widths = (30, 12, 24, 20, 10, *([17] * (len(headers) - 5)))
    body = tabular.xlsx_bytes(course.code, headers, rows, widths=widths)
    return attachment(body, f"attendance-{_safe_code(course)}.xlsx", tabular.XLSX_MIMETYPE)


# --- a trainee's own attendance -------------------------------------------------------------------


@bp.route("/my/enrollments/<int:enrollment_id>/attendance")
@roles_required("trainee")
def my_attendance(enrollment_id):
    """Each held session of the course with the trainee's own mark, and the rate."""
    enrollment = get_within_or_404(Enrollment, enrollment_id, user_id=current_user.id)
    now = utcnow()
    sessions = services.own_marks(enrollment, now)
    summary = services.attendance_summary(enrollment, now)
    threshold = services.threshold_of(enrollment.course)
    return render_template(
        "attendance/mine.html",
        enrollment=enrollment,
        course=enrollment.course,
        sessions=sessions,
        summary=summary,
        threshold=threshold,
        # a warning counts the sessions that have ended only (the rate shown counts those begun)
        below=enrollment.id in services.falling_behind(enrollment.course, now),
        coming=excuses.coming_sessions(enrollment, now),
        leave_requests=excuses.own_requests(enrollment),
    )
