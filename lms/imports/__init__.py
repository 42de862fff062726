"""Bulk import of trainees from CSV or XLSX files (staff page and command line)."""
