"""The curated drug dictionary: lookup, schema, collisions, CNS sources (issue #2)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tkiresist.errors import KnowledgeBaseError, ParseError, UnknownDrugError
from tkiresist.model.vocabulary import DrugClass
from tkiresist.nomenclature import drugs, genes
from tkiresist.nomenclature.drugs import CnsLevel, DrugDictionary

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[list[str]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


NAME_ROWS = _rows("drug_names.tsv")


@pytest.mark.parametrize(("written", "generic"), NAME_ROWS, ids=[r[0] for r in NAME_ROWS])
def test_lookup_resolves_names(written: str, generic: str) -> None:
    assert drugs.lookup(written).generic == generic
    assert drugs.is_known(written)


# Every drug issue #2 asks for, by its generic id.
_REQUIRED_TEXT = """
gefitinib erlotinib icotinib afatinib dacomitinib osimertinib lazertinib aumolertinib
furmonertinib befotertinib sunvozertinib mobocertinib crizotinib ceritinib alectinib brigatinib
lorlatinib ensartinib iruplinalkib capmatinib tepotinib savolitinib selpercatinib pralsetinib
entrectinib repotrectinib taletrectinib larotrectinib dabrafenib trametinib encorafenib
binimetinib sotorasib adagrasib poziotinib zongertinib erdafitinib pemigatinib dasatinib
cisplatin carboplatin pemetrexed docetaxel paclitaxel nab-paclitaxel gemcitabine etoposide
vinorelbine bevacizumab ramucirumab necitumumab amivantamab cetuximab pembrolizumab nivolumab
atezolizumab durvalumab ipilimumab
"""
REQUIRED = _REQUIRED_TEXT.split()
REQUIRED_MULTIWORD = [
    "trastuzumab deruxtecan",
    "datopotamab deruxtecan",
    "patritumab deruxtecan",
    "telisotuzumab vedotin",
    "chemotherapy",
    "immunotherapy",
    "egfr antibody",
]


def test_dictionary_holds_every_required_drug() -> None:
    generics = {d.generic for d in drugs.all_drugs()}
    missing = sorted(set(REQUIRED + REQUIRED_MULTIWORD) - generics)
    assert missing == []


@pytest.mark.parametrize(
    ("generic", "generation"),
    [
        ("gefitinib", 1),
        ("erlotinib", 1),
        ("icotinib", 1),
        ("afatinib", 2),
        ("dacomitinib", 2),
        ("osimertinib", 3),
        ("lazertinib", 3),
        ("aumolertinib", 3),
        ("furmonertinib", 3),
        ("befotertinib", 3),
        ("crizotinib", 1),
        ("ceritinib", 2),
        ("alectinib", 2),
        ("brigatinib", 2),
        ("ensartinib", 2),
        ("lorlatinib", 3),
        ("capmatinib", None),
        ("cisplatin", None),
    ],
)
def test_generation(generic: str, generation: int | None) -> None:
    assert drugs.lookup(generic).generation == generation


@pytest.mark.parametrize(
    ("generic", "egfr", "alk", "met"),
    [
        ("osimertinib", True, False, False),
        ("crizotinib", False, True, True),
        ("lorlatinib", False, True, False),
        ("capmatinib", False, False, True),
        ("poziotinib", True, False, False),
        ("amivantamab", False, False, False),
        ("egfr tki", True, False, False),
        ("chemotherapy", False, False, False),
    ],
)
def test_class_helpers(generic: str, egfr: bool, alk: bool, met: bool) -> None:
    drug = drugs.lookup(generic)
    assert (drug.is_egfr_tki, drug.is_alk_tki, drug.is_met_tki) == (egfr, alk, met)


def test_classes_and_flags() -> None:
    assert drugs.lookup("crizotinib").classes == (
        DrugClass.ALK_TKI,
        DrugClass.MET_TKI,
        DrugClass.ROS1_TKI,
    )
    assert drugs.lookup("amivantamab").drug_class is DrugClass.EGFR_MET_BISPECIFIC
    assert drugs.lookup("amivantamab").is_antibody
    assert drugs.lookup("bevacizumab").drug_class is DrugClass.ANTI_VEGF_ANTIBODY
    assert drugs.lookup("necitumumab").has_class("anti_egfr_antibody")
    assert drugs.lookup("trastuzumab deruxtecan").drug_class is DrugClass.ADC
    assert drugs.lookup("pemetrexed").is_chemotherapy
    assert not drugs.lookup("pemetrexed").is_tki
    assert drugs.lookup("EGFR antibody").class_only
    assert not drugs.lookup("cetuximab").class_only


def test_targets_are_approved_hgnc_symbols() -> None:
    wrong = [
        (d.generic, t) for d in drugs.all_drugs() for t in d.targets if not genes.is_approved(t)
    ]
    assert wrong == []


def test_cns_levels_and_sources() -> None:
    osimertinib = drugs.lookup("osimertinib").cns
    assert osimertinib.level is CnsLevel.HIGH
    flaura = osimertinib.sources[0]
    assert (flaura.first_author, flaura.year, flaura.trial, flaura.doi) == (
        "Reungwetwattana",
        2018,
        "FLAURA",
        "10.1200/JCO.2018.78.3118",
    )
    assert drugs.lookup("alectinib").cns.sources[0].doi == "10.1056/NEJMoa1704795"
    assert drugs.lookup("lorlatinib").cns.sources[0].doi == "10.1056/NEJMoa2027187"
    assert drugs.lookup("brigatinib").cns.sources[0].doi == "10.1056/NEJMoa1810171"
    assert drugs.lookup("crizotinib").cns.level is CnsLevel.LIMITED
    assert drugs.lookup("gefitinib").cns.level is CnsLevel.UNKNOWN


def test_every_rated_cns_level_is_sourced() -> None:
    for drug in drugs.all_drugs():
        if drug.cns.level is not CnsLevel.UNKNOWN:
            assert drug.cns.sources, drug.generic
            assert all(s.doi or s.pmid or s.pmcid for s in drug.cns.sources), drug.generic


def test_unknown_name_is_refused_never_guessed() -> None:
    with pytest.raises(UnknownDrugError) as info:
        drugs.lookup("osimertnib")
    assert info.value.text == "osimertnib"
    assert info.value.suggestions == ("osimertinib",)
    assert "osimertinib" in str(info.value)
    assert not drugs.is_known("osimertnib")


def test_unknown_name_without_close_names() -> None:
    with pytest.raises(UnknownDrugError) as info:
        drugs.lookup("NA")
    assert info.value.suggestions == ()
    assert isinstance(info.value, ParseError)


@pytest.mark.parametrize("blank", ["", "   ", "-", "®"])
def test_blank_name_is_a_parse_error(blank: str) -> None:
    with pytest.raises(ParseError) as info:
        drugs.lookup(blank)
    assert info.value.position == 0
    assert not drugs.is_known(blank)


def test_normalize_name() -> None:
    assert drugs.normalize_name("AZD-9291") == drugs.normalize_name("azd 9291") == "azd9291"
    assert drugs.normalize_name("Tagrisso®") == "tagrisso"
    assert drugs.normalize_name("nab\u2010paclitaxel") == "nabpaclitaxel"


def test_every_name_resolves_to_its_own_drug() -> None:
    for drug in drugs.all_drugs():
        for name in drug.names:
            assert drugs.lookup(name) is drug, name


def test_dictionary_is_loaded_once() -> None:
    assert drugs.dictionary() is drugs.dictionary()


# --------------------------------------------------------------------- schema and collisions

_ENTRY = """
  - generic: {generic}
    codes: [{code}]
    drug_class: egfr_tki
