"""Figures are written, non-empty, in both formats; bad requests are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.evidence import seed_facts
from tkiresist.errors import EvidenceError
from tkiresist.evidence.figures import (
    SwimmerCase,
    _short_study,
    swimmer_cases,
    swimmer_figure,
    write_figures,
)


def test_write_figures(registry_engine: Any, tmp_path: Path) -> None:
    paths = write_figures(registry_engine, tmp_path / "out", dataset=seed_facts.DATASET)
    names = sorted(p.name for p in paths)
    assert names == sorted(
        f"{stem}.{fmt}"
        for stem in ("swimmer", "partners", "orr_by_regimen")
        for fmt in ("png", "svg")
    )
    for path in paths:
        data = path.read_bytes()
        assert len(data) > 10_000, path
        if path.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n")
        else:
            text = data.decode("utf-8")
            assert "<svg" in text
    swimmer_svg = (tmp_path / "out" / "swimmer.svg").read_text(encoding="utf-8")
    assert "Cheung 2025" in swimmer_svg  # text kept as text; cases named by source (#17)
    assert "interval not reported" in swimmer_svg
    orr_svg = (tmp_path / "out" / "orr_by_regimen.svg").read_text(encoding="utf-8")
    assert "6/9" in orr_svg and "66.7% (29.9–92.5)" in orr_svg
    partners_svg = (tmp_path / "out" / "partners.svg").read_text(encoding="utf-8")
    assert "STRN::ALK" in partners_svg and "12/17" in partners_svg


def test_swimmer_cases_from_the_minimal_contract(seed_engine: Any) -> None:
    cases = swimmer_cases(seed_engine, dataset=seed_facts.DATASET)
    assert len(cases) == 16
    by_label = {c.label: c for c in cases}
    case5 = by_label["Case 5"]
    assert (case5.interval, case5.tki, case5.regimen) == (7.5, "afatinib", None)
    assert by_label["Case 1"].response == "CR"
    assert len(swimmer_cases(seed_engine, where="egfr_baseline=l858r")) == 5


def test_swimmer_refuses_too_many_cases(seed_engine: Any) -> None:
    with pytest.raises(EvidenceError, match="16 cases are too many for a swimmer plot"):
        swimmer_cases(seed_engine, max_cases=10)
    with pytest.raises(EvidenceError, match="no cases to plot"):
        swimmer_figure([])


def test_censored_cases_get_an_arrow_legend() -> None:
    fig = swimmer_figure(
        [
            SwimmerCase("Case A", 12.0, True, "osimertinib", None, None),
            SwimmerCase("Case B", 5.0, False, "gefitinib", "alectinib", "PD"),
        ]
    )
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "still on treatment (censored)" in texts
    assert "PD, progressive disease" in texts


def test_unknown_format(registry_engine: Any, tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="unknown figure format 'gif'"):
        write_figures(registry_engine, tmp_path, dataset=seed_facts.DATASET, formats=("gif",))


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("Schrock et al. (2018), Case 7", "Schrock 2018, case 7"),
        ("von Buttlar et al. (2021) [14]", "von Buttlar 2021"),
        ("Present", "Present"),
        ("A study without the usual form", "A study without the usual form"),
    ],
)
def test_short_study(text: str, short: str) -> None:
    assert _short_study(text) == short
