"""Certificates: issue, revoke, sign, verify."""
