"""Imports every area's models, so that mappers configure and Alembic sees every table."""

from lms.attendance.models import Assessment, Attendance, AttendanceBatch
from lms.audit.models import AuditEntry
from lms.auth.models import ApiToken, LoginSession, User
from lms.catalog.models import Course, CourseSession, course_trainers
from lms.certificates.models import Certificate, SerialCounter
from lms.enrollment.models import Enrollment
from lms.jobs.models import Job
from lms.outbox.models import OutboxMessage
from lms.partners.models import Partner
from lms.regions.models import Regency

__all__ = [
    "ApiToken",
    "Assessment",
    "Attendance",
    "AttendanceBatch",
    "AuditEntry",
    "Certificate",
    "Course",
    "CourseSession",
    "Enrollment",
    "Job",
    "LoginSession",
    "OutboxMessage",
    "Partner",
    "Regency",
    "SerialCounter",
    "User",
    "course_trainers",
]
