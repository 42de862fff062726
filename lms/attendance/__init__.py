"""Attendance marks, check-in, assessments."""
