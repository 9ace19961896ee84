"""Generalisation audit of the interpretation engine (#12 follow-up).

EVERY CASE HERE IS SYNTHETIC: an invented scenario written to probe the engine on situations not
shaped like the bundled examples (``examples/*``) - commercial and single-gene assays, plasma
only, FISH and IHC, date-less timelines, positives-only reports, gene-level findings. None is a
published patient, and no case carries a citation. Each scenario is written as a YAML case file
into ``tmp_path`` and read and interpreted exactly as ``tkiresist interpret`` does
(:func:`tkiresist.io.casefile.read_case`, :func:`tkiresist.interpret.engine.interpret`).

Each test's docstring says what a thoracic oncologist (late 2026) would expect and why. The
audit first found 12 of them answered otherwise (strict xfails); each was fixed by a general
rule (the serial window and liquid negatives, recommended-test rules, ranking caps, trial
populations in statement contexts, the acquired mechanism), and every test now passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model.interpretation import Interpretation, Mechanism, Option

KB = load_knowledge_base()

AMI_CHEMO = ("amivantamab", "carboplatin", "pemetrexed")
CHEMO = ("carboplatin", "pemetrexed")
DEL19 = "EGFR exon 19 deletion"
L858R = "EGFR p.L858R"
EARLY_GEN = {"gefitinib", "erlotinib", "afatinib", "dacomitinib", "icotinib"}
ALK_TKIS = {"alectinib", "lorlatinib", "brigatinib", "crizotinib", "ceritinib", "ensartinib"}
CNS_ALK_TKIS = {"alectinib", "lorlatinib", "brigatinib", "ensartinib"}
IMMUNOTHERAPY = {"atezolizumab", "pembrolizumab", "nivolumab", "durvalumab", "ivonescimab"}

GENES = "EGFR, MET, ALK, ROS1, RET, BRAF, KRAS, NRAS, PIK3CA, ERBB2, TP53, RB1, NTRK1, FGFR3"

HEADER = f"""schema_version: "1.0"
id: audit-scenario
pseudonym: SYNTHETIC-AUDIT
# SYNTHETIC scenario for the generalisation audit: not a published patient.
notes: Synthetic scenario (generalisation audit); not a published patient.
assays:
  - id: audit-tissue-panel
    name: Synthetic tissue DNA+RNA panel of the audit
    method: ngs
    materials: [tissue_dna, tissue_rna]
    coverage:
      sequence_variant: [{GENES}]
      fusion: [{GENES}]
      copy_number: [{GENES}]
  - id: audit-plasma-panel
    name: Synthetic plasma ctDNA panel of the audit
    method: ngs
    materials: [plasma_ctdna]
    coverage:
      sequence_variant: [{GENES}]
      fusion: [ALK, ROS1, RET, NTRK1]
      copy_number: [MET, ERBB2, EGFR]
  - id: audit-egfr-pcr
    name: Synthetic single-gene EGFR PCR test
    method: pcr
    materials: [tissue_dna]
    coverage:
      sequence_variant: [EGFR]
events:
"""


def _findings(items: Sequence[str]) -> str:
    """Findings as YAML lines: a mapping written as is, a bare text quoted (detected)."""
    return "".join(
        f"      - {a}\n" if a.startswith("{") else f"      - {{alteration: {a!r}}}\n" for a in items
    )


def dx(time: str = "2023-01-10", cns: bool = False, histology: str = "adenocarcinoma") -> str:
    sites = "\n    metastatic_sites: [brain]\n    cns_involvement: true" if cns else ""
    return f"""  - id: dx
    type: diagnosis
    time: {time}
    histology: {histology}
    stage: IVB{sites}
"""


def line(
    eid: str, agents: Sequence[str], start: str, stop: str | None, reason: str = "progression"
) -> str:
    end = f"\n    stop: {stop}\n    stop_reason: {reason}" if stop else ""
    return f"""  - id: {eid}
    type: therapy
    agents: [{", ".join(agents)}]
    start: {start}{end}
"""


def pd(eid: str, time: str, therapy: str, site: str = "overall") -> str:
    return f"""  - id: {eid}
    type: response
    time: {time}
    category: PD
    criteria: RECIST 1.1
    site: {site}
    therapy: {therapy}
