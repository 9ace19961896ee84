"""attach_test and ``tkiresist add-test``: new test events, default assays, and bad input.

Every refusal must leave the case file byte-for-byte unchanged (bytes and mtime compared), exit
2, and name the file, line and field (or the argument) of each problem.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tkiresist.cli import app
from tkiresist.errors import CaseValidationError, FormatError
from tkiresist.io.attach import attach_test, default_assay, select_sample
from tkiresist.io.base import ReadResult
from tkiresist.io.casefile import read_case, write_case
from tkiresist.io.readers import read_file
from tkiresist.model.case import Case
from tkiresist.model.timeline import MolecularTest, Specimen

from ..conftest import DATA, SEED_CASE

FORMATS = DATA / "formats"
BASELINE_VCF = FORMATS / "oncomine" / "seed_baseline_lung.vcf"
PROGRESSION_VCF = FORMATS / "oncomine" / "seed_progression_brain.vcf"
IHC = FORMATS / "ihc" / "seed_ihc.tsv"
MIXED = FORMATS / "ihc" / "mixed_methods.tsv"  # PD-L1 is kept as written, with a warning

runner = CliRunner()


@pytest.fixture(scope="module")
def seed() -> Case:
    return read_case(SEED_CASE)


def _tests(case: Case) -> list[MolecularTest]:
    return [e for e in case.events if isinstance(e, MolecularTest)]


# --------------------------------------------------------------------------------------------
# The library


@pytest.mark.parametrize(
    ("file", "assay"),
    [
        (BASELINE_VCF, "oncomine-precision"),
        (FORMATS / "arriba" / "arriba_test_fusions.tsv", "ngs-rna-fusion"),
        (FORMATS / "star_fusion" / "annoFuseData_starfusion_example.tsv", "ngs-rna-fusion"),
        (FORMATS / "fusioncatcher" / "final-list_candidate-fusion-genes.txt", "ngs-rna-fusion"),
        (FORMATS / "maf" / "vcf2maf_test_b38_output.maf", "ngs-dna-hotspot"),
        (FORMATS / "cnvkit" / "cnvkit_p2-9_2.call.cns", "ngs-dna-hotspot"),
        (FORMATS / "cna" / "gene_calls.tsv", "ngs-dna-hotspot"),
        (IHC, "ihc-generic"),
        (MIXED, "ihc-generic"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_default_assay_by_reader(file: Path, assay: str) -> None:
    result = read_file(file)
    assert default_assay(result, result.findings) == assay


def test_fish_only_table_needs_an_assay(tmp_path: Path) -> None:
    fish = tmp_path / "fish.tsv"
    fish.write_text("marker\tresult\tmethod\nALK\trearranged\tFISH\n", encoding="utf-8")
    result = read_file(fish)
    with pytest.raises(FormatError, match=r"name the assay, e\.g\. fish-alk-breakapart") as exc:
        default_assay(result, result.findings)
    assert exc.value.location.file == str(fish)


def test_attach_adds_one_test_after_the_specimen_and_is_pure(seed: Case) -> None:
    result = read_file(PROGRESSION_VCF)
    new = attach_test(
        seed,
        result,
        specimen="spec-brain",
        date_or_time="0 days after spec-brain",
        assay=None,
        sample=None,
        test_id=None,
    )
    assert len(new.events) == len(seed.events) + 1
    assert len(_tests(seed)) == 4  # the input case is untouched
    ids = [e.id for e in new.events]
    # after spec-brain and the two tests already on it
    assert ids[ids.index("ihc-progression") + 1] == "ngs-spec-brain"
    test = new.event("ngs-spec-brain")
    assert isinstance(test, MolecularTest)
    assert test.assay == "oncomine-precision"
    assert test.note is not None and "SEED-BRAIN-PD" in test.note
    assert [f.alteration.name for f in test.findings] == [
        f.alteration.name for f in result.findings
    ]
    assert [f.provenance for f in test.findings] == [f.provenance for f in result.findings]


def _table(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MAF_HEAD = "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\n"


def test_findings_in_genes_hgnc_does_not_know_are_left_out_and_noted(
    seed: Case, tmp_path: Path
) -> None:
    """A caller's clone-based gene name (AC012345.1) is kept by the reader as written; the case
    cannot hold it, so attach_test leaves that finding out and names it, with its line, in the
    test's note, and attaches the rest (before, the whole file was refused)."""
    maf = _table(
        tmp_path,
        "m.maf",
        MAF_HEAD
        + "EGFR\tT1\tMissense_Mutation\tp.L858R\n"
        + "AC012345.1\tT1\tMissense_Mutation\tp.A10V\n"
        + "MET\tT1\tMissense_Mutation\tp.D1228N\n",
    )
    result = read_file(maf)
    assert [f.alteration.name for f in result.findings][1] == "AC012345.1 p.A10V"
    new = attach_test(seed, result, specimen="spec-brain", date_or_time="0 days after spec-brain")
    test = new.event("ngs-spec-brain")
    assert isinstance(test, MolecularTest)
    assert [f.alteration.name for f in test.findings] == ["EGFR p.L858R", "MET p.D1228N"]
    assert test.note is not None
    assert test.note.endswith(
        "; left out, genes HGNC does not know: 1 finding(s): AC012345.1 p.A10V (line 3)"
    )


