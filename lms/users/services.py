"""Listing and searching accounts; changing a role or a trainer's partner."""

from sqlalchemy import select

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.catalog.services import drop_unfit_assignments
from lms.core.search import contains


def search_users(role=None, q=None):
    """A select of users filtered by role and a search over name and e-mail, ordered by name."""
    query = select(User).order_by(User.name, User.id)
    if role:
        query = query.where(User.role == role)
    if q:
        query = query.where(contains((User.name, User.email), q))
    return query


def change_role(user, role, partner_id=None, actor=None):
    """Change a role or a trainer's partner (audited), and in the same transaction take the
    person off the courses they may no longer teach: a trainer moved to another partner keeps
    none of the old partner's courses."""
    auth_services.set_role(user, role, partner_id, actor=actor)
    drop_unfit_assignments(user, actor=actor)
    return user
