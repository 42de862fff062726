"""Courses and their sessions: the catalogue."""
