"""The public catalogue and course pages."""

from flask import Blueprint, render_template, request
from flask_babel import get_locale

from lms.auth.models import TARGET_GROUP_LABELS
from lms.auth.permissions import current_actor
from lms.core.inputs import int_arg
from lms.core.pagination import paginate
from lms.extensions import course_types
from lms.partners.services import list_partners

from .models import COURSE_STATUS_LABELS
from .services import (
    CatalogFilters,
    catalog_query,
    course_state,
    course_type_of,
    visible_course,
    waitlist_counts,
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
    filters = _filters_from_args(request.args)
    page = paginate(catalog_query(filters))
    waiting = waitlist_counts([c.id for c in page.items])
    states = {c.id: course_state(c, waiting.get(c.id, 0)) for c in page.items}
    selected_type = course_types.get(filters.type) if filters.type else None
    type_filters = []
    if selected_type is not None:
        for name in selected_type.catalog_filters:
            label = next(f["label"] for f in selected_type.describe_fields() if f["name"] == name)
            type_filters.append((name, label, selected_type.filter_choices(name)))
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "catalog/index.html",
        page=page,
        states=states,
        filters=filters,
        types=course_types.all(),
        type_filters=type_filters,
        partners=list_partners(),
        args=args,
        locale=str(get_locale()),
    )


@bp.route("/<int:course_id>")
def detail(course_id):
    return render_detail(visible_course(current_actor(), course_id))


def render_detail(course, status=200, **enrolment):
    """The course page; the enrol view passes the refusals or the error of an attempt."""
    from lms.enrollment.views import course_box

    state = course_state(course, waitlist_counts([course.id]).get(course.id, 0))
    return render_template(
        "catalog/detail.html",
        course=course,
        course_type=course_type_of(course),
        state=state,
        target_group_labels=TARGET_GROUP_LABELS,
        status_labels=COURSE_STATUS_LABELS,
        locale=str(get_locale()),
        box=course_box(course, **enrolment),
    ), status
