"""The rate limit of a trainee's own enrolment changes: one budget per trainee across the course
page, the cancel page and the API.

Each enrolment or cancellation sends the trainee a message (an SMS or a WhatsApp message the
office pays for, when that is their channel). Enrolling and cancelling again and again would
have the site send message after message, and move the waitlist each time. No trainee really
needs more than a few changes an hour: ENROLMENT_CHANGE_RATE_LIMIT is far above that, counts only
the changes made (a refusal sends nothing), and leaves staff alone.
"""

from flask import current_app

from lms.auth.permissions import current_actor
from lms.extensions import limiter


def _trainee_key():
    actor = current_actor()
    return f"enrolment-change|{actor.id if actor is not None else None}"


def _changes_limit():
    """Read at request time, so that the setting (or a test) can change it."""
    return current_app.config["ENROLMENT_CHANGE_RATE_LIMIT"]


def _made(response):
    """A change was made: the answer is a success or a redirect after one."""
    return response.status_code < 400


def _staff():
    actor = current_actor()
    return actor is not None and actor.is_staff


#: decorator for every view with which a trainee enrols or cancels
limit_enrolment_changes = limiter.shared_limit(
    _changes_limit,
    scope="enrolment-change",
    key_func=_trainee_key,
    methods=["POST", "DELETE"],
    deduct_when=_made,
    exempt_when=_staff,
)
