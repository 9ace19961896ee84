"""Our VCF tokenizer reads records as htslib does.

`tkiresist.io.vcf` parses VCF text itself, so that every finding and every error carries its
line (docs/decisions.md says why). These tests hold it to htslib, the reference
implementation, through pysam: on every VCF in ``tests/data`` and on generated files, each
record's CHROM, POS, ID, REF, ALT, FILTER, INFO and the read sample's FORMAT values must be
what pysam gives. htslib types INFO and FORMAT values from the header (Integer, Float, Flag,
String; ``Number`` splits on commas); we keep the text, so values are compared after reading
the text the same way.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pysam
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tkiresist.io import vcf

DATA = Path(__file__).resolve().parents[1] / "data"
VCFS = sorted(p for p in DATA.rglob("*.vcf*") if "invalid" not in p.parts)


def _ours(path: Path) -> tuple[Any, list[Any]]:
    header, lines = vcf._read_header(path)
    return header, [vcf._parse_record(header, n, t, e) for n, t, e in lines if t.strip()]


def _same(raw: str | bool, value: object) -> bool:
    """Does the VCF text ``raw`` read as htslib's typed ``value``?"""
    if isinstance(value, bool):
        return raw is True and value
    if raw is True:
        return False
    assert isinstance(raw, str)
    if value is None:
        return raw == "."
    if isinstance(value, tuple):
        if all(isinstance(v, str) for v in value):
            return raw == ",".join(value)  # type: ignore[arg-type]
        parts = raw.split(",")
        if len(parts) != len(value):
            return False
        return all(_same(p, v) for p, v in zip(parts, value, strict=True))
    if isinstance(value, int):
        return raw != "." and int(raw) == value
    if isinstance(value, float):
        if raw == "." or math.isnan(value):
            return raw in (".", "nan", "NaN")
        return math.isclose(float(raw), value, rel_tol=1e-6, abs_tol=1e-30)  # float32 in htslib
    return raw == value


def _genotype(raw: str, value: object) -> bool:
    if raw == ".":
        return value in ((None,), (None, None))
    alleles = raw.replace("|", "/").split("/")
    expected = tuple(None if a == "." else int(a) for a in alleles)
    return expected == value


def _compare(path: Path) -> int:
    header, ours = _ours(path)
    with pysam.VariantFile(str(path)) as theirs_file:
        theirs = list(theirs_file)
        sample = header.samples[vcf._sample_index(header)] if header.samples else None
    assert len(ours) == len(theirs), path
    for mine, rec in zip(ours, theirs, strict=True):
        where = f"{path.name}:{mine.line}"
        assert (mine.chrom, mine.pos, mine.ref) == (rec.chrom, rec.pos, rec.ref), where
        assert mine.id == rec.id, where
        assert mine.alts == (rec.alts or (".",)), where
        assert (mine.filter if mine.filter != "." else "") == ";".join(rec.filter.keys()), where
        # htslib takes INFO/END out of INFO into the record's end (``stop``), and ignores an
        # END before POS (a DELLY translocation's END is on CHR2)
        end = mine.info.get("END")
        if isinstance(end, str) and int(end) >= mine.pos:
            assert int(end) == rec.stop, where
        assert set(mine.info) - {"END"} == set(rec.info), where
        for key in rec.info:
            assert _same(mine.info[key], rec.info[key]), f"{where} INFO {key}"
        if sample is None:
            continue
        values = rec.samples[sample]
        assert set(mine.sample) <= set(values), where
        for key in values:
            # the VCF specification lets trailing FORMAT fields be dropped: missing, as "." is
            raw = mine.sample.get(key, ".")
            ok = _genotype(raw, values[key]) if key == "GT" else _same(raw, values[key])
            assert ok, f"{where} FORMAT {key}: {raw!r} vs {values[key]!r}"
    return len(ours)


@pytest.mark.parametrize("path", VCFS, ids=[p.name for p in VCFS])
def test_every_bundled_vcf_reads_as_htslib_reads_it(path: Path) -> None:
    assert _compare(path) > 0


def test_the_bundled_vcfs_are_all_compared() -> None:
    # the two real-format examples and the two Oncomine-style files built for the seed
    names = {p.name for p in VCFS}
    assert {"hts-specs_sv44.vcf", "vcf2maf_test_delly.vcf"} <= names
    assert {"seed_baseline_lung.vcf", "seed_progression_brain.vcf"} <= names


# --- generated files ----------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(
        codec="ascii", exclude_characters="\t\n\r;=,%:", min_codepoint=33, max_codepoint=126
    ),
    min_size=1,
    max_size=12,
).filter(lambda s: s != ".")
_BASES = st.text(alphabet="ACGT", min_size=1, max_size=6)

