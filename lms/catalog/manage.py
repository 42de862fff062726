"""Staff pages under /manage: courses (create, edit, publish, clone) and their sessions."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_percent, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.validators import Optional

from lms.attendance import excuses
from lms.auth.models import TARGET_GROUP_LABELS, User
from lms.auth.permissions import roles_required
from lms.core.forms import error_text
from lms.core.pagination import paginate
from lms.core.records import get_within_or_404
from lms.core.time import combine_local, local_to_utc, local_today, utc_to_local
from lms.core.transaction import attempt, form_errors
from lms.course_types.base import SessionPlan
from lms.enrollment.filters import CourseListFilters
from lms.enrollment.groups import course_groups
from lms.extensions import course_types, db
from lms.partners.models import Partner
from lms.regions.services import regency_choices

from . import services
from .forms import (
    CancelSessionForm,
    CloneForm,
    CourseForm,
    SessionForm,
    StatusForm,
    TimetableForm,
)
from .models import COURSE_STATUS_LABELS, COURSE_STATUSES, Course, CourseSession

bp = Blueprint("manage", __name__, url_prefix="/manage")
bp.add_app_template_global(services.course_type_of, "course_type_of")

#: what the flash message says after a status button
STATUS_DONE = {
    "draft": _l("The course is back to draft."),
    "published": _l("The course is published."),
    "closed": _l("Registration for the course is closed."),
    "archived": _l("The course is archived."),
}


@bp.app_template_filter("percent")
def percent(share):
    """A share (0..1) as a percentage in the reader's language."""
    return format_percent(share) if share is not None else ""


@bp.app_template_filter("course_status_label")
def course_status_label(status):
    """The translated name of a course status."""
    return COURSE_STATUS_LABELS.get(status, status)


# --- helpers -------------------------------------------------------------------------------


def _partner_choices():
    today = local_today()
    choices = [(0, _("Choose a partner"))]
    for partner in db.session.scalars(select(Partner).order_by(Partner.name)):
        label = partner.name
        if not partner.mou_valid_on(today):
            label = _("%(name)s (MoU expired or missing)", name=partner.name)
        choices.append((partner.id, label))
    return choices


def _trainer_groups():
    """Every trainer, grouped by partner: [(partner, [trainer, ...]), ...]."""
    trainers = db.session.execute(
        select(User, Partner)
        .join(Partner, User.partner_id == Partner.id)
        .where(User.role == "trainer")
        .order_by(Partner.name, User.name)
    ).all()
    groups = []
    for trainer, partner in trainers:
        if not groups or groups[-1][0].id != partner.id:
            groups.append((partner, []))
        groups[-1][1].append(trainer)
    return groups


def _prepare_course_form(form, course_type, trainer_groups):
    form.partner_id.choices = _partner_choices()
    form.trainer_ids.choices = [(t.id, t.name) for _p, group in trainer_groups for t in group]
    form.attendance_threshold.description = _(
        "Leave empty to use the default of this course type: %(percent)s.",
        percent=format_percent(course_type.attendance_threshold),
    )
    default_months = course_type.certificate_validity_months
    if default_months:
        form.certificate_validity_months.description = ngettext(
            "Leave empty to use the default of this course type: %(num)s month.",
            "Leave empty to use the default of this course type: %(num)s months.",
            default_months,
        )
    else:
        form.certificate_validity_months.description = _(
            "Leave empty: certificates of this course do not expire."
        )
    if not course_type.enrols:
        # a type that counts the people it reaches has no seats and no registration window
        for name in ("capacity", "registration_opens_at", "registration_closes_at"):
            field = form[name]
            field.validators = [Optional()]
            field.flags.required = False


def _local(value):
    """A stored UTC time as a naive local one for a form field (None stays None)."""
    return utc_to_local(value).replace(tzinfo=None) if value is not None else None


