"""Frequency weights in the statistics core: the same result as the expanded data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tkiresist.errors import EvidenceError
from tkiresist.evidence.stats import KaplanMeier, describe


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.none() | st.integers(0, 40).map(float), st.integers(0, 5)),
        min_size=1,
        max_size=12,
    ),
    st.sampled_from([1, 2, 6, 7, 9]),
)
def test_weighted_describe_equals_expanded(
    pairs: list[tuple[float | None, int]], quantile_type: int
) -> None:
    values = [v for v, _ in pairs]
    counts = [c for _, c in pairs]
    expanded = [v for v, c in pairs for _ in range(c)]
    weighted = describe(values, quantile_type=quantile_type, counts=counts)  # type: ignore[arg-type]
    plain = describe(expanded, quantile_type=quantile_type)  # type: ignore[arg-type]
    for field in ("n", "n_missing", "median", "q1", "q3", "min", "max"):
        assert getattr(weighted, field) == getattr(plain, field), field
    for field in ("mean", "sd"):
        a, b = getattr(weighted, field), getattr(plain, field)
        assert (a is None and b is None) or a == pytest.approx(b, rel=1e-12, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 30).map(float), st.booleans(), st.integers(1, 4)),
        min_size=1,
        max_size=12,
    )
)
def test_weighted_kaplan_meier_equals_expanded(rows: list[tuple[float, bool, int]]) -> None:
    weighted = KaplanMeier().fit([t for t, _, _ in rows], [e for _, e, _ in rows],
                                 counts=[c for _, _, c in rows])  # fmt: skip
    expanded = KaplanMeier().fit(
        [t for t, _, c in rows for _ in range(c)], [e for _, e, c in rows for _ in range(c)]
    )
    assert weighted.n_ == expanded.n_
    assert weighted.timeline_ == expanded.timeline_
    assert weighted.survival_ == pytest.approx(expanded.survival_)
    assert weighted.median_ == expanded.median_
    assert weighted.median_ci_ == expanded.median_ci_


@pytest.mark.parametrize(
    ("counts", "field"),
    [([1, -1], "counts[1]"), ([1], "counts"), ([1.5, 1], "counts[0]"), ([True, 1], "counts[0]")],
)
def test_bad_counts(counts: list[object], field: str) -> None:
    with pytest.raises(EvidenceError) as info:
        describe([1.0, 2.0], counts=counts)  # type: ignore[arg-type]
    assert info.value.location.field == field
    with pytest.raises(EvidenceError):
        KaplanMeier().fit([1.0, 2.0], counts=counts)  # type: ignore[arg-type]


def test_all_zero_counts() -> None:
    assert describe([1.0], counts=[0]).n == 0
    with pytest.raises(EvidenceError, match="every count is 0"):
        KaplanMeier().fit([1.0], counts=[0])