"""


def _file(*entries: str) -> str:
    return "schema_version: 1\ndrugs:\n" + "".join(entries)


def test_a_name_claimed_by_two_drugs_is_refused() -> None:
    text = _file(
        _ENTRY.format(generic="alpha", code="XY-1"), _ENTRY.format(generic="beta", code="xy 1")
    )
    with pytest.raises(KnowledgeBaseError) as info:
        DrugDictionary.from_yaml(text, "test.yaml")
    assert "'alpha'" in info.value.message and "'beta'" in info.value.message
    assert info.value.location.file == "test.yaml"
    assert info.value.location.field == "drugs[1]"


def test_a_generic_that_is_another_drugs_code_is_refused() -> None:
    text = _file(
        _ENTRY.format(generic="alpha", code="beta"), _ENTRY.format(generic="beta", code="Z1")
    )
    with pytest.raises(KnowledgeBaseError, match="already a name of 'alpha'"):
        DrugDictionary.from_yaml(text)


def test_a_drug_listed_twice_is_refused() -> None:
    text = _file(
        _ENTRY.format(generic="alpha", code="A1"), _ENTRY.format(generic="alpha", code="A2")
    )
    with pytest.raises(KnowledgeBaseError, match="listed twice"):
        DrugDictionary.from_yaml(text)


def test_a_small_valid_file_loads() -> None:
    text = _file(_ENTRY.format(generic="alpha", code="A-1"))
    dictionary = DrugDictionary.from_yaml(text)
    assert dictionary.lookup("a1").generic == "alpha"
    assert len(dictionary.drugs) == 1


@pytest.mark.parametrize(
    ("entry", "field", "message"),
    [
        (
            "  - generic: alpha\n    drug_class: egfr_tki\n    colour: red\n",
            "drugs[0].colour",
            "Extra inputs",
        ),
        ("  - generic: alpha\n    drug_class: egfr_kinase\n", "drugs[0].drug_class", "Input"),
        (
            "  - generic: alpha\n    drug_class: chemotherapy\n    generation: 1\n",
            "drugs[0]",
            "generation is given for EGFR and ALK TKIs only",
        ),
        (
            "  - generic: alpha\n    drug_class: alk_tki\n    cns: {level: high}\n",
            "drugs[0].cns",
            "needs at least one source",
        ),
        (
            "  - generic: alpha\n    drug_class: alk_tki\n    cns:\n      level: high\n"
            "      sources: [{first_author: X, year: 2020}]\n",
            "drugs[0].cns.sources[0]",
            "needs a DOI, PMID or PMCID",
        ),
        ("  - generic: Alpha\n    drug_class: alk_tki\n", "drugs[0].generic", "pattern"),
        (
            "  - generic: alpha\n    drug_class: alk_tki\n    targets: [alk]\n",
            "drugs[0].targets",
            "HGNC",
        ),
    ],
)
def test_schema_violations_name_the_field(entry: str, field: str, message: str) -> None:
    with pytest.raises(KnowledgeBaseError) as info:
        DrugDictionary.from_yaml(_file(entry), "bad.yaml")
    assert info.value.location.field == field
    assert message in info.value.message


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(KnowledgeBaseError) as info:
        DrugDictionary.from_yaml("schema_version: 1\ndrugs:\n  - generic: [unclosed\n", "x.yaml")
    assert info.value.location.file == "x.yaml"
    assert info.value.location.line is not None


def test_loading_imports_no_heavy_library() -> None:
    code = textwrap.dedent(
        """
        import sys
        from tkiresist.nomenclature import regimens
        regimens.parse_sequence("erlotinib -> osimertinib + alectinib")
        heavy = {"pandas", "scipy", "duckdb", "matplotlib", "sqlalchemy", "pyarrow"}
        print(sorted(heavy & set(sys.modules)))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@given(st.text(max_size=40))
def test_lookup_of_any_text_returns_a_drug_or_raises_parse_error(text: str) -> None:
    try:
        drug = drugs.lookup(text)
    except ParseError:
        assert not drugs.is_known(text)
    else:
        assert drugs.normalize_name(text) in {drugs.normalize_name(n) for n in drug.names}


def test_drug_classes_vocabulary() -> None:
    classes = drugs.drug_classes()
    assert "egfr_tki" in classes and "egfr_met_bispecific" in classes
    used = {c for d in drugs.all_drugs() for c in d.classes}
    assert used <= set(classes)
    assert str(DrugClass.ALK_TKI) == "alk_tki"
