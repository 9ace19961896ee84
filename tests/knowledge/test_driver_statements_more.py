"""First-line driver statements, second pass (#18): EMA/NMPA approvals, the newer ROS1 TKIs,
capmatinib, LIBRETTO-431, entrectinib for NTRK and de novo MET amplification.

Every case here is SYNTHETIC (tests/interpret/scenario_builder.py): an invented patient with a
baseline tissue panel, asked at diagnosis (``at="dx"``), before any therapy. The first line and
progression the builder adds after the diagnosis must not change the answer. Only the bundled
Cheung 2025 example is a published case, used for the report title.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.knowledge.query import by_approval
from tkiresist.model.interpretation import Interpretation, Option
from tkiresist.report.html import render_html
from tkiresist.report.text import render_text

from ..conftest import ROOT
from ..interpret.scenario_builder import scenario

KB = load_knowledge_base()


def _at_diagnosis(baseline: Sequence[str]) -> Interpretation:
    return interpret(scenario(agents=["carboplatin"], baseline=list(baseline)), KB, at="dx")


def _option(result: Interpretation, *drugs: str) -> Option:
    found = [o for o in result.options if o.drugs == drugs]
    assert found, f"{drugs} not among {[o.drugs for o in result.options]}"
    return found[0]


def _decisions(option: Option) -> dict[str, str]:
    return {a.region: a.status for a in option.approvals}


def test_ros1_first_line_offers_the_newer_tkis_at_level_a() -> None:
    """Synthetic ROS1 fusion at diagnosis. A thoracic oncologist chooses among crizotinib,
    entrectinib, repotrectinib and taletrectinib, all FDA-approved for ROS1-positive NSCLC in
    any line; entrectinib and repotrectinib are CNS-active (the reason to prefer them with
    brain metastases), crizotinib is not claimed to be."""
    result = _at_diagnosis(["EZR::ROS1"])
    for drug in ("crizotinib", "entrectinib", "repotrectinib", "taletrectinib"):
        option = _option(result, drug)
        assert option.evidence_level == "A"
        assert _decisions(option)["FDA"] == "approved"
    assert _decisions(_option(result, "crizotinib"))["EMA"] == "approved"
    assert _decisions(_option(result, "entrectinib"))["EMA"] == "accelerated"
    assert _decisions(_option(result, "taletrectinib"))["NMPA"] == "approved"
    assert _option(result, "entrectinib").cns_active
    assert _option(result, "repotrectinib").cns_active
    assert not _option(result, "crizotinib").cns_active


def test_ros1_statement_says_which_citation_is_unconfirmed() -> None:
    """The taletrectinib paper's DOI was seen in one secondary source only: its citation is
    uncertain, and so is the statement, with a note naming it, so a reader is warned."""
    st = KB.by_id["ros1-fusion-first-line"]
    cites = {c.id: c for c in st.citations}
    assert cites["li-2024-taletrectinib"].uncertain
    assert not cites["drilon-2024-repotrectinib"].uncertain
    assert st.uncertain and st.uncertain_note and "taletrectinib" in st.uncertain_note


def test_ret_first_line_selpercatinib_rests_on_libretto_431() -> None:
    """Synthetic RET fusion at diagnosis. Selpercatinib is the first line (level A), now backed
    by the randomised LIBRETTO-431 against chemotherapy with or without pembrolizumab, CNS-active
    (its CNS progression analysis), with its EU (conditional) and Chinese approvals shown."""
    option = _option(_at_diagnosis(["KIF5B::RET"]), "selpercatinib")
    assert option.evidence_level == "A"
    assert option.cns_active
    assert "10.1056/NEJMoa2309457" in {c.doi for c in option.citations}
    assert _decisions(option) == {"FDA": "approved", "EMA": "accelerated", "NMPA": "approved"}


def test_met_ex14_offers_capmatinib_beside_tepotinib_without_eu_first_line_approval() -> None:
    """Synthetic MET exon 14 skipping at diagnosis. Tepotinib and capmatinib are both FDA
    approved in any line; in the EU both are authorised only after immunotherapy and/or
    chemotherapy, which the report must show as "not approved" for first line rather than
    leaving the EU silent."""
    result = _at_diagnosis(["MET exon 14 skipping"])
    capmatinib = _option(result, "capmatinib")
    tepotinib = _option(result, "tepotinib")
    assert capmatinib.evidence_level == "A"
    assert _decisions(capmatinib) == {"FDA": "approved", "EMA": "not_approved"}
    assert _decisions(tepotinib)["EMA"] == "not_approved"


def test_de_novo_met_amplification_offers_capmatinib_at_b_and_crizotinib_at_c() -> None:
    """Synthetic high-level MET amplification as the only driver at diagnosis. No MET TKI is
    approved for it; capmatinib has prospective single-arm data in untreated patients with
    copy number >= 10 (level B), crizotinib a case report (level C). A thoracic oncologist
    sees them as options beside standard care, not as approved standard: no option carries an
    approval, and capmatinib's FDA record says not approved."""
    result = _at_diagnosis(["MET amplification"])
    capmatinib = _option(result, "capmatinib")
    crizotinib = _option(result, "crizotinib")
    assert (capmatinib.evidence_level, crizotinib.evidence_level) == ("B", "C")
    assert result.options[0].drugs == ("capmatinib",)
    assert _decisions(capmatinib) == {"FDA": "not_approved"}
    assert not any(a.status in ("approved", "accelerated") for o in result.options
                   for a in o.approvals)  # fmt: skip
    assert "met-amplification-first-line" in capmatinib.statements
    assert not result.mechanisms


