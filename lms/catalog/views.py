"""The public catalogue and the course page with its enrol box (a page on the enrolment floor
and above: it shows the visitor's enrolment and takes the one-step enrolment)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.models import TARGET_GROUP_LABELS
from lms.auth.permissions import current_actor, roles_required
from lms.core import transaction
from lms.core.inputs import int_arg
from lms.core.transaction import attempt
from lms.enrollment import groups
from lms.enrollment import services as enrolment
from lms.enrollment.forms import EnrolForm
from lms.enrollment.limits import limit_enrolment_changes
from lms.enrollment.models import Enrollment
from lms.errors import InvalidInput
from lms.extensions import course_types, db
from lms.i18n import locale_name
from lms.partners.services import list_partners

from . import pagecache
from .models import COURSE_STATUS_LABELS
from .services import (
    CatalogFilters,
    catalog_page,
    course_state,
    course_type_of,
    visible_course,
)

bp = Blueprint("catalog", __name__, url_prefix="/courses")


def _filters_from_args(args):
    """Read the catalogue filters from the query string; unknown values are ignored."""
    course_type = course_types.get(args.get("type"))
    detail = None
    if course_type is not None:
        for name in course_type.catalog_filters:
            value = args.get(f"d_{name}")
            if value and value in {v for v, _label in course_type.filter_choices(name)}:
                detail = (name, value)
    partner_id = int_arg(args, "partner_id")
    return CatalogFilters(
        type=course_type.key if course_type else None,
        partner_id=partner_id,
        q=(args.get("q") or "").strip()[:100] or None,
        location=(args.get("location") or "").strip()[:100] or None,
        open_now=args.get("open") == "1",
        detail=detail,
    )


@bp.route("/")
def index():
    """The catalogue; a visitor who is not logged in gets the worker's cached page while the
    catalogue has not changed (``pagecache``)."""
    locale = locale_name()
    body = pagecache.cached(locale, lambda: _render_index(locale))
    return body if body is not None else _render_index(locale)[0]


def _render_index(locale):
    """(the page, the courses on it)."""
    filters = _filters_from_args(request.args)
    # keyset pages: ?after= (or ?before=) the last (first) course shown, never an offset
    page = catalog_page(
        filters,
        after=request.args.get("after"),
        before=request.args.get("before"),
        per_page=current_app.config["PER_PAGE"],
    )
    waiting = enrolment.waitlist_counts([c.id for c in page.items])
    states = {c.id: course_state(c, waiting.get(c.id, 0)) for c in page.items}
    selected_type = course_types.get(filters.type) if filters.type else None
    type_filters = []
    if selected_type is not None:
        for name in selected_type.catalog_filters:
            label = next(f["label"] for f in selected_type.describe_fields() if f["name"] == name)
            type_filters.append((name, label, selected_type.filter_choices(name)))
    args = {k: v for k, v in request.args.items() if k not in ("page", "after", "before")}
    partners = list_partners()
    body = render_template(
        "catalog/index.html",
        page=page,
        states=states,
        filters=filters,
        types=course_types.all(),
        type_filters=type_filters,
        partners=partners,
        partner_names={p.id: p.name for p in partners},
        args=args,
        locale=locale,
    )
    return body, page.items


@bp.route("/<int:course_id>")
def detail(course_id):
    return render_detail(visible_course(current_actor(), course_id))


def render_detail(course, status=200, **attempted):
    """The course page; the enrol view passes the refusals or the error of an attempt."""
    state = course_state(course, enrolment.waitlist_counts([course.id]).get(course.id, 0))
    box = course_box(course, state, **attempted)
    # a course run as class groups shows each group's timetable (the trainee's own marked)
    timetables = groups.timetables(course) if groups.course_groups(course) else None
    return render_template(
        "catalog/detail.html",
        timetables=timetables,
        own_group_id=box["enrollment"].group_id if box.get("enrollment") is not None else None,
        course=course,
        course_type=course_type_of(course),
        state=state,
        target_group_labels=TARGET_GROUP_LABELS,
        status_labels=COURSE_STATUS_LABELS,
        locale=str(get_locale()),
        box=box,
    ), status


# --- the enrol box --------------------------------------------------------------------------


def _enrolled_message(enrollment):
    """What the trainee reads after enrolling, by the outcome."""
    if enrollment.status == "enrolled":
        return _("You are enrolled. See you at the first meeting!")
    if enrollment.status == "waitlisted":
        return _(
            "The course is full: you are on the waitlist at position %(position)s. "
            "You get a seat as soon as one frees up.",
            position=getattr(enrollment, "answered_position", None)
            or enrolment.waitlist_position(enrollment),
        )
    return _("Your request is sent. The office will let you know when it is decided.")


def course_box(course, state, refusals=None, error=None):
    """What the course page shows about enrolling: the visitor's enrolment, the button, refusals.

    ``refusals`` (every reason the last attempt was refused) and ``error`` come from the enrol view.
    Before any attempt, a trainee who may not enrol reads why (the enrol service's own rule,
    ``enrolment.refusals``) instead of a button that would refuse them.
    """
    box = {"refusals": refusals or [], "error": error, "enrollment": None, "position": None}
    if current_user.is_authenticated and current_user.role == "trainee":
        enrollment = db.session.scalar(
            select(Enrollment).where(
                Enrollment.course_id == course.id, Enrollment.user_id == current_user.id
            )
        )
        box["enrollment"] = enrollment
        if enrollment is not None:
            box["position"] = enrolment.waitlist_position(enrollment)
        box["form"] = EnrolForm()
        holds = enrollment is not None and enrollment.status in enrolment.HELD_STATUSES
        if state.key in ("open", "waitlist") and not holds and not refusals and error is None:
            user = current_user._get_current_object()
            box["refusals"] = [r.message for r in enrolment.refusals(user, course)]
    return box


@bp.route("/<int:course_id>/enrol", methods=["POST"])
@roles_required("trainee")
@limit_enrolment_changes
def enroll(course_id):
    """The one-step enrolment from the course page."""
    course = visible_course(current_user, course_id)  # (CSRFProtect checked the token already)
    with attempt() as outcome:
        enrollment = enrolment.enroll(current_user._get_current_object(), course)
    error = outcome.error
    if isinstance(error, InvalidInput):
        reasons = [str(m) for m in error.fields.get("enrollment", [])] or [str(error.message)]
        return render_detail(course, 400, refusals=reasons)
    if error is not None:
        return render_detail(course, error.status, error=str(error.message))
    transaction.commit_now()  # the course's lock ends with the decision
    message = _enrolled_message(enrollment)
    flash(message, "success" if enrollment.status == "enrolled" else "info")
    return redirect(url_for("catalog.detail", course_id=course.id))
