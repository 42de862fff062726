"""Accounts: users and roles, login, registration, password reset, API tokens, permissions."""
