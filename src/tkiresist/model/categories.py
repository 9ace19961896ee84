"""Categories of alterations: what the knowledge base matches against.

A category is a set of alterations with one meaning, as GA4GH Cat-VRS "categorical variants"
are: "EGFR exon 19 deletion", "ALK fusion with any 5' partner", "MET amplification". The
catalogue below is the controlled vocabulary: knowledge statements name category ids, and
:func:`categorize` maps an alteration to every category it belongs to (most specific and
broader ones alike: ``EGFR p.E746_A750del`` is ``egfr_ex19del``, ``egfr_classical_sensitising``
and ``egfr_sensitising``).

Membership is computed from structure (gene, codon position, exon, fusion partner), never
from the text a source wrote. Exon maps live in :mod:`tkiresist.model.exons`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal

from tkiresist.model.alterations import (
    CopyNumber,
    Expression,
    Fusion,
    Histology,
    ProteinChange,
    SequenceVariant,
)
from tkiresist.model.exons import exons_spanned, met_exon14_splice_site

AnyAlteration = SequenceVariant | Fusion | CopyNumber | Expression | Histology


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    label: str
    genes: tuple[str, ...]
    broader: tuple[str, ...] = ()


def _c(id_: str, label: str, genes: tuple[str, ...], broader: tuple[str, ...] = ()) -> Category:
    return Category(id_, label, genes, broader)


_EGFR = ("EGFR",)
CATALOGUE: Final = MappingProxyType(
    {
        c.id: c
        for c in (
            # EGFR drivers
            _c("egfr_sensitising", "EGFR sensitising mutation (any)", _EGFR),
            _c(
                "egfr_classical_sensitising",
                "EGFR classical sensitising (ex19del or L858R)",
                _EGFR,
                ("egfr_sensitising",),
            ),
            _c("egfr_ex19del", "EGFR exon 19 deletion", _EGFR, ("egfr_classical_sensitising",)),
            _c("egfr_l858r", "EGFR L858R", _EGFR, ("egfr_classical_sensitising",)),
            _c(
                "egfr_uncommon",
                "EGFR uncommon sensitising (G719X, S768I, L861Q, L747P...)",
                _EGFR,
                ("egfr_sensitising",),
            ),
            _c(
                "egfr_ex19ins",
                "EGFR exon 19 insertion (sensitising, uncommon)",
                _EGFR,
                ("egfr_uncommon",),
            ),
            _c(
                "egfr_ex18_indel",
                "EGFR exon 18 deletion or delins (sensitising, uncommon)",
                _EGFR,
                ("egfr_uncommon",),
            ),
            _c("egfr_ex20ins", "EGFR exon 20 insertion", _EGFR),
            # EGFR on-target resistance
            _c("egfr_t790m", "EGFR T790M", _EGFR),
            _c("egfr_c797x", "EGFR C797X (C797S/G)", _EGFR),
            _c("egfr_l718x", "EGFR L718X (L718Q/V)", _EGFR),
            _c("egfr_g724s", "EGFR G724S", _EGFR),
            _c("egfr_l792x", "EGFR L792X", _EGFR),
            _c("egfr_g796x", "EGFR G796X", _EGFR),
            _c("egfr_amplification", "EGFR amplification", _EGFR),
            _c("egfr_mutation", "EGFR mutation (any)", _EGFR),
            # Fusions (3' kinase, any 5' partner)
            _c("alk_fusion", "ALK fusion, any 5' partner", ("ALK",)),
            _c("alk_fusion_eml4", "EML4::ALK", ("EML4", "ALK"), ("alk_fusion",)),
            _c("alk_fusion_non_eml4", "ALK fusion, non-EML4 partner", ("ALK",), ("alk_fusion",)),
            _c("ret_fusion", "RET fusion, any 5' partner", ("RET",)),
            _c("ros1_fusion", "ROS1 fusion, any 5' partner", ("ROS1",)),
            _c("braf_fusion", "BRAF fusion, any 5' partner", ("BRAF",)),
            _c("ntrk_fusion", "NTRK1-3 fusion, any 5' partner", ("NTRK1", "NTRK2", "NTRK3")),
            _c("fgfr_fusion", "FGFR1-3 fusion, any partner", ("FGFR1", "FGFR2", "FGFR3")),
            _c("met_fusion", "MET fusion", ("MET",)),
            _c("nrg1_fusion", "NRG1 fusion", ("NRG1",)),
            _c("alk_ihc_positive", "ALK protein expression by IHC", ("ALK",)),
            _c("met_overexpression", "MET protein overexpression by IHC (3+)", ("MET",)),
            _c("erbb2_ihc3", "HER2 (ERBB2) IHC 3+", ("ERBB2",)),
            # ALK kinase-domain resistance
            _c("alk_kinase_resistance", "ALK kinase-domain resistance mutation", ("ALK",)),
            _c("alk_g1202r", "ALK G1202R", ("ALK",), ("alk_kinase_resistance",)),
            _c("alk_l1196m", "ALK L1196M", ("ALK",), ("alk_kinase_resistance",)),
            _c("alk_i1171x", "ALK I1171X", ("ALK",), ("alk_kinase_resistance",)),
            _c(
                "alk_other_kinase",
                "ALK other kinase-domain resistance mutation (F1174X, "
                "C1156Y, G1269A, L1198F, V1180L, G1202del)",
                ("ALK",),
                ("alk_kinase_resistance",),
            ),
            # ROS1 kinase-domain resistance (after crizotinib or entrectinib)
            _c("ros1_kinase_resistance", "ROS1 kinase-domain resistance mutation", ("ROS1",)),
            _c(
                "ros1_g2032r",
                "ROS1 G2032R (solvent front)",
                ("ROS1",),
                ("ros1_kinase_resistance",),
            ),
            _c(
                "ros1_other_kinase",
                "ROS1 other kinase-domain resistance mutation (L2026M, D2033N, S1986F/Y, L1951R)",
                ("ROS1",),
                ("ros1_kinase_resistance",),
            ),
            # Bypass
            _c("met_amplification", "MET amplification", ("MET",)),
            _c("met_ex14_skipping", "MET exon 14 skipping", ("MET",)),
            _c("erbb2_amplification", "ERBB2 (HER2) amplification", ("ERBB2",)),
            _c("erbb2_mutation", "ERBB2 (HER2) mutation", ("ERBB2",)),
            _c("braf_v600e", "BRAF V600E", ("BRAF",)),
            _c("kras_mutation", "KRAS mutation", ("KRAS",)),
            _c("kras_g12c", "KRAS G12C", ("KRAS",), ("kras_mutation",)),
            _c("nras_mutation", "NRAS mutation", ("NRAS",)),
            _c("pik3ca_mutation", "PIK3CA mutation", ("PIK3CA",)),
            _c("tp53_alteration", "TP53 mutation or loss", ("TP53",)),
            _c(
                "tp53_ihc_aberrant",
                "TP53 inactivation inferred from aberrant p53 IHC (null pattern or overexpression)",
                ("TP53",),
                ("tp53_alteration",),
            ),
            _c("rb1_loss", "RB1 loss or inactivating mutation", ("RB1",)),
            _c(
                "rb1_ihc_loss",
                "RB1 inactivation inferred from loss of Rb protein by IHC",
                ("RB1",),
                ("rb1_loss",),
            ),
            # Histology
            _c("sclc_transformation", "Small-cell transformation", ()),
            _c("squamous_transformation", "Squamous transformation", ()),
            _c("histologic_transformation", "Histologic transformation (any)", ()),
            _c("emt", "Epithelial-mesenchymal transition", ()),
        )
    }
)

FUSION_CATEGORY_BY_3PRIME: Final = MappingProxyType(
    {
        "ALK": "alk_fusion", "RET": "ret_fusion", "ROS1": "ros1_fusion", "BRAF": "braf_fusion",
        "NTRK1": "ntrk_fusion", "NTRK2": "ntrk_fusion", "NTRK3": "ntrk_fusion",
        "FGFR1": "fgfr_fusion", "FGFR2": "fgfr_fusion", "FGFR3": "fgfr_fusion",
        "MET": "met_fusion", "NRG1": "nrg1_fusion",
    }
)  # fmt: skip
# FGFR fusions are mostly FGFR3::TACC3 with FGFR at 5'; the kinase may sit either side.
_FGFR_5PRIME = frozenset({"FGFR1", "FGFR2", "FGFR3"})

_ALK_KINASE_OTHER = frozenset({1174, 1156, 1269, 1198, 1180, 1151, 1152, 1203, 1206})
_ROS1_KINASE_OTHER = frozenset({2026, 2033, 1986, 1951})

INACTIVATING_EDITS = frozenset({"frameshift", "deletion", "delins"})

_GENE_LEVEL: Final = MappingProxyType(
    {
        "ERBB2": "erbb2_mutation",
        "NRAS": "nras_mutation",
        "PIK3CA": "pik3ca_mutation",
        "TP53": "tp53_alteration",
        "RB1": "rb1_loss",
    }
)
"""Genes whose every sequence variant has one category, whatever the change (and however it
is written): the category does not depend on the position or the edit."""


def _with_broader(ids: set[str]) -> frozenset[str]:
    out = set(ids)
    todo = list(ids)
    while todo:
        cat = CATALOGUE[todo.pop()]
        for b in cat.broader:
            if b not in out:
                out.add(b)
                todo.append(b)
    return frozenset(out)


def _egfr_protein(p: ProteinChange) -> set[str]:
    ids: set[str] = set()
    exons = exons_spanned("EGFR", p.start, p.last)
    if p.edit in ("deletion", "delins") and exons == {19}:
        ids.add("egfr_ex19del")
    elif p.edit in ("insertion", "duplication") and exons == {19}:
        # exon 19 insertions (I744_K745insKIPVAI...) are sensitising (He 2012, #12)
        ids.add("egfr_ex19ins")
    elif p.edit in ("deletion", "delins") and exons == {18}:
        # exon 18 deletions (E709_T710delinsD) are sensitising, like G719X
        ids.add("egfr_ex18_indel")
    elif p.edit == "insertion" and (p.start, p.last) == (763, 764) and (p.alt or "") == "FQEA":
        # A763_Y764insFQEA: the exon 20 insertion that is sensitive to EGFR TKIs
        ids.update({"egfr_ex20ins", "egfr_uncommon"})
    elif (
        p.edit in ("insertion", "duplication", "delins")
        and exons == {20}
        and (p.edit != "delins" or len(p.alt or "") > (p.last - p.start + 1))
    ):
        ids.add("egfr_ex20ins")
    elif p.edit == "substitution":
        key = (p.ref_start, p.start)
        alt = p.alt or ""
        if key == ("L", 858) and alt == "R":
            ids.add("egfr_l858r")
        elif key == ("T", 790) and alt == "M":
            ids.add("egfr_t790m")
        elif key == ("C", 797):
            ids.add("egfr_c797x")
        elif key == ("L", 718):
            ids.add("egfr_l718x")
        elif key == ("G", 724) and alt in ("S", "X"):
            ids.add("egfr_g724s")
        elif key == ("L", 792):
            ids.add("egfr_l792x")
        elif key == ("G", 796):
            ids.add("egfr_g796x")
        elif key in {("G", 719), ("S", 768), ("L", 861), ("L", 747), ("E", 709), ("L", 833)}:
            ids.add("egfr_uncommon")
    return ids


def _sequence_variant(v: SequenceVariant) -> set[str]:
    ids: set[str] = set()
    gene = v.gene
    p = v.protein
    if gene == "EGFR":
        ids.add("egfr_mutation")
        if p is not None:
            ids |= _egfr_protein(p)
        elif v.region_effect == "deletion" and v.exon == 19:
            ids.add("egfr_ex19del")
        elif v.region_effect in ("insertion", "duplication") and v.exon == 19:
            ids.add("egfr_ex19ins")
        elif v.region_effect in ("insertion", "duplication") and v.exon == 20:
            ids.add("egfr_ex20ins")
    elif gene == "MET":
        in_ex14 = (
            p is not None
            and p.edit != "substitution"
            and 14 in exons_spanned("MET", p.start, p.last)
        )
        splice = p is None and v.cdna is not None and met_exon14_splice_site(v.cdna)
        if (v.region_effect == "skipping" and v.exon == 14) or in_ex14 or splice:
            ids.add("met_ex14_skipping")
    elif gene == "ALK" and p is not None and p.edit == "substitution":
        if p.start == 1202:
            ids.add("alk_g1202r")
        elif p.start == 1196:
            ids.add("alk_l1196m")
        elif p.start == 1171:
            ids.add("alk_i1171x")
        elif p.start in _ALK_KINASE_OTHER:
            ids.add("alk_other_kinase")
    elif gene == "ALK" and p is not None and p.edit == "deletion" and p.start == 1202:
        ids.add("alk_other_kinase")
    elif gene == "ROS1" and p is not None and p.edit == "substitution":
        if p.start == 2032:
            ids.add("ros1_g2032r")
        elif p.start in _ROS1_KINASE_OTHER:
            ids.add("ros1_other_kinase")
    elif gene in _GENE_LEVEL:
        ids.add(_GENE_LEVEL[gene])
    elif gene == "BRAF" and p is not None and (p.ref_start, p.start, p.alt) == ("V", 600, "E"):
        ids.add("braf_v600e")
    elif gene == "KRAS":
        ids.add("kras_mutation")
        if p is not None and (p.ref_start, p.start, p.alt) == ("G", 12, "C"):
            ids.add("kras_g12c")
    return ids


def _fusion(f: Fusion) -> set[str]:
    ids: set[str] = set()
    cat = FUSION_CATEGORY_BY_3PRIME.get(f.three_prime)
    if cat is None and f.five_prime in _FGFR_5PRIME:
        cat = "fgfr_fusion"
    if cat is not None:
        ids.add(cat)
    if f.three_prime == "ALK" and f.five_prime is not None:
        ids.add("alk_fusion_eml4" if f.five_prime == "EML4" else "alk_fusion_non_eml4")
    return ids


def _copy_number(c: CopyNumber) -> set[str]:
    if c.change == "amplification":
        return {
            f"{g}_amplification" for g in (c.gene.lower(),) if f"{g}_amplification" in CATALOGUE
        }
    if c.change in ("loss", "deletion"):
        if c.gene == "RB1":
            return {"rb1_loss"}
        if c.gene == "TP53":
            return {"tp53_alteration"}
    return set()


LOSS_MARKERS: Final = frozenset({"RB1"})
"""Markers whose *loss* of staining is the abnormal finding: Rb (RB1) loss by IHC means RB1
inactivation; retained Rb is normal."""

PATTERN_MARKERS: Final = frozenset({"TP53", *LOSS_MARKERS})
"""Markers whose IHC is read by its staining pattern (:data:`~tkiresist.model.findings.IhcPattern`)
rather than as "positive means altered": p53 (TP53) and Rb (RB1)."""

IhcReading = Literal["aberrant", "normal", "unclear"]

_P53_PATTERNS: Final = MappingProxyType(
    {
        "absent": "aberrant",
        "overexpression": "aberrant",
        "cytoplasmic": "aberrant",
        "aberrant": "aberrant",
        "wild_type": "normal",
    }
)
_LOSS_PATTERNS: Final = MappingProxyType(
    {"loss": "aberrant", "absent": "aberrant", "retained": "normal"}
)


def patterns_for(marker: str) -> frozenset[str]:
    """The staining patterns a finding may give for ``marker`` (empty: the marker is read as
    positive/negative only)."""
    if marker == "TP53":
        return frozenset(_P53_PATTERNS)
    if marker in LOSS_MARKERS:
        return frozenset(_LOSS_PATTERNS)
    return frozenset()


def ihc_reading(e: Expression, pattern: str | None = None) -> IhcReading:
    """What an IHC result means for its marker's gene: ``aberrant`` (the gene is altered),
    ``normal`` or ``unclear``.

    p53 (TP53) is read by pattern. Both a *null* pattern (complete absence of nuclear staining
    in tumour cells while an internal positive control, such as stromal or inflammatory cells,
    stains) and strong diffuse *overexpression* (and the rarer cytoplasmic pattern) are aberrant
    and stand for a TP53 mutation: the null pattern mostly for truncating (inactivating)
    mutations, overexpression for missense mutations of the DNA-binding domain. Only the
    *wild-type* pattern (patchy, heterogeneous nuclear staining of varying intensity) is
    normal. Sung et al., "p53 immunostaining pattern is a useful surrogate marker for TP53 gene
    mutations", Diagn Pathol 2022 (doi:10.1186/s13000-022-01273-w), found these patterns to
    predict TP53 status across 135 solid cancers sequenced by NGS. Without a pattern, p53
    ``negative`` means no staining and is read as the null pattern; p53 ``positive`` cannot
    tell overexpression from the wild-type pattern and is ``unclear``.

    Rb (RB1) loss by IHC (complete absence of nuclear Rb in tumour cells) is aberrant and
    stands for RB1 inactivation; retained Rb is normal. Concurrent TP53 and RB1 inactivation is
    what EGFR-mutant adenocarcinomas that transform to small-cell carcinoma carry (Lee et al.,
    "Clonal history and genetic predictors of transformation into small-cell carcinomas from
    lung adenocarcinomas", J Clin Oncol 2017; Offin et al., J Thorac Oncol 2019).

    Every other marker keeps its plain reading: ``positive`` is the abnormal result (ALK
    protein expressed), ``negative`` normal; ``equivocal`` is unclear for every marker.
    """
    if e.result == "equivocal":
        return "unclear"
    if e.marker == "TP53":
        if pattern is not None:
            return "aberrant" if _P53_PATTERNS[pattern] == "aberrant" else "normal"
        return "aberrant" if e.result == "negative" else "unclear"
    if e.marker in LOSS_MARKERS:
        if pattern is not None:
            return "aberrant" if _LOSS_PATTERNS[pattern] == "aberrant" else "normal"
        return "aberrant" if e.result == "negative" else "normal"
    return "aberrant" if e.result == "positive" else "normal"


def pattern_conflict(e: Expression, pattern: str) -> str | None:
    """Why ``pattern`` cannot go with ``e`` (another marker, or a result it contradicts);
    None when it can."""
    allowed = patterns_for(e.marker)
    if not allowed:
        return f"a staining pattern is read for p53 (TP53) and Rb (RB1) IHC only, not {e.marker}"
    if pattern not in allowed:
        return f"pattern {pattern!r} is not one of {e.marker}'s: {', '.join(sorted(allowed))}"
    wanted = {
        "absent": "negative",
        "loss": "negative",
        "overexpression": "positive",
        "cytoplasmic": "positive",
        "retained": "positive",
    }.get(pattern)
    if wanted is not None and e.result not in (wanted, "equivocal"):
        return f"pattern {pattern!r} contradicts result {e.result!r} (expected {wanted!r})"
    if e.result == "equivocal":
        return f"pattern {pattern!r} contradicts result 'equivocal': give the pattern's result"
    return None


def expression_categories(e: Expression, pattern: str | None = None) -> frozenset[str]:
    """The categories of an IHC result read with its staining pattern (see
    :func:`ihc_reading`): p53 aberrant is ``tp53_ihc_aberrant`` (and ``tp53_alteration``), Rb
    loss ``rb1_ihc_loss`` (and ``rb1_loss``); a normal or unclear p53/Rb result has none.
    Other markers are categorised as :func:`categorize` does."""
    if e.marker not in PATTERN_MARKERS:
        return categorize(e)
    if ihc_reading(e, pattern) != "aberrant":
        return frozenset()
    return _with_broader({"tp53_ihc_aberrant" if e.marker == "TP53" else "rb1_ihc_loss"})


def _scored_3plus(e: Expression) -> bool:
    """A positive IHC result whose score says 3+ (``3+``, ``3+ in 90% of cells``)."""
    return e.result == "positive" and e.score is not None and "3+" in e.score.replace(" ", "")


def _expression(e: Expression) -> set[str]:
    if e.marker == "ALK" and e.result == "positive":
        return {"alk_ihc_positive"}
    # MET and HER2 IHC mean something only at 3+: 1+/2+ or an unscored "positive" is no
    # category (the trials' thresholds are recorded in the knowledge base)
    if e.marker == "MET" and _scored_3plus(e):
        return {"met_overexpression"}
    if e.marker == "ERBB2" and _scored_3plus(e):
        return {"erbb2_ihc3"}
    if e.marker in PATTERN_MARKERS and ihc_reading(e) == "aberrant":
        # without a pattern: Rb negative is loss, p53 negative the null pattern
        return {"tp53_ihc_aberrant" if e.marker == "TP53" else "rb1_ihc_loss"}
    return set()


def _histology(h: Histology) -> set[str]:
    if h.histology == "epithelial_mesenchymal_transition":
        return {"emt"}
    if h.histology == "small_cell_transformation":
        return {"sclc_transformation", "histologic_transformation"}
    if h.histology == "squamous_transformation":
        return {"squamous_transformation", "histologic_transformation"}
    if h.histology.endswith("_transformation"):
        return {"histologic_transformation"}
    return set()


_DISPATCH: Final[dict[type, Callable[..., set[str]]]] = {
    SequenceVariant: _sequence_variant,
    Fusion: _fusion,
    CopyNumber: _copy_number,
    Expression: _expression,
    Histology: _histology,
}


def categorize(alteration: AnyAlteration) -> frozenset[str]:
    """Every category id the alteration belongs to, broader ones included."""
    return _with_broader(_DISPATCH[type(alteration)](alteration))


def gene_level_categories(gene: str) -> frozenset[str] | None:
    """The categories of every sequence variant of ``gene`` when they do not depend on the
    change (TP53, RB1, NRAS, PIK3CA, ERBB2), broader ones included; None for a gene whose
    variants differ (EGFR, KRAS, BRAF, MET, ALK) or that no category names (the empty set is
    then the answer, see :data:`CATALOGUE`). Lets a cohort annotator categorise such variants
    per gene instead of per change."""
    category = _GENE_LEVEL.get(gene)
    return _with_broader({category}) if category is not None else None


def label(category_id: str) -> str:
    return CATALOGUE[category_id].label
