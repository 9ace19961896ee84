"""Revisions of the web tables, oldest first (``w0001``...)."""
