"""A cBioPortal study folder's meta files: parsed (:func:`read_meta`) and found by role
(:func:`study_layout`), each problem a located :class:`~tkiresist.errors.FormatError`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tkiresist.errors import FormatError, Location
from tkiresist.io.cbioportal.vocabulary import MATRIX_FILE, META_STUDY


@dataclass(frozen=True, slots=True)
class MetaFile:
    """A parsed ``meta_*.txt``: its fields with the line each is on."""

    path: Path
    fields: Mapping[str, str]
    lines: Mapping[str, int]

    def get(self, key: str) -> str | None:
        return self.fields.get(key)

    def loc(self, key: str | None = None) -> Location:
        line = self.lines.get(key) if key is not None else None
        return Location(file=str(self.path), line=line, field=key)

    def require(self, key: str) -> str:
        value = self.fields.get(key)
        if not value:
            raise FormatError(
                f"missing required field {key!r} in the meta file",
                Location(file=str(self.path), field=key),
            )
        return value

    @property
    def kind(self) -> tuple[str, str]:
        """(genetic_alteration_type, datatype), upper case."""
        return (
            (self.get("genetic_alteration_type") or "").upper(),
            (self.get("datatype") or "").upper(),
        )


def read_meta(path: Path) -> MetaFile:
    """Parse ``key: value`` lines; a line without a colon is a located FormatError."""
    if not path.is_file():
        raise FormatError("no such meta file", Location(file=str(path)))
    fields: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        key, sep, value = raw.partition(":")
        if not sep:
            raise FormatError(
                "expected 'key: value'", Location(file=str(path), line=number, column=1)
            )
        key = key.strip()
        if key in fields:
            raise FormatError(
                f"field {key!r} given twice (first on line {lines[key]})",
                Location(file=str(path), line=number, column=1, field=key),
            )
        fields[key] = value.strip()
        lines[key] = number
    return MetaFile(path, fields, lines)


@dataclass(frozen=True, slots=True)
class StudyLayout:
    """A study folder's meta files, by role."""

    root: Path
    study: MetaFile
    patient: MetaFile | None
    sample: MetaFile
    timelines: tuple[MetaFile, ...]
    mutations: MetaFile | None
    sv: MetaFile | None
    cna: MetaFile | None
    matrix: MetaFile | None
    others: tuple[MetaFile, ...]

    def data(self, meta: MetaFile) -> Path:
        return self.root / meta.require("data_filename")

    @property
    def identifier(self) -> str:
        return self.study.require("cancer_study_identifier")


_NEEDS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = {
    ("CLINICAL", "PATIENT_ATTRIBUTES"): ("data_filename",),
    ("CLINICAL", "SAMPLE_ATTRIBUTES"): ("data_filename",),
    ("CLINICAL", "TIMELINE"): ("data_filename",),
    ("MUTATION_EXTENDED", "MAF"): (
        "stable_id",
        "show_profile_in_analysis_tab",
        "profile_name",
        "profile_description",
        "data_filename",
    ),
    ("STRUCTURAL_VARIANT", "SV"): (
        "stable_id",
        "show_profile_in_analysis_tab",
        "profile_name",
        "profile_description",
        "data_filename",
    ),
    ("COPY_NUMBER_ALTERATION", "DISCRETE"): (
        "stable_id",
        "show_profile_in_analysis_tab",
        "profile_name",
        "profile_description",
        "data_filename",
    ),
    ("COPY_NUMBER_ALTERATION", "DISCRETE_LONG"): (
        "stable_id",
        "show_profile_in_analysis_tab",
        "profile_name",
        "profile_description",
        "data_filename",
    ),
    ("GENE_PANEL_MATRIX", "GENE_PANEL_MATRIX"): ("data_filename",),
}


