"""Published review tables, read into rows of cells named by canonical field.

Three formats, one result (:class:`SourceTable`):

* ``seed-text``: a table as PDF-to-text extraction leaves it inside a paper's text (the seed
  paper's Table 1 is the model). The header is the first tab-separated line whose first cell
  maps to the ``case_label`` field; cells are tab-separated; blank lines are skipped; the table
  ends at the first non-blank line without a tab (its caption, ``TABLE 1: ...``, names the
  table). A line whose case-label cell is blank is a *fragment* of a row that the extraction
  broke across lines: fragments join, cell by cell and in order, the next labelled row (the
  label of a multi-line row is printed on its middle line, so the lines above it come first);
  fragments after the last labelled row join that row. Trailing blank cells beyond the header
  are dropped; a row with more non-blank cells than the header is an error.
* ``csv``: a header line, then one row per line (any dialect :mod:`csv` sniffs; UTF-8).
* ``xlsx``: the first (or the named) sheet, header in the first non-empty row; needs the
  ``xlsx`` extra (openpyxl).

Column headers map to fields through a mapping file (YAML, :class:`ColumnMapping`) or, without
one, through the built-in aliases (:data:`HEADER_ALIASES`, the seed's headers among them). A
column that maps to nothing is an error naming the column: nothing is silently dropped. A
mapping may list columns to ``ignore`` on purpose.

Cell text is kept exactly; interpretation happens in :mod:`tkiresist.registry.literature`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, NamedTuple

from pydantic import Field, ValidationError, field_validator

from tkiresist.errors import FormatError, Location
from tkiresist.model.base import Value

TableFormat = Literal["seed-text", "csv", "xlsx"]
FORMATS: tuple[TableFormat, ...] = ("seed-text", "csv", "xlsx")

FIELDS: Final[Mapping[str, str]] = {
    "case_label": "the row's label in the table (case number); identifies the row on re-import",
    "study": "the cited study, e.g. 'Schrock et al. (2018), Case 7' or 'Present'",
    "age_sex": "age and sex in one cell, e.g. '65/M'",
    "age": "age in years",
    "sex": "sex: M, F, male, female",
    "egfr_mutation": "EGFR history: baseline, then '→' acquired steps, e.g. 'L858R → T790M'",
    "egfr_tki": "therapy sequence before resistance, e.g. 'Erlotinib → osimertinib'",
    "alk_fusion": "the resistance fusion(s), e.g. 'EML4-ALK' or 'EML4- ALK, STRN-ALK'",
    "interval_months": "interval to resistance in months, from the start of the line at resistance",
    "post_regimen": "regimens after resistance, e.g. 'Osimertinib + alectinib'; 'No' = none",
    "best_response": "best response to the first post-resistance regimen: CR, PR, SD, PD",
    "grade3_ae": "grade >=3 adverse events: 'None', or e.g. 'Brigatinib-induced ILD'",
    "biopsy": "the resistance specimen: a tissue site (Brain, Lung) or Liquid",
    "testing": "the method(s) that found the fusion: IHC, NGS, FISH, RT-PCR...",
    "cns_progression": "CNS progression at resistance: Yes / No",
    "extracranial_sites": "extracranial progression sites, e.g. 'Liver & bone'; 'No' = none",
}
"""Canonical fields a table column can map to, with what each holds."""


def normalize_header(text: str) -> str:
    """The lookup key of a header: NFKC, case-folded, runs of other characters as one space."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("≥", " ge ")
    folded = folded.replace(">=", " ge ")
    return " ".join(re.findall(r"[a-z0-9]+", folded))


