"""Structural checks of a cBioPortal study folder (:func:`check_study`, :func:`assert_valid`).

They always run on an export, and can be run on any study folder: meta files (required keys,
data files that exist), clinical headers (four ``#`` rows of equal width, datatypes
STRING/NUMBER/BOOLEAN, integer priorities, upper-case names, NUMBER cells numeric), the
required columns of MAF, SV, CNA and timeline files, sample and patient identifiers that the
clinical files define, case lists and gene panels. Every problem is located (file, line,
column).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tkiresist.errors import FormatError, Location, Problem
from tkiresist.io.cbioportal.layout import read_meta, study_layout
from tkiresist.io.cbioportal.vocabulary import (
    CASE_LISTS,
    DATATYPES,
    ID_PATTERN,
    MAF_REQUIRED,
    NA_VALUES,
    SV_REQUIRED,
    TIMELINE_LEAD,
    WHOLE_GENOME_PANELS,
    panel_file,
)


@dataclass
class _Checker:
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        message: str,
        file: Path,
        line: int | None = None,
        column: int | None = None,
        name: str | None = None,
    ) -> None:
        self.problems.append(Problem(message, Location(str(file), line, column, name)))


def _rows(path: Path) -> tuple[list[tuple[int, str]], list[tuple[int, list[str]]]]:
    """(comment lines, data lines split on tabs), each with its line number; the header is the
    first data line."""
    comments: list[tuple[int, str]] = []
    rows: list[tuple[int, list[str]]] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if raw.startswith("#") and not rows:
            comments.append((number, raw))
        elif raw.strip():
            rows.append((number, raw.split("\t")))
    return comments, rows


def _check_widths(ck: _Checker, path: Path, rows: Sequence[tuple[int, list[str]]]) -> None:
    if not rows:
        return
    width = len(rows[0][1])
    for number, cells in rows[1:]:
        if len(cells) != width:
            ck.add(
                f"expected {width} tab-separated fields as in the header, found {len(cells)}",
                path,
                number,
                min(len(cells), width) + 1,
            )


def _check_clinical(
    ck: _Checker, path: Path, required: Sequence[str]
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    comments, rows = _rows(path)
    if len(comments) < 4:
        ck.add(
            f"expected four '#' header rows (display names, descriptions, datatypes, "
            f"priorities) before the column names, found {len(comments)}",
            path,
            len(comments) + 1,
        )
        return [], []
    if not rows:
        ck.add("no column header after the four '#' rows", path, len(comments) + 1)
        return [], []
    header_line, header = rows[0]
    names = [c.strip() for c in header]
    meta_rows = [c[1][1:].split("\t") for c in comments[-4:]]
    for i, cells in enumerate(meta_rows):
        line = comments[len(comments) - 4 + i][0]
        if len(cells) != len(names):
            ck.add(
                f"header row {i + 1} has {len(cells)} fields but there are {len(names)} columns",
                path,
                line,
            )
    datatypes = meta_rows[2]
    for col, dt in enumerate(datatypes, start=1):
        if dt.strip() not in DATATYPES:
            ck.add(
                f"datatype {dt.strip()!r}: expected STRING, NUMBER or BOOLEAN",
                path,
                comments[-2][0],
                col,
            )
    for col, pr in enumerate(meta_rows[3], start=1):
        if not pr.strip().lstrip("-").isdigit():
            ck.add(f"priority {pr.strip()!r}: expected an integer", path, comments[-1][0], col)
    for col, name in enumerate(names, start=1):
        if name != name.upper():
            ck.add(f"attribute name {name!r} must be upper case", path, header_line, col, name)
    for name in required:
        if name not in names:
            ck.add(f"missing required column {name!r}", path, header_line, None, name)
    _check_widths(ck, path, rows)
    out: list[tuple[int, dict[str, str]]] = []
    kinds = dict(zip(names, (d.strip() for d in datatypes), strict=False))
    for number, cells in rows[1:]:
        rec = dict(zip(names, (c.strip() for c in cells), strict=False))
        for col, name in enumerate(names, start=1):
            value = rec.get(name, "")
            if kinds.get(name) == "NUMBER" and value not in NA_VALUES:
                try:
                    float(value)
                except ValueError:
                    ck.add(f"{name}: expected a number, found {value!r}", path, number, col, name)
            if (
                kinds.get(name) == "BOOLEAN"
                and value not in NA_VALUES
                and value.upper()
                not in (
                    "TRUE",
                    "FALSE",
                )
            ):
                ck.add(f"{name}: expected TRUE or FALSE, found {value!r}", path, number, col, name)
            if name in ("PATIENT_ID", "SAMPLE_ID") and not ID_PATTERN.match(value):
                ck.add(
                    f"{name} {value!r}: only letters, digits, '.', '_' and '-' are allowed",
                    path,
                    number,
                    col,
                    name,
                )
        out.append((number, rec))
    return names, out


def _check_table(
    ck: _Checker, path: Path, required: Sequence[str], what: str
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    _, rows = _rows(path)
    if not rows:
        ck.add(f"empty {what} file: expected a header line", path, 1)
        return [], []
    header_line, header = rows[0]
    names = [c.strip() for c in header]
    for name in required:
        if name not in names:
            ck.add(
                f"missing required column {name!r} in the {what} header",
                path,
                header_line,
                None,
                name,
            )
    _check_widths(ck, path, rows)
    return names, rows[1:]


def _check_samples(
    ck: _Checker,
    path: Path,
    names: Sequence[str],
    rows: Sequence[tuple[int, list[str]]],
    column: str,
    samples: set[str],
) -> None:
    if column not in names:
        return
    i = names.index(column)
    for number, cells in rows:
        if i < len(cells) and cells[i].strip() not in samples:
            ck.add(
                f"sample {cells[i].strip()!r} is not defined in the clinical sample file",
                path,
                number,
                i + 1,
                column,
            )


def check_study(root: Path) -> list[Problem]:
    """Our structural checks of a study folder (see the module docstring); [] when it passes."""
    ck = _Checker()
    try:
        layout = study_layout(root)
    except FormatError as exc:
        return list(exc.problems)
    patients: set[str] = set()
    pnames: list[str] = []
    if layout.patient is not None:
        ppath = layout.data(layout.patient)
        pnames, prows = _check_clinical(ck, ppath, ("PATIENT_ID",))
        for number, rec in prows:
            pid = rec.get("PATIENT_ID", "")
            if pid in patients:
                ck.add(f"patient {pid!r} appears twice", ppath, number, 1, "PATIENT_ID")
            patients.add(pid)
    spath = layout.data(layout.sample)
    snames, srows = _check_clinical(ck, spath, ("PATIENT_ID", "SAMPLE_ID"))
    for col, name in enumerate(snames, start=1):
        if name != "PATIENT_ID" and name in pnames:
            ck.add(
                f"attribute {name!r} is defined both in the patient and in the sample file",
                spath,
                None,
                col,
                name,
            )
    samples: set[str] = set()
    for number, rec in srows:
        sid = rec.get("SAMPLE_ID", "")
        if sid in samples:
            ck.add(f"sample {sid!r} appears twice", spath, number, None, "SAMPLE_ID")
        samples.add(sid)
        if layout.patient is not None and rec.get("PATIENT_ID") not in patients:
            pcol = snames.index("PATIENT_ID") + 1 if "PATIENT_ID" in snames else None
            ck.add(
                f"sample {sid!r} references patient {rec.get('PATIENT_ID')!r}, which the "
                "clinical patient file does not define",
                spath,
                number,
                pcol,
                "PATIENT_ID",
            )
    for meta in layout.timelines:
        path = layout.data(meta)
        names, rows = _check_table(ck, path, TIMELINE_LEAD, "timeline")
        if names[:4] != list(TIMELINE_LEAD):
            ck.add(
                "a timeline file starts with the columns " + ", ".join(TIMELINE_LEAD),
                path,
                1,
                1,
            )
            continue
        for number, cells in rows:
            pid = cells[0].strip()
            if patients and pid not in patients:
                ck.add(
                    f"patient {pid!r} is not defined in the clinical patient file",
                    path,
                    number,
                    1,
                    "PATIENT_ID",
                )
            for col in (1, 2):
                value = cells[col].strip() if col < len(cells) else ""
                if col == 2 and value == "":
                    continue
                if not value.lstrip("-").isdigit():
                    ck.add(
                        f"{TIMELINE_LEAD[col]}: expected whole days from diagnosis, "
                        f"found {value!r}",
                        path,
                        number,
                        col + 1,
                        TIMELINE_LEAD[col],
                    )
            if "SAMPLE_ID" in names:
                i = names.index("SAMPLE_ID")
                value = cells[i].strip() if i < len(cells) else ""
                if value and value not in samples:
                    ck.add(
                        f"sample {value!r} is not defined in the clinical sample file",
                        path,
                        number,
                        i + 1,
                        "SAMPLE_ID",
                    )
    if layout.mutations is not None:
        path = layout.data(layout.mutations)
        names, rows = _check_table(ck, path, MAF_REQUIRED, "MAF")
        if names and "HGVSp_Short" not in names and "Amino_Acid_Change" not in names:
            ck.add(
                "missing required column 'HGVSp_Short' in the MAF header",
                path,
                1,
                None,
                "HGVSp_Short",
            )
        _check_samples(ck, path, names, rows, "Tumor_Sample_Barcode", samples)
    if layout.sv is not None:
        path = layout.data(layout.sv)
        names, rows = _check_table(ck, path, SV_REQUIRED, "SV")
        if names and not ({"Site1_Hugo_Symbol", "Site2_Hugo_Symbol"} & set(names)):
            ck.add("an SV file needs Site1_Hugo_Symbol or Site2_Hugo_Symbol", path, 1)
        _check_samples(ck, path, names, rows, "Sample_Id", samples)
    if layout.cna is not None:
        path = layout.data(layout.cna)
        if layout.cna.kind[1] == "DISCRETE":
            names, rows = _check_table(ck, path, ("Hugo_Symbol",), "CNA")
            for col, name in enumerate(names[1:], start=2):
                if name not in ("Entrez_Gene_Id", "Cytoband") and name not in samples:
                    ck.add(
                        f"sample {name!r} is not defined in the clinical sample file",
                        path,
                        1,
                        col,
                        name,
                    )
            for number, cells in rows:
                for col, value in enumerate(cells[1:], start=2):
                    if names[col - 1] in ("Entrez_Gene_Id", "Cytoband"):
                        continue
                    if value.strip() not in NA_VALUES and value.strip() not in (
                        "-2",
                        "-1",
                        "0",
                        "1",
                        "2",
                        "-1.5",
                    ):
                        ck.add(
                            f"CNA value {value.strip()!r}: expected -2, -1, 0, 1, 2 or NA",
                            path,
                            number,
                            col,
                        )
        else:
            names, rows = _check_table(ck, path, ("Hugo_Symbol", "Sample_Id", "Value"), "CNA")
            _check_samples(ck, path, names, rows, "Sample_Id", samples)
    if layout.matrix is not None:
        path = layout.data(layout.matrix)
        names, rows = _check_table(ck, path, ("SAMPLE_ID",), "gene panel matrix")
        _check_samples(ck, path, names, rows, "SAMPLE_ID", samples)
        for number, cells in rows:
            for col, value in enumerate(cells[1:], start=2):
                panel = value.strip()
                if panel in NA_VALUES or panel in WHOLE_GENOME_PANELS:
                    continue
                if not (layout.root / panel_file(panel)).is_file():
                    ck.add(
                        f"gene panel {panel!r} has no definition file {panel_file(panel)!r}",
                        path,
                        number,
                        col,
                    )
    cl = layout.root / CASE_LISTS
    if cl.is_dir():
        for path in sorted(cl.glob("*.txt")):
            try:
                meta = read_meta(path)
            except FormatError as exc:
                ck.problems.extend(exc.problems)
                continue
            for key in (
                "cancer_study_identifier",
                "stable_id",
                "case_list_name",
                "case_list_description",
                "case_list_ids",
            ):
                if not meta.get(key):
                    ck.add(
                        f"missing required field {key!r} in the case list", path, None, None, key
                    )
            stable = meta.get("stable_id") or ""
            if not stable.startswith(layout.identifier + "_"):
                ck.add(
                    f"stable_id {stable!r} must start with '{layout.identifier}_'",
                    path,
                    meta.lines.get("stable_id"),
                    None,
                    "stable_id",
                )
            for sid in (meta.get("case_list_ids") or "").split("\t"):
                if sid.strip() and sid.strip() not in samples:
                    ck.add(
                        f"sample {sid.strip()!r} is not defined in the clinical sample file",
                        path,
                        meta.lines.get("case_list_ids"),
                        None,
                        "case_list_ids",
                    )
    return ck.problems


def assert_valid(root: Path) -> None:
    """Raise a FormatError listing the first problem when :func:`check_study` finds any."""
    problems = check_study(root)
    if problems:
        raise FormatError(
            f"{len(problems)} structural problem(s); first: {problems[0].message}",
            problems[0].location,
        )
