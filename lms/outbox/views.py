"""Staff view of the outbox: what was sent or waits to be sent (in development: read mail here)."""

from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select

from lms.auth.permissions import roles_required
from lms.extensions import db

from .models import OutboxMessage

#: a higher ?page= would overflow the database's integer offset; no list is that long
MAX_PAGE = 1_000_000

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@bp.route("/")
@roles_required("staff")
def index():
    q = (request.args.get("q") or "").strip().lower()[:100]
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if q:
        text = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(OutboxMessage.recipient.like(f"%{text}%", escape="\\"))
    page = db.paginate(
        query,
        page=min(request.args.get("page", 1, type=int), MAX_PAGE),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
    return render_template(
        "outbox/index.html", page=page, q=q, delivering=bool(current_app.config["MAIL_SERVER"])
    )


@bp.route("/<int:message_id>")
@roles_required("staff")
def detail(message_id):
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("outbox/detail.html", message=message)