"""


def sample(
    eid: str,
    time: str,
    assay: str,
    findings: Sequence[str],
    kind: str = "tissue",
    site: str = "lung",
    site_kind: str = "extracranial",
    extra: str = "",
) -> str:
    """A specimen and its test (``eid``-spec and ``eid``)."""
    return f"""  - id: {eid}-spec
    type: specimen
    time: {time}
    kind: {kind}
    site: {site}
    site_kind: {site_kind}
  - id: {eid}
    type: test
    specimen: {eid}-spec
    assay: {assay}
    findings:
{_findings(findings)}{extra}"""


def histology(eid: str, specimen: str, kind: str) -> str:
    return f"""  - id: {eid}
    type: test
    specimen: {specimen}
    assay: histology
    findings:
      - alteration: {{kind: histology, histology: {kind}}}
"""


def run(tmp_path: Path, events: str) -> Interpretation:
    """Write the case file, read it and interpret it as the CLI does."""
    path = tmp_path / "case.yaml"
    path.write_text(HEADER + events, encoding="utf-8")
    return interpret(read_case(path), KB)


def one_line(
    progression: Sequence[str],
    agents: Sequence[str] = ("osimertinib",),
    *,
    driver: str = DEL19,
    baseline: Sequence[str] | None = None,
    baseline_assay: str = "audit-tissue-panel",
    pd_date: str = "2025-03-20",
    biopsy: str | None = None,
    plasma: bool = False,
    extra: str = "",
    pd_site: str = "overall",
    cns: bool = False,
) -> str:
    """The driver at diagnosis (tissue panel unless ``baseline_assay``), one line of
    ``agents`` (osimertinib by default) stopped at progression on ``pd_date``, and the
    progression test on the same tissue panel (or the plasma panel) on the day of the scan
    unless ``biopsy`` gives another date."""
    where = {"kind": "plasma", "site": "blood", "site_kind": "overall"} if plasma else {}
    return (
        dx(cns=cns)
        + sample("t-dx", "2023-01-12", baseline_assay, baseline or [driver])
        + line("l1", agents, "2023-02-01", pd_date)
        + pd("pd", pd_date, "l1", pd_site)
        + sample(
            "t-pd",
            biopsy or pd_date,
            "audit-plasma-panel" if plasma else "audit-tissue-panel",
            progression,
            extra=extra,
            **where,
        )
    )


def second_line_osimertinib(driver: str, progression: Sequence[str]) -> str:
    """Gefitinib first line, T790M on a re-biopsy, osimertinib second line, then progression
    with a re-biopsy on the same panel showing ``progression``."""
    return (
        dx()
        + sample("t-dx", "2023-01-12", "audit-tissue-panel", [driver])
        + line("gef", ["gefitinib"], "2023-02-01", "2024-03-01")
        + pd("pd1", "2024-02-20", "gef")
        + sample("t-pd1", "2024-02-20", "audit-tissue-panel", [driver, "EGFR p.T790M"])
        + line("osi", ["osimertinib"], "2024-03-05", "2025-06-01")
        + pd("pd2", "2025-05-20", "osi")
        + sample("t-pd2", "2025-05-20", "audit-tissue-panel", progression)
    )


# --------------------------------------------------------------------------------------------
# helpers over the interpretation
# --------------------------------------------------------------------------------------------


def drugs(result: Interpretation) -> list[tuple[str, ...]]:
    return [tuple(o.drugs) for o in result.options]


def option(result: Interpretation, regimen: Sequence[str]) -> Option:
    (found,) = [o for o in result.options if tuple(o.drugs) == tuple(regimen)]
    return found


def index(result: Interpretation, regimen: Sequence[str]) -> int:
    return drugs(result).index(tuple(regimen))


def avoided(result: Interpretation) -> list[tuple[str, ...]]:
    return [tuple(a.drugs) for a in result.avoid]


def mechanism(result: Interpretation, text: str) -> Mechanism:
    found = [m for m in result.mechanisms if text.lower() in m.label.lower()]
    assert found, [m.label for m in result.mechanisms]
    return found[0]


def status(result: Interpretation, text: str) -> str:
    found = [s for s in result.alterations if text.lower() in s.name.lower()]
    assert found, [s.name for s in result.alterations]
    return found[0].status


def recommended(result: Interpretation) -> str:
    """All recommended tests (still needed) as one lower-case text."""
    return " | ".join(
        f"{t.kind}: {t.reason}" for t in result.recommended_tests if t.status == "needed"
    ).lower()


# ============================================================================================
# After first-line osimertinib
# ============================================================================================


def test_c797s_alone_after_first_line_osimertinib(tmp_path: Path) -> None:
    """Acquired EGFR C797S without T790M on first-line osimertinib (synthetic). No targeted
    drug is approved for it: a thoracic oncologist gives chemotherapy-based standard care first,
    amivantamab + carboplatin + pemetrexed (MARIPOSA-2, approved after an EGFR TKI). The
    first-generation TKI switch (C797S with T790 wild-type is sensitive to gefitinib/erlotinib
    in preclinical models only) may be listed, but at a low level and below standard care;
    osimertinib alone must not be re-offered."""
    r = run(tmp_path, one_line([DEL19, "EGFR p.C797S"]))
    m = mechanism(r, "C797")
    assert m.acquired
    assert drugs(r)[0] == AMI_CHEMO, drugs(r)
    for o in r.options:
        if EARLY_GEN & set(o.drugs):
            assert o.evidence_level in "DE", (o.drugs, o.evidence_level)
            assert index(r, o.drugs) > index(r, AMI_CHEMO)
            assert index(r, o.drugs) > index(r, CHEMO)
    assert ("osimertinib",) not in drugs(r)


def test_c797s_alone_names_the_mechanism_and_puts_standard_care_first(tmp_path: Path) -> None:
    """The same synthetic C797S-alone case: the on-target mechanism is named and acquired, and
    amivantamab + carboplatin + pemetrexed ranks first; osimertinib alone is not re-offered."""
    r = run(tmp_path, one_line([DEL19, "EGFR p.C797S"]))
    assert mechanism(r, "C797").acquired
    assert drugs(r)[0] == AMI_CHEMO, drugs(r)
    assert ("osimertinib",) not in drugs(r)


def test_rebiopsy_a_week_after_the_progression_scan_is_used(tmp_path: Path) -> None:
    """Progression scan on 20 March, re-biopsy on 28 March showing C797S, no new line yet
    (synthetic; the usual order in practice and in case reports). The oncologist reads the
    re-biopsy as the progression test: the mechanism is C797S, and the engine must not say
    that no test was done at progression."""
    r = run(tmp_path, one_line([DEL19, "EGFR p.C797S"], biopsy="2025-03-28"))
    assert mechanism(r, "C797").acquired
    assert not any(t.kind == "rebiopsy" for t in r.recommended_tests), r.recommended_tests


def test_c797s_cis_t790m_after_second_line_osimertinib(tmp_path: Path) -> None:
    """Gefitinib first line, T790M, osimertinib second line, then C797S reported in cis with
    T790M (synthetic). No EGFR TKI or TKI pair inhibits the cis triple mutant: the oncologist
    gives amivantamab + carboplatin + pemetrexed first, and the first- plus third-generation
    combination (active only in trans) is avoided, not offered."""
    events = second_line_osimertinib(
        L858R, [L858R, "EGFR p.T790M", "{alteration: EGFR p.C797S, phase: cis}"]
    )
    r = run(tmp_path, events)
    mechanism(r, "cis")
    assert drugs(r)[0] == AMI_CHEMO, drugs(r)
    assert ("osimertinib", "gefitinib") not in drugs(r)
    assert ("osimertinib", "gefitinib") in avoided(r)


def test_met_amplification_by_ngs_after_osimertinib(tmp_path: Path) -> None:
    """Acquired MET amplification (tissue NGS, copy number 12) with the exon 19 deletion
    persisting on first-line osimertinib (synthetic). The oncologist continues osimertinib and
    adds a MET TKI: savolitinib (SACHI, SAVANNAH) first, tepotinib as the alternative."""
    r = run(tmp_path, one_line([DEL19, "MET amplification (GCN 12)"]))
    assert mechanism(r, "MET amplification").acquired
    assert drugs(r)[0] == ("osimertinib", "savolitinib"), drugs(r)
    assert ("osimertinib", "tepotinib") in drugs(r)


def test_met_amplification_by_fish_without_ngs_at_progression(tmp_path: Path) -> None:
    """The progression biopsy was tested only by an EGFR PCR (exon 19 deletion) and MET FISH
    (copy number 14); the baseline panel covered MET copy number (synthetic). MET amplification
    is acquired, and osimertinib + savolitinib ranks first."""
    events = (
        one_line([DEL19]).split("  - id: t-pd-spec")[0]
        + sample("t-pd", "2025-03-20", "audit-egfr-pcr", [DEL19])
        + """  - id: t-pd-fish
    type: test
    specimen: t-pd-spec
    assay: fish-met
    findings:
      - {alteration: MET amplification (GCN 14)}