@pytest.mark.parametrize("driver", ["EGFR p.L858R", "KRAS p.G12C", "EML4::ALK"])
def test_met_amplification_beside_another_driver_is_not_the_driver(driver: str) -> None:
    """Synthetic MET amplification together with another driver at diagnosis: the other
    driver decides the first line, and the de novo MET statement must not fire (an oncologist
    would not start capmatinib for a co-occurring copy gain in an EGFR-, KRAS- or ALK-driven
    tumour)."""
    result = _at_diagnosis(["MET amplification", driver])
    fired = {t.statement for t in result.trace if t.fired}
    assert "met-amplification-first-line" not in fired
    assert ("capmatinib",) not in {o.drugs for o in result.options}


def test_met_amplification_first_line_statement_never_fires_at_progression() -> None:
    """Synthetic MET amplification acquired on osimertinib: that is the bypass resistance of
    another statement; the de novo first-line statement (capmatinib alone) must stay silent."""
    case = scenario(
        agents=["osimertinib"],
        baseline=["EGFR p.E746_A750del"],
        progression=["EGFR p.E746_A750del", "MET amplification"],
    )
    result = interpret(case, KB)
    fired = {t.statement for t in result.trace if t.fired}
    assert "met-amplification-first-line" not in fired
    assert "met-amplification-after-osimertinib" in fired


def test_ntrk_offers_entrectinib_beside_larotrectinib() -> None:
    """Synthetic NTRK1 fusion at diagnosis: larotrectinib and entrectinib, both tumour-agnostic
    (level B), both conditionally authorised in the EU; entrectinib is CNS-active."""
    result = _at_diagnosis(["TPM3::NTRK1"])
    entrectinib = _option(result, "entrectinib")
    assert entrectinib.evidence_level == "B"
    assert entrectinib.cns_active
    assert _decisions(entrectinib) == {"FDA": "accelerated", "EMA": "accelerated"}
    assert _decisions(_option(result, "larotrectinib"))["EMA"] == "accelerated"


def test_classical_egfr_first_line_shows_eu_and_chinese_approvals() -> None:
    """Synthetic exon 19 deletion at diagnosis: osimertinib's EU approval (June 2018) and its
    Chinese approval are shown beside the FDA's; FLAURA2's combination is approved in both."""
    result = _at_diagnosis(["EGFR p.E746_A750del"])
    osimertinib = _option(result, "osimertinib")
    assert _decisions(osimertinib) == {"FDA": "approved", "EMA": "approved", "NMPA": "approved"}
    assert {a.date for a in osimertinib.approvals if a.region == "EMA"} == {"2018-06"}
    flaura2 = _option(result, "osimertinib", "carboplatin", "pemetrexed")
    assert {"EMA", "NMPA"} <= set(_decisions(flaura2))