_ALIASES: dict[str, tuple[str, ...]] = {
    "case_label": ("case", "case no", "case number", "patient", "patient no", "no", "#", "id"),
    "study": ("first author (year)", "study", "reference", "author", "author (year)", "source"),
    "age_sex": ("age/sex", "age, sex", "age sex"),
    "age": ("age", "age (years)", "age at diagnosis"),
    "sex": ("sex", "gender"),
    "egfr_mutation": ("egfr mutation", "egfr", "egfr mutations", "egfr status", "egfr history"),
    "egfr_tki": ("egfr-tki", "egfr tki", "egfr tkis", "prior egfr tki", "prior tkis"),
    "alk_fusion": ("alk fusion", "alk fusions", "fusion", "alk rearrangement"),
    "interval_months": (
        "interval to alk resistance (months)",
        "interval (months)",
        "time to resistance (months)",
        "interval to resistance (months)",
    ),
    "post_regimen": ("post-resistance regimen", "post resistance regimen", "subsequent therapy"),
    "best_response": ("best response", "response", "best overall response"),
    "grade3_ae": (
        "grade ≥3 adverse events",
        "grade >=3 adverse events",
        "grade 3 adverse events",
        "grade ≥3 aes",
        "grade ≥3 ae",
    ),
    "biopsy": ("biopsy", "biopsy site", "specimen"),
    "testing": ("testing", "test", "method", "detection method", "testing method"),
    "cns_progression": ("cns progression", "cns involvement"),
    "extracranial_sites": (
        "extracranial progression site(s)",
        "extracranial progression sites",
        "extracranial progression",
        "extracranial sites",
    ),
}

HEADER_ALIASES: Final[Mapping[str, str]] = {
    normalize_header(alias): name
    for name, aliases in _ALIASES.items()
    for alias in (*aliases, name)
}
"""Normalised header text to canonical field: what a table may use without a mapping file."""


