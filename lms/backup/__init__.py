"""Backups that restore: the database, the certificate signing keys and the instance files."""
