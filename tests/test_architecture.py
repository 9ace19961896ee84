"""The import direction of docs/architecture.md, enforced (#14).

Every import of the package is read from the source (module-level and function-local alike:
a lazy import is still a dependency), and the rules of the architecture document are checked.
A failure names the importing module and what it imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "tkiresist"


def _module(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            yield mod
            for alias in node.names:  # "from tkiresist.registry import datasets"
                yield f"{mod}.{alias.name}"


GRAPH: dict[str, set[str]] = {
    _module(p): set(_imports(p))
    for p in SRC.rglob("*.py")
    if "migrations" not in p.parts and "__pycache__" not in p.parts
}


def _offenders(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{mod} imports {imp}"
        for mod, imps in GRAPH.items()
        if mod == layer or mod.startswith(layer + ".")
        for imp in imps
        if any(imp == f or imp.startswith(f + ".") for f in forbidden)
    )


LOWER = ("tkiresist.model", "tkiresist.nomenclature", "tkiresist.io", "tkiresist.knowledge",
         "tkiresist.interpret")  # fmt: skip
UPPER = ("tkiresist.registry", "tkiresist.web", "tkiresist.cli", "tkiresist.cli_cbioportal",
         "tkiresist.cohort", "tkiresist.annotate", "tkiresist.report")  # fmt: skip


@pytest.mark.parametrize("layer", LOWER)
def test_lower_layers_do_not_import_the_registry_or_the_shells(layer: str) -> None:
    """model, nomenclature, io, knowledge and interpret never reach up to the database, the
    web or the CLI (io/cbioportal imported the registry before #14)."""
    assert _offenders(layer, UPPER) == []


def test_model_depends_on_nothing_but_itself_and_errors() -> None:
    allowed = ("tkiresist.model", "tkiresist.errors", "tkiresist.data", "tkiresist")
    bad = sorted(
        f"{mod} imports {imp}"
        for mod, imps in GRAPH.items()
        if mod.startswith("tkiresist.model")
        for imp in imps
        if imp.startswith("tkiresist")
        and not any(imp == a or imp.startswith(a + ".") for a in allowed)
    )
    assert bad == []


def test_model_reads_no_files() -> None:
    """The model knows nothing of files; the one exception is the bundled, read-only assay
    catalogue, read from the package's own data (docs/architecture.md says so)."""
    readers = ("open(", ".read_text(", ".read_bytes(", "Path(")
    found = []
    for path in (SRC / "model").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for token in readers:
            for line in text.splitlines():
                if token in line and 'resources.files("tkiresist.data")' not in line:
                    found.append(f"{path.name}: {line.strip()}")
    assert found == []


READING_SIDE = (
    "tkiresist.registry.tables",
    "tkiresist.registry.literature",
    "tkiresist.registry.record",
    "tkiresist.registry.datasets",
    "tkiresist.registry.published",
)
DATABASE_SIDE = (
    "sqlalchemy",
    "alembic",
    "tkiresist.registry.db",
    "tkiresist.registry.models",
    "tkiresist.registry.importers",
    "tkiresist.registry.opening",
)


@pytest.mark.parametrize("module", READING_SIDE)
def test_reading_published_tables_needs_no_database(module: str) -> None:
    """Reading tables and abstractions, and the bundled datasets, import no SQLAlchemy and no
    database module, directly or through what they import."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        mod = todo.pop()
        if mod in seen or mod not in GRAPH:
            continue
        seen.add(mod)
        for imp in GRAPH[mod]:
            assert not any(imp == d or imp.startswith(d + ".") for d in DATABASE_SIDE), (
                f"{module} reaches {imp} through {mod}"
            )
            if imp.startswith("tkiresist"):
                todo.append(imp)


def test_no_import_cycle_in_the_registry() -> None:
    """db, datasets and importers imported each other in a circle hidden by function-local
    imports; now the registry's modules form a directed acyclic graph."""
    registry = {
        m for m in GRAPH if m.startswith("tkiresist.registry") and m != "tkiresist.registry"
    }
    edges = {m: {i for i in GRAPH[m] if i in registry and i != m} for m in registry}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, path: list[str]) -> bool:
        state[node] = 1
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                cycle.extend([*path, node, nxt])
                return True
            if state.get(nxt) is None and visit(nxt, [*path, node]):
                return True
        state[node] = 2
        return False

    for node in sorted(registry):
        if state.get(node) is None and visit(node, []):
            break
    assert cycle == []


def test_bundled_dataset_cases_load_without_sqlalchemy() -> None:
    """`export cbioportal --dataset` needs the dataset's cases, not a database."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from tkiresist.registry.published import dataset_cases\n"
        "assert len(dataset_cases('cheung2025-table1')) == 16\n"
        "print('sqlalchemy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_shared_defaults_and_the_figure_lock_live_in_one_place() -> None:
    """The bundled dataset's name is written once (tkiresist.BUNDLED_DATASET), and the web draws
    figures under report's one lock, not a lock of its own per module (#14)."""
    literal = '"cheung2025-table1"'
    holders = sorted(
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        # a migration is frozen history: it names what it needs and imports nothing that moves
        if "migrations" not in p.parts and literal in p.read_text(encoding="utf-8")
    )
    assert holders == ["__init__.py"]
    locks = sorted(
        str(p.relative_to(SRC))
        for p in (SRC / "web").rglob("*.py")
        if "_RENDER_LOCK" in p.read_text(encoding="utf-8")
    )
    assert locks == []


def test_one_set_of_missing_value_markers() -> None:
    """The case-side readers, annotate and cohort read the same cells as "no value" (#14: there
    were three sets, and "[Not Available]" was a value outside cBioPortal tables)."""
    from tkiresist.annotate import inputs
    from tkiresist.io import base, cbioportal

    assert inputs.MISSING is base.MISSING and cbioportal.NA_VALUES is base.MISSING
    assert {"NA", "[Not Available]", "unknown", "-"} <= base.MISSING


def test_one_agent_cell_reader() -> None:
    """cohort's timeline AGENT cells and annotate's therapy cells are read by one function
    (#14: there were two parsers): a single drug, a regimen, or several drugs."""
    from tkiresist.nomenclature.regimens import cell_drugs

    assert cell_drugs("Tagrisso") == ("osimertinib",)
    assert cell_drugs("osimertinib + alectinib") == ("osimertinib", "alectinib")
    assert cell_drugs("erlotinib, osimertinib") == ("erlotinib", "osimertinib")
    for module in ("tkiresist.cohort.cells", "tkiresist.annotate.inputs"):
        assert "tkiresist.nomenclature.regimens.cell_drugs" in GRAPH[module], module


def test_the_cli_starts_light() -> None:
    """Importing the CLI (what `tkiresist --help` does) loads none of the heavy libraries or the
    library's working modules: they load inside the commands that use them."""
    import subprocess
    import sys

    heavy = ("pydantic", "yaml", "duckdb", "sqlalchemy", "matplotlib", "tkiresist.curate.draft",
             "tkiresist.interpret.engine", "tkiresist.knowledge.loader")  # fmt: skip
    code = (
        "import sys\nimport tkiresist.cli\n"
        f"print(','.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
