"""Excuse request pages: a trainee asks for leave from a coming (or current) meeting with a
reason; a course's trainer or staff accept or decline it from the roster or the course page.

The rules live in :mod:`lms.attendance.excuses`.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lms.attendance import excuses, services
from lms.auth.permissions import roles_required
from lms.catalog.models import CourseSession
from lms.core.forms import LmsForm
from lms.core.records import get_within_or_404
from lms.core.transaction import flash_errors, form_errors
from lms.core.urls import safe_next
from lms.enrollment.models import Enrollment

bp = Blueprint("excuses", __name__)


class LeaveForm(LmsForm):
    """Ask for leave from one meeting."""

    reason = TextAreaField(
        _l("Why can you not come?"),
        validators=[DataRequired(), Length(max=excuses.TEXT_MAX)],
        description=_l("For example: a medical check, a visa appointment. Your trainer reads it."),
        render_kw={"rows": 3, "maxlength": excuses.TEXT_MAX},
    )
    submit = SubmitField(_l("Ask for leave"))


class DecisionForm(LmsForm):
    """Accept or decline a request, with an optional note to the trainee."""

    note = StringField(
        _l("Note to the trainee (optional)"),
        validators=[Optional(), Length(max=excuses.TEXT_MAX)],
    )
    next = HiddenField()
    accept = SubmitField(_l("Accept"))
    decline = SubmitField(_l("Decline"))


@bp.route(
    "/my/enrollments/<int:enrollment_id>/sessions/<int:session_id>/leave",
    methods=["GET", "POST"],
)
@roles_required("trainee")
def request_leave(enrollment_id, session_id):
    """The leave form for one meeting of the trainee's own roster (another's: 404)."""
    enrollment = get_within_or_404(Enrollment, enrollment_id, user_id=current_user.id)
    session = get_within_or_404(CourseSession, session_id, course_id=enrollment.course_id)
    if services.roster_enrollment(session, current_user) != enrollment:
        abort(404)  # a meeting of another class group of the course
    back = url_for("attendance.my_attendance", enrollment_id=enrollment.id)
    form = LeaveForm()
    refusal = excuses.leave_refusal(session)
    pending = excuses.open_request(session, enrollment)
    if form.validate_on_submit() and not refusal:
        with form_errors(form):
            excuses.request_leave(session.id, current_user, form.reason.data)
            flash(_("Your request is sent. You will be told the answer."), "success")
            return redirect(back)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "attendance/leave.html",
        enrollment=enrollment,
        course=enrollment.course,
        session=session,
        form=form,
        refusal=refusal,
        pending=pending,
        back=back,
    ), status


def decision_form(next_url):
    """A fresh decision form that sends the decider back to ``next_url``."""
    form = DecisionForm(formdata=None)
    form.next.data = next_url
    return form


@bp.route("/trainer/excuses/<int:excuse_id>/decide", methods=["POST"])
@roles_required("trainer", "staff")
def decide(excuse_id):
    """Accept or decline a request (the button pressed says which); back to the page it came
    from. A trainer of another course gets a 404."""
    excuse = excuses.excuse_for(current_user, excuse_id)
    form = DecisionForm()
    default = url_for("roster.roster", session_id=excuse.session_id)
    target = safe_next(form.next.data, default)
    if not form.validate_on_submit():
        flash(_("The form was not sent correctly. Please try again."), "danger")
        return redirect(target)
    accept = bool(form.accept.data)
    with flash_errors():
        excuses.decide(excuse, current_user, accept=accept, note=form.note.data)
        flash(
            _("Accepted: %(name)s is marked excused.", name=excuse.enrollment.user.name)
            if accept
            else _("Declined. %(name)s is told.", name=excuse.enrollment.user.name),
            "success",
        )
    return redirect(target)
