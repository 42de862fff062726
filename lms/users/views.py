"""Staff pages: the list of accounts, creating one, changing a role (admin)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth import services as auth_services
from lms.auth.models import ROLE_LABELS, ROLES, TARGET_GROUP_LABELS, User
from lms.auth.permissions import roles_required
from lms.core.forms import form_status
from lms.core.pagination import paginate
from lms.core.sealed import SEALED, sealed_url
from lms.core.transaction import form_errors
from lms.extensions import db
from lms.outbox import registry as channels
from lms.outbox.services import messages_to
from lms.partners.models import Partner
from lms.regions.services import list_regencies, regency_choices

from .filters import UserFilters
from .forms import RoleForm, StaffProfileForm, UserCreateForm
from .services import change_role, complete_profile

#: the latest messages an account's page lists (the outbox, filtered to the person, has all)
MESSAGES_SHOWN = 10

bp = Blueprint("users", __name__, url_prefix="/users")


def _assignable_roles():
    """Staff create trainees and trainers; admins any role."""
    roles = ROLES if current_user.role == "admin" else ("trainee", "trainer")
    return [(r, ROLE_LABELS[r]) for r in roles]


def _partner_choices():
    partners = db.session.scalars(select(Partner).order_by(Partner.name)).all()
    return [(0, "—")] + [(p.id, p.name) for p in partners]


@bp.route("/", methods=["GET", "POST"])
@roles_required("staff")
def index():
    """The accounts, by name: a role, a search, and a trainee's regency and group. The filters are
    the trainee export's, so with the role "trainee" the download links carry them.

    The search form is sent by POST and answered with a redirect to the list, its search sealed
    when it holds a number: a NIK never appears in a URL (see ``lms.core.sealed``).
    """
    if request.method == "POST":
        filters = UserFilters.from_args(request.form)
        return redirect(url_for("users.index", **filters.args()), 303)
    if resealed := sealed_url():
        return redirect(resealed, 303)
    filters = UserFilters.from_args(request.args)
    if request.args.get(SEALED) and not filters.q:
        flash(_("This search has expired. Search again."), "warning")
    page = paginate(filters.apply(select(User).order_by(User.name, User.id)))
    return render_template(
        "users/index.html",
        page=page,
        filters=filters,
        export_args=filters.args(),
        roles=[(r, ROLE_LABELS[r]) for r in ROLES],
        regencies=list_regencies(),
        target_groups=list(TARGET_GROUP_LABELS.items()),
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("staff")
def create():
    form = UserCreateForm()
    form.role.choices = _assignable_roles()
    form.partner_id.choices = _partner_choices()
    if form.validate_on_submit():
        with form_errors(form):
            extra = {"phone": form.phone.data} if form.phone.data else {}
            user = auth_services.create_user(
                email=form.email.data or None,
                password=form.password.data,
                name=form.name.data,
                role=form.role.data,
                partner_id=form.partner_id.data or None,
                actor=current_user,
                **extra,
            )
            flash(_("The account of %(name)s is created.", name=user.name), "success")
            return redirect(url_for("users.detail", user_id=user.id))
    return render_template("users/create.html", form=form), form_status(form)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required("staff")
def detail(user_id):
    user = db.get_or_404(User, user_id)
    form = None
    if current_user.role == "admin":
        form = RoleForm(role=user.role, partner_id=user.partner_id or 0)
        form.role.choices = [(r, ROLE_LABELS[r]) for r in ROLES]
        form.partner_id.choices = _partner_choices()
        if form.validate_on_submit():
            with form_errors(form):
                change_role(user, form.role.data, form.partner_id.data or None, actor=current_user)
                flash(_("The role is changed."), "success")
                return redirect(url_for("users.detail", user_id=user.id))
    elif request.method == "POST":
        abort(403)
    status = form_status(form) if form else 200
    messages = messages_to(user, MESSAGES_SHOWN + 1)
    return render_template(
        "users/detail.html",
        user=user,
        form=form,
        messages=messages[:MESSAGES_SHOWN],
        more_messages=len(messages) > MESSAGES_SHOWN,
    ), status


@bp.route("/<int:user_id>/profile", methods=["GET", "POST"])
@roles_required("staff")
def edit_profile(user_id):
    """Staff complete a trainee's profile (a walk-in added at a session, typically), the e-mail
    address included."""
    user = db.get_or_404(User, user_id)
    if user.role != "trainee":
        abort(404)
    form = StaffProfileForm(obj=user)
    form.regency_code.choices = [("", "—")] + regency_choices()
    shown = auth_services.channel_in_use(user)
    form.preferred_channel.choices = channels.choices(str(get_locale()), shown)
    if request.method == "GET":
        form.preferred_channel.data = shown
    if form.validate_on_submit():
        data = {
            name: getattr(form, name).data or None
            for name in (
                "name",
                "email",
                "nik",
                "birth_date",
                "gender",
                "phone",
                "preferred_channel",
                "regency_code",
                "target_group",
            )
        }
        with form_errors(form):
            complete_profile(user, data, actor=current_user._get_current_object())
            flash(_("The profile of %(name)s is saved.", name=user.name), "success")
            return redirect(url_for("users.detail", user_id=user.id))
    return render_template("users/profile.html", user=user, form=form), form_status(form)
