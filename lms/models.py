"""Imports every area's models, so that mappers configure and Alembic sees every table."""

from lms.attendance.cards import AttendanceCard
from lms.attendance.excuses import ExcuseRequest
from lms.attendance.models import Assessment, Attendance, AttendanceBatch
from lms.attendance.walkins import WalkIn
from lms.audit.models import AuditEntry
from lms.auth.models import ApiToken, LoginSession, OneTimeCode, User
from lms.catalog.groups import ClassGroup, class_group_trainers
from lms.catalog.models import CatalogVersion, Course, CourseSession, course_trainers
from lms.certificates.models import Certificate, SerialCounter
from lms.enrollment.models import Enrollment
from lms.jobs.models import Job
from lms.outbox.models import DeliveryAttempt, OutboxMessage
from lms.partners.models import Partner
from lms.regions.models import Regency

__all__ = [
    "ApiToken",
    "Assessment",
    "CatalogVersion",
    "Attendance",
    "AttendanceBatch",
    "AttendanceCard",
    "AuditEntry",
    "Certificate",
    "ClassGroup",
    "Course",
    "DeliveryAttempt",
    "CourseSession",
    "Enrollment",
    "ExcuseRequest",
    "Job",
    "LoginSession",
    "OneTimeCode",
    "OutboxMessage",
    "Partner",
    "Regency",
    "SerialCounter",
    "User",
    "class_group_trainers",
    "WalkIn",
    "course_trainers",
]
