"""The bundled assay catalogue (data/assays.yaml) and ``Assay.covers``."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from tkiresist.model.alterations import (
    CopyNumber,
    Expression,
    Fusion,
    Histology,
    ProteinChange,
    SequenceVariant,
)
from tkiresist.model.assays import Assay, Coverage, _Catalogue, catalogue
from tkiresist.nomenclature.genes import is_approved

Alt = SequenceVariant | Fusion | CopyNumber | Expression | Histology


def _raw() -> dict[str, Any]:
    text = resources.files("tkiresist.data").joinpath("assays.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _gene_rows() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    for assay in catalogue().values():
        cov = assay.coverage
        for kind, genes in (
            ("sequence_variant", cov.sequence_variant),
            ("fusion", cov.fusion),
            ("copy_number", cov.copy_number),
            ("expression", cov.expression),
        ):
            rows.extend((assay.id, kind, g) for g in genes if g != "*")
    return rows


# -- alterations used below -------------------------------------------------------------------

L858R = SequenceVariant(
    gene="EGFR",
    protein=ProteinChange(ref_start="L", start=858, edit="substitution", alt="R"),
)
T790M = SequenceVariant(
    gene="EGFR",
    protein=ProteinChange(ref_start="T", start=790, edit="substitution", alt="M"),
)
EX19DEL = SequenceVariant(gene="EGFR", exon=19, region_effect="deletion")
STK11_MUT = SequenceVariant(
    gene="STK11",
    protein=ProteinChange(ref_start="Q", start=37, edit="substitution", alt="*"),
)
EML4_ALK = Fusion(five_prime="EML4", three_prime="ALK", variant="v1")
ALK_UNKNOWN_PARTNER = Fusion(three_prime="ALK")
CD74_ROS1 = Fusion(five_prime="CD74", three_prime="ROS1")
MET_AMP = CopyNumber(gene="MET", change="amplification", ratio=2.4)
ALK_IHC = Expression(marker="ALK", result="positive", clone="D5F3")
PDL1_IHC = Expression(marker="CD274", result="positive", score="TPS 50%")
SCLC = Histology(histology="small_cell_transformation")


# -- the catalogue as data --------------------------------------------------------------------


def test_catalogue_loads_and_validates() -> None:
    raw = _raw()
    validated = _Catalogue.model_validate(raw)
    assert len(validated.assays) == len(raw["assays"])
    assert set(catalogue()) == {a.id for a in validated.assays}


def test_ids_are_unique() -> None:
    ids = [a["id"] for a in _raw()["assays"]]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == []


def test_required_entries_present() -> None:
    expected = {
        "oncomine-precision",
        "oncomine-dx-target",
        "foundationone-cdx",
        "foundationone-liquid-cdx",
        "guardant360-cdx",
        "ihc-alk-d5f3",
        "ihc-alk",
        "fish-alk-breakapart",
        "fish-met",
        "histology",
        "ihc-generic",
        "ngs-dna-hotspot",
        "ngs-rna-fusion",
    }
    assert expected <= set(catalogue())


def test_an_unknown_field_is_rejected() -> None:
    raw = _raw()
    raw["assays"][0] = {**raw["assays"][0], "genes": ["EGFR"]}
    with pytest.raises(ValidationError, match="genes"):
        _Catalogue.model_validate(raw)


@pytest.mark.parametrize(("assay_id", "kind", "gene"), _gene_rows())
def test_every_gene_is_an_approved_hgnc_symbol(assay_id: str, kind: str, gene: str) -> None:
    assert is_approved(gene), f"{assay_id}.{kind}: {gene!r} is not an approved HGNC symbol"


def test_gene_lists_have_no_duplicates() -> None:
    for row in _raw()["assays"]:
        for kind, genes in row.get("coverage", {}).items():
            if isinstance(genes, list):
                assert len(genes) == len(set(genes)), f"{row['id']}.{kind} repeats a gene"


def test_every_entry_states_its_limits() -> None:
    missing = [a.id for a in catalogue().values() if not a.limits]
    assert missing == []


def test_named_products_cite_a_source() -> None:
    named = [a for a in catalogue().values() if a.vendor is not None]
    assert named, "the catalogue should hold vendor products"
    for assay in named:
        assert assay.source is not None, assay.id
        assert assay.source.url or assay.source.doi, assay.id


def test_wildcard_entries_document_the_assumption() -> None:
    wild = [
        a
        for a in catalogue().values()
        if "*"
        in (
            *a.coverage.sequence_variant,
            *a.coverage.fusion,
            *a.coverage.copy_number,
            *a.coverage.expression,
        )
    ]
    assert {a.id for a in wild} == {"ihc-generic", "ngs-dna-hotspot", "ngs-rna-fusion"}
    for assay in wild:
        assert assay.limits is not None and "assumes" in assay.limits, assay.id


def test_oncomine_precision_gene_counts() -> None:
    cov = catalogue()["oncomine-precision"].coverage
    assert len(cov.sequence_variant) == 45
    assert len(cov.fusion) == 18
    assert len(cov.copy_number) == 14
    assert len({*cov.sequence_variant, *cov.fusion, *cov.copy_number}) == 50
    assert cov.expression == ()
    assert cov.histology is False


def test_oncomine_precision_materials_and_method() -> None:
    opa = catalogue()["oncomine-precision"]
    assert opa.method == "ngs"
    assert set(opa.materials) == {"tissue_dna", "tissue_rna", "plasma_ctdna"}


# -- covers() ---------------------------------------------------------------------------------

COVERS: list[tuple[str, Alt, bool]] = [
    # the seed case: OPA at baseline and at progression, IHC as orthogonal test
    ("oncomine-precision", EML4_ALK, True),
    ("oncomine-precision", ALK_UNKNOWN_PARTNER, True),
    ("oncomine-precision", L858R, True),
    ("oncomine-precision", T790M, True),
    ("oncomine-precision", EX19DEL, True),
    ("oncomine-precision", MET_AMP, True),
    ("oncomine-precision", CD74_ROS1, True),
    ("oncomine-precision", STK11_MUT, False),  # spike-in content only, not the base panel
    ("oncomine-precision", ALK_IHC, False),
    ("oncomine-precision", SCLC, False),
    ("ihc-alk", ALK_IHC, True),
    ("ihc-alk", L858R, False),
    ("ihc-alk", EML4_ALK, False),
    ("ihc-alk-d5f3", ALK_IHC, True),
    ("ihc-alk-d5f3", L858R, False),
    ("fish-alk-breakapart", ALK_UNKNOWN_PARTNER, True),
    ("fish-alk-breakapart", EML4_ALK, True),
    ("fish-alk-breakapart", CD74_ROS1, False),
    ("fish-alk-breakapart", L858R, False),
    ("fish-met", MET_AMP, True),
    ("fish-met", CopyNumber(gene="ERBB2", change="amplification"), False),
    ("histology", SCLC, True),
    ("histology", L858R, False),
    ("ihc-generic", PDL1_IHC, True),
    ("ihc-generic", L858R, False),
    ("ngs-dna-hotspot", STK11_MUT, True),
    ("ngs-dna-hotspot", MET_AMP, True),
    ("ngs-dna-hotspot", EML4_ALK, False),
    ("ngs-rna-fusion", CD74_ROS1, True),
    ("ngs-rna-fusion", L858R, False),
    # verified subsets only: unlisted genes are "not covered"
    ("guardant360-cdx", L858R, True),
    ("guardant360-cdx", EML4_ALK, False),
    ("oncomine-dx-target", CD74_ROS1, True),
    ("oncomine-dx-target", EML4_ALK, False),
    ("foundationone-cdx", EML4_ALK, True),
    ("foundationone-cdx", MET_AMP, False),
    ("foundationone-liquid-cdx", ALK_UNKNOWN_PARTNER, True),
]


@pytest.mark.parametrize(
    ("assay_id", "alteration", "expected"),
    COVERS,
    ids=[f"{a}-{alt.name}" for a, alt, _ in COVERS],
)
def test_covers(assay_id: str, alteration: Alt, expected: bool) -> None:
    assert catalogue()[assay_id].covers(alteration) is expected


def test_a_fusion_is_covered_through_either_partner() -> None:
    five_prime_only = Assay(id="x", name="5' only", coverage=Coverage(fusion=("EML4",)))
    assert five_prime_only.covers(EML4_ALK)
    assert not five_prime_only.covers(ALK_UNKNOWN_PARTNER)
