"""Partner institutions: creating, editing, listing."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.audit import services as audit
from lms.errors import Conflict, InvalidInput
from lms.extensions import db

from .models import PARTNER_KINDS, Partner

FIELDS = ("name", "kind", "mou_number", "mou_valid_until", "address")


def _clean(data, partner=None):
    errors, clean = {}, {}
    if "name" in data or partner is None:
        name = " ".join((data.get("name") or "").split())
        if not 3 <= len(name) <= 200:
            errors["name"] = [_("Please enter the institution's name.")]
        clean["name"] = name
    if "kind" in data or partner is None:
        if data.get("kind") not in PARTNER_KINDS:
            errors["kind"] = [_("Not a valid choice.")]
        clean["kind"] = data.get("kind")
    if "mou_number" in data:
        number = (data.get("mou_number") or "").strip()
        if len(number) > 100:
            errors["mou_number"] = [_("At most %(n)s characters.", n=100)]
        clean["mou_number"] = number or None
    if "mou_valid_until" in data:
        value = data.get("mou_valid_until")
        if value is not None and not isinstance(value, date):
            errors["mou_valid_until"] = [_("Not a valid date.")]
        clean["mou_valid_until"] = value
    if "address" in data:
        clean["address"] = (data.get("address") or "").strip() or None
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), fields=errors)
    if "name" in clean:
        q = select(Partner.id).where(func.lower(Partner.name) == clean["name"].lower())
        if partner is not None:
            q = q.where(Partner.id != partner.id)
        if db.session.scalar(q):
            raise Conflict(
                _("A partner with this name already exists."),
                fields={"name": [_("A partner with this name already exists.")]},
                code="taken",
            )
    return clean


def create_partner(data, actor=None):
    """Create a partner institution."""
    partner = Partner(**_clean(data))
    try:
        with db.session.begin_nested():
            db.session.add(partner)
    except IntegrityError as exc:
        # another request created the same name between the check and the insert
        raise Conflict(_("A partner with this name already exists."), code="taken") from exc
    audit.record("partner.created", partner, actor=actor, name=partner.name)
    return partner


def update_partner(partner, data, actor=None):
    """Change a partner's fields present in ``data``."""
    clean = _clean({k: v for k, v in data.items() if k in FIELDS}, partner)
    old = {k: _jsonable(getattr(partner, k)) for k in clean}
    for key, value in clean.items():
        setattr(partner, key, value)
    db.session.flush()
    audit.record(
        "partner.updated",
        partner,
        actor=actor,
        old=old,
        new={k: _jsonable(v) for k, v in clean.items()},
    )
    return partner


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


def list_partners():
    return db.session.scalars(select(Partner).order_by(Partner.name)).all()
