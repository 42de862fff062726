"""Looking up the record a URL names."""

from flask import abort

from lms.extensions import db


def get_within_or_404(model, pk, **scope):
    """The row ``pk`` of ``model`` when it lies within the page's scope, else 404.

    ``scope`` names columns and the values they must hold (``course_id=course.id``,
    ``user_id=current_user.id``): a record of another course or another person answers as if it
    did not exist, so that its existence is not revealed.
    """
    row = db.session.get(model, pk)
    if row is None or any(getattr(row, column) != value for column, value in scope.items()):
        abort(404)
    return row