def test_a_file_of_unknown_genes_only_is_refused(seed: Case, tmp_path: Path) -> None:
    maf = _table(tmp_path, "m.maf", MAF_HEAD + "AC012345.1\tT1\tMissense_Mutation\tp.A10V\n")
    with pytest.raises(FormatError, match="no findings other than in genes HGNC does not know"):
        attach_test(
            seed, read_file(maf), specimen="spec-brain", date_or_time="0 days after spec-brain"
        )


def _sv(tmp_path: Path, genes: str) -> Path:
    return _table(
        tmp_path,
        "sv.txt",
        "Tumor_Sample_Barcode\tGeneA\tGeneB\tSv_Type\n"
        f"T1\tEGFR\tEGFR\tDELETION\nT1\t{genes}\tFUSION\nT1\tCD74\tROS1\tFUSION\n",
    )


@pytest.mark.parametrize(
    ("genes", "kinase", "hint"),
    [
        ("NOTAGENE9\tALK", "ALK", "write it as 'ALK fusion'"),
        ("RET\tNOTAGENE9", "RET", "write it as 'RET fusion'"),
        ("FGFR3\tNOTAGENE9", "FGFR3", None),  # FGFR sits 5': no partner-unknown form
    ],
)
def test_a_kinase_fusion_with_a_partner_hgnc_does_not_know_is_refused(
    seed: Case, tmp_path: Path, genes: str, kinase: str, hint: str | None
) -> None:
    """Left out, the fusion would read as "no ALK fusion" under a covering assay: it is
    refused at its line, with what to do."""
    sv = _sv(tmp_path, genes)
    with pytest.raises(CaseValidationError) as err:
        attach_test(
            seed, read_file(sv), specimen="spec-brain", date_or_time="0 days after spec-brain"
        )
    (problem,) = err.value.problems
    assert problem.location.file == str(sv) and problem.location.line == 3
    assert "HGNC does not know 'NOTAGENE9'" in problem.message
    assert f"This {kinase} fusion is not left out" in problem.message
    assert (hint in problem.message) if hint else ("write it as" not in problem.message)


def test_a_fusion_of_other_genes_with_an_unknown_partner_is_left_out(
    seed: Case, tmp_path: Path
) -> None:
    """A readthrough of a clone-based name and a gene no fusion category names makes no
    negative when left out: it is left out and noted, like a variant."""
    sv = _sv(tmp_path, "AC012345.1\tTMPRSS2")
    new = attach_test(
        seed, read_file(sv), specimen="spec-brain", date_or_time="0 days after spec-brain"
    )
    test = new.event("ngs-spec-brain")
    assert isinstance(test, MolecularTest)
    assert [f.alteration.name for f in test.findings] == ["CD74::ROS1"]
    assert test.note is not None and "left out, genes HGNC does not know: 1 finding(s)" in test.note
    assert "(line 3)" in test.note


