"""Swimmer plot labels name each case by its source (#17 item 4): first author and year, with the
source's own case number when it gives one, ``#n`` when several cases of one source have none.
The review's own case ("Present" in its Table 1) is named after the review: ``Cheung 2025``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tkiresist.evidence.figures import (
    _case_labels,
    swimmer_cases,
    swimmer_figure,
    write_figures,
)

DATASET = "cheung2025-table1"


@pytest.fixture(scope="module")
def registry_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tkiresist.registry.opening import open_registry

    path = tmp_path_factory.mktemp("registry") / "registry.sqlite"
    with open_registry(f"sqlite:///{path}") as registry:
        yield registry.engine


def test_seed_cases_are_named_by_source(registry_engine: Any) -> None:
    labels = [c.label for c in swimmer_cases(registry_engine, dataset=DATASET)]
    assert labels[0] == "Cheung 2025"  # row 1, "Present" in the paper's Table 1
    assert "Schrock 2018, case 7" in labels and "Offin 2018, case 2" in labels
    assert "Liang 2016" in labels and "von Buttlar 2021" in labels
    assert len(set(labels)) == len(labels) == 16
    assert not any(label.startswith("Case ") or "Present" in label for label in labels)


def test_swimmer_svg_labels(registry_engine: Any, tmp_path: Path) -> None:
    write_figures(registry_engine, tmp_path, dataset=DATASET, formats=("svg",))
    svg = (tmp_path / "swimmer.svg").read_text(encoding="utf-8")
    assert "Cheung 2025" in svg
    assert "Case 1 · Present" not in svg and "Present" not in svg
    fig = swimmer_figure(swimmer_cases(registry_engine, dataset=DATASET))
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "Cheung 2025" in ticks


def _row(row: str, study: str | None, dataset: str = "review-x") -> dict[str, Any]:
    return {"case_uid": f"{dataset}-{row}", "dataset": dataset, "source_row": row, "study": study}


@pytest.mark.parametrize(
    ("rows", "labels"),
    [
        pytest.param(
            [_row("1", "Liang et al. (2016) [10]"), _row("2", "Liang et al. (2016)")],
            ["Liang 2016 #1", "Liang 2016 #2"],
            id="several-cases-of-one-source-numbered",
        ),
        pytest.param(
            [_row("1", "Offin et al. (2018), Case 1 [11]"), _row("2", "Zeng et al. (2021)")],
            ["Offin 2018, case 1", "Zeng 2021"],
            id="own-case-number-kept",
        ),
        pytest.param(
            [_row("1", "Present", DATASET), _row("2", "Present", DATASET)],
            ["Cheung 2025 #1", "Cheung 2025 #2"],
            id="present-case-named-after-the-review",
        ),
        pytest.param(
            [_row("4", "Present"), _row("5", None)],
            ["review-x row 4", "review-x row 5"],
            id="unknown-review-named-by-dataset-and-row",
        ),
        pytest.param(
            [_row("1", "Ou et al. 2017 (abstract)")],
            ["Ou et al. 2017 (abstract)"],
            id="unparsed-study-as-written",
        ),
        pytest.param(
            [
                _row("2", "Schrock et al. (2018), Case 7", "a"),
                _row("3", "Schrock et al. (2018), Case 7", "b"),
            ],
            ["Schrock 2018, case 7 #1", "Schrock 2018, case 7 #2"],
            id="one-case-in-two-datasets",
        ),
    ],
)
def test_case_labels(rows: list[dict[str, Any]], labels: list[str]) -> None:
    assert _case_labels(rows, has_study=True) == labels


def test_without_a_study_column_the_row_is_kept() -> None:
    assert _case_labels([_row("3", None)], has_study=False) == ["Case 3"]
