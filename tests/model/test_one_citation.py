"""One home per value type (#14, item 4): one citation, and the shared vocabularies in ``model``.

The citation was written five times (case source, knowledge base, drug dictionary, output,
assay catalogue), with three PMID patterns and two year ranges. Now ``model/citation.py``
defines it once; the stricter rules of the knowledge base and the drug dictionary are small
subclasses in that module, and the interpretation's JSON keeps its shape.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from pydantic import ValidationError

from tkiresist.interpret.engine import interpret
from tkiresist.io.casefile import read_case
from tkiresist.knowledge import schema
from tkiresist.knowledge.loader import load_knowledge_base
from tkiresist.model import citation
from tkiresist.model.citation import Citation, IdentifiedCitation, KnowledgeCitation
from tkiresist.model.interpretation import Mechanism, Option
from tkiresist.model.vocabulary import AmpTier, DriverState, EvidenceLevel, MechanismClass
from tkiresist.nomenclature import drugs

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "tkiresist"
HOME = SRC / "model" / "citation.py"
SUBCLASSES = {"IdentifiedCitation", "KnowledgeCitation"}
"""The stricter rules, declared in the one module: the drug dictionary's and the KB's."""


def _citation_classes() -> list[tuple[Path, ast.ClassDef]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [
            (path, node)
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and "citation" in node.name.lower()
        ]
    return found


def _bases(node: ast.ClassDef) -> set[str]:
    return {b.id for b in node.bases if isinstance(b, ast.Name)}


def test_one_citation_class_and_its_declared_subclasses_in_one_module() -> None:
    found = _citation_classes()
    elsewhere = [f"{p.relative_to(ROOT)}:{n.lineno} {n.name}" for p, n in found if p != HOME]
    assert elsewhere == [], "a citation class outside model/citation.py"
    names = {n.name: n for _, n in found}
    assert sorted(names) == sorted({"Citation"} | SUBCLASSES)
    assert _bases(names["Citation"]) == {"Value"}
    # every subclass derives from Citation, directly or through another declared subclass
    for name in SUBCLASSES:
        assert _bases(names[name]) <= {"Citation"} | SUBCLASSES, name
        assert issubclass(getattr(citation, name), Citation), name


def test_every_user_holds_the_one_type() -> None:
    from tkiresist.model.case import Case

    kb = load_knowledge_base()
    assert all(type(c) is KnowledgeCitation for c in kb.citations.values())
    sources = [s for d in drugs.dictionary().drugs for s in d.cns.sources]
    assert sources and all(isinstance(s, IdentifiedCitation) for s in sources)
    case_source = Case.model_fields["source"].annotation
    assert case_source == Citation | None


@pytest.mark.parametrize(
    ("fields", "ok"),
    [
        ({"doi": "10.1056/NEJMoa1704795"}, True),
        ({"pmid": 33207094}, True),  # YAML reads digits as an int
        ({"pmcid": "PMC6290889"}, True),
        ({"first_author": "Smith", "year": 2021, "title": "A case of ALK"}, True),
        ({"first_author": "Smith", "year": 2021}, False),  # neither identified nor described
        ({"doi": "doi:10.1056/NEJMoa1704795"}, False),
        ({"pmid": "012345"}, False),
        ({"pmcid": "6290889"}, False),
        ({"doi": "10.1056/NEJMoa1704795", "year": 1850}, False),
    ],
)
def test_the_identification_rule_and_identifier_forms(fields: dict[str, object], ok: bool) -> None:
    if ok:
        assert Citation.model_validate(fields).identified == ("title" not in fields)
    else:
        with pytest.raises(ValidationError):
            Citation.model_validate(fields)


def test_the_stricter_rules() -> None:
    described = {"first_author": "Smith", "year": 2021, "title": "A case of ALK"}
    with pytest.raises(ValidationError, match="needs a DOI, PMID or PMCID"):
        IdentifiedCitation.model_validate(described)
    kb = {"id": "x-2020", "first_author": "X", "year": 2020, "journal": "J"}
    with pytest.raises(ValidationError, match="needs a doi or a pmid"):
        KnowledgeCitation.model_validate({**kb, "pmcid": "PMC6290889"})
    with pytest.raises(ValidationError, match="journal"):
        KnowledgeCitation.model_validate({"id": "x-2020", "first_author": "X", "year": 2020})
    assert KnowledgeCitation.model_validate({**kb, "pmid": "33207094"}).pmid == "33207094"


def test_url_prefers_the_doi_then_pubmed_then_pmc() -> None:
    both = Citation(doi="10.1056/NEJMoa2027187", pmid="33207094")
    assert both.url == "https://doi.org/10.1056/NEJMoa2027187"
    assert Citation(pmid="33207094").url == "https://pubmed.ncbi.nlm.nih.gov/33207094/"
    assert Citation(pmcid="PMC6290889").url == "https://pmc.ncbi.nlm.nih.gov/articles/PMC6290889/"
    assert Citation(first_author="Smith", year=2021, title="A case").url is None


REPORTED_KEYS = [
    "id",
    "doi",
    "pmid",
    "first_author",
    "year",
    "journal",
    "trial",
    "url",
    "uncertain",
]


def test_the_interpretation_reports_citations_in_their_fixed_shape(seed_case_path: Path) -> None:
    """The JSON contract (model/interpretation.py): a citation of an option or a mechanism has
    these keys, in this order, whatever else the knowledge-base citation holds (title, note,
    checked stay in the knowledge base)."""
    result = interpret(read_case(seed_case_path), load_knowledge_base())
    data = result.model_dump(mode="json")
    cited = [c for o in data["options"] for c in o["citations"]]
    cited += [c for m in data["mechanisms"] for c in m["citations"]]
    assert cited
    for c in cited:
        assert list(c) == REPORTED_KEYS
        assert c["url"] in (
            f"https://doi.org/{c['doi']}",
            f"https://pubmed.ncbi.nlm.nih.gov/{c['pmid']}/",
        )


def test_vocabularies_have_one_home() -> None:
    """The knowledge schema uses the model's vocabularies (the same objects) and defines none
    of its own; no module imports them from anywhere but ``model.vocabulary``."""
    import ast
    from pathlib import Path

    import tkiresist

    for enum in (EvidenceLevel, DriverState, MechanismClass, AmpTier):
        assert enum.__module__ == "tkiresist.model.vocabulary"
        assert getattr(schema, enum.__name__) is enum
    names = {"EvidenceLevel", "DriverState", "MechanismClass", "AmpTier", "DrugClass"}
    root = Path(tkiresist.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != "tkiresist.model.vocabulary":
                assert not names & {a.name for a in node.names}, (path, node.module)
    assert drugs.DrugClass.__module__ == "tkiresist.model.vocabulary"


def _mechanism(**change: object) -> dict[str, object]:
    return {
        "id": "m",
        "label": "MET amplification",
        "class": "off_target",
        "alterations": ("MET amplification",),
        "statements": ("s",),
        "explanation": "bypass",
        "acquired": True,
        "evidence_level": "B",
        **change,
    }


def test_mechanism_and_option_are_typed_with_the_vocabularies() -> None:
    """A level outside A-E or a tier outside I-IV means nothing to a tumour board: refused on
    construction (before: any string passed), while the JSON keeps the plain values."""
    m = Mechanism.model_validate(_mechanism())
    assert m.class_ is MechanismClass.OFF_TARGET and m.evidence_level is EvidenceLevel.B
    assert m.model_dump(mode="json")["class"] == "off_target"
    assert m.model_dump(mode="json")["evidence_level"] == "B"
    with pytest.raises(ValidationError):
        Mechanism.model_validate(_mechanism(evidence_level="F"))
    with pytest.raises(ValidationError):
        Mechanism.model_validate(_mechanism(**{"class": "bypass"}))
    option = {
        "rank": 1,
        "drugs": ("osimertinib", "savolitinib"),
        "roles": ("continue", "add"),
        "label": "osimertinib + savolitinib",
        "rationale": "r",
        "evidence_level": "B",
        "amp_tier": "II",
        "cns_active": False,
        "citations": (),
        "statements": ("s",),
        "mechanisms": ("m",),
        "score": 1.0,
    }
    o = Option.model_validate(option)
    assert o.amp_tier is AmpTier.II and o.model_dump(mode="json")["amp_tier"] == "II"
    with pytest.raises(ValidationError):
        Option.model_validate({**option, "amp_tier": "V"})
