"""Exports of the office's records (trainees, courses, enrolments, attendance, certificates)."""
