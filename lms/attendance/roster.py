"""The trainer's roster of one session: marks for everyone saved in one request, the rotating
check-in QR code, and the service worker that keeps the page working without a connection.

With JavaScript, static/js/roster.js saves through PUT /api/v1/sessions/<id>/attendance with a
batch id (and queues the batch on the phone while offline); without it, the form posts here and
is saved in one request by the same service function.
"""

import io
import uuid

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_translations, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import BuildError
from wtforms import HiddenField
from wtforms.validators import Length, Optional, Regexp

from lms.auth.permissions import roles_required
from lms.core.forms import LmsForm
from lms.core.transaction import attempt
from lms.core.types import utcnow
from lms.errors import InvalidInput

from . import checkin, excuses, services
from .fieldviews import roster_panel
from .models import ATTENDANCE_STATUS_LABELS, ATTENDANCE_STATUSES

bp = Blueprint("roster", __name__)

#: Bootstrap colour of each status's button
STATUS_COLOURS = {
    "present": "success",
    "late": "warning",
    "excused": "secondary",
    "absent": "danger",
}


class RosterForm(LmsForm):
    """The no-JavaScript roster form: its CSRF token and a batch id, so that submitting the same
    form twice (a double tap, a reload that re-posts) saves once. The marks themselves are the
    ``status-<enrolment id>`` and ``note-<enrolment id>`` fields of each row."""

    batch_id = HiddenField(validators=[Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9-]+$")])


def checkin_url(session, code):
    """The absolute URL a trainee's phone opens from the QR code."""
    try:
        return url_for("attendance.checkin", session_id=session.id, code=code, _external=True)
    except BuildError:  # the check-in page is not registered (yet): its fixed path
        return f"{request.host_url}checkin/{session.id}?code={code}"


def _checkin_panel(session, refusal, now):
    """What the page shows for QR check-in, or None when check-in cannot happen now or later."""
    opens, closes = services.checkin_window(session)
    if refusal or now > closes:
        return None
    code, _expires_at = services.current_checkin_code(session, now)
    return {
        "code": code,
        "seconds_left": checkin.seconds_left(now),
        "period": int(current_app.config["CHECKIN_CODE_PERIOD"]),
        "opens": opens,
        "closes": closes,
        "not_yet_open": now < opens,
    }


def _back_link(user, course):
    """(url, label) of the page a roster is reached from, when it exists."""
    try:
        if user.is_staff:
            return url_for("manage.course", course_id=course.id), _("Back to the course")
        return url_for("attendance.today"), _("Today's sessions")
    except BuildError:
        return None, None


def _client_messages():
    """Every text roster.js shows, in the page's language (placeholders: {num}, {seconds})."""
    translations = get_translations()
    return {
        # the plural forms as templates, {num} filled in by the script (babel's own ungettext
        # leaves %(num)s alone; flask-babel's ngettext would fill it)
        "pending_one": translations.ungettext(
            "%(num)s change not yet sent", "%(num)s changes not yet sent", 1
        ).replace("%(num)s", "{num}"),
        "pending_other": translations.ungettext(
            "%(num)s change not yet sent", "%(num)s changes not yet sent", 2
        ).replace("%(num)s", "{num}"),
        "pending_help": _(
            "They are kept on this phone and sent as soon as the connection is back. "
            "Keep this page or come back to it later."
        ),
        "sending": _("Sending…"),
        "saved": _("Saved."),
        "nothing": _("Mark at least one trainee first."),
        "failed": _("This change was refused and is not saved:"),
        "discard": _("Discard it"),
        "login": _("Your login has expired. Log in again; the marks stay on this phone."),
        "login_link": _("Log in"),
        "countdown": _("New code in %(seconds)s s", seconds="{seconds}"),
        "code_offline": _("The check-in code needs a connection."),
    }


def _records_from_form(rows):
    """The marks posted by the no-JavaScript form: (posted, records, enrolment id of each record).

    ``posted`` holds every row with a status or a note (to show the form again); ``records``
    only the rows that differ from the saved mark, so that saving the whole form does not turn
    a trainee's QR check-in into the trainer's mark when nothing was changed."""
    posted, records, order = {}, [], []
    for enrollment, mark in rows:
        status = request.form.get(f"status-{enrollment.id}") or None
        note = (request.form.get(f"note-{enrollment.id}") or "").strip()
        if status is None and not note:
            continue
        # the note is always sent: an empty field clears the saved note
        record = {"enrollment_id": enrollment.id, "status": status, "note": note}
        posted[enrollment.id] = record
        if mark is not None and (mark.status, mark.note or "") == (status, note):
            continue
        records.append(record)
        order.append(enrollment.id)
    return posted, records, order


def _row_errors(error, order):
    """The service's ``records.<n>`` messages, keyed by enrolment id for the rows of the page."""
    found = {}
    for key, messages in error.fields.items():
        prefix, _dot, index = key.partition(".")
        if prefix == "records" and index.isdigit() and int(index) < len(order):
            found.setdefault(order[int(index)], []).extend(str(m) for m in messages)
    return found


@bp.route("/trainer/sessions/<int:session_id>/roster", methods=["GET", "POST"])
@roles_required("trainer", "staff")
def roster(session_id):
    """The marking page (GET) and its no-JavaScript save (POST): all marks in one transaction."""
    user = current_user._get_current_object()
    session = services.session_for(user, session_id)
    now = utcnow()
    refusal = services.marking_refusal(user, session, now)
    form = RosterForm()
    rows = services.roster(session)
    status_code, error, row_errors, posted = 200, None, {}, None
    if request.method == "POST":
        posted, records, order = _records_from_form(rows)
        if refusal:
            status_code, error = 403, refusal
        elif not form.validate():
            status_code, error = 400, _("The form was not sent correctly. Please try again.")
        elif not posted:
            status_code, error = 400, _("Mark at least one trainee first.")
        elif not records:
            flash(_("Saved: nothing changed."), "success")
            return redirect(url_for(".roster", session_id=session.id))
        else:
            with attempt() as outcome:
                saved = services.save_marks(
                    session, records, user, source="trainer", batch_id=form.batch_id.data or None
                )
            if outcome.error is not None:
                status_code, error = outcome.error.status, str(outcome.error.message)
                if isinstance(outcome.error, InvalidInput):
                    row_errors = _row_errors(outcome.error, order)
            else:
                flash(
                    ngettext("Saved: %(num)s mark changed.", "Saved: %(num)s marks changed.", saved)
                    if saved
                    else _("Saved: nothing changed."),
                    "success",
                )
                return redirect(url_for(".roster", session_id=session.id))
        rows = services.roster(session)  # the saved state, after a rollback
    statuses = {s: ATTENDANCE_STATUS_LABELS[s] for s in ATTENDANCE_STATUSES}
    panel = _checkin_panel(session, refusal, now)
    counts = dict.fromkeys(ATTENDANCE_STATUSES, 0)
    for _enrollment, mark in rows:
        if mark is not None:
            counts[mark.status] += 1
    # a fresh batch id for the no-JavaScript form; the script makes its own for each save
    form.batch_id.data = str(uuid.uuid4())
    back_url, back_label = _back_link(user, session.course)
    page = render_template(
        "attendance/roster.html",
        back_url=back_url,
        back_label=back_label,
        session=session,
        course=session.course,
        rows=rows,
        posted=posted,
        row_errors=row_errors,
        error=error,
        refusal=refusal,
        readonly=bool(refusal),
        form=form,
        statuses=statuses,
        colours=STATUS_COLOURS,
        counts=counts,
        unmarked=sum(1 for _e, mark in rows if mark is None),
        checkin=panel,
        messages=_client_messages(),
        api_base=f"{request.script_root}/api/v1/sessions/{session.id}",
        excuse_requests=excuses.course_requests(session.course, "requested"),
        excuse_next=url_for(".roster", session_id=session.id),
        field=roster_panel(session, bool(refusal)),
    )
    response = current_app.make_response((page, status_code))
    # personal data: never kept by a shared cache; the service worker keeps its own copy
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/trainer/sessions/<int:session_id>/check-in-qr.svg")
@roles_required("trainer", "staff")
def checkin_qr(session_id):
    """The QR code (SVG) of the check-in URL with a code that is valid now (roster.js swaps it in
    when the code rotates); any other code is a 404, so this draws nothing else."""
    session = services.session_for(current_user._get_current_object(), session_id)
    code = (request.args.get("code") or "").strip()
    if not checkin.code_is_valid(session.checkin_secret, code):
        abort(404)
    import segno  # here: only this view draws with it

    buffer = io.BytesIO()
    segno.make(checkin_url(session, code), error="m").save(
        buffer, kind="svg", scale=1, omitsize=True, xmldecl=False, title=_("Check-in QR code")
    )
    response = current_app.response_class(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from the site root so that its scope covers the roster pages."""
    response = current_app.send_static_file("sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Service-Worker-Allowed"] = f"{request.script_root}/"
    response.headers["Cache-Control"] = "no-cache"
    return response
