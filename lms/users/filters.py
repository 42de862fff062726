"""The user list's filters (the list and the trainee export: :mod:`lms.core.filters`)."""

from dataclasses import dataclass

from flask_babel import gettext as _

from lms.auth.models import ROLES, TARGET_GROUPS, User
from lms.auth.search import person_condition
from lms.core.filters import Args, present
from lms.core.sealed import mask_numbers, term_args
from lms.extensions import db
from lms.regions.models import Regency


@dataclass(frozen=True)
class UserFilters:
    """The account list's filters; the trainee export takes them with the role "trainee"."""

    #: one of ROLES, or None for every role
    role: str | None = None
    #: a name, e-mail address, NIK or mobile number (``lms.auth.search``); never put in a URL as
    #: it is: ``args()`` seals it
    q: str = ""
    #: the code of the regency or city of origin
    regency: str | None = None
    #: one of TARGET_GROUPS
    target_group: str | None = None

    @classmethod
    def from_args(cls, args, strict=False):
        """The filters of a query string: ``role``, ``q``, ``regency``, ``target_group``."""
        read = Args(args, strict)
        regency = read.text("regency")
        if regency and db.session.get(Regency, regency) is None:
            regency = read.refuse(
                "regency", _("Unknown regency or city: %(value)s.", value=regency)
            )
        return cls(
            role=read.choice("role", ROLES, lambda v: _("Unknown role: %(value)s.", value=v)),
            q=read.term("q"),
            regency=regency or None,
            target_group=read.choice(
                "target_group",
                TARGET_GROUPS,
                lambda v: _("Unknown participant group: %(value)s.", value=v),
            ),
        )

    def apply(self, query):
        """Narrow a select of User."""
        if self.role:
            query = query.where(User.role == self.role)
        if self.regency:
            query = query.where(User.regency_code == self.regency)
        if self.target_group:
            query = query.where(User.target_group == self.target_group)
        if self.q:
            query = query.where(person_condition(self.q))
        return query

    def args(self):
        """The query string that gives these filters back (the list's and the export's); a
        search holding a number is sealed."""
        return present(
            {
                "role": self.role,
                **term_args(self.q),
                "regency": self.regency,
                "target_group": self.target_group,
            }
        )

    def audited(self):
        """The filters as an audit entry keeps them: a NIK searched for is masked."""
        return present(
            {
                "role": self.role,
                "q": mask_numbers(self.q),
                "regency": self.regency,
                "target_group": self.target_group,
            }
        )
