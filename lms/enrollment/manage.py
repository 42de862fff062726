"""Staff pages of a course's enrolments: the list, decisions one by one or in bulk, adding a
trainee by hand, and the roster as CSV or XLSX. Every change goes through the services."""

import re

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from lms.audit import services as audit
from lms.auth.models import TARGET_GROUP_LABELS, User
from lms.auth.permissions import roles_required
from lms.auth.search import person_condition
from lms.catalog.models import Course
from lms.certificates.services import valid_certificate
from lms.core import tabular
from lms.core.downloads import attachment
from lms.core.forms import form_status
from lms.core.pagination import paginate
from lms.core.records import get_within_or_404
from lms.core.sealed import SEALED, read_term, sealed_url, term_args
from lms.core.transaction import attempt
from lms.core.urls import safe_next
from lms.errors import InvalidInput
from lms.extensions import db

from . import roster_list, services
from .filters import RosterFilters
from .forms import AddTraineeForm, BulkForm, MoveForm
from .models import ENROLLMENT_STATUS_LABELS, ENROLLMENT_STATUSES, Enrollment

bp = Blueprint(
    "manage_enrollments",
    __name__,
    url_prefix="/manage/courses/<int:course_id>/enrollments",
)

#: the moves staff may offer from each status: (target status, button label, button style);
#: the service decides whether a move is possible
MOVES = {
    "pending": (
        ("enrolled", _l("Approve"), "success"),
        ("rejected", _l("Reject"), "outline-danger"),
        ("cancelled", _l("Cancel"), "outline-secondary"),
    ),
    "waitlisted": (
        ("enrolled", _l("Move up from the waitlist"), "success"),
        ("rejected", _l("Reject"), "outline-danger"),
        ("cancelled", _l("Cancel"), "outline-secondary"),
    ),
    "enrolled": (("cancelled", _l("Cancel the enrolment"), "outline-danger"),),
    "rejected": (("enrolled", _l("Enrol again"), "primary"),),
    "cancelled": (("enrolled", _l("Enrol again"), "primary"),),
}
#: what the audit log's actions mean, for the history of an enrolment
AUDIT_LABELS = {
    "enrollment.enrolled": _l("Enrolled"),
    "enrollment.waitlisted": _l("Put on the waitlist"),
    "enrollment.pending": _l("Asked for a place"),
    "enrollment.promoted": _l("Moved up from the waitlist"),
    "enrollment.approved": _l("Approved"),
    "enrollment.rejected": _l("Rejected"),
    "enrollment.cancelled": _l("Cancelled"),
}
#: how many trainees the search of "add a trainee" lists
SEARCH_LIMIT = 20


@bp.app_template_filter("audit_label")
def audit_label(action):
    """The translated meaning of an enrolment's audit action."""
    return AUDIT_LABELS.get(action, action)


# --- helpers -------------------------------------------------------------------------------


def _list_args(filters):
    """The list's query string (filters and page), for links back to the same view."""
    page = request.args.get("page", type=int)
    return {**filters.args(), "page": page} if page else filters.args()


def _render_index(course, form, filters, code=200):
    page = paginate(roster_list.roster_query(course.id, filters))
    counts = roster_list.status_counts(course.id)
    return render_template(
        "enrollment/manage/index.html",
        course=course,
        page=page,
        form=form,
        filters=filters,
        status=filters.status,
        origin=filters.origin,
        # the search as the tabs' links carry it: sealed when it holds a number
        search_args=term_args(filters.q),
        counts=counts,
        total=sum(counts.values()),
        statuses=[(s, ENROLLMENT_STATUS_LABELS[s]) for s in ENROLLMENT_STATUSES],
        positions=services.waitlist_positions(course.id),
        list_args=_list_args(filters),
        export_args=filters.args(),
    ), code


def _back(course):
    """Where to go after a change: the list the staff member came from (same filters)."""
    default = url_for("manage_enrollments.index", course_id=course.id)
    target = safe_next(request.form.get("next"), default)
    prefix = url_for("manage_enrollments.index", course_id=course.id)
    return target if target.startswith(prefix) else default