def _course_values(course):
    """A stored course as form data: local times, percent."""
    threshold = course.attendance_threshold
    if threshold is not None:
        threshold = round(threshold * 100, 2)
        threshold = int(threshold) if threshold == int(threshold) else threshold
    return {
        "code": course.code,
        "title": course.title,
        "title_en": course.title_en,
        "description": course.description,
        "description_en": course.description_en,
        "partner_id": course.partner_id,
        "location": course.location,
        "capacity": course.capacity,
        "starts_on": course.starts_on,
        "ends_on": course.ends_on,
        "registration_opens_at": _local(course.registration_opens_at),
        "registration_closes_at": _local(course.registration_closes_at),
        "requires_approval": course.requires_approval,
        "waitlist": course.waitlist,
        "attendance_threshold": threshold,
        "certificate_validity_months": course.certificate_validity_months,
        "target_groups": list(course.target_groups or []),
        "min_age": course.min_age,
        "max_age": course.max_age,
        "trainer_ids": [t.id for t in course.trainers],
        "status": course.status,
    }


def _service_values(form, details):
    """Form data as the service takes it: UTC times, a share instead of a percent."""
    threshold = form.attendance_threshold.data
    return {
        "code": form.code.data,
        "title": form.title.data,
        "title_en": form.title_en.data,
        "description": form.description.data,
        "description_en": form.description_en.data,
        "partner_id": form.partner_id.data,
        "location": form.location.data,
        "capacity": form.capacity.data,
        "starts_on": form.starts_on.data,
        "ends_on": form.ends_on.data,
        "registration_opens_at": local_to_utc(form.registration_opens_at.data),
        "registration_closes_at": local_to_utc(form.registration_closes_at.data),
        "requires_approval": form.requires_approval.data,
        "waitlist": form.waitlist.data,
        "attendance_threshold": None if threshold is None else round(threshold / 100, 4),
        "certificate_validity_months": form.certificate_validity_months.data,
        "target_groups": form.target_groups.data or [],
        "min_age": form.min_age.data,
        "max_age": form.max_age.data,
        "trainer_ids": form.trainer_ids.data or [],
        "status": form.status.data,
        "details": details,
    }


def _render_course_form(course, course_type, form, details_form, groups, status):
    return render_template(
        "manage/course_form.html",
        course=course,
        course_type=course_type,
        form=form,
        details_form=details_form,
        trainer_groups=groups,
        regencies=regency_choices(),
    ), status


def _type_unavailable(course):
    """Editing or cloning needs the course's type plugin: say so on the course page."""
    flash(
        _(
            "The course type %(key)s is not available, so this course cannot be edited.",
            key=course.type_key,
        ),
        "warning",
    )
    return redirect(url_for("manage.course", course_id=course.id))


def _render_course(course, status=200):
    course_type = services.course_type_of(course)
    # a course whose type is unavailable can be withdrawn but not published (the service says so)
    offered = [
        s
        for s in COURSE_STATUSES
        if s != course.status and (course_type is not None or s != "published")
    ]
    return render_template(
        "manage/course.html",
        course=course,
        course_type=course_type,
        statuses=offered,
        target_group_labels=TARGET_GROUP_LABELS,
        excuse_requests=excuses.course_requests(course, "requested"),
        excuse_next=url_for("manage.course", course_id=course.id, _anchor="excuses"),
        class_groups=course_groups(course),
    ), status


# --- courses -------------------------------------------------------------------------------


@bp.route("/courses/")
@roles_required("staff")
def courses():
    """Every course, newest start first, filtered; the filters are the course export's, so its
    download links carry them (a bad value is dropped here, refused by the export)."""
    filters = CourseListFilters.from_args(request.args)
    page = paginate(filters.query())
    partners = db.session.scalars(select(Partner).order_by(Partner.name)).all()
    return render_template(
        "manage/courses.html",
        page=page,
        filters=filters,
        export_args=filters.args(),
        statuses=[(s, COURSE_STATUS_LABELS[s]) for s in COURSE_STATUSES],
        types=course_types.choices(get_locale()),
        partners=partners,
        years=CourseListFilters.years(),
    )


@bp.route("/courses/new")
@roles_required("staff")
def choose_type():
    return render_template(
        "manage/choose_type.html", types=course_types.all(), locale=str(get_locale())
    )