class ColumnMapping(Value):
    """A mapping file: which column holds which field.

    Example (YAML)::

        table: Table 2            # the table's name in the source (provenance, re-import key)
        sheet: Cases              # xlsx only: the sheet to read (default: the first)
        columns:                  # column header (as written) -> canonical field
          Pt: case_label
          Reference: study
          EGFR: egfr_mutation
          Fusion partner: alk_fusion
        ignore: [Comments]        # columns deliberately not imported
        not_reported: [NR, "-"]   # extra cell texts meaning "not reported"
    """

    table: str | None = None
    sheet: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    not_reported: tuple[str, ...] = ()

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, columns: dict[str, str]) -> dict[str, str]:
        for header, name in columns.items():
            if name not in FIELDS:
                raise ValueError(
                    f"column {header!r} maps to unknown field {name!r}; fields are: "
                    + ", ".join(FIELDS)
                )
        return columns


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read a YAML mapping file; raise FormatError naming the file and the problem."""
    from tkiresist.io.guarded import load_yaml

    p = Path(path)
    try:
        data = load_yaml(p.read_text(encoding="utf-8"), str(p))
    except FileNotFoundError:
        raise FormatError("no such mapping file", Location(str(p))) from None
    if not isinstance(data, dict):
        raise FormatError("a mapping file is a YAML mapping with 'columns'", Location(str(p), 1))
    try:
        return ColumnMapping.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err["loc"])
        raise FormatError(
            str(err["msg"]).removeprefix("Value error, "), Location(str(p), field=where or None)
        ) from None


class Cell(NamedTuple):
    """One cell: its text exactly as read (fragments joined by one space) and its first line.

    Named tuples, not models: a 100,000-row table has 1.4 million cells."""

    text: str
    line: int | None = None
    lines: tuple[int, ...] = ()


class SourceRow(NamedTuple):
    """One table row: its key (the case label or the row number) and its cells by field."""

    key: str
    line: int | None
    cells: Mapping[str, Cell]
    lines: tuple[int, ...] = ()

    @property
    def joined(self) -> bool:
        """True when the row was re-joined from several text lines."""
        return len(self.lines) > 1


@dataclass(frozen=True, slots=True)
class SourceTable:
    """A table read from a file: its name, its columns and their fields, and its rows."""

    name: str
    file: str
    format: TableFormat
    columns: tuple[str, ...]
    fields: tuple[str | None, ...]
    source: Callable[[], Iterator[SourceRow]] = field(repr=False, compare=False)
    not_reported: tuple[str, ...] = ()

    def iter_rows(self) -> Iterator[SourceRow]:
        """The rows, one at a time (a large CSV is not held as objects). A structural problem
        in a row (extra cells, a repeated label) raises FormatError when that row is reached."""
        return self.source()

    @property
    def rows(self) -> tuple[SourceRow, ...]:
        """All rows (read again on every access: prefer :meth:`iter_rows` for large tables)."""
        return tuple(self.source())


# --------------------------------------------------------------------------------- mapping


def _map_columns(
    headers: Sequence[str], mapping: ColumnMapping | None, file: str, line: int | None
) -> tuple[str | None, ...]:
    """The field of each column (None = ignored); FormatError for a column that maps nowhere."""
    explicit = {normalize_header(k): v for k, v in (mapping.columns if mapping else {}).items()}
    ignored = {normalize_header(k) for k in (mapping.ignore if mapping else ())}
    if mapping is not None:
        present = {normalize_header(h) for h in headers}
        for header in (*mapping.columns, *mapping.ignore):
            if normalize_header(header) not in present:
                raise FormatError(
                    f"the mapping names column {header!r}, which the table does not have; "
                    "columns are: " + ", ".join(repr(h) for h in headers if h.strip()),
                    Location(file, line, field=header),
                )
    out: list[str | None] = []
    seen: dict[str, str] = {}
    for i, header in enumerate(headers):
        key = normalize_header(header)
        if not key and not header.strip():
            out.append(None)  # an unnamed, empty column (a trailing tab or comma)
            continue
        if key in ignored:
            out.append(None)
            continue
        name = explicit.get(key) or HEADER_ALIASES.get(key)
        if name is None:
            raise FormatError(
                f"column {i + 1} {header!r} cannot be mapped to a registry field: add it to "
                "the mapping file's 'columns' (or 'ignore'); fields are: " + ", ".join(FIELDS),
                Location(file, line, i + 1, field=header),
            )
        if name in seen:
            raise FormatError(
                f"columns {seen[name]!r} and {header!r} both map to field {name!r}",
                Location(file, line, i + 1, field=header),
            )
        seen[name] = header
        out.append(name)
    if not any(out):
        raise FormatError("no column maps to a registry field", Location(file, line))
    return tuple(out)


def _rows_from_records(
    records: Iterable[tuple[int | None, Sequence[str]]],
    fields: tuple[str | None, ...],
    file: str,
) -> Iterator[SourceRow]:
    """Rows of a CSV/XLSX table: one record, one row; the key is the label or the row number."""
    keys: dict[str, int | None] = {}
    n = 0
    width = len(fields)
    named = [(i, name) for i, name in enumerate(fields) if name is not None]
    for line, values in records:
        if not any(v.strip() for v in values):
            continue
        n += 1
        if len(values) > width:
            extra = [v for v in values[width:] if v.strip()]
            if extra:
                raise FormatError(
                    f"row has {len(values)} cells, the header {width}: extra {extra[0]!r}",
                    Location(file, line),
                )
        lines = (line,) if line else ()
        cells = {name: Cell(values[i] if i < len(values) else "", line, lines) for i, name in named}
        label = cells.get("case_label")
        key = label.text.strip() if label is not None and label.text.strip() else str(n)
        _unique_key(keys, key, line, file)
        yield SourceRow(key, line, cells, lines)


def _unique_key(keys: dict[str, int | None], key: str, line: int | None, file: str) -> None:
    if key in keys:
        raise FormatError(
            f"row label {key!r} is used twice (first on line {keys[key]}); rows are matched "
            "by label on re-import, so labels must be unique",
            Location(file, line, field="case_label"),
        )
    keys[key] = line


# --------------------------------------------------------------------------------- seed-text

_CAPTION = re.compile(r"^\s*table\s+([0-9]+[a-z]?)\s*[:.]", re.IGNORECASE)


def read_seed_text(
    text: str,
    file: str = "<text>",
    mapping: ColumnMapping | None = None,
    table: str | None = None,
) -> SourceTable:
    """Find and read a tab-separated table inside extracted paper text (see the module doc)."""
    lines = text.splitlines()
    header_at = None
    for i, line in enumerate(lines):
        if "\t" not in line:
            continue
        first = line.split("\t")[0]
        name = _field_of(first, mapping)
        if name == "case_label":
            header_at = i
            break
    if header_at is None:
        raise FormatError(
            "no table header found: expected a tab-separated line whose first cell is the case "
            "label column (e.g. 'Case')",
            Location(file),
        )
    headers = lines[header_at].split("\t")
    header_line = header_at + 1
    fields = _map_columns(headers, mapping, file, header_line)
    width = len(headers)
    label_col = fields.index("case_label")
    groups: list[list[tuple[int, list[str]]]] = []
    pending: list[tuple[int, list[str]]] = []
    caption = None
    for i in range(header_at + 1, len(lines)):
        raw = lines[i]
        lineno = i + 1
        if not raw.strip():
            continue
        if "\t" not in raw:
            m = _CAPTION.match(raw)
            if m:
                caption = f"Table {m.group(1)}"
            break
        cells = raw.split("\t")
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        if len(cells) > width:
            raise FormatError(
                f"row has {len(cells)} cells, the header {width}: extra {cells[width]!r}",
                Location(file, lineno, width + 1),
            )
        cells += [""] * (width - len(cells))
        if cells[label_col].strip():
            groups.append([*pending, (lineno, cells)])
            pending = []
        else:
            pending.append((lineno, cells))
    if pending:
        if not groups:
            raise FormatError("the table's rows have no case label", Location(file, pending[0][0]))
        groups[-1].extend(pending)
    if not groups:
        raise FormatError("the table has a header but no rows", Location(file, header_line))
    rows: list[SourceRow] = []
    keys: dict[str, int | None] = {}
    for group in groups:
        row = _join(group, fields, label_col)
        _unique_key(keys, row.key, row.line, file)
        rows.append(row)
    name = table or (mapping.table if mapping and mapping.table else None) or caption or "Table"
    frozen = tuple(rows)
    return SourceTable(
        name=name,
        file=file,
        format="seed-text",
        columns=tuple(headers),
        fields=fields,
        source=lambda: iter(frozen),
        not_reported=mapping.not_reported if mapping else (),
    )


def _field_of(header: str, mapping: ColumnMapping | None) -> str | None:
    key = normalize_header(header)
    if mapping is not None:
        for k, v in mapping.columns.items():
            if normalize_header(k) == key:
                return v
    return HEADER_ALIASES.get(key)


def _join(
    parts: list[tuple[int, list[str]]], fields: tuple[str | None, ...], label_col: int
) -> SourceRow:
    """One row from one or more text lines: each cell's non-blank pieces joined by a space."""
    cells: dict[str, Cell] = {}
    for col, name in enumerate(fields):
        if name is None:
            continue
        if len(parts) == 1:  # one line: the cell exactly as written
            ln, row = parts[0]
            cells[name] = Cell(row[col], ln, (ln,) if row[col].strip() else ())
            continue
        pieces = [(ln, row[col]) for ln, row in parts if row[col].strip()]
        if len(pieces) > 1:
            text = " ".join(p.strip() for _, p in pieces)
        else:
            text = pieces[0][1] if pieces else ""
        first = pieces[0][0] if pieces else parts[-1][0]
        cells[name] = Cell(text, first, tuple(ln for ln, _ in pieces))
    labelled = next((ln, row) for ln, row in parts if row[label_col].strip())
    return SourceRow(
        labelled[1][label_col].strip(), labelled[0], cells, tuple(ln for ln, _ in parts)
    )


