"""Reading the regency list."""

from sqlalchemy import select

from lms.extensions import db

from .models import Regency


def list_regencies():
    """All regencies, ordered by name."""
    return db.session.scalars(select(Regency).order_by(Regency.name)).all()


def regency_choices():
    """(code, name) pairs for a select field."""
    return [(r.code, r.name) for r in list_regencies()]
