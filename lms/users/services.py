"""Listing and searching accounts."""

from sqlalchemy import func, or_, select

from lms.auth.models import User


def search_users(role=None, q=None):
    """A select of users filtered by role and a search over name and e-mail, ordered by name."""
    query = select(User).order_by(User.name, User.id)
    if role:
        query = query.where(User.role == role)
    if q:
        # the search text is taken literally: escape LIKE's wildcards and the escape character
        text = q.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{text}%"
        query = query.where(
            or_(
                func.lower(User.name).like(like, escape="\\"),
                User.email.like(like, escape="\\"),
            )
        )
    return query
