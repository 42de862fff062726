"""Long work in the background: job records, the RQ queue on Redis (or in-process without it)."""
