"""The case registry: published and local cases with provenance, curation and history.

Nothing here imports SQLAlchemy at start-up. Two sides, one direction:

* reading published tables and abstractions, and the bundled datasets, with no database:
  :mod:`tkiresist.registry.tables`, :mod:`~tkiresist.registry.literature`,
  :mod:`~tkiresist.registry.record`, :mod:`~tkiresist.registry.datasets` (what is bundled) and
  :mod:`~tkiresist.registry.published` (tables to abstractions, datasets to cases);
* the database: :mod:`tkiresist.registry.db` (engine, schema status, migrations, the
  repository), :mod:`~tkiresist.registry.importers` (``import_table``, ``load_dataset``), and
  :mod:`~tkiresist.registry.opening` (``open_registry``: creates and seeds on first use), with
  the flat facts for evidence synthesis in :mod:`tkiresist.registry.facts`.

The reading side never imports the database side. See ``docs/registry.md``.
"""
