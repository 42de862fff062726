"""Staff view of the outbox: what was sent or waits to be sent (in development: read mail here)."""

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select

from lms.auth.permissions import roles_required
from lms.core.pagination import paginate
from lms.core.search import contains
from lms.extensions import db

from .models import OutboxMessage

#: a higher ?page= would overflow the database's integer offset; no list is that long

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@bp.route("/")
@roles_required("staff")
def index():
    q = (request.args.get("q") or "").strip().lower()[:100]
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if q:
        query = query.where(contains((OutboxMessage.recipient,), q))
    page = paginate(query)
    return render_template(
        "outbox/index.html", page=page, q=q, delivering=bool(current_app.config["MAIL_SERVER"])
    )


@bp.route("/<int:message_id>")
@roles_required("staff")
def detail(message_id):
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("outbox/detail.html", message=message)