_INFO_DEFS = {
    "DP": ("1", "Integer"),
    "AF": ("A", "Float"),
    "SOMATIC": ("0", "Flag"),
    "GENE_NAME": ("1", "String"),
    "ANN": (".", "String"),
}


@st.composite
def _record(draw: st.DrawFn, number: int) -> str:
    ref = draw(_BASES)
    alts = draw(st.lists(_BASES.filter(lambda a: a != ref), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):  # a breakend, a symbolic allele or no ALT at all
        alts = [draw(st.sampled_from([f"{ref[0]}]chr2:321682]", "<DEL>", "<DUP>", "."]))]
    no_alt = alts == ["."]
    info: list[str] = []
    if draw(st.booleans()):
        info.append(f"DP={draw(st.integers(0, 10**6))}")
    if draw(st.booleans()) and not no_alt:
        afs = [draw(st.floats(0, 1, allow_nan=False, width=32)) for _ in alts]
        info.append("AF=" + ",".join(f"{a:.4g}" for a in afs))
    if draw(st.booleans()):
        info.append("SOMATIC")
    if draw(st.booleans()):
        info.append(f"GENE_NAME={draw(_TEXT)}")
    if draw(st.booleans()):
        info.append("ANN=" + ",".join(draw(st.lists(_TEXT, min_size=1, max_size=3))))
    gt = draw(st.sampled_from(["./.", "0/0"] if no_alt else ["0/1", "1/1", "0|1", "./.", "0/0"]))
    ad = ",".join(str(draw(st.integers(0, 5000))) for _ in range(1 if no_alt else len(alts) + 1))
    fmt = [gt, ad, str(draw(st.integers(0, 10**5)))]
    fmt = fmt[: draw(st.integers(1, 3))]  # trailing fields may be dropped
    flt = draw(st.sampled_from(["PASS", ".", "LowQual", "LowQual;StrandBias"]))
    rid = draw(st.sampled_from([".", f"rs{number}"]))
    return "\t".join(
        [
            draw(st.sampled_from(["chr1", "chr7", "chrX"])),
            str(1000 * number + draw(st.integers(1, 999))),
            rid,
            ref,
            ",".join(alts),
            draw(st.sampled_from([".", "50", "12.5"])),
            flt,
            ";".join(info) or ".",
            "GT:AD:DP",
            f"0/0:{ad}:{draw(st.integers(0, 10**5))}",  # NORMAL
            ":".join(fmt),  # TUMOR, the sample read
        ]
    )


def _vcf_text(records: list[str]) -> str:
    meta = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=chr1,length=248956422>",
        "##contig=<ID=chr2,length=242193529>",
        "##contig=<ID=chr7,length=159345973>",
        "##contig=<ID=chrX,length=156040895>",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FILTER=<ID=LowQual,Description="Low quality">',
        '##FILTER=<ID=StrandBias,Description="Strand bias">',
        *(
            f'##INFO=<ID={k},Number={n},Type={t},Description="{k}, as in the test">'
            for k, (n, t) in _INFO_DEFS.items()
        ),
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        '##ALT=<ID=DEL,Description="Deletion">',
        '##ALT=<ID=DUP,Description="Duplication">',
        "##tumor_sample=TUMOR",
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOR",
    ]
    return "\n".join([*meta, *records]) + "\n"


@st.composite
def _vcf(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 6))
    return _vcf_text([draw(_record(i + 1)) for i in range(n)])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_vcf())
def test_generated_vcfs_read_as_htslib_reads_them(tmp_path: Path, text: str) -> None:
    path = tmp_path / "generated.vcf"
    path.write_text(text, encoding="ascii")
    assert _compare(path) == text.count("\n") - text.count("\n#") - 1


def test_the_comparison_catches_a_misread_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cross-check is not vacuous: a tokenizer that misreads one value is caught."""
    import dataclasses

    record = "chr1\t100\t.\tA\tG\t.\tPASS\tDP=7\tGT:AD:DP\t0/0:9,0:9\t0/1:3,4:7"
    path = tmp_path / "one.vcf"
    path.write_text(_vcf_text([record]))
    assert _compare(path) == 1
    original = vcf._parse_record
    for broken in (
        lambda r: dataclasses.replace(r, pos=r.pos + 1),
        lambda r: dataclasses.replace(r, info={"DP": "8"}),
        lambda r: dataclasses.replace(r, sample={**r.sample, "AD": "3,5"}),
        lambda r: dataclasses.replace(r, sample={**r.sample, "GT": "1/1"}),
    ):
        monkeypatch.setattr(
            vcf,
            "_parse_record",
            lambda *a, b=broken: b(original(*a)),  # type: ignore[misc]
        )
        with pytest.raises(AssertionError):
            _compare(path)