def study_layout(root: Path) -> StudyLayout:
    """Find and parse the meta files of the study at ``root``.

    Raises a located FormatError for: no folder; no ``meta_study.txt``; a meta file without its
    required fields, or naming a data file that does not exist; a study identifier that differs
    between meta files; no clinical sample meta file; a ``data_*`` file that no meta file names
    (its meta file is missing); two meta files of a kind that must be unique.
    """
    root = Path(root)
    if not root.is_dir():
        raise FormatError("no such study folder", Location(file=str(root)))
    study_path = root / META_STUDY
    if not study_path.is_file():
        raise FormatError(
            f"missing meta file {META_STUDY}: every study needs one (type_of_cancer, "
            "cancer_study_identifier, name, description)",
            Location(file=str(study_path)),
        )
    study = read_meta(study_path)
    for key in ("type_of_cancer", "cancer_study_identifier", "name", "description"):
        study.require(key)
    sid = study.require("cancer_study_identifier")
    metas: list[MetaFile] = []
    for path in sorted(root.glob("meta_*.txt")):
        if path.name == META_STUDY:
            continue
        meta = read_meta(path)
        other = meta.get("cancer_study_identifier")
        if other is None:
            raise FormatError(
                "missing required field 'cancer_study_identifier' in the meta file",
                Location(file=str(path), field="cancer_study_identifier"),
            )
        if other != sid:
            raise FormatError(
                f"cancer_study_identifier {other!r} differs from {sid!r} in {META_STUDY}",
                meta.loc("cancer_study_identifier"),
            )
        for key in _NEEDS.get(meta.kind, ("data_filename",)):
            meta.require(key)
        data = root / meta.require("data_filename")
        if not data.is_file():
            raise FormatError(
                f"data_filename names {data.name!r}, which does not exist in the study folder",
                meta.loc("data_filename"),
            )
        metas.append(meta)
    named = {(root / m.require("data_filename")).resolve() for m in metas}
    for path in sorted(root.glob("data_*")):
        if path.name.startswith("data_gene_panel_") and path.name != MATRIX_FILE:
            continue  # panel definitions are loaded separately, they have no meta file
        if path.resolve() not in named:
            raise FormatError(
                f"data file {path.name!r} has no meta file: expected a meta_*.txt with "
                f"'data_filename: {path.name}'",
                Location(file=str(path)),
            )

    def one(kinds: Iterable[tuple[str, str]]) -> MetaFile | None:
        wanted = set(kinds)
        found = [m for m in metas if m.kind in wanted]
        if len(found) > 1:
            raise FormatError(
                f"two meta files of the same kind ({found[0].path.name} and {found[1].path.name})",
                Location(file=str(found[1].path)),
            )
        return found[0] if found else None

    sample = one([("CLINICAL", "SAMPLE_ATTRIBUTES")])
    if sample is None:
        raise FormatError(
            "missing meta file for the clinical sample data (genetic_alteration_type: "
            "CLINICAL, datatype: SAMPLE_ATTRIBUTES): every study needs one",
            Location(file=str(root / "meta_clinical_sample.txt")),
        )
    used: set[Path] = set()
    found_kinds = {
        "patient": one([("CLINICAL", "PATIENT_ATTRIBUTES")]),
        "mutations": one([("MUTATION_EXTENDED", "MAF")]),
        "sv": one([("STRUCTURAL_VARIANT", "SV")]),
        "cna": one(
            [("COPY_NUMBER_ALTERATION", "DISCRETE"), ("COPY_NUMBER_ALTERATION", "DISCRETE_LONG")]
        ),
        "matrix": one([("GENE_PANEL_MATRIX", "GENE_PANEL_MATRIX")]),
    }
    for m in (sample, *found_kinds.values()):
        if m is not None:
            used.add(m.path)
    timelines = tuple(m for m in metas if m.kind == ("CLINICAL", "TIMELINE"))
    used.update(m.path for m in timelines)
    return StudyLayout(
        root=root,
        study=study,
        patient=found_kinds["patient"],
        sample=sample,
        timelines=timelines,
        mutations=found_kinds["mutations"],
        sv=found_kinds["sv"],
        cna=found_kinds["cna"],
        matrix=found_kinds["matrix"],
        others=tuple(m for m in metas if m.path not in used),
    )