@bp.route("/courses/new/<type_key>", methods=["GET", "POST"])
@roles_required("staff")
def create_course(type_key):
    course_type = course_types.get(type_key)
    if course_type is None:
        abort(404)
    groups = _trainer_groups()
    form = CourseForm()
    _prepare_course_form(form, course_type, groups)
    submitted = form.is_submitted()
    details_form = course_type.make_form(formdata=request.form if submitted else None)
    if submitted:
        valid = form.validate()
        details = course_type.validate_form(details_form)
        if valid and details is not None:
            data = _service_values(form, details)
            data["type"] = type_key
            with form_errors(form, details_form):
                course = services.create_course(data, actor=current_user)
                flash(_("The course %(code)s is created.", code=course.code), "success")
                return redirect(url_for("manage.course", course_id=course.id))
    status = 400 if submitted else 200
    return _render_course_form(None, course_type, form, details_form, groups, status)


@bp.route("/courses/<int:course_id>")
@roles_required("staff")
def course(course_id):
    return _render_course(db.get_or_404(Course, course_id))


@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required("staff")
def edit_course(course_id):
    course = db.get_or_404(Course, course_id)
    course_type = services.course_type_of(course)
    if course_type is None:
        return _type_unavailable(course)
    groups = _trainer_groups()
    form = CourseForm(data=_course_values(course))
    _prepare_course_form(form, course_type, groups)
    submitted = form.is_submitted()
    details_form = course_type.make_form(
        course.details, formdata=request.form if submitted else None
    )
    if submitted:
        valid = form.validate()
        details = course_type.validate_form(details_form)
        if valid and details is not None:
            with form_errors(form, details_form):
                services.update_course(course, _service_values(form, details), actor=current_user)
                flash(_("The course is saved."), "success")
                return redirect(url_for("manage.course", course_id=course.id))
    status = 400 if submitted else 200
    return _render_course_form(course, course_type, form, details_form, groups, status)


