"""Finding a trainee by what staff at a desk or a field site know of them."""

import re

from lms.core.search import contains

from .models import User
from .services import login_identifier
from .validation import NIK_RE


def person_condition(q):
    """A condition on User for a search term: the name or the e-mail address contains ``q``; or
    ``q`` is the whole NIK (the spaces, dots and dashes people type inside it ignored); or it is
    the mobile number, however it is typed (0812..., +62 812...): a walk-in without e-mail is
    known by their number. The term holds a number then: a page never puts it in a URL as it is
    (``lms.core.sealed``)."""
    condition = contains((User.name, User.email), q)
    digits = re.sub(r"[\s.-]", "", q)
    if NIK_RE.match(digits):
        condition = condition | (User.nik == digits)
    phone = login_identifier(q)
    if phone.startswith("+"):
        condition = condition | (User.phone == phone)
    return condition