"""
    )
    r = run(tmp_path, events)
    assert status(r, "MET") == "acquired"
    assert mechanism(r, "MET amplification").acquired
    assert drugs(r)[0] == ("osimertinib", "savolitinib"), drugs(r)


MET_IHC3 = "{alteration: {kind: expression, marker: MET, result: positive, score: 3+}}"


def _met_ihc_only() -> str:
    return (
        one_line([DEL19])
        + """  - id: t-pd-ihc
    type: test
    specimen: t-pd-spec
    assay: ihc-generic
    findings:
"""
        + _findings([MET_IHC3])
    )


def test_met_ihc3_only_is_said_as_overexpression(tmp_path: Path) -> None:
    """MET IHC 3+ at progression on osimertinib, with no MET copy-number gain on the panel
    (synthetic). The oncologist calls it overexpression, not amplification, keeps approved
    standard care first, and lists a MET TKI combination at a low level only."""
    r = run(tmp_path, _met_ihc_only())
    mechanism(r, "overexpression")
    assert not any("amplification" in m.label.lower() for m in r.mechanisms)
    assert drugs(r)[0] == AMI_CHEMO, drugs(r)
    assert option(r, ("osimertinib", "savolitinib")).evidence_level in "DE"


def test_met_ihc3_only_recommends_fish(tmp_path: Path) -> None:
    """MET IHC 3+ only (synthetic): before a MET TKI, the oncologist asks for MET FISH (copy
    number, MET/CEP7), as the KB's own statement says ('confirm by FISH')."""
    r = run(tmp_path, _met_ihc_only())
    assert "fish" in recommended(r), r.recommended_tests


