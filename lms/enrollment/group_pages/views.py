"""Class groups of a course (staff): make a group with its trainers, place the trainees by hand
(one form for the whole roster) or evenly. The rules live in :mod:`lms.enrollment.groups`."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.auth.models import User
from lms.auth.permissions import roles_required
from lms.catalog.models import Course
from lms.core.forms import LmsForm
from lms.core.transaction import flash_errors, form_errors
from lms.enrollment import groups
from lms.extensions import db

bp = Blueprint("groups", __name__)


class GroupForm(LmsForm):
    """A new class group: its name and its trainers (of the course's partner)."""

    name = StringField(
        _l("Name of the group"),
        validators=[DataRequired(), Length(max=groups.NAME_MAX)],
        description=_l("For example: Kelas A, Kelas Pagi."),
    )
    trainer_ids = SelectMultipleField(
        _l("Trainers"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description=_l("They are assigned to the course too, and mark their group's sessions."),
    )
    submit = SubmitField(_l("Make the group"))


class ButtonForm(LmsForm):
    """A button's form: its CSRF token only."""


def _course(course_id):
    return db.get_or_404(Course, course_id)


def _partner_trainers(course):
    return db.session.scalars(
        select(User)
        .where(User.role == "trainer", User.partner_id == course.partner_id)
        .order_by(User.name)
    ).all()


def _render(course, form, status=200):
    form.trainer_ids.choices = [(t.id, t.name) for t in _partner_trainers(course)]
    class_groups = groups.course_groups(course)
    return render_template(
        "enrollment/groups.html",
        course=course,
        form=form,
        button=ButtonForm(),
        class_groups=class_groups,
        sizes=groups.group_sizes(course),
        members=groups.members(course),
    ), status


@bp.route("/manage/courses/<int:course_id>/groups", methods=["GET", "POST"])
@roles_required("staff")
def index(course_id):
    """The course's groups and its roster with each trainee's group (GET); make a group (POST)."""
    course = _course(course_id)
    form = GroupForm()
    form.trainer_ids.choices = [(t.id, t.name) for t in _partner_trainers(course)]
    if form.validate_on_submit():
        with form_errors(form):
            group = groups.create_group(
                course, form.name.data, form.trainer_ids.data or [], actor=current_user
            )
            flash(_("The group %(name)s is made.", name=group.name), "success")
            return redirect(url_for(".index", course_id=course.id))
    return _render(course, form, 400 if form.is_submitted() else 200)


@bp.route("/manage/courses/<int:course_id>/groups/placements", methods=["POST"])
@roles_required("staff")
def place(course_id):
    """Save the group of every trainee of the form (``group-<enrolment id>``) in one go."""
    course = _course(course_id)
    if not ButtonForm().validate_on_submit():
        flash(_("The form was not sent correctly. Please try again."), "danger")
        return redirect(url_for(".index", course_id=course.id))
    changed = 0
    with flash_errors():
        for enrollment in groups.members(course):
            key = f"group-{enrollment.id}"
            if key not in request.form:
                continue
            value = request.form[key]
            group_id = int(value) if value.isdigit() else None
            if group_id != enrollment.group_id:
                groups.place(enrollment, group_id, actor=current_user)
                changed += 1
        flash(
            ngettext("Saved: %(num)s trainee moved.", "Saved: %(num)s trainees moved.", changed)
            if changed
            else _("Saved: nothing changed."),
            "success",
        )
    return redirect(url_for(".index", course_id=course.id, _anchor="members"))


@bp.route("/manage/courses/<int:course_id>/groups/distribute", methods=["POST"])
@roles_required("staff")
def distribute(course_id):
    """Place every trainee without a group evenly in the groups."""
    course = _course(course_id)
    if not ButtonForm().validate_on_submit():
        flash(_("The form was not sent correctly. Please try again."), "danger")
        return redirect(url_for(".index", course_id=course.id))
    with flash_errors():
        placed = groups.distribute(course, actor=current_user)
        flash(
            ngettext(
                "%(num)s trainee placed in a group.", "%(num)s trainees placed in groups.", placed
            )
            if placed
            else _("Everybody has a group already."),
            "success",
        )
    return redirect(url_for(".index", course_id=course.id, _anchor="members"))