# --- the list and bulk decisions -----------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
@roles_required("staff")
def index(course_id):
    """A course's enrolments, filtered by status and origin, and searched by a trainee's name,
    e-mail address, NIK or mobile number.

    The search form is sent by POST and answered with a redirect to the list, its search sealed
    when it holds a number: a NIK or a mobile number never appears in a URL (``lms.core.sealed``).
    """
    course = db.get_or_404(Course, course_id)
    if request.method == "POST":
        filters = RosterFilters.from_args(request.form)
        return redirect(
            url_for("manage_enrollments.index", course_id=course.id, **filters.args()), 303
        )
    if resealed := sealed_url():
        return redirect(resealed, 303)
    filters = RosterFilters.from_args(request.args)
    if request.args.get(SEALED) and not filters.q:
        flash(_("This search has expired. Search again."), "warning")
    return _render_index(course, BulkForm(formdata=None), filters)


@bp.route("/bulk", methods=["POST"])
@roles_required("staff")
def bulk(course_id):
    """Approve or reject the ticked enrolments in one transaction; those that can no longer be
    decided (no longer pending) are skipped and listed with the reason."""
    course = db.get_or_404(Course, course_id)
    filters = RosterFilters.from_args(request.args)
    form = BulkForm()
    if not form.validate_on_submit():
        return _render_index(course, form, filters, code=400)
    ids = form.ids.data
    chosen = db.session.scalars(
        select(Enrollment)
        .where(Enrollment.course_id == course.id, Enrollment.id.in_(ids))
        # first come, first served: the earliest request gets the first free seat
        .order_by(Enrollment.created_at, Enrollment.id)
    ).all()
    if len(chosen) != len(ids):
        form.ids.errors = [_("Some of the ticked enrolments are not in this course.")]
        return _render_index(course, form, filters, code=400)
    actor = current_user._get_current_object()
    approve = form.action.data == "enrolled"
    # a row that is no longer pending (the trainee cancelled, someone decided it meanwhile) is
    # skipped and named; the others are decided all the same
    decided, skipped = services.decide_many(
        chosen, actor, approve_them=approve, reason=form.reason.data
    )
    results = {"enrolled": 0, "waitlisted": 0, "rejected": 0}
    for enrollment in decided:
        results[enrollment.status] = results.get(enrollment.status, 0) + 1
    if approve:
        message = ngettext("%(num)s request approved.", "%(num)s requests approved.", len(decided))
        if results["waitlisted"]:
            message += " " + ngettext(
                "%(num)s went to the waitlist (no free seat).",
                "%(num)s went to the waitlist (no free seat).",
                results["waitlisted"],
            )
    else:
        message = ngettext("%(num)s request rejected.", "%(num)s requests rejected.", len(decided))
    if skipped:
        flash(message, "success" if decided else "info")
        flash(
            ngettext("%(num)s skipped:", "%(num)s skipped:", len(skipped))
            + " "
            + "; ".join(
                _(
                    "%(name)s (no. %(id)s): %(reason)s",
                    name=enrollment.user.name,
                    id=enrollment.id,
                    reason=why,
                )
                for enrollment, why in skipped
            ),
            "warning",
        )
        return redirect(_back(course))
    flash(message, "success")
    return redirect(_back(course))


# --- one enrolment -------------------------------------------------------------------------

#: what the flash message says after a move, by the resulting status
MOVED = {
    "enrolled": _l("%(name)s is enrolled."),
    "waitlisted": _l("%(name)s is on the waitlist."),
    "pending": _l("%(name)s is awaiting approval."),
    "rejected": _l("The request of %(name)s is rejected."),
    "cancelled": _l("The enrolment of %(name)s is cancelled."),
}


@bp.route("/<int:enrollment_id>", methods=["GET", "POST"])
@roles_required("staff")
def detail(course_id, enrollment_id):
    """One enrolment: the trainee, the history, and the moves to another status."""
    course = db.get_or_404(Course, course_id)
    enrollment = get_within_or_404(Enrollment, enrollment_id, course_id=course.id)
    form = MoveForm(formdata=None if request.method == "GET" else request.form)
    error, code = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            name = enrollment.user.name
            with attempt() as outcome:
                services.move(
                    enrollment,
                    form.action.data,
                    current_user._get_current_object(),
                    reason=form.reason.data,
                )
            if outcome.error is not None:
                exc = outcome.error
                messages = [str(m) for msgs in exc.fields.values() for m in msgs]
                error, code = " ".join(dict.fromkeys([str(exc.message), *messages])), exc.status
            else:
                flash(MOVED[enrollment.status] % {"name": name}, "success")
                return redirect(_back(course))
        else:
            code = form_status(form)
    history = audit.history(enrollment)
    certificate = valid_certificate(enrollment) if enrollment.status == "completed" else None
    return render_template(
        "enrollment/manage/detail.html",
        course=course,
        enrollment=enrollment,
        certificate=certificate,
        position=services.waitlist_position(enrollment),
        form=form,
        moves=MOVES.get(enrollment.status, ()),
        history=history,
        target_group_labels=TARGET_GROUP_LABELS,
        error=error,
        back=_back(course),
    ), code