def _her2_amp() -> str:
    return one_line([DEL19, "ERBB2 amplification"])


def test_her2_amplification_offers_trastuzumab_deruxtecan(tmp_path: Path) -> None:
    """Acquired ERBB2 (HER2) amplification on osimertinib (synthetic): the oncologist names the
    HER2 bypass and considers trastuzumab deruxtecan (tumour-agnostic approval for HER2 IHC
    3+), beside approved standard care."""
    r = run(tmp_path, _her2_amp())
    assert mechanism(r, "HER2").acquired
    assert ("trastuzumab deruxtecan",) in drugs(r)
    assert AMI_CHEMO in drugs(r)


def test_her2_amplification_recommends_her2_ihc(tmp_path: Path) -> None:
    """ERBB2 amplification by NGS (synthetic): trastuzumab deruxtecan's approval is for HER2 IHC
    3+, so the oncologist asks for HER2 immunohistochemistry (the KB explanation says so)."""
    r = run(tmp_path, _her2_amp())
    text = recommended(r)
    assert "ihc" in text and ("her2" in text or "erbb2" in text), r.recommended_tests


def test_braf_v600e_after_osimertinib(tmp_path: Path) -> None:
    """Acquired BRAF V600E on osimertinib (synthetic): osimertinib + dabrafenib + trametinib is
    a rational option from case series and small cohorts, so it is offered at a low evidence
    level, below approved standard care."""
    r = run(tmp_path, one_line([DEL19, "BRAF p.V600E"]))
    assert mechanism(r, "BRAF").acquired
    triplet = ("osimertinib", "dabrafenib", "trametinib")
    assert option(r, triplet).evidence_level in "CDE"
    assert index(r, AMI_CHEMO) < index(r, triplet)


def test_ret_fusion_after_osimertinib(tmp_path: Path) -> None:
    """Acquired CCDC6::RET on osimertinib, found on a DNA+RNA tissue panel (synthetic): the
    oncologist adds selpercatinib (or pralsetinib) to continued osimertinib."""
    r = run(tmp_path, one_line([DEL19, "CCDC6::RET"]))
    assert mechanism(r, "RET").acquired
    assert ("osimertinib", "selpercatinib") in drugs(r)
    assert ("osimertinib", "pralsetinib") in drugs(r)


def test_alk_fusion_with_brain_metastases_prefers_cns_penetrant_alk_tki(tmp_path: Path) -> None:
    """Acquired EML4::ALK on osimertinib in a patient with brain metastases since diagnosis
    (synthetic): among ALK TKI combinations the oncologist prefers a CNS-penetrant ALK TKI
    (alectinib, lorlatinib) over crizotinib, which reaches the brain poorly."""
    events = one_line([DEL19, "EML4::ALK"], cns=True)
    r = run(tmp_path, events)
    assert mechanism(r, "ALK").acquired
    alk = [o for o in r.options if ALK_TKIS & set(o.drugs)]
    assert alk, drugs(r)
    assert CNS_ALK_TKIS & set(alk[0].drugs), [o.drugs for o in alk]
    assert alk[0].cns_active


