"""Partner institutions."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

PARTNER_KINDS = (
    "training_centre",
    "university",
    "vocational_centre",
    "company",
    "school",
    "religious_organisation",
    "local_government",
    "community",
    "other",
)
PARTNER_KIND_LABELS = {
    "training_centre": _l("Government training centre"),
    "university": _l("University unit"),
    "vocational_centre": _l("Vocational training centre"),
    "company": _l("Company or placement agency"),
    "school": _l("School (SMK)"),
    "religious_organisation": _l("Religious organisation"),
    "local_government": _l("Provincial or regency government"),
    "community": _l("Community or student organisation"),
    "other": _l("Other"),
}


class Partner(db.Model):
    """An institution that trains for the office under a memorandum of understanding (MoU)."""

    __tablename__ = "partners"
    __table_args__ = (
        CheckConstraint(
            "kind IN ({})".format(", ".join(repr(k) for k in PARTNER_KINDS)), name="kind"
        ),
    )

    #: surrogate key
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the institution's name, unique
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: one of PARTNER_KINDS
    kind: Mapped[str] = mapped_column(String(32))
    #: number of the MoU with the office
    mou_number: Mapped[str | None] = mapped_column(String(100))
    #: last day the MoU is valid; after it no new course may be created
    mou_valid_until: Mapped[date | None] = mapped_column(Date)
    #: town or address shown in the catalogue
    address: Mapped[str | None] = mapped_column(Text)
    #: when it was put on record (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    #: its trainers
    trainers = relationship("User", back_populates="partner")

    @property
    def kind_label(self):
        return PARTNER_KIND_LABELS[self.kind]

    def mou_valid_on(self, day):
        """Whether the MoU covers ``day`` (no end date recorded counts as not valid)."""
        return self.mou_valid_until is not None and self.mou_valid_until >= day

    def __repr__(self):
        return f"<Partner {self.id} {self.name}>"
