"""Whole tables read by DuckDB, shared by ``tkiresist annotate`` and ``tkiresist cohort``.

* :mod:`tkiresist.io.tables.read`: a table's header (:class:`~.read.TableHeader`, read by
  :func:`~.read.read_header`), the one ``read_csv`` expression builder (gzip, line-size
  limit, strict, every column as text) and DuckDB's CSV errors translated into located
  :class:`~tkiresist.errors.FormatError`.
* :mod:`tkiresist.io.tables.timeline`: every cBioPortal timeline file's TREATMENT and
  specimen rows in normalised DuckDB tables, checked once for both callers.

DuckDB is imported inside functions only: importing this package stays light.
"""