def test_small_cell_transformation_after_osimertinib(tmp_path: Path) -> None:
    """Small-cell transformation with TP53 and RB1 loss on osimertinib (synthetic): treated as
    SCLC, platinum-etoposide first; immunotherapy is not favoured (no benefit in transformed
    SCLC), and no pemetrexed regimen is offered."""
    events = one_line([DEL19, "TP53 p.R273H", "{alteration: RB1 deletion}"]) + histology(
        "h-pd", "t-pd-spec", "small_cell_transformation"
    )
    r = run(tmp_path, events)
    mechanism(r, "small-cell")
    assert drugs(r)[0] in (("carboplatin", "etoposide"), ("cisplatin", "etoposide")), drugs(r)
    assert not any(IMMUNOTHERAPY & set(d) for d in drugs(r)), drugs(r)
    assert not any("pemetrexed" in d for d in drugs(r)), drugs(r)


def test_squamous_transformation_after_osimertinib(tmp_path: Path) -> None:
    """Squamous transformation on osimertinib (synthetic): a squamous platinum doublet
    (carboplatin-paclitaxel) is the standard; pemetrexed and bevacizumab have no place, and no
    non-standard agent may rank first."""
    events = one_line([DEL19]) + histology("h-pd", "t-pd-spec", "squamous_transformation")
    r = run(tmp_path, events)
    mechanism(r, "squamous")
    first = set(drugs(r)[0])
    assert first & {"carboplatin", "cisplatin"} and first & {
        "paclitaxel",
        "nab-paclitaxel",
        "gemcitabine",
    }, drugs(r)
    assert not any({"pemetrexed", "bevacizumab"} & set(d) for d in drugs(r)), drugs(r)


def test_no_mechanism_after_first_line_osimertinib(tmp_path: Path) -> None:
    """Progression on first-line osimertinib with only the founder exon 19 deletion on a broad
    tissue panel (synthetic): amivantamab + carboplatin + pemetrexed (MARIPOSA-2, approved)
    first; continuing osimertinib with chemotherapy (COMPEL) is an option; a histology review
    of the re-biopsy is advised."""
    r = run(tmp_path, one_line([DEL19]))
    assert not r.mechanisms, [m.label for m in r.mechanisms]
    assert drugs(r)[0] == AMI_CHEMO, drugs(r)
    assert ("osimertinib", "carboplatin", "pemetrexed") in drugs(r)
    assert any(t.kind == "rebiopsy_histology" for t in r.recommended_tests)


def _cns_only_negative_plasma() -> str:
    return one_line(
        [f"{{alteration: {DEL19}, status: not_detected}}"], pd_site="cns", cns=True, plasma=True
    )


def test_cns_only_progression_with_negative_plasma_recommends_csf_or_tissue(
    tmp_path: Path,
) -> None:
    """Progression in the brain only on osimertinib; plasma shows nothing, not even the driver
    (synthetic). Plasma sheds poorly from intracranial disease: the oncologist asks for CSF
    ctDNA or tissue from the brain lesion, and does not read the driver as lost."""
    r = run(tmp_path, _cns_only_negative_plasma())
    assert status(r, "exon 19") != "lost"
    text = recommended(r)
    assert "csf" in text or "cerebrospinal" in text, r.recommended_tests


def test_cns_only_progression_offers_cns_active_regimen_first(tmp_path: Path) -> None:
    """Same CNS-only progression (synthetic): the first option must reach the brain
    (amivantamab-chemotherapy has its own intracranial PFS evidence in MARIPOSA-2)."""
    r = run(tmp_path, _cns_only_negative_plasma())
    assert r.options[0].cns_active, drugs(r)


def test_cns_only_progression_does_not_offer_compel(tmp_path: Path) -> None:
    """Same CNS-only progression (synthetic): COMPEL (osimertinib continued with
    platinum-pemetrexed) enrolled only patients whose progression was outside the CNS; in a
    patient progressing in the brain on osimertinib, continuing it is not an evidence-based
    option."""
    r = run(tmp_path, _cns_only_negative_plasma())
    assert ("osimertinib", "carboplatin", "pemetrexed") not in drugs(r), drugs(r)


def _low_tf_plasma() -> str:
    return one_line(
        [f"{{alteration: {DEL19}, status: not_detected}}"],
        plasma=True,
        extra="    tumour_fraction: 0.003\n",
    )


def test_plasma_only_low_tumour_fraction_recommends_tissue(tmp_path: Path) -> None:
    """The only progression test is plasma with a tumour fraction of 0.3% that does not show
    the driver (synthetic). A negative at such a low fraction is uninformative: the oncologist
    does not call the driver lost, and asks for a tissue re-biopsy because of the low tumour
    fraction."""
    r = run(tmp_path, _low_tf_plasma())
    assert status(r, "exon 19") != "lost"
    text = recommended(r)
    assert "tissue" in text and "tumour fraction" in text, r.recommended_tests


# ============================================================================================
# After amivantamab + lazertinib (MARIPOSA) and after osimertinib + chemotherapy (FLAURA2)
# ============================================================================================