def test_attach_twice_makes_unique_ids(seed: Case) -> None:
    result = read_file(BASELINE_VCF)
    kwargs = {"specimen": "spec-lung", "date_or_time": "0 days after spec-lung"}
    once = attach_test(seed, result, assay=None, sample=None, test_id=None, **kwargs)
    twice = attach_test(once, result, assay=None, sample=None, test_id=None, **kwargs)
    assert [t.id for t in _tests(twice)] == [
        "ngs-baseline",
        "ihc-baseline",
        "ngs-spec-lung",
        "ngs-spec-lung-2",
        "ngs-progression",
        "ihc-progression",
    ]


def test_new_specimen_is_created_with_kind_site_and_time(seed: Case) -> None:
    result = read_file(PROGRESSION_VCF)
    new = attach_test(
        seed,
        result,
        specimen="spec-plasma",
        date_or_time="2 months after pd-brain-3",
        assay="oncomine-precision",
        sample="SEED-BRAIN-PD",
        test_id="cfdna-1",
        specimen_kind="plasma",
        specimen_site="peripheral blood",
    )
    spec = new.event("spec-plasma")
    assert isinstance(spec, Specimen)
    assert (spec.kind, spec.site) == ("plasma", "peripheral blood")
    assert [e.id for e in new.events][-2:] == ["spec-plasma", "cfdna-1"]
    months = new.months()
    assert months["cfdna-1"] == pytest.approx(months["pd-brain-3"] + 2, abs=0.01)


@pytest.fixture
def pathology(tmp_path: Path) -> Path:
    path = tmp_path / "pathology.tsv"
    path.write_text(
        "marker\tresult\tmethod\tspecimen\n"
        "ALK\trearranged\tFISH\tS-A\n"
        "small cell transformation\tabsent\thistology\tS-A\n"
        "ALK\tpositive\tIHC\tS-A\n"
        "MET\tpositive\tIHC\tS-A\n",
        encoding="utf-8",
    )
    return path


def test_ihc_method_dropped_for_an_ihc_assay_but_fish_kept(seed: Case, pathology: Path) -> None:
    new = attach_test(
        seed,
        read_file(pathology),
        specimen="spec-brain",
        date_or_time="0 days after spec-brain",
        assay=None,
        sample="S-A",
        test_id="path-1",
    )
    test = new.event("path-1")
    assert isinstance(test, MolecularTest) and test.assay == "ihc-generic"
    assert [f.method for f in test.findings] == ["FISH", "histology", None, None]


def test_ihc_finding_checked_against_the_assay_coverage(seed: Case, pathology: Path) -> None:
    """MET IHC attached as an ALK IHC test: the coverage check must see it (method dropped)."""
    with pytest.raises(CaseValidationError) as exc:
        attach_test(
            seed,
            read_file(pathology),
            specimen="spec-brain",
            date_or_time="0 days after spec-brain",
            assay="ihc-alk",
            sample="S-A",
            test_id=None,
        )
    (problem,) = exc.value.problems
    assert (problem.location.file, problem.location.line) == (str(pathology), 5)
    assert "'MET IHC positive'" in problem.message
    assert "'ihc-alk' does not cover" in problem.message


def test_select_sample_lists_samples() -> None:
    result = read_file(IHC)
    assert select_sample(result, "brain metastasis")[0] == "brain metastasis"
    with pytest.raises(FormatError, match="samples present: 'lung biopsy', 'brain metastasis'"):
        select_sample(result, None)
    with pytest.raises(FormatError, match="'lung' is not in the file"):
        select_sample(result, "lung")


