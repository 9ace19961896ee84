"""The treatment timeline figure: its items, the label packing, and what the drawn figure holds.

Assertions are on content and geometry (text boxes as matplotlib lays them out), not on pixels.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tkiresist.errors import FormatError
from tkiresist.io.casefile import read_case
from tkiresist.model.alterations import (
    CopyNumber,
    Expression,
    Fusion,
    Histology,
    ProteinChange,
    SequenceVariant,
)
from tkiresist.model.case import Case
from tkiresist.model.findings import Finding
from tkiresist.report.timeline_figure import (
    Flag,
    collect,
    draw_timeline,
    pack_flags,
    pack_rows,
    short_alteration,
    timeline_bytes,
    timeline_svg,
    write_timeline,
)

from .conftest import EXAMPLE_CASES

T790M = ProteinChange(ref_start="T", start=790, edit="substitution", alt="M")


# -- compact names ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("finding", "expected"),
    [
        (
            Finding(alteration=SequenceVariant(gene="EGFR", exon=19, region_effect="deletion")),
            "EGFR ex19del",
        ),
        (
            Finding(alteration=SequenceVariant(gene="MET", exon=14, region_effect="skipping")),
            "MET ex14 skipping",
        ),
        (Finding(alteration=SequenceVariant(gene="EGFR", protein=T790M)), "EGFR T790M"),
        (
            Finding(alteration=SequenceVariant(gene="EGFR", protein=T790M), vaf=0.034),
            "EGFR T790M 3.4%",
        ),
        (
            Finding(alteration=SequenceVariant(gene="EGFR", protein=T790M), status="not_detected"),
            "EGFR T790M",
        ),
        (Finding(alteration=Fusion(five_prime="EML4", three_prime="ALK")), "EML4::ALK"),
        (
            Finding(alteration=Fusion(five_prime="EML4", three_prime="ALK", variant="v3a/b")),
            "EML4::ALK v3a/b",
        ),
        (Finding(alteration=Fusion(three_prime="ALK")), "ALK fusion"),
        (
            Finding(alteration=CopyNumber(gene="MET", change="amplification", copy_number=12)),
            "MET amp (CN 12)",
        ),
        (
            Finding(alteration=CopyNumber(gene="MET", change="amplification"), method="FISH"),
            "MET amp (FISH)",
        ),
        (Finding(alteration=Expression(marker="ALK", result="positive")), "ALK IHC+"),
        (Finding(alteration=Expression(marker="ALK", result="negative")), "ALK IHC−"),
        (
            Finding(alteration=Histology(histology="small_cell_transformation")),
            "SCLC transformation",
        ),
        (
            Finding(alteration=Fusion(five_prime="EML4", three_prime="ALK"), status="equivocal"),
            "EML4::ALK (equivocal)",
        ),
    ],
)
def test_short_alteration(finding: Finding, expected: str) -> None:
    assert short_alteration(finding) == expected


# -- items from the seed case ----------------------------------------------------------------
def _flag_text(flag: Flag) -> str:
    return " ".join(line.text for line in flag.lines)


def test_seed_items(seed_case: Case) -> None:
    items = collect(seed_case)
    bars = {b.lines[0].text: b for b in items.bars}
    assert set(bars) == {"L1: osimertinib 80 mg daily", "L2: osimertinib 80 mg daily"}
    combo = bars["L2: osimertinib 80 mg daily"]
    assert [ln.text for ln in combo.lines] == [
        "L2: osimertinib 80 mg daily",
        "+ alectinib 600 mg twice daily",
    ]
    assert combo.end is None  # ongoing: drawn to the end with an arrow
    assert bars["L1: osimertinib 80 mg daily"].end == pytest.approx(20.0)

    by_kind: dict[str, list[Flag]] = {}
    for f in items.flags:
        by_kind.setdefault(f.kind, []).append(f)
    radiotherapy = {_flag_text(f): f for f in by_kind["radiotherapy"]}
    assert {t.split(" fr")[0] for t in radiotherapy} == {"SRT 32.5 Gy/5", "WBRT 20 Gy/5"}
    assert all(f.lane == "cns" for f in by_kind["radiotherapy"])
    assert [f.lane for f in by_kind["surgery"]] == ["cns"]

    specimens = sorted(by_kind["specimen"], key=lambda f: f.month)
    assert [f.month for f in specimens] == [pytest.approx(0.0), pytest.approx(13.0)]
    assert "EGFR ex19del + EML4::ALK; ALK IHC+" in _flag_text(specimens[1])
    assert "neg: ALK fusion, EGFR T790M, ALK IHC" in _flag_text(specimens[0])

    badges = {(b.lane, round(b.month), b.category) for b in items.badges}
    assert {("cns", 13, "PD"), ("cns", 16, "PD"), ("cns", 20, "PD"), ("cns", 24, "CR")} <= badges
    assert {("extracranial", 13, "CR"), ("extracranial", 24, "CR")} <= badges
    assert ("overall", 3, "PR") in badges
    assert [b.approximate for b in items.badges if b.category == "PR"] == [True]


def test_site_without_site_kind_goes_to_the_cns_lane_by_its_words(busy_case: Case) -> None:
    items = collect(busy_case)
    lanes = {_flag_text(f).split(" right")[0]: f.lane for f in items.flags}
    assert lanes["SRS 24 Gy/1 fr"] == "cns"  # "right cerebellum", no site_kind
    assert lanes["SBRT 40 Gy/5 fr left adrenal gland"] == "extracranial"


# -- packing ---------------------------------------------------------------------------------
label = st.tuples(
    st.floats(0, 60, allow_nan=False),
    st.floats(0.5, 25, allow_nan=False),
    st.integers(1, 4),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(label, min_size=1, max_size=14))
def test_pack_flags_no_overlap_and_no_pole_through_a_label(
    labels: list[tuple[float, float, int]],
) -> None:
    poles = [x for x, _, _ in labels]
    widths = [w for _, w, _ in labels]
    heights = [float(h) for _, _, h in labels]
    placed = pack_flags(poles, widths, heights, lo=0.0, hi=1e9, gap=0.3)
    assert len(placed) == len(labels)
    for p, x, w, h in zip(placed, poles, widths, heights, strict=True):
        assert p.side == "right" and p.left == x and p.right == pytest.approx(x + w)
        assert p.top - p.bottom == pytest.approx(h) and p.bottom >= 0
    for a, b in itertools.combinations(placed, 2):
        apart_x = a.right + 0.3 <= b.left + 1e-9 or b.right + 0.3 <= a.left + 1e-9
        apart_y = a.top <= b.bottom + 1e-9 or b.top <= a.bottom + 1e-9
        assert apart_x or apart_y, (a, b)
    for a, b in itertools.permutations(placed, 2):
        if a.left < b.pole < a.right and abs(a.pole - b.pole) > 1e-9:
            # b's leader line rises to b's label; a spans it, so a must sit above b
            assert a.bottom >= b.top - 1e-9, (a, b)


@settings(max_examples=150, deadline=None)
@given(st.lists(label, min_size=1, max_size=14))
def test_pack_flags_near_the_right_edge_flips_left_and_never_overlaps(
    labels: list[tuple[float, float, int]],
) -> None:
    poles = [x for x, _, _ in labels]
    widths = [w for _, w, _ in labels]
    heights = [float(h) for _, _, h in labels]
    placed = pack_flags(poles, widths, heights, lo=0.0, hi=60.0, gap=0.3)
    for p, x, w in zip(placed, poles, widths, strict=True):
        if x + w > 60.0 and x - w >= 0.0:
            assert p.side == "left" and p.right == x
    for a, b in itertools.combinations(placed, 2):
        apart_x = a.right + 0.3 <= b.left + 1e-9 or b.right + 0.3 <= a.left + 1e-9
        apart_y = a.top <= b.bottom + 1e-9 or b.top <= a.bottom + 1e-9
        assert apart_x or apart_y, (a, b)


@given(st.lists(st.tuples(st.floats(0, 50), st.floats(0, 20)), max_size=20))
def test_pack_rows_keeps_each_row_disjoint(spans: list[tuple[float, float]]) -> None:
    intervals = [(a, a + w) for a, w in spans]
    rows = pack_rows(intervals, gap=0.5)
    for (i, a), (j, b) in itertools.combinations(enumerate(intervals), 2):
        if rows[i] == rows[j]:
            assert a[1] + 0.5 <= b[0] or b[1] + 0.5 <= a[0]


def test_pack_rows_uses_as_few_rows_as_the_deepest_overlap() -> None:
    assert pack_rows([(0, 10), (10.5, 20), (5, 15), (21, 30)], gap=0.5) == [0, 0, 1, 0]


# -- the drawn figure ------------------------------------------------------------------------
def _boxes(case: Case, width: float, decision: float | None) -> tuple[list, list, object]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = draw_timeline(case, decision_month=decision, width_in=width)
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    texts = [(t, t.get_window_extent(renderer)) for t in ax.texts if t.get_text().strip()]
    poles = []
    for line in ax.lines:
        if line.get_transform() != ax.transData:
            continue  # grid and decision lines (axvline) pass behind label backings
        xs, ys = line.get_data()
        if len(xs) == 2 and xs[0] == xs[1] and ys[0] != ys[1]:
            (x0, y0), (_, y1) = ax.transData.transform([(xs[0], ys[0]), (xs[1], ys[1])])
            poles.append((x0, min(y0, y1), max(y0, y1)))
    return texts, poles, fig.bbox


def _check_layout(case: Case, width: float, decision: float | None) -> None:
    texts, poles, fig_box = _boxes(case, width, decision)
    assert texts
    for (ta, a), (tb, b) in itertools.combinations(texts, 2):
        overlap = (
            min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5
        )
        assert not overlap, f"{ta.get_text()!r} overlaps {tb.get_text()!r}"
    for t, box in texts:
        assert box.x0 >= fig_box.x0 - 0.5 and box.x1 <= fig_box.x1 + 0.5, t.get_text()
        if t.get_ha() == "center":  # a response badge: its own leader line rises from it
            continue
        for x, y0, y1 in poles:
            crosses = box.x0 + 0.5 < x < box.x1 - 0.5 and y0 < box.y1 - 0.5 and y1 > box.y0 + 0.5
            assert not crosses, f"a leader line at x={x:.1f} crosses {t.get_text()!r}"


@pytest.mark.parametrize("width", [11.0, 7.4])
def test_seed_and_busy_figures_have_no_overlapping_labels(
    seed_case: Case, busy_case: Case, width: float
) -> None:
    _check_layout(seed_case, width, 20.0)
    _check_layout(busy_case, width, 35.1)


@pytest.mark.parametrize("path", EXAMPLE_CASES, ids=lambda p: p.parent.name)
def test_every_example_draws_without_overlapping_labels(path: Path) -> None:
    _check_layout(read_case(path), 7.4, None)


def test_svg_holds_the_labels_as_text(seed_case: Case) -> None:
    svg = timeline_svg(seed_case, decision_month=20.0)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert 'width="100%"' in svg and "viewBox=" in svg
    for text in (
        "32.5 Gy/5 fr",
        "WBRT 20 Gy/5 fr",
        "L1: osimertinib 80 mg daily",
        "+ alectinib 600 mg twice daily",
        "EML4::ALK",
        "Craniotomy with excision of",
        "Months from diagnosis",
        "decision point (month 20)",
    ):
        assert text in svg, text
    assert "<metadata" not in svg and "<?xml" not in svg
    assert "sans-serif" in svg  # a fallback font for viewers without DejaVu


def test_svg_escapes_case_text(busy_case: Case) -> None:
    svg = timeline_svg(busy_case, title=None)
    assert "<script" not in svg
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in svg or (
        "&lt;script&gt;alert('x')&lt;/script&gt;" in svg
    )
    assert "$5 or $6" in svg  # dollar signs are text, not mathtext
    assert (
        "SYNTH-BUSY-&lt;01&gt; &amp; &quot;x&quot;" in svg
        or 'SYNTH-BUSY-&lt;01&gt; &amp; "x"' in svg
    )


def test_svg_is_reproducible(seed_case: Case) -> None:
    assert timeline_bytes(seed_case, "svg") == timeline_bytes(seed_case, "svg")


def test_write_png_and_svg_by_suffix(seed_case: Case, tmp_path: Path) -> None:
    png = write_timeline(seed_case, tmp_path / "t.PNG", dpi=60)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = write_timeline(seed_case, tmp_path / "t.svg")
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")


def test_write_refuses_other_suffixes(seed_case: Case, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match=r"expected a \.svg or \.png"):
        write_timeline(seed_case, tmp_path / "t.gif")
    assert not (tmp_path / "t.gif").exists()
