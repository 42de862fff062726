"""Trainee pages: enrol from the course page in one step, "my courses", cancel with confirmation."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.permissions import roles_required
from lms.catalog.models import CourseSession
from lms.catalog.services import visible_course
from lms.core.records import get_within_or_404
from lms.core.time import local_today
from lms.core.transaction import attempt
from lms.core.types import utcnow
from lms.errors import InvalidInput
from lms.extensions import db

from . import services
from .forms import CancelForm, EnrolForm
from .models import Enrollment

bp = Blueprint("enrollment", __name__)

#: how many of the next meetings "my courses" lists per course
UPCOMING_SESSIONS = 3


def _enrolled_message(enrollment):
    """What the trainee reads after enrolling, by the outcome."""
    if enrollment.status == "enrolled":
        return _("You are enrolled. See you at the first meeting!")
    if enrollment.status == "waitlisted":
        return _(
            "The course is full: you are on the waitlist at position %(position)s. "
            "You get a seat as soon as one frees up.",
            position=services.waitlist_position(enrollment),
        )
    return _("Your request is sent. The office will let you know when it is decided.")


def course_box(course, refusals=None, error=None):
    """What the course page shows about enrolling: the visitor's enrolment, the button, refusals.

    ``refusals`` (every reason the last attempt was refused) and ``error`` come from the enrol view.
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
            box["position"] = services.waitlist_position(enrollment)
        box["form"] = EnrolForm()
    return box


@bp.route("/courses/<int:course_id>/enrol", methods=["POST"])
@roles_required("trainee")
def enrol(course_id):
    """The one-step enrolment from the course page."""
    from lms.catalog.views import render_detail

    course = visible_course(current_user, course_id)  # (CSRFProtect checked the token already)
    with attempt() as outcome:
        enrollment = services.enroll(current_user._get_current_object(), course)
    error = outcome.error
    if isinstance(error, InvalidInput):
        reasons = [str(m) for m in error.fields.get("enrollment", [])] or [str(error.message)]
        return render_detail(course, 400, refusals=reasons)
    if error is not None:
        return render_detail(course, error.status, error=str(error.message))
    message = _enrolled_message(enrollment)
    flash(message, "success" if enrollment.status == "enrolled" else "info")
    return redirect(url_for("catalog.detail", course_id=course.id))


def _upcoming_sessions(course_ids):
    """{course id: [the next sessions not called off]} for the given courses, in one query."""
    if not course_ids:
        return {}
    sessions = db.session.scalars(
        select(CourseSession)
        .where(
            CourseSession.course_id.in_(course_ids),
            CourseSession.cancelled_at.is_(None),
            CourseSession.ends_at >= utcnow(),
        )
        .order_by(CourseSession.starts_at)
    )
    found = {}
    for session in sessions:
        upcoming = found.setdefault(session.course_id, [])
        if len(upcoming) < UPCOMING_SESSIONS:
            upcoming.append(session)
    return found


@bp.route("/my/courses")
@roles_required("trainee")
def my_courses():
    """The trainee's enrolments: status, waitlist position, next meetings, a way to cancel."""
    enrollments = services.user_enrollments(current_user)
    today = local_today()
    # current: still active in a course that has not ended; the rest is history
    active = [
        e for e in enrollments if e.status in services.ACTIVE_STATUSES and e.course.ends_on >= today
    ]
    past = [e for e in enrollments if e not in active]
    positions = {
        e.id: services.waitlist_position(e) for e in enrollments if e.status == "waitlisted"
    }
    upcoming = _upcoming_sessions([e.course_id for e in active if e.status == "enrolled"])
    return render_template(
        "enrollment/my_courses.html",
        active=active,
        past=past,
        positions=positions,
        upcoming=upcoming,
        cancellable=services.ACTIVE_STATUSES,
        today=today,
    )


@bp.route("/my/enrollments/<int:enrollment_id>/cancel", methods=["GET", "POST"])
@roles_required("trainee")
def cancel(enrollment_id):
    """Ask for a confirmation, then cancel; the service refuses once the course has started."""
    enrollment = get_within_or_404(Enrollment, enrollment_id, user_id=current_user.id)
    form = CancelForm()
    error, status = None, 200
    if form.validate_on_submit():
        with attempt() as outcome:
            services.cancel(enrollment, actor=current_user._get_current_object())
        if outcome.error is not None:
            error, status = str(outcome.error.message), outcome.error.status
        else:
            course = enrollment.course
            flash(_("Your enrolment in %(code)s is cancelled.", code=course.code), "success")
            return redirect(url_for("enrollment.my_courses"))
    return render_template(
        "enrollment/cancel.html",
        enrollment=enrollment,
        position=services.waitlist_position(enrollment),
        form=form,
        error=error,
        cancellable=enrollment.status in services.ACTIVE_STATUSES,
    ), status