def test_a_sample_without_findings_is_refused(seed: Case) -> None:
    empty = ReadResult("vcf", "vcf", "x.vcf", MappingProxyType({"S1": ()}))
    with pytest.raises(FormatError, match="no findings for sample 'S1'"):
        attach_test(
            seed,
            empty,
            specimen="spec-lung",
            date_or_time="0 days after spec-lung",
            assay=None,
            sample=None,
            test_id=None,
        )


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"specimen": "osi"}, "specimen", "is a therapy event, not a specimen"),
        ({"specimen": "spec-new"}, "specimen_kind", "give its kind (tissue, plasma"),
        ({"specimen_kind": "plasma"}, "specimen_kind", "is 'tissue' in the case, not 'plasma'"),
        ({"date_or_time": "yesterday"}, "date", "expected a date"),
        ({"date_or_time": "2024-03-05"}, "date", "the diagnosis needs a date"),
        ({"date_or_time": "1 day after nowhere"}, "date", "unknown anchor 'nowhere'"),
        ({"assay": "nope"}, "assay", "unknown assay 'nope'"),
        ({"test_id": "osi"}, "test_id", "duplicate event id 'osi'"),
        ({"test_id": "bad id"}, "test_id", "should match pattern"),
    ],
)
def test_argument_problems_name_the_argument(
    seed: Case, kwargs: dict[str, str], field: str, message: str
) -> None:
    args: dict[str, str | None] = {
        "specimen": "spec-lung",
        "date_or_time": "0 days after spec-lung",
        "assay": None,
        "sample": None,
        "test_id": None,
    }
    args.update(kwargs)
    with pytest.raises(CaseValidationError) as exc:
        attach_test(seed, read_file(BASELINE_VCF), **args)  # type: ignore[arg-type]
    problems = exc.value.problems
    assert [p.location.field for p in problems] == [field], problems
    assert message in problems[0].message


# --------------------------------------------------------------------------------------------
# The command: refusals leave the case file unchanged


@pytest.fixture
def case_file(tmp_path: Path, seed: Case) -> Path:
    path = tmp_path / "case.yaml"
    write_case(seed, path)
    old = path.stat().st_mtime_ns - 10_000_000_000  # 10 s back: a rewrite would move it
    os.utime(path, ns=(old, old))
    return path


def _truncated_vcf(tmp_path: Path) -> Path:
    lines = BASELINE_VCF.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = next(i for i, ln in enumerate(lines) if "KIF5B-RET" in ln)
    text = "".join(lines[:cut]) + lines[cut][: lines[cut].index("\tFAIL")]
    out = tmp_path / "truncated.vcf"
    out.write_text(text, encoding="utf-8")
    return out


def _invoke(case_file: Path, *args: str) -> tuple[int, list[str]]:
    out = runner.invoke(app, ["add-test", str(case_file), *args])
    assert "Traceback" not in out.output
    return out.exit_code, [ln for ln in out.stderr.splitlines() if ln.strip()]


def test_truncated_vcf(case_file: Path, tmp_path: Path) -> None:
    before = (case_file.read_bytes(), case_file.stat().st_mtime_ns)
    bad = _truncated_vcf(tmp_path)
    code, lines = _invoke(
        case_file, "--file", str(bad), "--specimen", "spec-lung", "--date", "0 days after dx"
    )
    assert code == 2
    assert len(lines) == 1
    assert lines[0].startswith(f"{bad}:45:7: FILTER: ")
    assert "truncated file?" in lines[0]
    assert (case_file.read_bytes(), case_file.stat().st_mtime_ns) == before