def _after(agents: Sequence[str], progression: Sequence[str] = (DEL19,)) -> str:
    return one_line(progression, agents)


def test_no_mechanism_after_first_line_amivantamab_lazertinib(tmp_path: Path) -> None:
    """Progression on first-line amivantamab + lazertinib (MARIPOSA) without a mechanism
    (synthetic). The oncologist does not re-offer what failed: neither amivantamab nor
    lazertinib (nor osimertinib, same generation) in the first option, which is platinum-based
    chemotherapy."""
    r = run(tmp_path, _after(["amivantamab", "lazertinib"]))
    assert r.options, "a patient always has standard care"
    first = set(drugs(r)[0])
    assert not first & {"amivantamab", "lazertinib", "osimertinib"}, drugs(r)
    assert first & {"carboplatin", "cisplatin"}, drugs(r)


def test_amivantamab_is_not_re_offered_after_amivantamab_lazertinib(tmp_path: Path) -> None:
    """Same synthetic case: MARIPOSA-2 tested amivantamab (+/- lazertinib) with chemotherapy
    after osimertinib, not after amivantamab; re-giving amivantamab (and lazertinib) on which
    the tumour progressed has no evidence. Neither arm should be an option."""
    r = run(tmp_path, _after(["amivantamab", "lazertinib"]))
    assert not any("amivantamab" in d for d in drugs(r)), drugs(r)


def test_no_mechanism_after_flaura2(tmp_path: Path) -> None:
    """Progression on first-line osimertinib + carboplatin + pemetrexed (FLAURA2) without a
    mechanism (synthetic). Platinum-pemetrexed has just failed: it must not be the first option
    again, nor osimertinib with it (COMPEL enrolled osimertinib-alone progressions). A standard
    option after an EGFR TKI and platinum is still given (datopotamab deruxtecan, docetaxel)."""
    r = run(tmp_path, _after(["osimertinib", "carboplatin", "pemetrexed"]))
    assert r.options
    assert drugs(r)[0] not in (CHEMO, ("osimertinib", "carboplatin", "pemetrexed")), drugs(r)
    assert ("osimertinib", "carboplatin", "pemetrexed") not in drugs(r)
    offered = {d for o in drugs(r) for d in o}
    assert offered & {"datopotamab deruxtecan", "docetaxel"}, drugs(r)


def test_met_amplification_after_flaura2(tmp_path: Path) -> None:
    """MET amplification acquired on FLAURA2 osimertinib + chemotherapy (synthetic): the MET
    bypass is named, osimertinib + savolitinib is offered (SACHI/SAVANNAH enrolled after
    osimertinib), and platinum-pemetrexed is not the first option."""
    r = run(
        tmp_path,
        _after(["osimertinib", "carboplatin", "pemetrexed"], [DEL19, "MET amplification (GCN 12)"]),
    )
    assert mechanism(r, "MET amplification").acquired
    assert ("osimertinib", "savolitinib") in drugs(r)
    assert drugs(r)[0] != CHEMO, drugs(r)


# ============================================================================================
# After a first- or second-generation EGFR TKI
# ============================================================================================


def test_t790m_in_plasma_after_gefitinib(tmp_path: Path) -> None:
    """T790M found in plasma only at progression on first-line gefitinib (synthetic; baseline
    tissue showed L858R without T790M). Osimertinib is the standard (AURA3) and ranks first;
    plasma T790M positivity is enough to start it."""
    events = one_line(
        [L858R, "EGFR p.T790M"], ["gefitinib"], driver=L858R, pd_date="2024-05-20", plasma=True
    )
    r = run(tmp_path, events)
    assert mechanism(r, "T790M").acquired
    assert drugs(r)[0] == ("osimertinib",), drugs(r)


def _t790m_negative_plasma() -> str:
    return one_line(
        [DEL19, "{alteration: EGFR p.T790M, status: not_detected}"],
        ["erlotinib"],
        pd_date="2024-05-20",
        plasma=True,
    )


def test_t790m_negative_plasma_after_erlotinib_offers_chemotherapy(tmp_path: Path) -> None:
    """T790M not detected in plasma (driver detected) on erlotinib (synthetic): no mechanism is
    named, osimertinib is not offered as if T790M were shown, and platinum-based standard care
    is given."""
    r = run(tmp_path, _t790m_negative_plasma())
    assert not r.mechanisms, [m.label for m in r.mechanisms]
    assert ("osimertinib",) not in drugs(r)
    assert {"carboplatin", "cisplatin"} & set(drugs(r)[0]), drugs(r)