# --------------------------------------------------------------------------------- csv / xlsx


def read_csv_table(
    text: str,
    file: str = "<csv>",
    mapping: ColumnMapping | None = None,
    table: str | None = None,
) -> SourceTable:
    """Read a CSV (or TSV) review table; the dialect is sniffed from the first lines."""
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, ",;\t")
    except csv.Error:
        dialect = csv.excel
    records = _csv_records(text, dialect, file)
    first = next(records, None)
    if first is None:
        raise FormatError("empty table: expected a header line", Location(file, 1))
    header_line, headers = first
    fields = _map_columns(headers, mapping, file, header_line)
    if next(records, None) is None:
        raise FormatError("the table has a header but no rows", Location(file, header_line))

    def rows() -> Iterator[SourceRow]:
        body = _csv_records(text, dialect, file)
        next(body)  # the header
        return _rows_from_records(body, fields, file)

    name = table or (mapping.table if mapping and mapping.table else None) or "Table"
    return SourceTable(
        name=name,
        file=file,
        format="csv",
        columns=tuple(headers),
        fields=fields,
        source=rows,
        not_reported=mapping.not_reported if mapping else (),
    )


def _csv_records(
    text: str, dialect: type[csv.Dialect] | csv.Dialect, file: str
) -> Iterator[tuple[int | None, list[str]]]:
    """Non-empty CSV records with the line each ends on."""
    reader = csv.reader(io.StringIO(text), dialect)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FormatError(f"malformed CSV: {exc}", Location(file, reader.line_num)) from None
        if any(c.strip() for c in row):
            yield reader.line_num, row


