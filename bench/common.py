"""What the benchmarks share: a published hospitality course open for registration."""

from datetime import time as clock
from datetime import timedelta

from lms.catalog import services as catalog
from lms.core.time import combine_local
from lms.core.types import utcnow


def open_course(partner_id, code, title, starts, capacity):
    """A published four-week hospitality course starting on ``starts``, registration open now
    until the day before, with a waitlist (flushed, not committed)."""
    return catalog.create_course(
        {
            "code": code,
            "title": title,
            "type": "hospitality",
            "partner_id": partner_id,
            "capacity": capacity,
            "starts_on": starts,
            "ends_on": starts + timedelta(days=27),
            "registration_opens_at": utcnow() - timedelta(days=1),
            "registration_closes_at": combine_local(starts - timedelta(days=1), clock(23, 59)),
            "requires_approval": False,
            "waitlist": True,
            "status": "published",
            "details": {"specialisation": "housekeeping", "destination": "JP"},
        }
    )
