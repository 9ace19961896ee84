"""Alembic migrations of the registry schema (run in code by :mod:`tkiresist.registry.db`)."""
