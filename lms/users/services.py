"""Listing and searching accounts."""

from sqlalchemy import select

from lms.auth.models import User
from lms.core.search import contains


def search_users(role=None, q=None):
    """A select of users filtered by role and a search over name and e-mail, ordered by name."""
    query = select(User).order_by(User.name, User.id)
    if role:
        query = query.where(User.role == role)
    if q:
        query = query.where(contains((User.name, User.email), q))
    return query
