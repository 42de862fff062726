"""Trainee pages: "my courses", and cancelling an enrolment with a confirmation (the enrol box
and its button are on the course page, :mod:`lms.catalog.views`)."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.attendance import services as attendance
from lms.auth.permissions import roles_required
from lms.catalog.models import CourseSession
from lms.core.records import get_within_or_404
from lms.core.time import local_today
from lms.core.transaction import attempt
from lms.core.types import utcnow
from lms.extensions import db

from . import services
from .forms import CancelForm
from .limits import limit_enrolment_changes
from .models import SEAT_STATUSES, Enrollment

bp = Blueprint("enrollment", __name__)

#: how many of the next meetings "my courses" lists per course
UPCOMING_SESSIONS = 3


def _upcoming_sessions(groups):
    """{course id: [the next sessions not called off]} for ``groups`` ({course id: the trainee's
    class group id or None}): the whole course's sessions and the group's, in one query."""
    course_ids = list(groups)
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
        if session.group_id is not None and session.group_id != groups[session.course_id]:
            continue  # another class group's meeting
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
    upcoming = _upcoming_sessions(
        {e.course_id: e.group_id for e in active if e.status == "enrolled"}
    )
    return render_template(
        "enrollment/my_courses.html",
        active=active,
        past=past,
        positions=positions,
        upcoming=upcoming,
        # the attendance of the enrolments that hold a seat (the others have none)
        attendance={
            e.id: attendance.attendance_summary(e) for e in enrollments if e.status in SEAT_STATUSES
        },
        cancellable=services.ACTIVE_STATUSES,
        today=today,
    )


@bp.route("/my/enrollments/<int:enrollment_id>/cancel", methods=["GET", "POST"])
@roles_required("trainee")
@limit_enrolment_changes
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