@bp.route("/courses/<int:course_id>/status", methods=["POST"])
@roles_required("staff")
def course_status(course_id):
    course = db.get_or_404(Course, course_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Not a valid status."), "danger")
        return _render_course(course, 400)
    with attempt() as outcome:
        services.set_status(course, form.status.data, actor=current_user)
    if outcome.error is not None:
        flash(error_text(outcome.error), "danger")
        return _render_course(course, 400)
    flash(str(STATUS_DONE[course.status]), "success")
    return redirect(url_for("manage.course", course_id=course.id))


@bp.route("/courses/<int:course_id>/clone", methods=["GET", "POST"])
@roles_required("staff")
def clone_course(course_id):
    course = db.get_or_404(Course, course_id)
    if services.course_type_of(course) is None:
        return _type_unavailable(course)
    form = CloneForm()
    if form.validate_on_submit():
        with form_errors(form, rename={"ends_on": "starts_on"}):
            copy = services.clone_course(
                course, form.code.data, form.starts_on.data, actor=current_user
            )
            flash(_("The new batch %(code)s is created as a draft.", code=copy.code), "success")
            return redirect(url_for("manage.course", course_id=copy.id))
    status = 400 if form.is_submitted() else 200
    return render_template("manage/clone.html", course=course, form=form), status


# --- sessions ------------------------------------------------------------------------------


def _plan(course):
    course_type = services.course_type_of(course)
    return course_type.session_plan if course_type is not None else SessionPlan()


#: the sessions service names times starts_at / ends_at; the form asks for a day and two times
SESSION_FIELDS = {"starts_at": "day", "ends_at": "ends"}


def _session_times(form):
    return (
        combine_local(form.day.data, form.starts.data),
        combine_local(form.day.data, form.ends.data),
    )


@bp.route("/courses/<int:course_id>/sessions/new", methods=["GET", "POST"])
@roles_required("staff")
def add_session(course_id):
    course = db.get_or_404(Course, course_id)
    plan = _plan(course)
    form = SessionForm(data={"day": course.starts_on, "starts": plan.starts, "ends": plan.ends})
    _group_choices(form, course)
    if form.validate_on_submit():
        starts_at, ends_at = _session_times(form)
        with form_errors(form, rename=SESSION_FIELDS):
            services.add_session(
                course,
                starts_at,
                ends_at,
                topic=form.topic.data,
                location=form.location.data,
                actor=current_user,
                group_id=form.group_id.data,
            )
            flash(_("The session is added."), "success")
            return redirect(url_for("manage.course", course_id=course.id, _anchor="sessions"))
    status = 400 if form.is_submitted() else 200
    return render_template("manage/session_form.html", course=course, form=form, session=None), (
        status
    )


def _group_choices(form, course):
    """The session form's class groups: the whole course, then each group of the course."""
    form.group_id.choices = [("", _("The whole course"))] + [
        (str(g.id), g.name) for g in course_groups(course)
    ]


@bp.route("/courses/<int:course_id>/sessions/generate", methods=["GET", "POST"])
@roles_required("staff")
def generate_sessions(course_id):
    course = db.get_or_404(Course, course_id)
    plan = _plan(course)
    form = TimetableForm(
        data={
            "weekdays": list(plan.weekdays),
            "starts": plan.starts,
            "ends": plan.ends,
            "first_day": course.starts_on,
            "weeks": plan.weeks,
        }
    )
    _group_choices(form, course)
    if form.validate_on_submit():
        timetable = services.Timetable(
            first_day=form.first_day.data,
            weeks=form.weeks.data,
            weekdays=tuple(sorted(form.weekdays.data)),
            starts=form.starts.data,
            ends=form.ends.data,
            topics=tuple(plan.topics),
            location=form.location.data or None,
            group_id=form.group_id.data,
        )
        with form_errors(form):
            created = services.generate_sessions(course, timetable, actor=current_user)
            flash(
                ngettext("%(num)s session is added.", "%(num)s sessions are added.", len(created)),
                "success",
            )
            return redirect(url_for("manage.course", course_id=course.id, _anchor="sessions"))
    status = 400 if form.is_submitted() else 200
    return render_template("manage/generate.html", course=course, form=form), status


@bp.route("/courses/<int:course_id>/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required("staff")
def edit_session(course_id, session_id):
    course = db.get_or_404(Course, course_id)
    session = get_within_or_404(CourseSession, session_id, course_id=course.id)
    refusal = services.session_change_refusal(session)
    if refusal:
        flash(refusal, "warning")
        return redirect(url_for("manage.course", course_id=course.id, _anchor="sessions"))
    starts, ends = utc_to_local(session.starts_at), utc_to_local(session.ends_at)
    form = SessionForm(
        data={
            "day": starts.date(),
            "starts": starts.time(),
            "ends": ends.time(),
            "topic": session.topic,
            "location": session.location,
            "group_id": session.group_id,
        }
    )
    _group_choices(form, course)
    if form.validate_on_submit():
        starts_at, ends_at = _session_times(form)
        data = {
            "starts_at": starts_at,
            "ends_at": ends_at,
            "topic": form.topic.data,
            "location": form.location.data,
            "group_id": form.group_id.data,
        }
        with form_errors(form, rename=SESSION_FIELDS):
            services.update_session(session, data, actor=current_user)
            flash(_("The session is saved."), "success")
            return redirect(url_for("manage.course", course_id=course.id, _anchor="sessions"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "manage/session_form.html", course=course, form=form, session=session
    ), status


@bp.route("/courses/<int:course_id>/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@roles_required("staff")
def cancel_session(course_id, session_id):
    course = db.get_or_404(Course, course_id)
    session = get_within_or_404(CourseSession, session_id, course_id=course.id)
    if session.cancelled_at is not None:
        flash(_("This session is already cancelled."), "info")
        return redirect(url_for("manage.course", course_id=course.id, _anchor="sessions"))
    form = CancelSessionForm()
    if form.validate_on_submit():
        with form_errors(form):
            services.cancel_session(session, form.reason.data, actor=current_user)
            flash(_("The session is cancelled."), "success")
            return redirect(url_for("manage.course", course_id=course.id, _anchor="sessions"))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "manage/cancel_session.html", course=course, session=session, form=form
    ), (status)
