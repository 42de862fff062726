"""Regencies and cities a trainee can come from (reference data loaded by migrations)."""
