"""The case side and the table side agree on every real-format file we hold (#14).

Each file under ``tests/data/formats`` that holds mutations, structural variants / fusions or
copy number is read

* by the case-side readers, as ``tkiresist add-test`` reads it (:func:`tkiresist.io.readers.
  read_file`: :mod:`tkiresist.io.maf`, :mod:`tkiresist.io.fusions`, :mod:`tkiresist.io.cna`);
* by ``tkiresist annotate`` (the MAF, ``--sv`` and ``--cna`` paths);
* by ``tkiresist cohort`` when it is a cBioPortal study table (through the public API,
  :func:`tkiresist.cohort.load_study`, on a study folder built around the file),

and every row must give the same alteration (gene and canonical change, fusion, copy-number
state), or the same refusal. A thoracic oncologist reading a cohort table and a single
patient's report expects the same EGFR exon 19 deletion, the same EML4::ALK and the same MET
amplification from the same line of the same file, whichever command read it.

The one policy, as compared here:

* a gene symbol HGNC does not know: the case side keeps the alteration as written (with a
  warning), ``annotate`` gives the row status ``unknown_gene`` (compared as "unknown gene"),
  ``cohort`` keeps it as written (uncategorised);
* a row that names no alteration (a MAF classification that changes no protein, an intergenic
  or intragenic fusion row, a germline SV, a one-gene SV row whose gene is not a 3' partner):
  the case side keeps an unannotated record, ``annotate`` writes no alteration, ``cohort``
  adds none;
* copy number: the discrete values of :data:`tkiresist.io.cna.DISCRETE_CNA` (``2.0`` is
  ``2``); ``add-test`` reports only amplifications and deep deletions by default (a choice for
  the single-patient report), so the table side is compared with the reader's
  ``include_gain_loss=True`` and the default is checked to be the high-level subset.

One difference is deliberate and tested as such: ``cohort`` reads a cBioPortal *study*, where
every MAF row must name a sample of the clinical sample file (a row without one cannot be placed
on a patient's timeline), so it refuses, located, a MAF row with an empty
Tumor_Sample_Barcode that the row-wise add-test and annotate keep under an unnamed sample.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from tkiresist.annotate import annotate_tables
from tkiresist.errors import FormatError
from tkiresist.io.base import ReadResult
from tkiresist.io.cna import read_cbioportal_cna, read_discrete_long, read_gistic
from tkiresist.io.readers import read_file
from tkiresist.model.findings import Finding
from tkiresist.nomenclature.genes import is_known

from .conftest import DATA

FORMATS = DATA / "formats"
MAF_FILES = (
    "maf/genome-nexus_minimal_example.out.mskcc.maf.txt",
    "maf/vcf2maf_test_b38_output.maf",
)
SV_FILES = (
    "cbioportal/data_sv.txt",
    "oncokb/fusions.txt",
    "oncokb/sv.txt",
    "arriba/arriba_test_fusions.tsv",
    "arriba/annoFuseData_arriba_example.tsv",
    "star_fusion/STAR-Fusion_testing_saved.fusion_candidates.final.abridged.FFPM",
    "star_fusion/annoFuseData_starfusion_example.tsv",
    "fusioncatcher/final-list_candidate-fusion-genes.txt",
)
CNA_WIDE = "cbioportal/data_cna.txt"
UNKNOWN = "unknown gene"
NONE = "no alteration"


# ---------------------------------------------------------------------------------------------
# The three readings
# ---------------------------------------------------------------------------------------------


def _case_name(finding: Finding) -> str:
    alt = finding.alteration
    return alt.name if all(is_known(g) for g in alt.genes) else UNKNOWN


def case_rows(result: ReadResult) -> list[str]:
    """Per data line, in file order: the alteration the case-side reader made of it."""
    by_line: dict[int, list[str]] = {}
    for finding in result.findings:
        assert finding.provenance is not None and finding.provenance.line is not None
        by_line.setdefault(finding.provenance.line, []).append(_case_name(finding))
    for record in result.unannotated:
        by_line.setdefault(record.line, []).append(NONE)
    assert all(len(v) == 1 for v in by_line.values()), by_line  # one reading per line
    return [v[0] for _, v in sorted(by_line.items())]


def _read_output(path: Path) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(i for i, line in enumerate(lines) if "TKIRESIST_STATUS" in line)
    return list(csv.DictReader(lines[header:], delimiter="\t", quoting=csv.QUOTE_NONE))


def _table_name(row: dict[str, str]) -> str:
    if row["TKIRESIST_STATUS"] == "unknown_gene":
        return UNKNOWN
    return row["TKIRESIST_ALTERATION"] or NONE


def annotate_rows(tmp_path: Path, *, maf: Path | None = None, **tables: Path) -> list[str]:
    """Per data row, in file order: the alteration ``annotate`` wrote for it."""
    out = tmp_path / "annotated.tsv"
    maf = maf or FORMATS / MAF_FILES[1]
    annotate_tables(maf, out=out, **tables)  # type: ignore[arg-type]
    kind = next(iter(tables), "maf")
    path = out if kind == "maf" else out.with_name(f"annotated.{kind}.tsv")
    return [_table_name(r) for r in _read_output(path)]


def _cna_cells(tmp_path: Path, path: Path) -> Counter[tuple[str, str]]:
    out = tmp_path / "annotated.tsv"
    annotate_tables(FORMATS / MAF_FILES[1], cna=path, out=out)
    rows = _read_output(tmp_path / "annotated.cna.tsv")
    return Counter((r["Sample_Id"], _table_name(r)) for r in rows)


_META = {
    "maf": ("mutations", "MUTATION_EXTENDED", "MAF", "data_mutations.txt"),
    "sv": ("sv", "STRUCTURAL_VARIANT", "SV", "data_sv.txt"),
    "cna": ("cna", "COPY_NUMBER_ALTERATION", "DISCRETE", "data_cna.txt"),
    "cna-long": ("cna", "COPY_NUMBER_ALTERATION", "DISCRETE_LONG", "data_cna.txt"),
}


def cohort_alterations(
    tmp_path: Path, kind: str, source: Path, samples: Iterable[str]
) -> set[tuple[str, str]]:
    """(sample, alteration) of every row ``cohort`` loads from ``source``, in a study folder
    with a clinical sample file naming ``samples`` (one patient each) and ``source`` as its
    one genomic profile."""
    from tkiresist.cohort import load_study

    root = tmp_path / "study"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    study_id = "cancer_study_identifier: agreement\n"
    (root / "meta_study.txt").write_text(
        "type_of_cancer: luad\n" + study_id + "name: agreement\ndescription: agreement test\n",
        encoding="utf-8",
    )
    (root / "meta_clinical_sample.txt").write_text(
        study_id + "genetic_alteration_type: CLINICAL\ndatatype: SAMPLE_ATTRIBUTES\n"
        "data_filename: data_clinical_sample.txt\n",
        encoding="utf-8",
    )
    (root / "data_clinical_sample.txt").write_text(
        "PATIENT_ID\tSAMPLE_ID\n" + "".join(f"P-{s}\t{s}\n" for s in sorted(set(samples))),
        encoding="utf-8",
    )
    stable, alteration_type, datatype, name = _META[kind]
    (root / f"meta_{stable}.txt").write_text(
        f"{study_id}genetic_alteration_type: {alteration_type}\ndatatype: {datatype}\n"
        f"stable_id: {stable}\nshow_profile_in_analysis_tab: true\nprofile_name: agreement\n"
        f"profile_description: agreement\ndata_filename: {name}\n",
        encoding="utf-8",
    )
    shutil.copy(source, root / name)
    study = load_study(root)
    found = study.con.execute(
        "SELECT a.sample_id, i.name FROM alterations a JOIN alt_info i USING (alt_id)"
    ).fetchall()
    return {(str(s), str(n)) for s, n in found}


def _case_set(result: ReadResult) -> set[tuple[str, str]]:
    return {(str(s), f.alteration.name) for s, fs in result.findings_by_sample.items() for f in fs}


# ---------------------------------------------------------------------------------------------
# add-test and annotate, row by row
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MAF_FILES)
def test_maf_rows_agree(name: str, tmp_path: Path) -> None:
    """Every MAF row gives the same variant (EGFR p.L747_S752delinsQ, RUNX1 p.N139fs, the c.
    change where the protein change is not readable) or none (silent, intronic) both ways."""
    path = FORMATS / name
    case = case_rows(read_file(path))
    table = annotate_rows(tmp_path, maf=path)
    assert table == case
    assert any(a.startswith("EGFR ") or a.startswith("RUNX1 ") for a in case)


@pytest.mark.parametrize("name", SV_FILES)
def test_fusion_rows_agree(name: str, tmp_path: Path) -> None:
    """Every fusion row, in every layout add-test reads (cBioPortal, OncoKB, Arriba,
    STAR-Fusion, FusionCatcher), gives the same fusion, with the 3' kinase partner where
    knowledge puts it (KIF5B::RET even when written RET first), or none (intragenic,
    intergenic), both ways."""
    path = FORMATS / name
    case = case_rows(read_file(path))
    table = annotate_rows(tmp_path, sv=path)
    assert table == case
    assert any("::" in a or a.endswith(" fusion") for a in case)


def test_derived_sv_rows_agree(tmp_path: Path) -> None:
    """Rows derived from cBioPortal's data_sv.txt example (its first row with the status, the
    sites and Event_Info replaced; derived for this test, no patient's data): a germline
    EML4/ALK row is not a tumour alteration (annotate interpreted it before); one gene alone is
    a fusion only when it is a 3' partner (RAF1 yes, TP53 no); Event_Info naming the genes
    the other way round sets the 5' gene; a kinase written first is put 3'."""
    source = FORMATS / "cbioportal" / "data_sv.txt"
    lines = source.read_text(encoding="utf-8").splitlines()
    head = lines[0].split("\t")
    out = [lines[0]]
    for status, site1, site2, event in [
        ("GERMLINE", "EML4", "ALK", ""),
        ("SOMATIC", "RAF1", "", ""),
        ("SOMATIC", "TP53", "", ""),
        ("SOMATIC", "ABL1", "BCR", "BCR-ABL1 fusion"),
        ("SOMATIC", "ALK", "EML4", ""),
        ("SOMATIC", "EML4", "NOTAGENE1", ""),
    ]:
        cells = lines[1].split("\t")
        for column, value in [("SV_Status", status), ("Site1_Hugo_Symbol", site1),
                              ("Site2_Hugo_Symbol", site2), ("Event_Info", event)]:  # fmt: skip
            cells[head.index(column)] = value
        out.append("\t".join(cells))
    path = tmp_path / "data_sv.txt"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    case = case_rows(read_file(path))
    assert case == [NONE, "RAF1 fusion", NONE, "BCR::ABL1", "EML4::ALK", UNKNOWN]
    assert annotate_rows(tmp_path, sv=path) == case


CNA_TABLES = [
    pytest.param(CNA_WIDE, read_cbioportal_cna, id="cbioportal-wide"),
    pytest.param("cbioportal/data_cna_long.txt", read_discrete_long, id="cbioportal-long"),
    pytest.param("cbioportal/all_thresholded.by_genes.txt", read_gistic, id="gistic"),
]


@pytest.mark.parametrize(("name", "reader"), CNA_TABLES)
def test_discrete_cna_cells_agree(
    name: str, reader: Callable[..., ReadResult], tmp_path: Path
) -> None:
    """Every assessed, non-neutral cell of cBioPortal's discrete tables (wide, DISCRETE_LONG)
    and GISTIC's thresholded table gives the same copy-number state (-1.5 is a loss, never a
    deep deletion)."""
    path = FORMATS / name
    full = reader(path, include_gain_loss=True)
    case = Counter((str(s), _case_name(f)) for s, fs in full.findings_by_sample.items() for f in fs)
    assert _cna_cells(tmp_path, path) == case
    assert ("P1-T1", "MET amplification") in case
    # add-test's default keeps the high-level changes only: the same cells, a subset
    default = _case_set(read_file(path))
    assert default == {k for k in case if k[1].endswith(("amplification", "deletion"))}


@pytest.mark.parametrize(
    "name",
    [
        "oncokb/individual_cna.txt",
        "cna/gene_calls.tsv",
        "cnvkit/cnvkit_amplicon.cns",
        "cnvkit/cnvkit_p2-9_2.call.cns",
        "cnvkit/cnvkit_p2-9_2.cns",
    ],
)
def test_copy_number_forms_annotate_does_not_read_are_refused_at_the_header(
    name: str, tmp_path: Path
) -> None:
    """A difference of scope, not of meaning: add-test reads these per-patient copy-number
    files (OncoKB individual calls, which may be words; the plain gene/call table; CNVkit
    segments), ``annotate --cna`` reads cBioPortal's and GISTIC's discrete tables only and
    refuses the others at the header, located, rather than misreading them."""
    path = FORMATS / name
    assert read_file(path).findings
    with pytest.raises(FormatError) as err:
        _cna_cells(tmp_path, path)
    assert (err.value.location.file, err.value.location.line) == (str(path), 1)


def test_fractional_cna_values_are_one_value_on_both_sides(tmp_path: Path) -> None:
    """``2.0``, ``+2`` and ``-1.00`` are the discrete values 2, 2 and -1 on both sides
    (annotate refused them before, the case-side reader read them); ``0.5`` is refused by
    both, located at the cell."""
    path = tmp_path / "data_cna.txt"
    path.write_text("Hugo_Symbol\tS1\tS2\nMET\t2.0\t0.0\nEGFR\t+2\t-1.00\n", encoding="utf-8")
    full = read_cbioportal_cna(path, include_gain_loss=True)
    case = Counter((str(s), _case_name(f)) for s, fs in full.findings_by_sample.items() for f in fs)
    assert case == Counter(
        [("S1", "MET amplification"), ("S1", "EGFR amplification"), ("S2", "EGFR loss")]
    )
    assert _cna_cells(tmp_path, path) == case
    path.write_text("Hugo_Symbol\tS1\nMET\t0.5\n", encoding="utf-8")
    with pytest.raises(FormatError) as case_error:
        read_cbioportal_cna(path, include_gain_loss=True)
    with pytest.raises(FormatError) as table_error:
        _cna_cells(tmp_path, path)
    for error in (case_error.value, table_error.value):
        assert (error.location.line, error.location.column) == (2, 2)


def test_a_coordinate_only_list_is_refused_by_both(tmp_path: Path) -> None:
    """genome-nexus's minimal input (coordinates, no gene): not an annotated MAF, refused by
    both at the header, naming the missing Hugo_Symbol."""
    path = FORMATS / "maf" / "genome-nexus_minimal_example.in.txt"
    with pytest.raises(FormatError) as case_error:
        read_file(path)
    with pytest.raises(FormatError) as table_error:
        annotate_rows(tmp_path, maf=path)
    for error in (case_error.value, table_error.value):
        assert (error.location.line, error.location.field) == (1, "Hugo_Symbol")


# ---------------------------------------------------------------------------------------------
# cohort, on the cBioPortal study tables
# ---------------------------------------------------------------------------------------------

COHORT_CASES = [
    pytest.param("maf", MAF_FILES[1], id="vcf2maf-maf"),
    pytest.param(
        "sv",
        "cbioportal/data_sv.txt",
        id="cbioportal-sv",
    ),
    pytest.param("cna", CNA_WIDE, id="cbioportal-cna"),
    pytest.param("cna-long", "cbioportal/data_cna_long.txt", id="cbioportal-cna-long"),
]


@pytest.mark.parametrize(("kind", "name"), COHORT_CASES)
def test_cohort_loads_the_same_alterations(kind: str, name: str, tmp_path: Path) -> None:
    """``cohort`` loads, from a study holding the file, the alterations add-test reads from
    it (and, by the tests above, annotate writes for it)."""
    path = FORMATS / name
    if kind == "cna":
        result = read_cbioportal_cna(path, include_gain_loss=True)
        header = path.read_text(encoding="utf-8").splitlines()[0].split("\t")
        samples = [c for c in header if c not in ("Hugo_Symbol", "Entrez_Gene_Id")]
    elif kind == "cna-long":
        result = read_discrete_long(path, include_gain_loss=True)
        samples = [s or "" for s in result.samples]
    else:
        result = read_file(path)
        samples = [s or "" for s in result.samples]
    assert cohort_alterations(tmp_path, kind, path, samples) == _case_set(result)


def test_cohort_refuses_a_study_maf_row_without_a_sample(tmp_path: Path) -> None:
    """genome-nexus's example MAF has rows without a Tumor_Sample_Barcode. add-test and
    annotate read rows one by one and keep them under an unnamed sample; a cohort study needs
    every row on a sample of its clinical file, so cohort mode refuses the study, naming the
    column (docs/decisions.md)."""
    path = FORMATS / MAF_FILES[0]
    result = read_file(path)
    assert "" in [s or "" for s in result.samples]
    with pytest.raises(FormatError) as error:
        cohort_alterations(tmp_path, "maf", path, [s or "" for s in result.samples])
    assert error.value.location.field == "Tumor_Sample_Barcode" or "Tumor_Sample_Barcode" in str(
        error.value
    )


# ---------------------------------------------------------------------------------------------
# fusions in VCFs (#14): one annotate row per fusion, not per line
# ---------------------------------------------------------------------------------------------

VCF_FUSION_FILES = (
    "oncomine/seed_progression_brain.vcf",
    "oncomine/seed_baseline_lung.vcf",
    "sv_bnd_vcf/vcf2maf_test_delly.vcf",
    "sv_bnd_vcf/hts-specs_sv44.vcf",
)


@pytest.mark.parametrize("name", VCF_FUSION_FILES)
def test_vcf_fusions_agree(name: str, tmp_path: Path) -> None:
    """A VCF's detected fusions, as add-test reads them (sample, fusion, first record line), are
    annotate's SV rows, in the same order: EML4::ALK from the Oncomine pair; none from the
    FAIL-only panel or from breakends without gene names."""
    path = FORMATS / name
    case = [
        (s or "", _case_name(f), f.provenance.line)
        for s, fs in read_file(path).findings_by_sample.items()
        for f in fs
        if f.status == "detected" and f.alteration.kind == "fusion" and f.provenance is not None
    ]
    out = tmp_path / "annotated.tsv"
    annotate_tables(FORMATS / MAF_FILES[1], out=out, sv=path)
    rows = _read_output(out.with_name("annotated.sv.tsv"))
    table = [(r["Sample_Id"], _table_name(r), int(r["VCF_Lines"].split(",")[0])) for r in rows]
    assert table == sorted(case, key=lambda c: c[2])
    if "progression" in name:
        assert [c[1] for c in case] == ["EML4::ALK"]
