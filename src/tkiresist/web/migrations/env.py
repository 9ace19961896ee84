"""Alembic environment for the web tables: run by :func:`tkiresist.web.store.migrate_web`.

The web tables have their own revision chain and version table (``web_alembic_version``), next
to the registry's (``registry_alembic_version``) in the same database. They are applied after
the registry's migrations (the web store opens the registry first), so the web chain never
forks the registry's head and the registry's tools never see tables they do not own.
No ``alembic.ini``: the caller passes an open connection in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context

from tkiresist.web.store import VERSION_TABLE

config = context.config
connection = config.attributes.get("connection")
assert connection is not None, "the web store passes an open connection"
context.configure(
    connection=connection,
    target_metadata=None,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
