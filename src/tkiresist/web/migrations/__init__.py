"""Alembic migrations of the web application's tables (users, sessions, audit trail)."""
