"""VCF: small variants, structural-variant breakends, and Ion Reporter / Oncomine VCFs.

Why our own parser
------------------
VCF text is simple, and what we need from it is not what pysam/cyvcf2 give: every finding must
carry its file line, and every error must name line, column and INFO key; both libraries hide
record line numbers and report malformed records without them. They are also compiled
dependencies for a reader that touches a few hundred records. So the parser below reads the
text itself (plain or gzip), checks the header (``##fileformat``, ``#CHROM`` columns), parses
structured meta lines (INFO/FORMAT/contig), and checks each record's field count and types.
``tests/io/test_vcf_htslib.py`` holds it to htslib (through pysam, a test dependency): on every
bundled VCF and on generated ones (multi-allelic, breakend, symbolic and missing ALTs, flags,
``Number=A/R/.`` values, dropped trailing FORMAT fields), each record's fields and the tumour
sample's values must be what htslib reads.

Genome build
------------
From ``##reference`` (``hg19``, ``b37``, ``GRCh38``...) and ``##contig`` lengths (chr1
249250621 = GRCh37, 248956422 = GRCh38; chr2, chr7, chr17, chrX too). Claims that disagree
raise FormatError ("build mismatch"); none gives ``genome_build=None``.

Small variants
--------------
Gene and protein change come from snpEff ``ANN``, VEP ``CSQ`` (field order from the header's
``Format:``) or Ion Reporter ``FUNC``, matched to the ALT allele. VAF and depth come from FORMAT
``AD`` (depth = sum of AD), ``AF``, ``DP`` of the tumour sample, else INFO ``FAO``/``FDP``
(Ion flow-corrected counts), ``AF``, ``DP``. The tumour sample is ``##tumor_sample=``, else a
sample named TUMOR/TUMOUR, else the only or first sample (with a warning). A genotype ``0/0``
(an Ion hotspot position called reference) gives a *not detected* finding; ``./.`` is a no-call,
kept as an unannotated record. A file whose records are all small variants but carry no
annotation at all (no ANN/CSQ/FUNC) is refused: it needs annotation first.

Quality mapping: FILTER ``PASS`` -> pass; ``.`` -> unknown; anything else -> fail.

Structural variants
-------------------
Breakends (``N[chr:pos[`` etc., paired by ``MATEID``, or DELLY-style with ``CHR2``/``END``),
symbolic alleles (``<DEL>``, ``<DUP>``, ``<INV>``, ``<INS>``, ``<CNV>`` with VCF 4.4
``SVCLAIM``) and single breakends are kept in ``ReadResult.breakends``. A fusion finding is made
only when the breakends are gene-annotated (snpEff ``gene_fusion`` effects with ``G1&G2``, or
INFO ``GENE_NAME``/``GENE``/``SYMBOL`` on both mates); gene order then follows the 3' role of
known kinases and is flagged ``order_corrected`` when swapped. Unannotated breakends (the
DELLY example) give a warning and no fusion.

Ion Reporter / Oncomine
-----------------------
* ``SVTYPE=Fusion`` records come in pairs whose IDs end ``_1`` (5' gene) and ``_2`` (3' gene),
  with ``GENE_NAME``, ``EXON_NUM``, ``READ_COUNT``, ``ANNOTATION`` and ``FUNC``. ``FILTER=PASS``
  is a detected fusion (exon breakpoints from ``EXON_NUM``, reads from ``READ_COUNT``);
  ``FILTER=FAIL`` is a targeted isoform found absent.
* Not detected: the FAIL pairs tell what the assay covers. For each 3' kinase gene
  (ALK, ROS1, RET, NTRK1-3, BRAF, RAF1, MET, NRG1) that has FAIL pairs and no PASS pair, one
  *not detected* ``<gene> fusion`` (partner-agnostic) finding; for other FAIL gene pairs, one
  *not detected* ``5'::3'`` finding per pair. A sample's coverage is taken only from the FAIL
  records present in its file.
* ``<CNV>`` records: gene from ``FUNC``, copy number from FORMAT ``CN``, else INFO ``CN``/
  ``RAW_CN``; the call from ``FUNC`` ``oncomineVariantClass`` (Amplification/Deletion) or the
  CNVkit copy-number thresholds (:class:`tkiresist.io.cna.CnvThresholds`). A CNV-covered gene at
  neutral copy number gives *amplification not detected*.
* ``5p3pAssays``, ``ExprControl``, ``GeneExpression`` and ``ProcessControl`` records are QC
  (``ReadResult.qc``), not findings.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from tkiresist.errors import FormatError, Location, ParseError
from tkiresist.io._nomen import protein_change
from tkiresist.io.base import (
    Breakend,
    QcRecord,
    Reader,
    ReadResult,
    ResultBuilder,
    UnannotatedRecord,
    agree_builds,
    build_from_contig,
    build_from_text,
    iter_lines,
)
from tkiresist.io.cna import DEFAULT_THRESHOLDS
from tkiresist.model.alterations import CopyNumber, Fusion, ProteinChange, SequenceVariant
from tkiresist.model.findings import FindingStatus, QualityLevel
from tkiresist.model.timeline import GenomeBuild
from tkiresist.nomenclature.fusions import THREE_PRIME_GENES, orient

NAME = "vcf"
COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
QC_TYPES = frozenset({"5p3pAssays", "ExprControl", "GeneExpression", "ProcessControl"})
ANN_DEFAULT = (
    "Allele", "Annotation", "Annotation_Impact", "Gene_Name", "Gene_ID", "Feature_Type",
    "Feature_ID", "Transcript_BioType", "Rank", "HGVS.c", "HGVS.p",
)  # fmt: skip
_BND = re.compile(
    r"^(?P<pre>[A-Za-z.*]*)(?P<b>[\[\]])(?P<chrom>[^:\[\]]+):(?P<pos>\d+)(?P=b)(?P<post>[A-Za-z.*]*)$"
)


def sniff(path: Path, head_lines: Sequence[str]) -> bool:
    return bool(head_lines) and head_lines[0].startswith("##fileformat=VCF")


# ---------------------------------------------------------------------------------------------
# header
# ---------------------------------------------------------------------------------------------


def _structured(text: str, loc: Location) -> dict[str, str]:
    """``ID=X,Number=1,Description="a, b"`` -> dict (quotes removed, escapes honoured)."""
    out: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        eq = text.find("=", i)
        if eq < 0:
            raise FormatError(f"malformed structured header: expected key=value in {text!r}", loc)
        key = text[i:eq].strip()
        j = eq + 1
        if j < n and text[j] == '"':
            j += 1
            buf: list[str] = []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise FormatError(f"unterminated quoted value in header: {text!r}", loc)
            value = "".join(buf)
            j += 1
        else:
            k = text.find(",", j)
            k = n if k < 0 else k
            value = text[j:k]
            j = k
        out[key] = value
        if j < n and text[j] == ",":
            j += 1
        i = j
    return out


@dataclass
class _Header:
    file: str
    info: dict[str, dict[str, str]] = field(default_factory=dict)
    format: dict[str, dict[str, str]] = field(default_factory=dict)
    build_claims: list[tuple[GenomeBuild, Location, str]] = field(default_factory=list)
    tumor_sample: str | None = None
    columns: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    line: int = 0

    def fields_of(self, key: str) -> tuple[str, ...] | None:
        """ANN/CSQ sub-field names from the INFO description (``Format: a|b|c``)."""
        meta = self.info.get(key)
        if meta is None:
            return None
        desc = meta.get("Description", "")
        m = re.search(r"(?:Format:|annotations:)\s*'?([^']+)'?", desc)
        if not m:
            return None
        return tuple(p.strip() for p in m.group(1).split("|"))


def _read_header(path: Path) -> tuple[_Header, list[tuple[int, str, bool]]]:
    """The header, and the remaining lines (records) as a list of (line, text, ended)."""
    file = str(path)
    h = _Header(file)
    lines = iter_lines(path)
    first = next(lines, None)
    if first is None:
        raise FormatError("empty file: expected ##fileformat=VCF...", Location(file=file, line=1))
    if not first[1].startswith("##fileformat=VCF"):
        raise FormatError(
            f"not a VCF: line 1 should be ##fileformat=VCFv4.x, found {first[1][:40]!r}",
            Location(file=file, line=1, column=1),
        )
    for number, text, _ in lines:
        loc = Location(file=file, line=number)
        if text.startswith("##"):
            key, _, value = text[2:].partition("=")
            if value.startswith("<") and value.endswith(">"):
                meta = _structured(value[1:-1], loc)
                if key == "INFO":
                    h.info[meta.get("ID", "")] = meta
                elif key == "FORMAT":
                    h.format[meta.get("ID", "")] = meta
                elif key == "contig" and "length" in meta and "ID" in meta:
                    if not meta["length"].isdigit():
                        raise FormatError(
                            f"contig {meta['ID']}: length {meta['length']!r} is not a number",
                            loc,
                        )
                    build = build_from_contig(meta["ID"], int(meta["length"]))
                    if build:
                        h.build_claims.append(
                            (build, loc, f"##contig {meta['ID']} length {meta['length']}")
                        )
                elif key == "SAMPLE" and meta.get("ID", "").upper() in ("TUMOR", "TUMOUR"):
                    h.tumor_sample = meta["ID"]
            elif key in ("reference", "assembly", "genome_build"):
                build = build_from_text(value, loc)
                if build:
                    h.build_claims.append((build, loc, f"##{key}={value}"))
            elif key == "tumor_sample":
                h.tumor_sample = value.strip()
            continue
        if text.startswith("#CHROM"):
            cols = tuple(text.split("\t"))
            if len(cols) == 1:
                raise FormatError(
                    "the #CHROM header line is not tab-separated",
                    Location(file=file, line=number, column=1),
                )
            for i, (got, want) in enumerate(zip(cols, COLUMNS, strict=False)):
                if got != want:
                    raise FormatError(
                        f"#CHROM header column {i + 1}: expected {want!r}, found {got!r}",
                        Location(file=file, line=number, column=i + 1, field=want),
                    )
            if len(cols) < len(COLUMNS):
                raise FormatError(
                    f"#CHROM header has {len(cols)} columns: expected at least the 8 fixed ones",
                    Location(file=file, line=number, column=len(cols) + 1),
                )
            if len(cols) == 9:
                raise FormatError(
                    "FORMAT column without sample columns",
                    Location(file=file, line=number, column=10),
                )
            h.columns = cols
            h.samples = cols[9:]
            h.line = number
            return h, list(lines)
        raise FormatError(
            "expected meta lines (##) and then the #CHROM header line before records",
            Location(file=file, line=number, column=1),
        )
    raise FormatError(
        "no #CHROM header line: the file ends inside the header (truncated?)",
        Location(file=file),
    )


# ---------------------------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    line: int
    text: str
    chrom: str
    pos: int
    id: str | None
    ref: str
    alts: tuple[str, ...]
    filter: str
    info: Mapping[str, str | bool]
    sample: Mapping[str, str]

    def info_str(self, key: str) -> str | None:
        value = self.info.get(key)
        return value if isinstance(value, str) else None


def _parse_record(h: _Header, number: int, text: str, ended: bool) -> _Record:
    file = h.file
    cells = text.split("\t")
    if len(cells) != len(h.columns):
        missing = len(cells) < len(h.columns)
        idx = len(cells) if missing else len(h.columns)
        raise FormatError(
            f"expected {len(h.columns)} tab-separated fields as in the #CHROM line, found "
            f"{len(cells)}" + (" (truncated file?)" if not ended else ""),
            Location(
                file=file,
                line=number,
                column=idx + 1,
                field=h.columns[idx].lstrip("#") if missing else None,
            ),
        )
    chrom, pos_text, rid, ref, alt, _qual, flt, info_text = cells[:8]
    if not pos_text.isdigit():
        raise FormatError(
            f"POS: expected a positive integer, found {pos_text!r}",
            Location(file=file, line=number, column=2, field="POS"),
        )
    info: dict[str, str | bool] = {}
    if info_text not in ("", "."):
        for item in info_text.split(";"):
            if not item:
                continue
            key, eq, value = item.partition("=")
            info[key] = value if eq else True
    sample: dict[str, str] = {}
    if len(cells) > 9:
        keys = cells[8].split(":")
        idx = _sample_index(h)
        values = cells[9 + idx].split(":")
        sample = dict(zip(keys, values, strict=False))
    return _Record(
        number,
        text,
        chrom,
        int(pos_text),
        None if rid == "." else rid,
        ref,
        tuple(alt.split(",")),
        flt,
        info,
        sample,
    )


def _sample_index(h: _Header) -> int:
    if h.tumor_sample and h.tumor_sample in h.samples:
        return h.samples.index(h.tumor_sample)
    for i, s in enumerate(h.samples):
        if s.upper() in ("TUMOR", "TUMOUR"):
            return i
    return 0


def _quality(flt: str) -> QualityLevel:
    if flt == "PASS":
        return "pass"
    if flt in (".", ""):
        return "unknown"
    return "fail"


def _int(value: str | None, rec: _Record, key: str, h: _Header) -> int | None:
    if value is None or value in (".", ""):
        return None
    try:
        return int(float(value))
    except ValueError:
        raise FormatError(
            f"expected a number, found {value!r}",
            Location(file=h.file, line=rec.line, column=8, field=f"INFO.{key}"),
        ) from None


def _func(rec: _Record, h: _Header) -> list[dict[str, str]]:
    raw = rec.info_str("FUNC")
    if raw is None:
        return []
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        raise FormatError(
            "cannot read the FUNC annotation: expected [{'gene':...}, ...]",
            Location(file=h.file, line=rec.line, column=8, field="INFO.FUNC"),
        ) from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise FormatError(
            "FUNC: expected a list of annotations",
            Location(file=h.file, line=rec.line, column=8, field="INFO.FUNC"),
        )
    return [{str(k): str(v) for k, v in d.items()} for d in value if isinstance(d, dict)]


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------


@dataclass
class _State:
    h: _Header
    out: ResultBuilder
    sample: str | None
    fusion_parts: dict[str, dict[str, _Record]] = field(default_factory=dict)
    bnd: dict[str, _Record] = field(default_factory=dict)
    small_total: int = 0
    small_annotated: int = 0

    def loc(self, rec: _Record, column: int | None = None, name: str | None = None) -> Location:
        return Location(file=self.h.file, line=rec.line, column=column, field=name)


def read(path: Path) -> ReadResult:
    h, lines = _read_header(path)
    file = str(path)
    out = ResultBuilder(NAME, "vcf", file)
    out.genome_build = agree_builds(h.build_claims, file)
    sample = h.samples[_sample_index(h)] if h.samples else None
    if (
        len(h.samples) > 1
        and not h.tumor_sample
        and not any(s.upper() in ("TUMOR", "TUMOUR") for s in h.samples)
    ):
        out.warn(
            f"several samples and no ##tumor_sample: reading the first, {sample!r}",
            Location(file=file, line=h.line, column=10),
        )
    if sample is not None:
        out.by_sample.setdefault(sample, [])
    st = _State(h, out, sample)
    records = [_parse_record(h, n, t, e) for n, t, e in lines if t.strip()]
    if any("FUNC" in r.info or r.info.get("SVTYPE") == "Fusion" for r in records):
        out.caller = "ion-reporter"
    for rec in records:
        svtype = rec.info_str("SVTYPE")
        if svtype in QC_TYPES:
            _qc(st, rec, svtype)
        elif svtype == "Fusion":
            _oncomine_part(st, rec)
        elif svtype == "RNAExonVariant":
            _keep(st, rec, "RNAExonVariant (exon-skipping assay) records are not interpreted")
        elif "<CNV>" in rec.alts and ("FUNC" in rec.info or "GENE_NAME" in rec.info):
            _ion_cnv(st, rec)
        elif any(
            a.startswith("<") or _BND.match(a) or a.startswith(".") or a.endswith(".")
            for a in rec.alts
            if a != "."
        ):
            _structural(st, rec, svtype)
        else:
            _small(st, rec)
    _finish_oncomine(st)
    _finish_breakends(st)
    if st.small_total and not st.small_annotated and len(records) == st.small_total:
        has_ann = any(k in h.info for k in ("ANN", "CSQ", "FUNC", "EFF"))
        raise FormatError(
            "a VCF without the expected INFO fields: small variants carry no gene annotation "
            "(INFO ANN from snpEff, CSQ from VEP, or FUNC from Ion Reporter"
            + ("; declared in the header but absent from records" if has_ann else "")
            + "); annotate the VCF first",
            Location(file=file, line=records[0].line, column=8, field="INFO.ANN"),
        )
    return out.result()


def _keep(st: _State, rec: _Record, reason: str) -> None:
    st.out.warn(f"{reason}; record kept unannotated", st.loc(rec))
    st.out.unannotated.append(UnannotatedRecord(rec.line, reason, rec.text))


# --- QC ------------------------------------------------------------------------------------


def _qc(st: _State, rec: _Record, kind: str) -> None:
    counts = rec.info_str("READ_COUNT") or ""
    values: list[int] = []
    for part in counts.split(","):
        n = _int(part, rec, "READ_COUNT", st.h)
        if n is not None:
            values.append(n)
    st.out.qc.append(
        QcRecord(
            rec.line,
            kind,
            rec.info_str("GENE_NAME"),
            tuple(values),
            rec.filter,
            rec.info_str("5P_3P_ASSAYS"),
        )
    )


# --- Oncomine fusions ------------------------------------------------------------------------


def _oncomine_part(st: _State, rec: _Record) -> None:
    for key in ("GENE_NAME", "READ_COUNT"):
        if key not in rec.info:
            raise FormatError(
                f"a VCF without the expected INFO fields: SVTYPE=Fusion record lacks {key}",
                st.loc(rec, 8, f"INFO.{key}"),
            )
    if rec.id is None or not re.search(r"_[12]$", rec.id):
        raise FormatError(
            f"SVTYPE=Fusion record ID should end in _1 (5' gene) or _2 (3' gene), found {rec.id!r}",
            st.loc(rec, 3, "ID"),
        )
    key, part = rec.id[:-2], rec.id[-1]
    parts = st.fusion_parts.setdefault(key, {})
    if part in parts:
        raise FormatError(f"duplicate fusion breakend {rec.id!r}", st.loc(rec, 3, "ID"))
    parts[part] = rec


def _exon(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value if re.fullmatch(r"[0-9]+[a-z]?(/[a-z])?", value) else None


def _finish_oncomine(st: _State) -> None:
    out = st.out
    detected3: set[str] = set()
    failed: dict[str, tuple[_Record, int]] = {}
    failed_pairs: dict[tuple[str, str], _Record] = {}
    for key, parts in st.fusion_parts.items():
        if set(parts) != {"1", "2"}:
            rec = next(iter(parts.values()))
            _keep(st, rec, f"fusion {key!r} has only one breakend record")
            continue
        r5, r3 = parts["1"], parts["2"]
        g5, _ = out.gene(r5.info_str("GENE_NAME") or "", st.loc(r5, 8, "INFO.GENE_NAME"))
        g3, _ = out.gene(r3.info_str("GENE_NAME") or "", st.loc(r3, 8, "INFO.GENE_NAME"))
        if g5 == g3:
            _keep(st, r5, f"{key}: both breakends in {g5} (intragenic)")
            continue
        if r5.filter == "PASS":
            reads = _int(r5.info_str("READ_COUNT"), r5, "READ_COUNT", st.h)
            note = f"Oncomine {key}"
            annotation = r5.info_str("ANNOTATION")
            if annotation:
                note += f"; {annotation}"
            out.add(
                st.sample,
                Fusion(
                    five_prime=g5,
                    three_prime=g3,
                    five_prime_exon=_exon(r5.info_str("EXON_NUM")),
                    three_prime_exon=_exon(r3.info_str("EXON_NUM")),
                ),
                r5.line,
                r5.text + "\n" + r3.text,
                quality="pass",
                alt_reads=reads,
                note=note,
            )
            detected3.add(g3)
        elif r5.filter == "FAIL":
            if g3 in THREE_PRIME_GENES:
                rec, n = failed.get(g3, (r5, 0))
                failed[g3] = (rec, n + 1)
            else:
                failed_pairs.setdefault((g5, g3), r5)
        else:
            _keep(st, r5, f"fusion {key}: FILTER {r5.filter!r} is neither PASS nor FAIL")
    for gene, (rec, n) in failed.items():
        if gene in detected3:
            continue
        out.add(
            st.sample,
            Fusion(five_prime=None, three_prime=gene),
            rec.line,
            rec.text,
            status="not_detected",
            note=f"no {gene} fusion: {n} targeted isoform(s) reported FILTER=FAIL",
        )
    for (g5, g3), rec in failed_pairs.items():
        out.add(
            st.sample,
            Fusion(five_prime=g5, three_prime=g3),
            rec.line,
            rec.text,
            status="not_detected",
            note="targeted isoform reported FILTER=FAIL",
        )


# --- Ion CNV ---------------------------------------------------------------------------------


def _ion_cnv(st: _State, rec: _Record) -> None:
    funcs = _func(rec, st.h)
    gene_text = next((f["gene"] for f in funcs if f.get("gene")), rec.info_str("GENE_NAME"))
    if not gene_text:
        _keep(st, rec, "<CNV> record without a gene (FUNC gene or GENE_NAME)")
        return
    gene, _ = st.out.gene(gene_text, st.loc(rec, 8, "INFO.FUNC"))
    cn_text = rec.sample.get("CN") or rec.info_str("CN") or rec.info_str("RAW_CN")
    try:
        cn = float(cn_text) if cn_text not in (None, ".", "") else None
    except ValueError:
        raise FormatError(
            f"CN: expected a copy number, found {cn_text!r}", st.loc(rec, 8, "INFO.CN")
        ) from None
    if cn is None:
        raise FormatError(
            "a VCF without the expected fields: <CNV> record has no copy number "
            "(FORMAT CN, INFO CN or RAW_CN)",
            st.loc(rec, 8, "INFO.CN"),
        )
    if rec.filter not in ("PASS", ".", "GAIN", "LOSS", "AMP", "DEL"):
        _keep(st, rec, f"{gene} <CNV> FILTER {rec.filter!r}: not assessable")
        return
    klass = next((f.get("oncomineVariantClass", "") for f in funcs if f.get("gene")), "")
    change = {"Amplification": "amplification", "Deletion": "deletion"}.get(klass)
    if change is None:
        change = DEFAULT_THRESHOLDS.from_cn(cn)
    status: FindingStatus = "detected"
    if change is None:
        change, status = "amplification", "not_detected"
    st.out.add(
        st.sample,
        CopyNumber(gene=gene, change=change, copy_number=cn, method="NGS"),
        rec.line,
        rec.text,
        status=status,
        quality=_quality(rec.filter) if rec.filter != "." else "unknown",
        note=f"copy number {cn:g}" + (f"; {klass}" if klass else ""),
    )


# --- structural ------------------------------------------------------------------------------


def _genes_of(rec: _Record, h: _Header) -> tuple[str, ...]:
    ann = rec.info_str("ANN")
    if ann:
        names = h.fields_of("ANN") or ANN_DEFAULT
        gi = names.index("Gene_Name") if "Gene_Name" in names else 3
        ai = names.index("Annotation") if "Annotation" in names else 1
        for entry in ann.split(","):
            parts = entry.split("|")
            if len(parts) > max(gi, ai) and "gene_fusion" in parts[ai]:
                genes = tuple(g for g in parts[gi].split("&") if g)
                if len(genes) == 2:
                    return genes
    for key in ("GENE_NAME", "GENE", "SYMBOL", "GENEA"):
        value = rec.info_str(key)
        if value:
            return (value,)
    return ()


def _structural(st: _State, rec: _Record, svtype: str | None) -> None:
    for alt in rec.alts:
        m = _BND.match(alt)
        mate_chrom = mate_pos = None
        if m:
            mate_chrom, mate_pos = m["chrom"], int(m["pos"])
        elif rec.info_str("CHR2") and rec.info_str("END"):
            mate_chrom = rec.info_str("CHR2")
            mate_pos = _int(rec.info_str("END"), rec, "END", st.h)
        mate_id = rec.info_str("MATEID")
        bnd = Breakend(
            line=rec.line,
            id=rec.id,
            chrom=rec.chrom,
            pos=rec.pos,
            alt=alt,
            svtype=svtype or ("BND" if m else alt.strip("<>") if alt.startswith("<") else "single"),
            mate_id=mate_id,
            mate_chrom=mate_chrom,
            mate_pos=mate_pos,
            svclaim=rec.info_str("SVCLAIM"),
            event=rec.info_str("EVENT"),
            filter=rec.filter,
            genes=_genes_of(rec, st.h),
        )
        st.out.breakends.append(bnd)
        if m and mate_id:
            st.bnd[rec.id or f"line{rec.line}"] = rec
        elif len(bnd.genes) == 2:
            _bnd_fusion(st, rec, bnd.genes, rec)
        else:
            what = "breakend" if m else f"{bnd.svtype} structural variant"
            st.out.warn(
                f"{what} at {rec.chrom}:{rec.pos} has no gene annotation: kept as a breakend, "
                "no fusion finding",
                st.loc(rec, 5, "ALT"),
            )


def _bnd_fusion(st: _State, rec: _Record, genes: Sequence[str], mate: _Record) -> None:
    a, _ = st.out.gene(genes[0], st.loc(rec, 8, "INFO"))
    b, _ = st.out.gene(genes[1], st.loc(mate, 8, "INFO"))
    if a == b:
        _keep(st, rec, f"both breakends in {a} (intragenic)")
        return
    five, three, corrected = orient(a, b)  # the one orientation rule
    st.out.add(
        st.sample,
        Fusion(five_prime=five, three_prime=three, order_corrected=corrected),
        rec.line,
        rec.text if mate is rec else rec.text + "\n" + mate.text,
        quality=_quality(rec.filter),
        note="gene order from annotation and kinase role, not from breakend orientation",
    )


def _finish_breakends(st: _State) -> None:
    done: set[str] = set()
    for rid, rec in st.bnd.items():
        if rid in done:
            continue
        mate_id = rec.info_str("MATEID")
        mate = st.bnd.get(mate_id or "")
        done.add(rid)
        if mate is None:
            st.out.warn(
                f"breakend {rid} names mate {mate_id!r} that is not in the file: kept, no fusion",
                st.loc(rec, 8, "INFO.MATEID"),
            )
            continue
        done.add(mate_id or "")
        g1, g2 = _genes_of(rec, st.h), _genes_of(mate, st.h)
        genes = g1 if len(g1) == 2 else (g1 + g2 if len(g1) == 1 and len(g2) == 1 else ())
        if len(genes) == 2:
            _bnd_fusion(st, rec, genes, mate)
        else:
            st.out.warn(
                f"breakend pair {rid}/{mate_id} has no gene annotation: kept as breakends, "
                "no fusion finding",
                st.loc(rec, 5, "ALT"),
            )


# --- small variants --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Annotation:
    gene: str
    hgvsp: str
    hgvsc: str
    exon: str
    transcript: str


def _vep_allele(ref: str, alt: str) -> str:
    if (len(ref) > 1 or len(alt) > 1) and ref[:1] == alt[:1]:
        return alt[1:] or "-"
    return alt


def _annotations(st: _State, rec: _Record, allele_index: int, alt: str) -> list[_Annotation]:
    h = st.h
    found: list[_Annotation] = []
    ann = rec.info_str("ANN")
    if ann:
        names = h.fields_of("ANN") or ANN_DEFAULT
        ix = {n: i for i, n in enumerate(names)}
        for entry in ann.split(","):
            p = entry.split("|")
            if len(p) < 11:
                raise FormatError(
                    f"ANN entry has {len(p)} fields: expected at least 11 (snpEff layout)",
                    st.loc(rec, 8, "INFO.ANN"),
                )
            if p[ix.get("Allele", 0)] not in (alt, _vep_allele(rec.ref, alt)):
                continue
            found.append(
                _Annotation(
                    p[ix.get("Gene_Name", 3)],
                    p[ix.get("HGVS.p", 10)],
                    p[ix.get("HGVS.c", 9)],
                    p[ix.get("Rank", 8)],
                    p[ix.get("Feature_ID", 6)],
                )
            )
    csq = rec.info_str("CSQ")
    if csq:
        csq_names = h.fields_of("CSQ")
        if csq_names is None:
            raise FormatError(
                "a VCF without the expected INFO fields: CSQ is used but the header's INFO CSQ "
                "line gives no 'Format: Allele|...' description",
                st.loc(rec, 8, "INFO.CSQ"),
            )
        names = csq_names
        ix = {n: i for i, n in enumerate(names)}
        entries = [e.split("|") for e in csq.split(",")]
        picked: list[tuple[int, _Annotation]] = []
        for p in entries:
            p = p + [""] * (len(names) - len(p))
            if "ALLELE_NUM" in ix and p[ix["ALLELE_NUM"]]:
                if p[ix["ALLELE_NUM"]] != str(allele_index):
                    continue
            elif len(rec.alts) > 1 and p[ix.get("Allele", 0)] not in (
                alt,
                _vep_allele(rec.ref, alt),
            ):
                continue
            if "PICK" in ix and p[ix["PICK"]] == "1":
                rank = 0
            elif "CANONICAL" in ix and p[ix["CANONICAL"]] == "YES":
                rank = 1
            else:
                rank = 2
            picked.append(
                (
                    rank,
                    _Annotation(
                        p[ix["SYMBOL"]] if "SYMBOL" in ix else "",
                        unquote(p[ix["HGVSp"]].split(":", 1)[-1]) if "HGVSp" in ix else "",
                        p[ix["HGVSc"]] if "HGVSc" in ix else "",
                        p[ix["EXON"]] if "EXON" in ix else "",
                        p[ix["Feature"]] if "Feature" in ix else "",
                    ),
                )
            )
        found.extend(a for _, a in sorted(picked, key=lambda t: t[0]))
    for f in _func(rec, h):
        if not f.get("gene"):
            continue
        alt_of = f.get("origAlt") or f.get("normalizedAlt")
        if len(rec.alts) > 1 and alt_of and alt_of != alt:
            continue
        found.append(
            _Annotation(
                f["gene"], f.get("protein", ""), f.get("coding", ""), f.get("exon", ""),
                f.get("transcript", ""),
            )
        )  # fmt: skip
    return found


def _per_allele(value: str | None, i: int) -> str | None:
    if value is None:
        return None
    parts = value.split(",")
    return parts[i] if i < len(parts) else None


def _small(st: _State, rec: _Record) -> None:
    st.small_total += 1
    out = st.out
    gt = rec.sample.get("GT")
    called: set[int] | None = None
    if gt is not None:
        alleles = re.split(r"[/|]", gt)
        if all(a == "." for a in alleles):
            _keep(st, rec, "no-call genotype ./.")
            if any(k in rec.info for k in ("ANN", "CSQ", "FUNC")):
                st.small_annotated += 1
            return
        called = {int(a) for a in alleles if a.isdigit()}
    any_annotated = False
    for i, alt in enumerate(rec.alts, start=1):
        if alt in (".", "*"):
            continue
        anns = _annotations(st, rec, i, alt)
        if anns:
            any_annotated = True
        usable = [a for a in anns if a.gene and (a.hgvsp or a.hgvsc)]
        if not usable:
            reason = "no ANN/CSQ/FUNC annotation" if not anns else "annotation names no gene change"
            _keep(st, rec, f"{rec.chrom}:{rec.pos} {rec.ref}>{alt}: {reason}")
            continue
        best = next((a for a in usable if a.hgvsp), usable[0])
        gene, _ = out.gene(best.gene, st.loc(rec, 8, "INFO"))
        protein: ProteinChange | None = None
        if best.hgvsp:
            try:
                protein = protein_change(best.hgvsp, st.loc(rec, 8, "INFO"))
            except ParseError as exc:
                if not best.hgvsc:
                    _keep(st, rec, f"{gene}: {exc.message}")
                    continue
        cdna = (best.hgvsc.split(":", 1)[-1] or None) if best.hgvsc else None
        exon_m = re.match(r"(\d+)", best.exon or "")
        status: FindingStatus = "detected"
        if called is not None and i not in called:
            status = "not_detected" if called <= {0} else "detected"
            if status == "detected":
                continue  # another ALT allele is the called one
        vaf, depth, alt_reads = _allele_counts(st, rec, i)
        if status == "not_detected":
            vaf = alt_reads = None
        out.add(
            st.sample,
            SequenceVariant(
                gene=gene,
                protein=protein,
                cdna=cdna,
                reference=best.transcript or None,
                exon=int(exon_m.group(1)) if exon_m and int(exon_m.group(1)) > 0 else None,
            ),
            rec.line,
            rec.text,
            status=status,
            quality=_quality(rec.filter),
            vaf=vaf,
            depth=depth,
            alt_reads=alt_reads,
        )
    if any_annotated:
        st.small_annotated += 1


def _allele_counts(st: _State, rec: _Record, i: int) -> tuple[float | None, int | None, int | None]:
    s = rec.sample
    depth = alt_reads = None
    vaf: float | None = None
    if "AD" in s and s["AD"] not in (".", ""):
        ad = [int(x) if x.isdigit() else 0 for x in s["AD"].split(",")]
        if i < len(ad):
            alt_reads, depth = ad[i], sum(ad)
    if depth is None:
        fao = _per_allele(rec.info_str("FAO"), i - 1)
        fdp = rec.info_str("FDP")
        if fao is not None and fdp is not None:
            alt_reads = _int(fao, rec, "FAO", st.h)
            depth = _int(fdp, rec, "FDP", st.h)
    if depth is None:
        dp = s.get("DP") or rec.info_str("DP")
        depth = _int(dp, rec, "DP", st.h) if dp else None
    af = _per_allele(s.get("AF"), i - 1) or _per_allele(rec.info_str("AF"), i - 1)
    if af not in (None, ".", ""):
        try:
            vaf = float(af)
        except ValueError:
            raise FormatError(
                f"AF: expected a fraction, found {af!r}", st.loc(rec, 8, "INFO.AF")
            ) from None
    elif alt_reads is not None and depth:
        vaf = round(alt_reads / depth, 6)
    if vaf is not None and not 0 <= vaf <= 1:
        raise FormatError(f"AF {vaf} is not a fraction between 0 and 1", st.loc(rec, 8, "INFO.AF"))
    if depth is not None and alt_reads is not None and alt_reads > depth:
        depth = None
    return vaf, depth, alt_reads


READER = Reader(
    NAME,
    "vcf",
    "VCF 4.x: small variants (ANN/CSQ/FUNC), SV breakends, Ion Reporter/Oncomine",
    sniff,
    read,
)
