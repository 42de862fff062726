"""Signals by which a lower room lets a higher one react, without importing it (blinker).

Names are past tense; each says who sends it and with which keyword arguments. They carry side
effects that belong to a higher floor; a rule that must hold is never left to a receiver alone.
"""

from blinker import Namespace

_signals = Namespace()

#: Sent by :func:`lms.catalog.services.update_course` after a course's capacity was raised, in the
#: same transaction. Sender: the course; ``actor``: who raised it. The enrolment room promotes
#: the head of the waitlist into the new seats.
course_capacity_raised = _signals.signal("course-capacity-raised")
