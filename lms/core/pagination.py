"""One page of a list for HTML views, from ``?page=``."""

from flask import current_app, request

from lms.extensions import db

#: pages beyond this are served as this one (a huge number would overflow the database's integer)
MAX_PAGE = 1_000_000


def paginate(query):
    """The requested page of ``query`` (a select), PER_PAGE items long; a bad page number is 1."""
    page = request.args.get("page", 1, type=int)
    return db.paginate(
        query,
        page=min(max(page, 1), MAX_PAGE),
        per_page=current_app.config["PER_PAGE"],
        error_out=False,
    )