def test_t790m_negative_plasma_only_recommends_tissue_for_t790m(tmp_path: Path) -> None:
    """Plasma is T790M negative and no tissue was tested (synthetic). Plasma gives false
    negatives for T790M, so a negative plasma test is followed by a tissue test (osimertinib's
    prescribing advice, and the KB's own statement): the oncologist asks for a tissue re-biopsy
    to test T790M before giving up osimertinib."""
    r = run(tmp_path, _t790m_negative_plasma())
    text = recommended(r)
    assert "t790m" in text and "tissue" in text, r.recommended_tests


# ============================================================================================
# Less complete reports
# ============================================================================================


def _gene_level_met() -> str:
    return one_line([DEL19, "MET amplification"], plasma=True)


def test_gene_level_met_amplification_without_copy_number(tmp_path: Path) -> None:
    """Plasma NGS says only "MET amplification", no copy number (synthetic). The engine still
    names the MET bypass (the category does not need a number) and offers osimertinib +
    savolitinib."""
    r = run(tmp_path, _gene_level_met())
    mechanism(r, "MET amplification")
    assert ("osimertinib", "savolitinib") in drugs(r)


def test_gene_level_met_amplification_recommends_fish(tmp_path: Path) -> None:
    """Without a copy number, and in plasma, the MET amplification may be low-level or focal
    gain below trial thresholds (SACHI: FISH copy number >= 10): the oncologist confirms by
    tissue FISH before adding a MET TKI."""
    r = run(tmp_path, _gene_level_met())
    assert "fish" in recommended(r), r.recommended_tests


def test_positives_only_report_does_not_lose_the_driver(tmp_path: Path) -> None:
    """An abstract says "NGS at progression showed MET amplification" and lists positives only
    (synthetic). The exon 19 deletion it does not repeat is not lost: the tumour is read as
    EGFR-driven with a MET bypass, and osimertinib + savolitinib is offered."""
    events = one_line(["MET amplification (GCN 11)"]) + "    lists: positives_only\n"
    r = run(tmp_path, events)
    assert status(r, "exon 19") != "lost"
    mechanism(r, "MET amplification")
    assert ("osimertinib", "savolitinib") in drugs(r)


def test_progression_without_dates(tmp_path: Path) -> None:
    """A report with no dates: "progressed after ~14 months of afatinib; re-biopsy showed
    T790M" (synthetic). The timeline is built from offsets; T790M is acquired (the diagnostic
    panel covered it) and osimertinib ranks first."""
    events = f"""  - id: dx
    type: diagnosis
    histology: adenocarcinoma
{sample("t-dx", "0 months after dx", "audit-tissue-panel", [DEL19])}\
  - id: afa
    type: therapy
    agents: [afatinib]
    start: 1 months after dx
    stop: about 14 months after afa
    stop_reason: progression
  - id: pd
    type: response
    time: about 14 months after afa
    category: PD
    criteria: not stated
    therapy: afa
{sample("t-pd", "0 days after pd", "audit-tissue-panel", [DEL19, "EGFR p.T790M"])}"""
    r = run(tmp_path, events)
    assert status(r, "T790M") == "acquired"
    assert mechanism(r, "T790M").acquired
    assert drugs(r)[0] == ("osimertinib",), drugs(r)


def test_alteration_present_at_baseline_is_not_acquired(tmp_path: Path) -> None:
    """PIK3CA E545K found at diagnosis and again at progression on osimertinib (synthetic). It
    was there before the drug: persistent, not acquired, and no mechanism built on it is called
    acquired; standard care comes first."""
    events = one_line([DEL19, "PIK3CA p.E545K"], baseline=[DEL19, "PIK3CA p.E545K"])
    r = run(tmp_path, events)
    assert status(r, "PIK3CA") == "persistent"
    assert not any(m.acquired for m in r.mechanisms), [(m.label, m.acquired) for m in r.mechanisms]
    assert drugs(r)[0] == AMI_CHEMO, drugs(r)


def test_alteration_without_baseline_test_of_its_gene_is_not_acquired(tmp_path: Path) -> None:
    """Diagnosis tested by a single-gene EGFR PCR; the progression panel shows MET amplification
    (synthetic). No earlier test could have seen MET: its acquired status is unknown
    (not assessable), the mechanism is not called acquired, and the MET option is still
    offered (the bypass is plausible either way)."""
    events = one_line([DEL19, "MET amplification (GCN 10)"], baseline_assay="audit-egfr-pcr")
    r = run(tmp_path, events)
    assert status(r, "MET") == "not_assessable"
    assert not mechanism(r, "MET amplification").acquired
    assert ("osimertinib", "savolitinib") in drugs(r)


