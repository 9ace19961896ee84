"""The controlled vocabularies shared by the knowledge base, the engine and its output.

Each is a ``str`` enum, so YAML and JSON carry its plain value (``"A"``, ``"off_target"``) and
``model_dump(mode="json")`` writes that value. One home for each: the knowledge-base schema
(:mod:`tkiresist.knowledge.schema`), the drug dictionary (:mod:`tkiresist.nomenclature.drugs`)
and the interpretation (:mod:`tkiresist.model.interpretation`) import them from here.
"""

from __future__ import annotations

from enum import StrEnum


class EvidenceLevel(StrEnum):
    """CIViC-style evidence level of a statement (or of one regimen in it)."""

    A = "A"  # validated association: guideline or approved label
    B = "B"  # clinical trial evidence
    C = "C"  # case study or case series
    D = "D"  # preclinical
    E = "E"  # inferential


class AmpTier(StrEnum):
    """AMP/ASCO/CAP tier of the assertion that results from the statement."""

    I = "I"  # noqa: E741 - the tier is called I
    II = "II"
    III = "III"
    IV = "IV"


class MechanismClass(StrEnum):
    """What kind of resistance mechanism: on the target itself, a bypass (off target), or a
    change of histology."""

    ON_TARGET = "on_target"
    OFF_TARGET = "off_target"
    HISTOLOGIC = "histologic"


class DriverState(StrEnum):
    """State of the original driver at the decision point that the statement requires."""

    PERSISTENT = "persistent"
    LOST = "lost"
    ANY = "any"


class DrugClass(StrEnum):
    """What kind of agent a drug is. ``*_tki`` are small-molecule kinase inhibitors."""

    EGFR_TKI = "egfr_tki"
    ALK_TKI = "alk_tki"
    MET_TKI = "met_tki"
    RET_TKI = "ret_tki"
    ROS1_TKI = "ros1_tki"
    NTRK_TKI = "ntrk_tki"
    HER2_TKI = "her2_tki"
    FGFR_TKI = "fgfr_tki"
    BRAF_INHIBITOR = "braf_inhibitor"
    MEK_INHIBITOR = "mek_inhibitor"
    KRAS_G12C_INHIBITOR = "kras_g12c_inhibitor"
    MULTIKINASE_TKI = "multikinase_tki"
    CHEMOTHERAPY = "chemotherapy"
    ANTI_VEGF_ANTIBODY = "anti_vegf_antibody"
    ANTI_VEGFR2_ANTIBODY = "anti_vegfr2_antibody"
    ANTI_EGFR_ANTIBODY = "anti_egfr_antibody"
    EGFR_MET_BISPECIFIC = "egfr_met_bispecific"
    HER2_HER3_BISPECIFIC = "her2_her3_bispecific"
    IMMUNOTHERAPY = "immunotherapy"
    ADC = "adc"
