"""Staff pages: partner institutions, their trainers and their courses."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.auth.permissions import roles_required
from lms.catalog.services import CatalogFilters, catalog_query, course_type_of
from lms.core.forms import form_status
from lms.core.pagination import paginate
from lms.core.time import local_today
from lms.core.transaction import form_errors
from lms.extensions import db

from . import services
from .forms import PartnerForm, TrainerForm
from .models import Partner

bp = Blueprint("partners", __name__, url_prefix="/partners")


def _form_data(form):
    return {
        "name": form.name.data,
        "kind": form.kind.data,
        "mou_number": form.mou_number.data,
        "mou_valid_until": form.mou_valid_until.data,
        "address": form.address.data,
    }


@bp.route("/")
@roles_required("staff")
def index():
    return render_template(
        "partners/index.html", partners=services.list_partners(), today=local_today()
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("staff")
def create():
    form = PartnerForm()
    if form.validate_on_submit():
        with form_errors(form):
            partner = services.create_partner(_form_data(form), actor=current_user)
            flash(_("The partner %(name)s is created.", name=partner.name), "success")
            return redirect(url_for("partners.detail", partner_id=partner.id))
    return render_template("partners/form.html", form=form, partner=None), form_status(form)


@bp.route("/<int:partner_id>")
@roles_required("staff")
def detail(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    trainers = db.session.scalars(
        select(User)
        .where(User.partner_id == partner.id, User.role == "trainer")
        .order_by(User.name)
    ).all()
    courses = paginate(
        catalog_query(CatalogFilters(include_unpublished=True, partner_id=partner.id))
    )
    return render_template(
        "partners/detail.html",
        partner=partner,
        trainers=trainers,
        courses=courses,
        course_type_of=course_type_of,
        today=local_today(),
    )


@bp.route("/<int:partner_id>/edit", methods=["GET", "POST"])
@roles_required("staff")
def edit(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    form = PartnerForm(obj=partner)
    if form.validate_on_submit():
        with form_errors(form):
            services.update_partner(partner, _form_data(form), actor=current_user)
            flash(_("The partner is saved."), "success")
            return redirect(url_for("partners.detail", partner_id=partner.id))
    return render_template("partners/form.html", form=form, partner=partner), form_status(form)


@bp.route("/<int:partner_id>/trainers/new", methods=["GET", "POST"])
@roles_required("staff")
def create_trainer(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    form = TrainerForm()
    if form.validate_on_submit():
        with form_errors(form):
            trainer = auth_services.create_user(
                email=form.email.data,
                password=form.password.data,
                name=form.name.data,
                role="trainer",
                partner_id=partner.id,
                actor=current_user,
            )
            flash(_("The trainer account of %(name)s is created.", name=trainer.name), "success")
            return redirect(url_for("partners.detail", partner_id=partner.id))
    return render_template("partners/trainer.html", form=form, partner=partner), form_status(form)