# --- adding a trainee by hand --------------------------------------------------------------


def _search_trainees(q):
    """Trainees found by ``q``: a name, e-mail address, NIK or mobile number."""
    return db.session.scalars(
        select(User)
        .where(User.role == "trainee", person_condition(q))
        .order_by(User.name, User.id)
        .limit(SEARCH_LIMIT + 1)
    ).all()


@bp.route("/add", methods=["GET", "POST"])
@roles_required("staff")
def add(course_id):
    """Search a trainee, then enrol them; the registration window does not apply, seats do.

    The search form is sent by POST and answered with a redirect to this page, its term sealed
    when it holds a number: a NIK never appears in a URL (see ``lms.core.sealed``).
    """
    course = db.get_or_404(Course, course_id)
    if request.method == "POST" and "q" in request.form and "user_id" not in request.form:
        q = (request.form.get("q") or "").strip()[:100]
        return redirect(url_for("manage_enrollments.add", course_id=course.id, **term_args(q)), 303)
    if request.method == "GET" and (resealed := sealed_url()):
        return redirect(resealed, 303)
    q, expired = read_term(request.args)
    q = q.strip()[:100]
    if expired:
        flash(_("This search has expired. Search again."), "warning")
    form = AddTraineeForm(formdata=None if request.method == "GET" else request.form)
    refusals, error, chosen, code = [], None, None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            chosen = db.session.get(User, form.user_id.data)
            if chosen is None or chosen.role != "trainee":
                abort(404)
            name = chosen.name
            with attempt() as outcome:
                enrollment = services.enroll(
                    chosen, course, actor=current_user._get_current_object(), bypass_window=True
                )
            exc = outcome.error
            if isinstance(exc, InvalidInput):
                refusals = [str(m) for m in exc.fields.get("enrollment", [])] or [str(exc.message)]
                code = 400
            elif exc is not None:
                error, code = str(exc.message), exc.status
            else:
                flash(MOVED[enrollment.status] % {"name": name}, "success")
                return redirect(url_for("manage_enrollments.index", course_id=course.id))
        else:
            code = 400
    results = _search_trainees(q) if q else []
    more = len(results) > SEARCH_LIMIT
    results = results[:SEARCH_LIMIT]
    current = {}
    if results:
        current = dict(
            db.session.execute(
                select(Enrollment.user_id, Enrollment.status).where(
                    Enrollment.course_id == course.id,
                    Enrollment.user_id.in_([u.id for u in results]),
                )
            ).all()
        )
    return render_template(
        "enrollment/manage/add.html",
        course=course,
        q=q,
        search_args=term_args(q),
        results=results,
        more=more,
        current=current,
        active=services.ACTIVE_STATUSES + ("completed",),
        form=form,
        chosen=chosen,
        refusals=refusals,
        error=error,
        status_labels=ENROLLMENT_STATUS_LABELS,
        target_group_labels=TARGET_GROUP_LABELS,
    ), code


# --- exports -------------------------------------------------------------------------------


def _export_name(course, status, extension):
    safe_code = re.sub(r"[^A-Za-z0-9_-]+", "-", course.code)
    suffix = f"-{status}" if status else ""
    return f"roster-{safe_code}{suffix}.{extension}"


def _export(course_id, extension):
    """The roster with the list's filters (``export_args``; a bad one is a 400) as a download."""
    course = db.get_or_404(Course, course_id)
    filters = RosterFilters.from_args(request.args, strict=True)
    if extension == "csv":
        body = stream_with_context(roster_list.csv_stream(course.id, filters))
        mimetype = "text/csv"
    else:
        body, mimetype = roster_list.xlsx_bytes(course, filters), tabular.XLSX_MIMETYPE
    name = _export_name(course, filters.status, extension)
    return attachment(body, name, mimetype)


@bp.route("/export.csv")
@roles_required("staff")
def export_csv(course_id):
    """The roster (with the list's filters) as CSV, streamed."""
    return _export(course_id, "csv")


@bp.route("/export.xlsx")
@roles_required("staff")
def export_xlsx(course_id):
    """The roster (with the list's filters) as an Excel workbook."""
    return _export(course_id, "xlsx")
