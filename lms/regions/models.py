"""Regency reference data."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lms.extensions import db


class Regency(db.Model):
    """A regency (kabupaten) or city (kota) of origin; rows are data, seeded by migrations."""

    __tablename__ = "regencies"

    #: the Kemendagri code, e.g. "18.07"
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    #: display name, e.g. "Lampung Timur" or "Kota Bandar Lampung"
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: province name, e.g. "Lampung"
    province: Mapped[str] = mapped_column(String(100))

    def __repr__(self):
        return f"<Regency {self.code} {self.name}>"
