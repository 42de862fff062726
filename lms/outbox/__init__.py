"""Outgoing messages: written in the transaction, delivered after it commits."""