def test_compel_not_offered_after_second_line_osimertinib(tmp_path: Path) -> None:
    """Gefitinib, T790M, osimertinib second line, progression without a new mechanism
    (synthetic). COMPEL enrolled progressions on FIRST-line osimertinib; after second-line
    osimertinib, continuing it with chemotherapy is an extrapolation the engine should not offer
    as that trial's standard care. Amivantamab-chemotherapy (MARIPOSA-2 allowed it) stays
    first."""
    events = second_line_osimertinib(DEL19, [DEL19, "EGFR p.T790M"])
    r = run(tmp_path, events)
    assert drugs(r)[0] == AMI_CHEMO, drugs(r)
    assert ("osimertinib", "carboplatin", "pemetrexed") not in drugs(r), drugs(r)


def _t790m_before_c797s() -> str:
    return second_line_osimertinib(DEL19, [DEL19, "EGFR p.T790M", "EGFR p.C797S"])


def test_c797s_with_earlier_t790m_statuses_and_phasing(tmp_path: Path) -> None:
    """T790M found before second-line osimertinib, C797S new at progression on it, phase not
    reported (synthetic). T790M is persistent on osimertinib, C797S acquired, and phasing
    (cis/trans) is asked for because it decides the option."""
    r = run(tmp_path, _t790m_before_c797s())
    assert status(r, "T790M") == "persistent"
    assert status(r, "C797S") == "acquired"
    assert any(t.kind == "cis_trans_phasing" for t in r.recommended_tests)
    assert drugs(r)[0] == AMI_CHEMO, drugs(r)


def test_c797s_with_earlier_t790m_mechanism_is_acquired(tmp_path: Path) -> None:
    """Same synthetic case: the resistance to osimertinib is C797S, acquired on it; that T790M
    (its background, the reason osimertinib was given) was there before does not make the
    mechanism pre-existing. The oncologist reads the mechanism as acquired."""
    r = run(tmp_path, _t790m_before_c797s())
    assert mechanism(r, "C797").acquired, [(m.label, m.acquired) for m in r.mechanisms]


# ============================================================================================
# A few more shapes
# ============================================================================================


def test_met_amplification_after_erlotinib_t790m_negative(tmp_path: Path) -> None:
    """MET amplification (FISH-level copy number on the panel) without T790M on first-line
    erlotinib (synthetic): an EGFR + MET TKI combination (osimertinib + savolitinib, TATTON; or
    gefitinib + tepotinib, INSIGHT) is the targeted answer and ranks first; osimertinib alone
    is not offered as if T790M were present."""
    events = one_line(
        [L858R, "MET amplification (GCN 9)"], ["erlotinib"], driver=L858R, pd_date="2024-05-20"
    )
    r = run(tmp_path, events)
    assert mechanism(r, "MET amplification").acquired
    first = set(drugs(r)[0])
    assert first & {"savolitinib", "tepotinib", "capmatinib"}, drugs(r)
    assert ("osimertinib",) not in drugs(r)


def test_alk_fusion_with_egfr_driver_lost(tmp_path: Path) -> None:
    """EML4::ALK at progression on osimertinib with the exon 19 deletion no longer detected on
    the same broad tissue panel (synthetic): the tumour now runs on ALK, so an ALK TKI alone
    (alectinib or lorlatinib, CNS-penetrant) ranks first, without osimertinib."""
    events = one_line(["EML4::ALK", f"{{alteration: {DEL19}, status: not_detected}}"])
    r = run(tmp_path, events)
    assert status(r, "exon 19") == "lost"
    mechanism(r, "ALK")
    assert drugs(r)[0] in (("alectinib",), ("lorlatinib",)), drugs(r)


def test_t790m_with_driver_only_declared_and_no_baseline_test(tmp_path: Path) -> None:
    """ "EGFR-mutant" at diagnosis with no test in the case, afatinib, then T790M at progression
    (synthetic). T790M cannot be shown acquired (no earlier covering test) but the situation is
    unambiguous: osimertinib ranks first (AURA3)."""
    events = (
        dx().replace("    stage: IVB\n", "    stage: IVB\n    driver: egfr_sensitising\n")
        + line("afa", ["afatinib"], "2023-02-01", "2024-06-01")
        + pd("pd", "2024-05-20", "afa")
        + sample("t-pd", "2024-05-20", "audit-tissue-panel", ["EGFR p.T790M"])
    )
    r = run(tmp_path, events)
    assert status(r, "T790M") == "not_assessable"
    assert not mechanism(r, "T790M").acquired
    assert drugs(r)[0] == ("osimertinib",), drugs(r)
