"""Pages of field attendance: the walk-in form of the roster (its no-JavaScript save), the
trainee's attendance card (page, QR code, PDF, a new card), and staff printing cards (one
trainee's, a course's in bulk).

With JavaScript, static/js/field.js sends walk-ins and card scans through the API (queued on the
phone while offline); without it, the roster's walk-in form posts here.
"""

import re
import uuid

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, EmailField, HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from lms.auth.models import User
from lms.auth.permissions import roles_required
from lms.catalog.models import Course
from lms.core.downloads import attachment
from lms.core.forms import LmsForm
from lms.core.transaction import attempt, flash_errors
from lms.enrollment.models import SEAT_STATUSES, Enrollment
from lms.errors import NotFound
from lms.extensions import db

from . import cards, services, walkins


def _card_print():
    """The card files' module, imported on first use: ReportLab and segno stay out of the app's
    start and of the pages that make no card."""
    from lms.attendance import card_print

    return card_print


bp = Blueprint("field", __name__)


class WalkInForm(LmsForm):
    """A person who turned up without registering: found or created, enrolled and marked."""

    name = StringField(
        _l("Full name"),
        validators=[DataRequired(), Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(), Length(max=30)],
        render_kw={"inputmode": "tel", "autocomplete": "off", "placeholder": "08…"},
    )
    nik = StringField(
        _l("NIK (optional)"),
        validators=[Optional(), Length(max=40)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
        description=_l("The 16 digits on the KTP, when the person carries it."),
    )
    email = EmailField(
        _l("E-mail (optional)"),
        validators=[Optional(), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )
    late = BooleanField(_l("Arrived late"))
    batch_id = HiddenField(validators=[Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9-]+$")])
    submit = SubmitField(_l("Add and mark present"))


def _actor():
    return current_user._get_current_object()


def _client_messages():
    """Every text field.js shows, in the page's language (placeholders: {name}, {num})."""
    return {
        "queued": _(
            "Saved on this phone: %(name)s. It is sent when the connection is back.", name="{name}"
        ),
        "added": _("%(name)s is added and marked.", name="{name}"),
        "present": _("present"),
        "late": _("late"),
        "marked": _("%(name)s: %(status)s", name="{name}", status="{status}"),
        "already": _("%(name)s was already marked %(status)s.", name="{name}", status="{status}"),
        "unknown": _("Unknown card: not on this session's roster, or replaced."),
        "refused": _("Not saved:"),
        "pending": _("Walk-ins and scans not yet sent: %(num)s", num="{num}"),
        "camera_off": _("The camera could not be started. Type the code instead."),
        "camera_start": _("Scan with the camera"),
        "camera_stop": _("Stop the camera"),
        "walk_in_badge": _("walk-in"),
        "required": _("Enter the name and the mobile number."),
        "sending": _("Sending…"),
        "login": _(
            "Your login has expired. Log in again; the walk-ins and scans stay on this phone."
        ),
    }


def roster_panel(session, readonly):
    """What the roster page needs for walk-ins and card scans (its template's ``field``)."""
    form = WalkInForm(formdata=None)
    form.batch_id.data = str(uuid.uuid4())
    base = f"{request.script_root}/api/v1/sessions/{session.id}"
    return {
        "form": form,
        "readonly": readonly,
        "walk_in_url": f"{base}/walk-ins",
        "scan_url": f"{base}/scan",
        "post_url": url_for("field.add_walk_in", session_id=session.id),
        # only the cards of this roster: the phone names a scan offline with them
        "cards": cards.roster_cards(session),
        "messages": _client_messages(),
    }


@bp.app_template_global()
def walk_in_user_ids(users):
    """The ids of those ``users`` who came as walk-ins (the staff lists flag them)."""
    return walkins.is_walk_in(u.id for u in users)


@bp.app_template_global()
def attendance_card_of(user):
    """The user's attendance card in use, or None (the profile page shows it)."""
    return cards.card_of(user) if user.role == "trainee" else None


# --- the roster's walk-in form without JavaScript ---------------------------------------------------


@bp.route("/trainer/sessions/<int:session_id>/walk-ins", methods=["POST"])
@roles_required("trainer", "staff")
def add_walk_in(session_id):
    """Add a walk-in from the roster's form; back to the roster with what happened."""
    actor = _actor()
    session = services.session_for(actor, session_id)
    form = WalkInForm()
    back = redirect(url_for("roster.roster", session_id=session.id, _anchor="walk-in"), 303)
    if not form.validate_on_submit():
        for field in form:
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "danger")
        return back
    data = {
        "name": form.name.data,
        "phone": form.phone.data,
        "nik": form.nik.data,
        "email": form.email.data,
        "status": "late" if form.late.data else "present",
    }
    with attempt() as outcome:
        result = walkins.add_walk_in(session, data, actor, batch_id=form.batch_id.data or None)
    if outcome.error is not None:
        error = outcome.error
        details = [str(m) for messages in error.fields.values() for m in messages]
        flash(" ".join([str(error.message), *details]), "danger")
        return back
    flash(_("%(name)s is added and marked.", name=result["name"]), "success")
    return back


# --- the trainee's card --------------------------------------------------------------------------


def _own_card():
    card = cards.card_of(_actor())
    if card is None:
        raise NotFound(_("You have no attendance card yet. Ask the office for one."))
    return card


@bp.route("/my/card")
@roles_required("trainee")
def my_card():
    """The trainee's attendance card on screen (printable), with its PDF and a new card."""
    return render_template("attendance/card.html", card=cards.card_of(_actor()), user=_actor())


@bp.route("/my/card.svg")
@roles_required("trainee")
def my_card_svg():
    """The QR code of the trainee's card."""
    body = _card_print().qr_svg(_own_card(), _("Attendance card"))
    response = current_app.response_class(body, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/my/card.pdf")
@roles_required("trainee")
def my_card_pdf():
    """The trainee's card to print: A6, the card at wallet size."""
    return attachment(
        _card_print().single_pdf(_actor().name, _own_card()), "kartu-hadir.pdf", "application/pdf"
    )


@bp.route("/my/card/renew", methods=["POST"])
@roles_required("trainee")
def renew_my_card():
    """A lost card: a new code; the old card stops working at once."""
    with flash_errors():
        cards.renew(_actor(), _actor())
        flash(_("Your new card is ready. The old card no longer works."), "success")
    return redirect(url_for(".my_card"), 303)


# --- staff: one trainee's card, a course's cards -------------------------------------------------


def _trainee(user_id):
    user = db.session.get(User, user_id)
    if user is None or user.role != "trainee":
        raise NotFound(_("This account does not exist."))
    return user


def _safe(text):
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "card"


@bp.route("/users/<int:user_id>/card.pdf")
@roles_required("staff")
def user_card_pdf(user_id):
    """A trainee's card to print (staff)."""
    user = _trainee(user_id)
    card = cards.card_of(user)
    if card is None:
        raise NotFound(_("This trainee has no card yet: make a new one first."))
    return attachment(
        _card_print().single_pdf(user.name, card), f"kartu-{user.id}.pdf", "application/pdf"
    )


@bp.route("/users/<int:user_id>/card/renew", methods=["POST"])
@roles_required("staff")
def renew_user_card(user_id):
    """Staff make a trainee a new card (lost, damaged): the old code stops working."""
    user = _trainee(user_id)
    with flash_errors():
        cards.renew(user, _actor())
        flash(_("A new card is made. The old card no longer works."), "success")
    return redirect(url_for("users.detail", user_id=user.id, _anchor="card"), 303)


def _roster_people(course):
    return db.session.scalars(
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == course.id, Enrollment.status.in_(SEAT_STATUSES))
        .order_by(User.name, User.id)
    ).all()


@bp.route("/manage/courses/<int:course_id>/cards.pdf")
@roles_required("staff")
def course_cards_pdf(course_id):
    """The cards of every trainee of a course, ten to an A4 page (those without a card are
    left out: the course page offers to make theirs)."""
    course = db.get_or_404(Course, course_id)
    people = _roster_people(course)
    held = cards.cards_of(people)
    body = _card_print().bulk_pdf(
        [(u.name, held[u.id]) for u in people if u.id in held], f"{course.code} – {course.title}"
    )
    return attachment(body, f"kartu-{_safe(course.code)}.pdf", "application/pdf")


@bp.route("/manage/courses/<int:course_id>/cards", methods=["GET", "POST"])
@roles_required("staff")
def course_cards(course_id):
    """The course's cards: how many trainees have one, the PDF to print, and (POST) a card for
    each trainee who has none."""
    course = db.get_or_404(Course, course_id)
    people = _roster_people(course)
    if request.method == "POST":
        with flash_errors():
            made = cards.renew_missing(people, _actor())
            flash(ngettext("%(num)s card made.", "%(num)s cards made.", made), "success")
        return redirect(url_for(".course_cards", course_id=course.id), 303)
    held = cards.cards_of(people)
    return render_template(
        "attendance/course_cards.html",
        course=course,
        people=people,
        held=held,
        missing=[u for u in people if u.id not in held],
    )
