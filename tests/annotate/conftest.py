"""Fixtures for the annotate tests: a small knowledge base built in code, and table writers.

The fixture statements are synthetic: they exist to test the level arithmetic and matching
rules, not to state anything about cancer. Their one citation uses Crossref's test DOI prefix
(10.5555, which cannot be registered), is marked ``uncertain`` and says so in its note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from tkiresist.knowledge.loader import KnowledgeBase
from tkiresist.knowledge.schema import Statement

DATA = Path(__file__).resolve().parents[1] / "data" / "formats"
GENOME_NEXUS_MAF = DATA / "maf" / "genome-nexus_minimal_example.out.mskcc.maf.txt"
VCF2MAF_MAF = DATA / "maf" / "vcf2maf_test_b38_output.maf"
CBIO_SV = DATA / "cbioportal" / "data_sv.txt"
CBIO_CNA = DATA / "cbioportal" / "data_cna.txt"
ONCOKB_FUSIONS = DATA / "oncokb" / "fusions.txt"
ONCOKB_SV = DATA / "oncokb" / "sv.txt"

FIXTURE_CITATION = {
    "id": "test-fixture",
    "doi": "10.5555/tkiresist-test-fixture",
    "first_author": "Fixture",
    "year": 2025,
    "journal": "tkiresist tests",
    "uncertain": True,
    "note": "synthetic test fixture, not a publication (10.5555 is Crossref's test prefix)",
}


def statement(sid: str, **fields: Any) -> Statement:
    """A synthetic statement; ``fields`` override the defaults below."""
    data: dict[str, Any] = {
        "id": sid,
        "title": f"fixture {sid}",
        "match": {"any_of": ["egfr_t790m"]},
        "disease": ["NSCLC"],
        "context": {"prior_drug_classes": ["egfr_tki"]},
        "meaning": {
            "kind": "resistance_mechanism",
            "mechanism_class": "on_target",
            "label": "fixture",
            "explanation": "fixture",
        },
        "evidence_level": "C",
        "amp_tier": "II",
        "citations": [FIXTURE_CITATION],
    }
    data.update(fields)
    return Statement.model_validate(data)


def knowledge_base(statements: Sequence[Statement]) -> KnowledgeBase:
    return KnowledgeBase(
        version="0.0.1",
        date=dt.date(2025, 1, 1),
        statements=tuple(statements),
        citations=MappingProxyType({}),
        root="<fixture>",
        sources=MappingProxyType({}),
    )


SENSITIVITY = {"kind": "sensitivity", "label": "fixture", "explanation": "fixture"}


@pytest.fixture(scope="session")
def fixture_kb() -> KnowledgeBase:
    """Statements for the integration tests.

    * ``ex19del-first-line``: sensitivity of an EGFR exon 19 deletion, any prior therapy
      class listed, regimen level A;
    * ``t790m-after-early``: T790M after a generation 1-2 EGFR TKI, driver present, level A,
      with an osimertinib sensitivity regimen at B and a resistance regimen at D;
    * ``met-amp-after-egfr``: MET amplification after an EGFR TKI, driver present, level B;
    * ``alk-fusion-after-egfr``: ALK fusion after an EGFR TKI, driver present, level C.
    """
    return knowledge_base(
        [
            statement(
                "ex19del-first-line",
                match={"any_of": ["egfr_ex19del"]},
                context={"prior_drug_classes": ["egfr_tki", "chemotherapy"]},
                meaning=SENSITIVITY,
                evidence_level="B",
                regimens=[
                    {
                        "drugs": [{"drug": "osimertinib", "role": "start"}],
                        "effect": "sensitivity",
                        "evidence_level": "A",
                    }
                ],
            ),
            statement(
                "t790m-after-early",
                context={
                    "prior_drug_classes": ["egfr_tki"],
                    "prior_generations": [1, 2],
                    "driver": "egfr_sensitising",
                },
                evidence_level="A",
                regimens=[
                    {
                        "drugs": [{"drug": "osimertinib", "role": "start"}],
                        "effect": "sensitivity",
                        "evidence_level": "B",
                    },
                    {
                        "drugs": [{"drug": "erlotinib", "role": "continue"}],
                        "effect": "resistance",
                        "evidence_level": "D",
                    },
                ],
            ),
            statement(
                "met-amp-after-egfr",
                match={"any_of": ["met_amplification"]},
                context={"prior_drug_classes": ["egfr_tki"], "driver": "egfr_sensitising"},
                meaning={
                    "kind": "resistance_mechanism",
                    "mechanism_class": "off_target",
                    "label": "fixture",
                    "explanation": "fixture",
                },
                evidence_level="B",
            ),
            statement(
                "alk-fusion-after-egfr",
                match={"any_of": ["alk_fusion"]},
                context={"prior_drug_classes": ["egfr_tki"], "driver": "egfr_sensitising"},
                meaning={
                    "kind": "resistance_mechanism",
                    "mechanism_class": "off_target",
                    "label": "fixture",
                    "explanation": "fixture",
                },
                evidence_level="C",
            ),
        ]
    )


MAF_COLUMNS = (
    "Hugo_Symbol",
    "NCBI_Build",
    "Variant_Classification",
    "Tumor_Sample_Barcode",
    "HGVSc",
    "HGVSp_Short",
)


@pytest.fixture
def write_maf(tmp_path: Path) -> Callable[..., Path]:
    """Write a small MAF: rows of (gene, build, classification, sample, HGVSc, HGVSp_Short)."""

    def write(
        rows: Sequence[Sequence[str]],
        name: str = "in.maf",
        columns: Sequence[str] = MAF_COLUMNS,
        preamble: str = "#version 2.4\n",
    ) -> Path:
        path = tmp_path / name
        lines = ["\t".join(columns), *("\t".join(r) for r in rows)]
        path.write_text(preamble + "\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture
def write_table(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
