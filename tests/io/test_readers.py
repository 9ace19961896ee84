"""The registry: every example file is read by the right reader, or refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.errors import FormatError
from tkiresist.io.base import ReadResult, check_same_build
from tkiresist.io.readers import detect_format, formats, read_file

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"

# (file, format, build, findings, warnings) -- every real example file (except FHIR, issue #7)
# and every constructed one.
CASES = [
    ("arriba/arriba_test_fusions.tsv", "arriba", None, 1, 0),
    ("arriba/annoFuseData_arriba_example.tsv", "arriba", None, 19, 16),
    (
        "star_fusion/STAR-Fusion_testing_saved.fusion_candidates.final.abridged.FFPM",
        "star-fusion",
        None,
        29,
        5,
    ),
    ("star_fusion/annoFuseData_starfusion_example.tsv", "star-fusion", None, 1, 0),
    ("maf/genome-nexus_minimal_example.out.mskcc.maf.txt", "maf", "GRCh37", 3, 4),
    # 4 Silent rows change no protein: left out, as annotate and cohort leave them out (#14)
    ("maf/vcf2maf_test_b38_output.maf", "maf", "GRCh38", 21, 6),
    ("sv_bnd_vcf/hts-specs_sv44.vcf", "vcf", None, 0, 8),
    ("sv_bnd_vcf/vcf2maf_test_delly.vcf", "vcf", "GRCh37", 0, 15),
    ("cnvkit/cnvkit_p2-9_2.call.cns", "cnvkit", None, 2, 0),
    ("cnvkit/cnvkit_p2-9_2.cns", "cnvkit", None, 47, 3),
    ("cnvkit/cnvkit_amplicon.cns", "cnvkit", None, 75, 15),
    ("oncomine/seed_baseline_lung.vcf", "vcf", "GRCh37", 7, 0),
    ("oncomine/seed_progression_brain.vcf", "vcf", "GRCh37", 7, 0),
    ("fusioncatcher/final-list_candidate-fusion-genes.txt", "fusioncatcher", None, 4, 1),
    ("cbioportal/data_sv.txt", "cbioportal-sv", "GRCh37", 3, 1),
    ("cbioportal/data_cna.txt", "cbioportal-cna", None, 3, 0),
    ("cbioportal/data_cna_long.txt", "cbioportal-cna-long", None, 3, 0),
    ("cbioportal/all_thresholded.by_genes.txt", "gistic", None, 2, 0),
    ("oncokb/fusions.txt", "oncokb-fusion", None, 3, 1),
    ("oncokb/sv.txt", "oncokb-sv", None, 2, 1),
    ("oncokb/individual_cna.txt", "oncokb-cna", None, 4, 0),
    ("cna/gene_calls.tsv", "cna-calls", None, 4, 0),
    ("ihc/seed_ihc.tsv", "ihc-table", None, 2, 0),
    ("ihc/mixed_methods.tsv", "ihc-table", None, 4, 1),
    ("ctdna/serial_plasma.csv", "ctdna-csv", None, 8, 0),  # synthetic (#15)
]


@pytest.mark.parametrize(
    ("name", "fmt", "build", "n_findings", "n_warnings"), CASES, ids=[c[0] for c in CASES]
)
def test_every_example_file_is_read(
    name: str, fmt: str, build: str | None, n_findings: int, n_warnings: int
) -> None:
    path = DATA / name
    reader = detect_format(path)
    assert reader is not None and reader.name == fmt
    result = read_file(path)
    assert result.format == fmt
    assert result.genome_build == build
    assert len(result.findings) == n_findings
    assert len(result.warnings) == n_warnings
    for finding in result.findings:
        assert finding.provenance is not None
        assert finding.provenance.file == str(path)
        assert finding.provenance.line is not None and finding.provenance.line >= 1
        assert finding.provenance.caller == result.caller
        assert finding.provenance.source_text
    for problem in result.warnings:
        assert problem.location.file == str(path) and problem.location.line


def test_every_shared_example_has_a_copy_and_a_case() -> None:
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "formats"
    if not shared.is_dir():
        pytest.skip("the shared example folder is not on this machine; the copies are tested")
    listed = {c[0] for c in CASES} | {"maf/genome-nexus_minimal_example.in.txt"}
    for path in shared.glob("*/*"):
        if path.parent.name == "fhir":
            continue  # issue #7
        rel = f"{path.parent.name}/{path.name}"
        assert rel in listed, rel
        assert (DATA / rel).read_bytes() == path.read_bytes(), f"{rel} copy differs"


def test_coordinate_only_input_is_refused_with_reason() -> None:
    path = DATA / "maf/genome-nexus_minimal_example.in.txt"
    with pytest.raises(FormatError) as err:
        read_file(path)
    assert err.value.location.line == 1
    assert err.value.location.field == "Hugo_Symbol"
    assert "coordinate-only" in err.value.message


def test_unknown_format_lists_formats_tried(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("alpha\tbeta\n1\t2\n")
    with pytest.raises(FormatError) as err:
        read_file(path)
    for name in formats():
        assert name in err.value.message
    assert err.value.location.file == str(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.tsv"
    path.write_text("")
    with pytest.raises(FormatError) as err:
        read_file(path)
    assert err.value.location.line == 1 and "empty" in err.value.message


def test_named_format_and_unknown_name() -> None:
    path = DATA / "cnvkit/cnvkit_p2-9_2.call.cns"
    assert read_file(path, "cnvkit").format == "cnvkit"
    with pytest.raises(FormatError, match="unknown format 'nope'"):
        read_file(path, "nope")


def test_expected_build_refuses_the_other_build() -> None:
    path = DATA / "maf/vcf2maf_test_b38_output.maf"
    assert read_file(path, expected_build="GRCh38").genome_build == "GRCh38"
    with pytest.raises(FormatError, match="build mismatch"):
        read_file(path, expected_build="GRCh37")


def test_results_of_two_builds_do_not_mix() -> None:
    a = read_file(DATA / "maf/vcf2maf_test_b38_output.maf")
    b = read_file(DATA / "maf/genome-nexus_minimal_example.out.mskcc.maf.txt")
    c = read_file(DATA / "cnvkit/cnvkit_p2-9_2.call.cns")
    assert check_same_build([a, c]) == "GRCh38"
    with pytest.raises(FormatError) as err:
        check_same_build([a, c, b])
    assert "GRCh37" in err.value.message and "GRCh38" in err.value.message


def test_result_is_immutable() -> None:
    result: ReadResult = read_file(DATA / "arriba/arriba_test_fusions.tsv")
    with pytest.raises(AttributeError):
        result.format = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.findings_by_sample[None] = ()  # type: ignore[index]