@pytest.mark.parametrize(
    ("file", "args", "expected"),
    [
        pytest.param(
            PROGRESSION_VCF,
            ["--specimen", "spec-brain", "--sample", "BRAIN"],
            [f"{PROGRESSION_VCF}: sample: sample 'BRAIN' is not in the file; "
             "samples present: 'SEED-BRAIN-PD'"],
            id="wrong-sample",
        ),
        pytest.param(
            IHC,
            ["--specimen", "spec-brain"],
            [f"{IHC}: sample: the file holds 2 samples: name one; "
             "samples present: 'lung biopsy', 'brain metastasis'"],
            id="ambiguous-sample",
        ),
        pytest.param(
            PROGRESSION_VCF,
            ["--specimen", "spec-csf", "--specimen-kind", "blood"],
            ["specimen_kind: unknown specimen kind 'blood': expected one of tissue, plasma, "
             "csf, pleural_fluid, cytology, other"],
            id="unknown-specimen-kind",
        ),
        pytest.param(
            PROGRESSION_VCF,
            ["--specimen", "spec-brain", "--assay", "ihc-alk"],
            [
                f"{PROGRESSION_VCF}:{line}: alteration: finding {name!r} is for a gene or kind "
                "that assay 'ihc-alk' does not cover (set 'method' if another test found it)"
                for line, name in [
                    (36, "EGFR p.E746_A750del"),
                    (37, "EGFR p.T790M"),
                    (38, "MET amplification"),
                    (39, "EML4::ALK"),
                    (43, "ROS1 fusion"),
                    (45, "RET fusion"),
                    (47, "NTRK1 fusion"),
                ]
            ],
            id="not-covered-by-assay",
        ),
    ],
)  # fmt: skip
def test_refusals_leave_the_case_unchanged(
    case_file: Path, file: Path, args: list[str], expected: list[str]
) -> None:
    before = (case_file.read_bytes(), case_file.stat().st_mtime_ns)
    code, lines = _invoke(case_file, "--file", str(file), "--date", "0 days after dx", *args)
    assert code == 2
    assert lines == expected
    assert (case_file.read_bytes(), case_file.stat().st_mtime_ns) == before


def test_an_invalid_case_file_is_reported_and_kept(tmp_path: Path) -> None:
    bad = DATA / "invalid" / "unknown_drug.yaml"
    case_file = tmp_path / "bad.yaml"
    case_file.write_bytes(bad.read_bytes())
    code, lines = _invoke(
        case_file, "--file", str(IHC), "--specimen", "s", "--date", "2024", "--sample", "x"
    )
    assert code == 2
    assert lines and lines[0].startswith(f"{case_file}:22: events[3].agents[0].drug: ")
    assert case_file.read_bytes() == bad.read_bytes()


