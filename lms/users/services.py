"""Listing and searching accounts; changing a role or a trainer's partner."""

from flask_babel import gettext as _
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


def complete_profile(user, data, actor):
    """Staff complete or correct a trainee's profile (a walk-in's, typically), the e-mail address
    included: once it has one, the person claims the account through the password reset.

    :raise InvalidInput: a field breaks a rule
    :raise Conflict: the e-mail address or the NIK belongs to another account
    """
    from lms.audit import services as audit
    from lms.auth import validation as v
    from lms.errors import Conflict, InvalidInput
    from lms.extensions import db

    errors = {}
    email = user.email
    if "email" in data:
        email = None
        if data["email"]:
            try:
                email = v.normalize_email(data["email"])
            except v.ValidationFailed as exc:
                errors["email"] = [exc.message]
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    if (
        email
        and email != user.email
        and db.session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    ):
        message = _("An account with this e-mail address already exists.")
        raise Conflict(message, fields={"email": [message]}, code="taken")
    old_email = user.email
    # the new address first: the profile's rules (the channel chosen, a number shared with
    # accounts that have an e-mail) look at the account as it will be
    user.email = email
    auth_services.update_profile(user, data, actor=actor)
    changed = sorted(k for k in data if k != "email") + (["email"] if email != old_email else [])
    audit.record("user.profile_completed", user, actor=actor, fields=changed)
    return user
