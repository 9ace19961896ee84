"""ROS1 kinase-domain resistance after a ROS1 TKI (#13, third audit).

SYNTHETIC scenarios, not published patients. What a thoracic oncologist expects: an acquired
ROS1 G2032R (solvent front) on crizotinib is named as on-target resistance; repotrectinib,
which inhibits it (TRIDENT-1: 10 of 17 with G2032R responded), is offered; crizotinib and
entrectinib, which do not, are listed to avoid.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interpret.test_generalisation_audit import one_line, run
from tkiresist.model.categories import categorize
from tkiresist.nomenclature.variants import parse_variant


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("p.G2032R", {"ros1_g2032r", "ros1_kinase_resistance"}),
        ("p.D2033N", {"ros1_other_kinase", "ros1_kinase_resistance"}),
        ("p.L2026M", {"ros1_other_kinase", "ros1_kinase_resistance"}),
    ],
)
def test_ros1_kinase_mutations_have_categories(change: str, expected: set[str]) -> None:
    assert expected <= categorize(parse_variant(change, gene="ROS1"))


def test_a_ros1_variant_outside_the_kinase_hotspots_is_not_resistance() -> None:
    """A ROS1 variant at another codon is not called a resistance mutation."""
    assert "ros1_kinase_resistance" not in categorize(parse_variant("p.R100W", gene="ROS1"))


@pytest.mark.parametrize("tki", ["crizotinib", "entrectinib"])
def test_g2032r_on_a_ros1_tki_names_the_mechanism_and_offers_repotrectinib(
    tmp_path: Path, tki: str
) -> None:
    r = run(tmp_path, one_line(["CD74::ROS1", "ROS1 p.G2032R"], [tki], driver="CD74::ROS1"))
    assert any("ROS1 kinase-domain" in m.label for m in r.mechanisms), r.mechanisms
    assert r.options[0].drugs == ("repotrectinib",), [o.drugs for o in r.options]
    avoided = {a.drugs for a in r.avoid}
    assert {("crizotinib",), ("entrectinib",)} <= avoided