def test_success_writes_a_valid_case_and_prints_a_summary(case_file: Path) -> None:
    out = runner.invoke(
        app,
        [
            "add-test", str(case_file), "--file", str(IHC), "--sample", "brain metastasis",
            "--specimen", "spec-brain", "--date", "0 days after spec-brain", "--id", "ihc-2",
        ],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert out.stdout.strip() == (
        f"{case_file}: added test 'ihc-2' (ihc-generic) on specimen 'spec-brain': "
        "1 findings, 1 detected"
    )
    case = read_case(case_file)
    test = case.event("ihc-2")
    assert isinstance(test, MolecularTest) and test.assay == "ihc-generic"
    assert not list(case_file.parent.glob(".case.yaml.*.tmp"))  # no temporary file left


# --------------------------------------------------------------------------------------------
# The case file keeps its comments and layout


def _without(text: str, block: list[str]) -> list[str]:
    """The lines of ``text`` with one contiguous run equal to ``block`` removed."""
    lines = text.splitlines()
    for i in range(len(lines) - len(block) + 1):
        if lines[i : i + len(block)] == block:
            return lines[:i] + lines[i + len(block) :]
    raise AssertionError("inserted block not found")


def _inserted(before: str, after: str) -> list[str]:
    """The lines ``after`` has that ``before`` has not (one contiguous run)."""
    a, b = before.splitlines(), after.splitlines()
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    return b[start : start + len(b) - len(a)]


def test_add_test_keeps_comments_and_layout(tmp_path: Path) -> None:
    case_file = tmp_path / "case.yaml"
    original = SEED_CASE.read_text(encoding="utf-8")
    assert original.count("\n#") > 3  # the example is commented
    case_file.write_text(original, encoding="utf-8")
    out = runner.invoke(
        app,
        ["add-test", str(case_file), "--file", str(PROGRESSION_VCF), "--specimen", "spec-brain",
         "--date", "0 days after spec-brain", "--id", "ngs-again"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "canonical layout" not in out.stdout
    after = case_file.read_text(encoding="utf-8")
    block = _inserted(original, after)
    assert block[0].lstrip().startswith("- id: ngs-again")
    assert "    time: 0 days after spec-brain" in block  # the short form a person writes
    assert _without(after, block) == original.splitlines()  # every other line as it was
    case = read_case(case_file)
    ids = [e.id for e in case.events]
    # right after the specimen's tests, before the next event and its leading comments
    brain_tests = [e.id for e in _tests(case) if e.specimen == "spec-brain"]
    assert brain_tests[-1] == "ngs-again"
    assert ids.index("ngs-again") == max(ids.index(t) for t in brain_tests)
    test = case.event("ngs-again")
    assert isinstance(test, MolecularTest) and test.genome_build == "GRCh37"  # hg19 header


def test_add_test_with_a_new_specimen_appends_both_events(tmp_path: Path) -> None:
    case_file = tmp_path / "case.yaml"
    original = SEED_CASE.read_text(encoding="utf-8")
    case_file.write_text(original, encoding="utf-8")
    out = runner.invoke(
        app,
        ["add-test", str(case_file), "--file", str(IHC), "--sample", "brain metastasis",
         "--specimen", "spec-new", "--specimen-kind", "tissue",
         "--date", "1 days after spec-brain"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    after = case_file.read_text(encoding="utf-8")
    block = _inserted(original, after)
    assert _without(after, block) == original.splitlines()
    case = read_case(case_file)
    assert [e.id for e in case.events][-2:] == ["spec-new", "ihc-spec-new"]


def _attach_brain_ihc(case_file: Path, test_id: str) -> Any:
    """``tkiresist add-test`` of the seed's brain-metastasis IHC row on spec-brain."""
    return runner.invoke(
        app,
        ["add-test", str(case_file), "--file", str(IHC), "--sample", "brain metastasis",
         "--specimen", "spec-brain", "--date", "0 days after spec-brain", "--id", test_id],
    )  # fmt: skip


def test_flow_style_events_fall_back_to_the_canonical_layout(tmp_path: Path, seed: Case) -> None:
    data = json.loads(seed.model_dump_json(exclude_none=True))
    events = data.pop("events")
    case_file = tmp_path / "flow.yaml"
    case_file.write_text(
        "# a comment that the canonical layout cannot keep\n"
        + yaml.safe_dump(data, sort_keys=False)
        + "events: "
        + json.dumps(events)  # a flow sequence: no place to insert a block item
        + "\n",
        encoding="utf-8",
    )
    out = _attach_brain_ihc(case_file, "ihc-x")
    assert out.exit_code == 0, out.output
    assert "rewritten in the canonical layout: comments were not kept" in out.stdout
    assert "# a comment" not in case_file.read_text(encoding="utf-8")
    assert isinstance(read_case(case_file).event("ihc-x"), MolecularTest)


# --------------------------------------------------------------------------------------------
# Genome builds across the tests of a case


def _grch38_copy(tmp_path: Path) -> Path:
    """The progression VCF re-declared as GRCh38 (reference line and contig lengths)."""
    text = PROGRESSION_VCF.read_text(encoding="utf-8")
    text = text.replace("##reference=hg19", "##reference=GRCh38")
    text = "\n".join(ln for ln in text.split("\n") if not ln.startswith("##contig="))
    out = tmp_path / "progression_grch38.vcf"
    out.write_text(text, encoding="utf-8")
    return out


def test_a_file_on_another_build_is_refused_unless_allowed(tmp_path: Path) -> None:
    case_file = tmp_path / "case.yaml"
    case_file.write_text(SEED_CASE.read_text(encoding="utf-8"), encoding="utf-8")
    common = ["--specimen", "spec-brain", "--date", "0 days after spec-brain"]
    first = runner.invoke(
        app, ["add-test", str(case_file), "--file", str(BASELINE_VCF), *common, "--id", "a"]
    )
    assert first.exit_code == 0, first.output
    grch38 = _grch38_copy(tmp_path)
    assert read_file(grch38).genome_build == "GRCh38"
    before = case_file.read_bytes()
    code, lines = _invoke(case_file, "--file", str(grch38), *common, "--id", "b")
    assert code == 2
    assert lines == [
        f"{grch38}: genome build mismatch: {grch38} is GRCh38 but test 'a' of the case is "
        "GRCh37; findings are compared by gene and protein change, but the coordinates of "
        "the two tests are not comparable: allow another build to attach it anyway "
        "(--allow-build-mix)"
    ]
    assert case_file.read_bytes() == before
    allowed = runner.invoke(
        app,
        ["add-test", str(case_file), "--file", str(grch38), *common, "--id", "b",
         "--allow-build-mix"],
    )  # fmt: skip
    assert allowed.exit_code == 0, allowed.output
    case = read_case(case_file)
    builds = {e.id: e.genome_build for e in _tests(case) if e.id in ("a", "b")}
    assert builds == {"a": "GRCh37", "b": "GRCh38"}


def test_a_crlf_case_keeps_its_line_endings(tmp_path: Path) -> None:
    case_file = tmp_path / "case.yaml"
    original = SEED_CASE.read_text(encoding="utf-8").replace("\n", "\r\n")
    case_file.write_bytes(original.encode("utf-8"))
    out = _attach_brain_ihc(case_file, "ihc-crlf")
    assert out.exit_code == 0, out.output
    data = case_file.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n")  # no bare LF
    assert b"# " in data  # comments kept
    assert isinstance(read_case(case_file).event("ihc-crlf"), MolecularTest)


def test_repeated_warnings_are_printed_once_with_their_lines(
    case_file: Path, tmp_path: Path
) -> None:
    """A file whose records repeat one problem (here a gene symbol HGNC does not know, in 7
    rows) gives one warning line on the terminal, at the first row, naming how many more rows
    have it and the first five of them; a different problem keeps its own line."""
    head = "Hugo_Symbol\tTumor_Sample_Barcode\tVariant_Classification\tHGVSp_Short\tNCBI_Build\n"
    rows = ["EGFR\tT1\tMissense_Mutation\tp.L858R\tGRCh37"]
    rows += [f"NOTAGENE1\tT1\tMissense_Mutation\tp.A{n}V\tGRCh37" for n in range(10, 17)]
    rows += ["NOTAGENE2\tT1\tMissense_Mutation\tp.G12C\tGRCh37"]
    maf = tmp_path / "unknown_genes.maf"
    maf.write_text(head + "\n".join(rows) + "\n", encoding="utf-8")
    assert sum("NOTAGENE1" in str(w) for w in read_file(maf).warnings) == 7  # the library: all
    code, lines = _invoke(
        case_file, "--file", str(maf), "--specimen", "spec-brain", "--date", "0 days after dx"
    )
    assert code == 0, lines
    warned = [ln for ln in lines if ln.startswith("warning: ")]
    assert len(warned) == 2
    assert warned[0].startswith(f"warning: {maf}:3:")
    assert "NOTAGENE1" in warned[0]
    assert warned[0].endswith("(the same at 6 more lines: 4, 5, 6, 7, 8, ...)")
    assert f"{maf}:10:" in warned[1] and "NOTAGENE2" in warned[1]
    assert "more line" not in warned[1]
