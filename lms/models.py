"""Imports every area's models, so that mappers configure and Alembic sees every table."""

from lms.attendance.cards import AttendanceCard
from lms.attendance.models import Assessment, Attendance, AttendanceBatch
from lms.attendance.walkins import WalkIn
from lms.audit.models import AuditEntry
from lms.auth.models import ApiToken, LoginSession, User
from lms.catalog.models import Course, CourseSession, course_trainers
from lms.certificates.models import Certificate, SerialCounter
from lms.enrollment.models import Enrollment
from lms.outbox.models import OutboxMessage
from lms.partners.models import Partner
from lms.regions.models import Regency

__all__ = [
    "ApiToken",
    "Assessment",
    "Attendance",
    "AttendanceBatch",
    "AttendanceCard",
    "AuditEntry",
    "Certificate",
    "Course",
    "CourseSession",
    "Enrollment",
    "LoginSession",
    "OutboxMessage",
    "Partner",
    "Regency",
    "SerialCounter",
    "User",
    "WalkIn",
    "course_trainers",
]