XLSX_EXTRA = "xlsx"


def read_xlsx_table(
    path: Path, mapping: ColumnMapping | None = None, table: str | None = None
) -> SourceTable:
    """Read the first (or the mapping's) sheet of an .xlsx workbook (needs openpyxl)."""
    try:
        import openpyxl  # type: ignore[import-untyped,unused-ignore]
    except ModuleNotFoundError:
        raise FormatError(
            "reading .xlsx needs the optional extra "
            f"'{XLSX_EXTRA}' (openpyxl): pip install 'tkiresist[{XLSX_EXTRA}]', or save the "
            "sheet as CSV",
            Location(str(path)),
        ) from None
    file = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, KeyError, ValueError) as exc:
        raise FormatError(f"not a readable .xlsx workbook: {exc}", Location(file)) from None
    try:
        sheet_name = mapping.sheet if mapping and mapping.sheet else book.sheetnames[0]
        if sheet_name not in book.sheetnames:
            raise FormatError(
                f"no sheet {sheet_name!r}; sheets are: " + ", ".join(book.sheetnames),
                Location(file),
            )
        sheet = book[sheet_name]
        records: list[tuple[int | None, list[str]]] = []
        for r, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_xlsx_text(v) for v in values]
            if any(c.strip() for c in cells):
                records.append((r, cells))
    finally:
        book.close()
    if not records:
        raise FormatError(f"sheet {sheet_name!r} is empty", Location(file))
    header_line, headers = records[0]
    fields = _map_columns(headers, mapping, file, header_line)
    if len(records) < 2:
        raise FormatError("the table has a header but no rows", Location(file, header_line))
    body = records[1:]
    name = table or (mapping.table if mapping and mapping.table else None) or sheet_name
    return SourceTable(
        name=name,
        file=file,
        format="xlsx",
        columns=tuple(headers),
        fields=fields,
        source=lambda: _rows_from_records(body, fields, file),
        not_reported=mapping.not_reported if mapping else (),
    )


def _xlsx_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(
    path: str | Path,
    fmt: TableFormat | None = None,
    mapping: ColumnMapping | None = None,
    table: str | None = None,
) -> SourceTable:
    """Read a review table in ``fmt`` (by default from the file's suffix: .csv/.tsv, .xlsx,
    anything else seed-text)."""
    p = Path(path)
    if fmt is None:
        suffix = p.suffix.lower()
        fmt = "csv" if suffix in (".csv", ".tsv") else "xlsx" if suffix == ".xlsx" else "seed-text"
    if fmt not in FORMATS:
        raise FormatError(
            f"unknown table format {fmt!r}; formats are: " + ", ".join(FORMATS), Location(str(p))
        )
    if fmt == "xlsx":
        if not p.exists():
            raise FormatError("no such file", Location(str(p)))
        return read_xlsx_table(p, mapping, table)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FormatError("no such file", Location(str(p))) from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 text (byte {exc.start})", Location(str(p))) from None
    if fmt == "csv":
        return read_csv_table(text, str(p), mapping, table)
    return read_seed_text(text, str(p), mapping, table)