def test_uncommon_egfr_afatinib_eu_approval_says_its_indication_is_general() -> None:
    """Synthetic G719A at diagnosis: afatinib's EU authorisation (2013) is for activating EGFR
    mutations in general; it is shown, and its note says the uncommon mutations are not named,
    so a reader does not take it for a G719X-specific label."""
    option = _option(_at_diagnosis(["EGFR p.G719A"]), "afatinib")
    eu = [a for a in option.approvals if a.region == "EMA"]
    assert [(a.status, a.date) for a in eu] == [("approved", "2013-09")]
    st = KB.by_id["egfr-uncommon-first-line"]
    notes = [a.note or "" for r in st.regimens for a in r.approvals if a.region.value == "EMA"]
    assert any("does not name G719X" in n for n in notes)


def test_alk_first_line_shows_eu_and_chinese_approvals() -> None:
    """Synthetic EML4::ALK at diagnosis: alectinib approved in the EU (December 2017) and China
    (August 2018); lorlatinib first line in the EU (January 2022)."""
    result = _at_diagnosis(["EML4::ALK"])
    alectinib = {a.region: a.date for a in _option(result, "alectinib").approvals}
    assert alectinib["EMA"] == "2017-12" and alectinib["NMPA"] == "2018-08"
    lorlatinib = {a.region: a.date for a in _option(result, "lorlatinib").approvals}
    assert lorlatinib["EMA"] == "2022-01"


def test_kb_show_lists_the_eu_first_line_approvals() -> None:
    """``kb show --approval approved --region EMA`` (the query behind it) lists what this pass
    recorded, conditional authorisations included; EU 'not approved' first-line decisions are
    not listed as approved."""
    lines = by_approval(KB, "approved", "EMA")
    text = "\n".join(lines)
    for drugs, statement in [
        ("osimertinib", "egfr-classical-first-line"),
        ("amivantamab + lazertinib", "egfr-classical-first-line"),
        ("alectinib", "alk-fusion-first-line"),
        ("lorlatinib", "alk-fusion-first-line"),
        ("crizotinib", "ros1-fusion-first-line"),
        ("entrectinib", "ros1-fusion-first-line"),
        ("selpercatinib", "ret-fusion-first-line"),
        ("dabrafenib + trametinib", "braf-v600e-first-line"),
        ("larotrectinib", "ntrk-fusion-first-line"),
        ("entrectinib", "ntrk-fusion-first-line"),
    ]:
        assert any(f"  {drugs}  [{statement}]" in line for line in lines), (drugs, text)
    assert "[met-ex14-first-line]" not in text
    assert "[met-amplification-first-line]" not in text


def test_first_line_approvals_without_a_day_say_why() -> None:
    """Every EMA/NMPA decision of the first-line statements has a source, and one recorded
    without a date says why in a note (the schema requires it; checked here over the data)."""
    for st in KB.statements:
        if not st.context.treatment_naive:
            continue
        for reg in st.regimens:
            for a in reg.approvals:
                if a.region.value in ("EMA", "NMPA"):
                    assert a.source
                    assert a.date is not None or a.note, (st.id, reg.drug_names, a.region)


def test_report_title_at_diagnosis_says_first_line() -> None:
    """The seed case (Cheung 2025) asked at diagnosis: the HTML report and the text heading
    speak of a first-line interpretation, not of resistance; at progression they still say
    resistance / interpretation as before."""
    case = read_case(ROOT / "examples" / "cheung2025" / "case.yaml")
    at_dx = interpret(case, KB, at="dx")
    html = render_html(case, at_dx, generated=dt.date(2026, 12, 5))
    assert "<h1>First-line interpretation at diagnosis:" in html
    assert "Resistance interpretation" not in html
    assert render_text(at_dx).splitlines()[0].startswith("tkiresist first-line interpretation")
    at_pd = interpret(case, KB)
    assert "<h1>Resistance interpretation:" in render_html(
        case, at_pd, generated=dt.date(2026, 12, 5)
    )
    assert render_text(at_pd).splitlines()[0].startswith("tkiresist interpretation of case")
