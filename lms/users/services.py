"""Listing and searching accounts."""

from sqlalchemy import func, or_, select

from lms.auth.models import User


def search_users(role=None, q=None):
    """A select of users filtered by role and a search over name and e-mail, ordered by name."""
    query = select(User).order_by(User.name, User.id)
    if role:
        query = query.where(User.role == role)
    if q:
        like = f"%{q.strip().lower()}%"
        query = query.where(or_(func.lower(User.name).like(like), User.email.like(like)))
    return query
