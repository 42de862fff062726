"""The outbox list's filters (:mod:`lms.core.filters`)."""

from dataclasses import dataclass, replace

from flask_babel import gettext as _

from lms.core.filters import Args, present
from lms.core.search import contains

from .models import OutboxMessage


@dataclass(frozen=True)
class OutboxFilters:
    """A recipient's address, the messages given up, one person's messages."""

    #: searched in the recipient's address
    q: str = ""
    #: only the messages given up on every channel (the office's home links here)
    failed: bool = False
    #: one person's messages, by their account's id (their account page links here)
    user: int | None = None

    @classmethod
    def from_args(cls, args):
        """The filters of a query string: ``q``, ``failed`` (``1``), ``user``; a bad value is
        dropped."""
        read = Args(args)
        return cls(
            q=read.text("q").lower(),
            failed=read.text("failed") == "1",
            user=read.number("user", lambda v: _("No account has the number %(value)s.", value=v)),
        )

    def apply(self, query):
        """Narrow a select of OutboxMessage."""
        if self.q:
            query = query.where(contains((OutboxMessage.recipient,), self.q))
        if self.failed:
            query = query.where(OutboxMessage.failed_at.is_not(None))
        if self.user is not None:
            query = query.where(OutboxMessage.user_id == self.user)
        return query

    def but(self, **changes):
        """These filters with some changed (the list's tabs link to them)."""
        return replace(self, **changes)

    def args(self):
        """The query string that gives these filters back."""
        return present({"q": self.q, "failed": 1 if self.failed else None, "user": self.user})
