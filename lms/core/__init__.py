"""Shared building blocks: column types, time helpers, the home page and the language switch."""
