"""The case registry: published and local cases with provenance, curation and history.

Nothing here imports SQLAlchemy at start-up; the database layer is
:mod:`tkiresist.registry.db` (``open_registry``), the importers
:mod:`tkiresist.registry.importers` (``import_table``), the bundled datasets
:mod:`tkiresist.registry.datasets` (``load_dataset``), and the flat facts for evidence
synthesis :mod:`tkiresist.registry.facts`. See ``docs/registry.md``.
"""
