"""Enrolment of trainees in courses: seats, waitlists, approvals."""
