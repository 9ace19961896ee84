"""Tests of the statistics core against independent references.

References used (R is not installed here, so R's numbers are taken from R's own saved output):

* scipy (``scipy.stats.binomtest``), computed inside the tests: a separate implementation of
  the Clopper–Pearson and Wilson intervals and of R's two-sided binomial p-value.
* R's saved example output ``tests/Examples/stats-Ex.Rout.save`` in the R sources
  (github.com/wch/r-source, read with the project's search tool)::

      > binom.test(682, 682 + 243, p = 3/4)
      number of successes = 682, number of trials = 925, p-value = 0.3825
      95 percent confidence interval:
       0.7076683 0.7654066

* R package survival's saved test output (github.com/therneau/survival):
  ``tests/doaml.Rout.save`` (``summary(survfit(Surv(time, status) ~ x, data = aml))``, default
  ``conf.type = "log"``) and ``tests/quantile.Rout.save`` (``quantile.survfit`` on a small
  data set with flat segments). The aml data (Miller 1981) as in R: Maintained 9, 13, 13+, 18,
  23, 28+, 31, 34, 45+, 48, 161+; Nonmaintained 5, 5, 8, 8, 12, 16+, 23, 27, 30, 33, 43, 45
  (cross-checked with Rdatasets ``csv/survival/aml.csv``).
* numpy's nine ``np.quantile`` methods, which implement the Hyndman–Fan definitions
  independently, and hand calculations written out in the docstrings.

Literals written as "R:" are R's printed values; literals for the seed's counts were computed
with scipy 1.17.1 (same algorithm as R's ``binom.test``) before being written down.
"""

from __future__ import annotations

import itertools
import math
import statistics
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy.stats import binomtest

from tkiresist.errors import EvidenceError
from tkiresist.evidence.stats import (
    BinomialTest,
    Distribution,
    KaplanMeier,
    Proportion,
    SurvivalQuantile,
    binomial_test,
    describe,
    format_p_value,
    proportion,
    sample_quantile,
)

# ----------------------------------------------------------------------------- proportions

#: The seed paper's counts (Cheung et al. 2025, Cureus, doi:10.7759/cureus.92202), with the
#: text that ``str(proportion(k, n))`` must produce. Exact limits are R's
#: ``binom.test(k, n)$conf.int`` and Wilson limits R's ``prop.test(k, n, correct=FALSE)$conf.int``
#: (values computed with scipy, which implements the same formulas).
SEED_PROPORTIONS = [
    # claim, k, n, printed, exact (low, high), wilson (low, high)
    (
        "combination EGFR+ALK TKI ORR",
        6,
        9,
        "6/9 = 66.7% (exact 95% CI 29.9–92.5%)",
        (0.2992950, 0.9251454),
        (0.3542021, 0.8794162),
    ),
    (
        "EML4::ALK among fusions",
        11,
        16,
        "11/16 = 68.8% (exact 95% CI 41.3–89.0%)",
        (0.4133794, 0.8898300),
        (0.4440436, 0.8583536),
    ),
    (
        "CNS involvement",
        3,
        9,
        "3/9 = 33.3% (exact 95% CI 7.5–70.1%)",
        (0.0748546, 0.7007049),
        (0.1205838, 0.6457979),
    ),
    (
        "EGFR exon 19 deletion (count 10)",
        10,
        16,
        "10/16 = 62.5% (exact 95% CI 35.4–84.8%)",
        (0.3543461, 0.8480163),
        (0.3864104, 0.8151877),
    ),
    (
        "EGFR exon 19 deletion (count 9, as the text says)",
        9,
        16,
        "9/16 = 56.2% (exact 95% CI 29.9–80.2%)",
        (0.2987769, 0.8024659),
        (0.3317856, 0.7690135),
    ),
    (
        "EGFR L858R",
        5,
        16,
        "5/16 = 31.2% (exact 95% CI 11.0–58.7%)",
        (0.1101700, 0.5866206),
        (0.1416464, 0.5559564),
    ),
]


@pytest.mark.parametrize(
    ("claim", "k", "n", "printed", "exact", "wilson"),
    SEED_PROPORTIONS,
    ids=[row[0] for row in SEED_PROPORTIONS],
)
def test_seed_proportions(
    claim: str,
    k: int,
    n: int,
    printed: str,
    exact: tuple[float, float],
    wilson: tuple[float, float],
) -> None:
    p = proportion(k, n)
    assert str(p) == printed
    assert p.value == pytest.approx(k / n)
    assert p.ci_exact == pytest.approx(exact, abs=1e-7)
    assert p.ci_wilson == pytest.approx(wilson, abs=1e-7)
    reference = binomtest(k, n)
    assert p.ci_exact == pytest.approx(tuple(reference.proportion_ci(method="exact")), abs=1e-12)
    assert p.ci_wilson == pytest.approx(tuple(reference.proportion_ci(method="wilson")), abs=1e-12)


def test_exact_interval_matches_r_published_values() -> None:
    """R: ``binom.test(6, 9)$conf.int`` → 0.2992950 0.9251453 (from the issue), and
    ``binom.test(682, 925, p = 3/4)`` → 0.7076683 0.7654066 (R's saved example output)."""
    assert proportion(6, 9).ci_exact == pytest.approx((0.2992950, 0.9251453), abs=1e-7)
    assert proportion(682, 925).ci_exact == pytest.approx((0.7076683, 0.7654066), abs=1e-7)


@pytest.mark.parametrize(
    ("k", "n", "value", "exact", "wilson"),
    [
        # k = 0: exact upper = 1 − (α/2)^(1/n); Wilson upper = z²/(n + z²).
        (
            0,
            5,
            0.0,
            (0.0, 1 - 0.025 ** (1 / 5)),
            (0.0, 1.959963984540054**2 / (5 + 3.841458820694124)),
        ),
        # k = n: the mirror image.
        (5, 5, 1.0, (0.025 ** (1 / 5), 1.0), (5 / (5 + 3.841458820694124), 1.0)),
        # n = 1
        (1, 1, 1.0, (0.025, 1.0), (1 / (1 + 3.841458820694124), 1.0)),
    ],
    ids=["k=0", "k=n", "n=1"],
)
def test_proportion_edges(
    k: int, n: int, value: float, exact: tuple[float, float], wilson: tuple[float, float]
) -> None:
    p = proportion(k, n)
    assert p.value == value
    assert p.ci_exact == pytest.approx(exact, abs=1e-12)
    assert p.ci_wilson == pytest.approx(wilson, abs=1e-12)
    # the pinned end is exactly 0 or 1, not a rounding of it
    assert p.ci_exact is not None and p.ci_wilson is not None
    assert (p.ci_exact[0] == 0.0) == (k == 0) and (p.ci_exact[1] == 1.0) == (k == n)
    assert (p.ci_wilson[0] == 0.0) == (k == 0) and (p.ci_wilson[1] == 1.0) == (k == n)


def test_zero_denominator_has_no_value_or_interval() -> None:
    p = proportion(0, 0)
    assert p.value is None and p.ci_exact is None and p.ci_wilson is None
    assert str(p) == "0/0 (no denominator)"
    assert p.model_dump() == {
        "numerator": 0,
        "denominator": 0,
        "level": 0.95,
        "value": None,
        "ci_exact": None,
        "ci_wilson": None,
    }


def test_other_levels_and_their_text() -> None:
    p = proportion(6, 9, level=0.9)
    reference = binomtest(6, 9)
    assert p.ci_exact == pytest.approx(
        tuple(reference.proportion_ci(confidence_level=0.9, method="exact")), abs=1e-12
    )
    assert p.ci_wilson == pytest.approx(
        tuple(reference.proportion_ci(confidence_level=0.9, method="wilson")), abs=1e-12
    )
    assert "exact 90% CI" in str(p)
    assert "exact 97.5% CI" in str(proportion(6, 9, level=0.975))


def test_proportion_is_an_immutable_hashable_value() -> None:
    a, b = proportion(6, 9), proportion(6, 9)
    _ = a.ci_exact  # computing a derived field must not change equality or hash
    assert a == b and hash(a) == hash(b)
    with pytest.raises(ValidationError):
        a.numerator = 7  # type: ignore[misc]


@pytest.mark.parametrize(
    ("k", "n", "level", "field"),
    [
        (-1, 5, 0.95, "k"),
        (6, 5, 0.95, "k"),
        (1, -5, 0.95, "n"),
        (1.5, 5, 0.95, "k"),
        (True, 5, 0.95, "k"),
        (1, 5, 1.0, "level"),
        (1, 5, 0.0, "level"),
    ],
)
def test_proportion_rejects_bad_input(k: object, n: object, level: float, field: str) -> None:
    with pytest.raises(EvidenceError) as info:
        proportion(k, n, level)  # type: ignore[arg-type]
    assert info.value.location.field == field


def test_direct_construction_is_validated() -> None:
    with pytest.raises(ValidationError, match="exceeds"):
        Proportion(numerator=7, denominator=5)


# ----------------------------------------------------------------------------- binomial test


def test_binomial_test_matches_r_published_output() -> None:
    """R (stats-Ex.Rout.save): ``binom.test(682, 682 + 243, p = 3/4)`` prints
    p-value = 0.3825, CI 0.7076683 0.7654066, estimate 0.7372973."""
    result = binomial_test(682, 925, 0.75)
    assert round(result.p_value, 4) == 0.3825
    assert result.ci == pytest.approx((0.7076683, 0.7654066), abs=1e-7)
    assert result.proportion.value == pytest.approx(0.7372973, abs=1e-7)


@pytest.mark.parametrize(
    ("k", "n", "p0", "alternative"),
    [
        (11, 16, 0.95, "less"),  # EML4 here vs >95 % in de novo ALK+ NSCLC
        (11, 16, 0.95, "two-sided"),
        (6, 9, 0.5, "two-sided"),  # symmetric null: ties in probability need R's relErr
        (3, 9, 0.5, "two-sided"),
        (9, 16, 0.5, "greater"),
        (5, 16, 0.3, "two-sided"),
        (0, 10, 0.2, "two-sided"),
        (10, 10, 0.2, "two-sided"),
        (2, 10, 0.2, "two-sided"),  # k equals the mode n·p0: p = 1
    ],
)
def test_binomial_test_matches_scipy(k: int, n: int, p0: float, alternative: str) -> None:
    result = binomial_test(k, n, p0, alternative)  # type: ignore[arg-type]
    reference = binomtest(k, n, p0, alternative=alternative)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12, abs=1e-300)
    assert result.ci == pytest.approx(tuple(reference.proportion_ci(method="exact")), abs=1e-12)


def test_eml4_claim_reads_as_a_one_sided_test() -> None:
    """P(X ≤ 11) for X ~ Bin(16, 0.95) = 8.573e-4 (scipy: binomtest(11, 16, 0.95,
    alternative="less").pvalue); one-sided upper limit qbeta(0.95, 12, 5) = 0.8679."""
    result = binomial_test(11, 16, 0.95, alternative="less")
    assert result.p_value == pytest.approx(8.573116590448e-4, rel=1e-9)
    assert result.ci[0] == 0.0 and result.ci[1] == pytest.approx(0.8678890342, abs=1e-9)
    assert str(result) == (
        "11/16 = 68.8% (exact 95% CI 0.0–86.8%); exact binomial test of p < 95.0%: p = 0.00086"
    )


@pytest.mark.parametrize(
    ("k", "n", "p0", "expected"),
    [(0, 5, 0.0, 1.0), (1, 5, 0.0, 0.0), (5, 5, 1.0, 1.0), (4, 5, 1.0, 0.0)],
)
def test_binomial_test_degenerate_null(k: int, n: int, p0: float, expected: float) -> None:
    assert binomial_test(k, n, p0).p_value == expected


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((0, 0, 0.5), "n"),
        ((3, 2, 0.5), "k"),
        ((1, 2, 1.5), "p0"),
        ((1, 2, -0.1), "p0"),
    ],
)
def test_binomial_test_rejects_bad_input(args: tuple[int, int, float], field: str) -> None:
    with pytest.raises(EvidenceError) as info:
        binomial_test(*args)
    assert info.value.location.field == field


def test_binomial_test_rejects_unknown_alternative() -> None:
    with pytest.raises(EvidenceError, match="alternative"):
        binomial_test(1, 2, 0.5, alternative="two.sided")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        BinomialTest(proportion=Proportion(numerator=0, denominator=0), p0=0.5)


@pytest.mark.parametrize(
    ("p", "text"),
    [(0.3825, "p = 0.38"), (0.038, "p = 0.038"), (0.00086, "p = 0.00086"), (1e-7, "p < 0.0001")],
)
def test_format_p_value(p: float, text: str) -> None:
    assert format_p_value(p) == text


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    n=st.integers(min_value=1, max_value=300),
    p0=st.floats(min_value=0.01, max_value=0.99),
    alternative=st.sampled_from(["two-sided", "less", "greater"]),
)
def test_binomial_p_value_agrees_with_scipy(
    data: st.DataObject, n: int, p0: float, alternative: str
) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    ours = binomial_test(k, n, p0, alternative).p_value  # type: ignore[arg-type]
    theirs = binomtest(k, n, p0, alternative=alternative).pvalue
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-15)
    assert 0.0 <= ours <= 1.0


# ----------------------------------------------------------------------------- CI properties

counts = st.integers(min_value=1, max_value=2000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)
levels = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@settings(max_examples=200, deadline=None)
@given(kn=counts, level=levels)
def test_intervals_contain_the_estimate_and_lie_in_unit_interval(
    kn: tuple[int, int], level: float
) -> None:
    k, n = kn
    p = proportion(k, n, level)
    assert p.value is not None and p.ci_exact is not None and p.ci_wilson is not None
    for low, high in (p.ci_exact, p.ci_wilson):
        assert 0.0 <= low <= p.value <= high <= 1.0
        assert low < high


@settings(max_examples=200, deadline=None)
@given(kn=counts, level=levels)
def test_wilson_matches_scipy(kn: tuple[int, int], level: float) -> None:
    k, n = kn
    ours = proportion(k, n, level).ci_wilson
    theirs = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    assert ours == pytest.approx((theirs.low, theirs.high), abs=1e-10)


@settings(max_examples=200, deadline=None)
@given(kn=counts, level=levels, factor=st.integers(min_value=2, max_value=10))
def test_intervals_narrow_as_n_grows(kn: tuple[int, int], level: float, factor: int) -> None:
    """The same observed proportion from factor × more cases gives a narrower interval."""
    k, n = kn
    small, large = proportion(k, n, level), proportion(factor * k, factor * n, level)
    for name in ("ci_exact", "ci_wilson"):
        lo_s, hi_s = getattr(small, name)
        lo_l, hi_l = getattr(large, name)
        assert hi_l - lo_l < hi_s - lo_s


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(min_value=50, max_value=1_000_000),
    fraction=st.floats(min_value=0.0, max_value=1.0),
)
def test_wilson_and_exact_agree_asymptotically(n: int, fraction: float) -> None:
    """Both limits differ by O(1/n) while the interval width is O(1/√n); measured maximum of
    n·|difference| over all k is about 0.93 for n up to 10⁵, so 2/n is a safe bound."""
    k = round(fraction * n)
    p = proportion(k, n)
    assert p.ci_exact is not None and p.ci_wilson is not None
    for a, b in zip(p.ci_exact, p.ci_wilson, strict=True):
        assert abs(a - b) <= 2.0 / n


# ----------------------------------------------------------------------------- quantiles

NUMPY_METHOD: dict[int, Any] = {
    1: "inverted_cdf",
    2: "averaged_inverted_cdf",
    3: "closest_observation",
    4: "interpolated_inverted_cdf",
    5: "hazen",
    6: "weibull",
    7: "linear",
    8: "median_unbiased",
    9: "normal_unbiased",
}


@pytest.mark.parametrize(
    ("quantile_type", "q1", "q3"),
    [
        (1, 3.0, 8.0),
        (2, 3.0, 8.0),
        (3, 2.0, 8.0),
        (4, 2.5, 7.5),
        (5, 3.0, 8.0),
        (6, 2.75, 8.25),
        (7, 3.25, 7.75),
        (8, 35 / 12, 97 / 12),
        (9, 2.9375, 8.0625),
    ],
)
def test_quartiles_of_one_to_ten_by_hand(quantile_type: int, q1: float, q3: float) -> None:
    """x = 1…10, so x₍ᵢ₎ = i. By hand (Hyndman & Fan 1996), with h the 1-based position:
    type 1/2: np = 2.5 → x₍₃₎ = 3 and 7.5 → x₍₈₎ = 8; type 3: np − ½ = 2, j = 2 even, g = 0 →
    x₍₂₎ = 2, and 7 (odd) → x₍₈₎; type 4: h = np = 2.5, 7.5; type 5: h = np + ½ = 3, 8;
    type 6: h = (n + 1)p = 2.75, 8.25; type 7: h = 1 + (n − 1)p = 3.25, 7.75; type 8:
    h = (n + ⅓)p + ⅓ = 35/12, 97/12; type 9: h = (n + ¼)p + ⅜ = 2.9375, 8.0625. These are
    R's ``quantile(1:10, c(.25, .75), type = t)``."""
    d = describe(list(range(1, 11)), quantile_type=quantile_type)  # type: ignore[arg-type]
    assert d.q1 == pytest.approx(q1, abs=1e-12)
    assert d.q3 == pytest.approx(q3, abs=1e-12)
    assert d.median == 5.5
    expected = np.quantile(np.arange(1, 11), [0.25, 0.75], method=NUMPY_METHOD[quantile_type])
    assert (d.q1, d.q3) == pytest.approx(tuple(expected), abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=40
    ),
    p=st.integers(min_value=0, max_value=10).flatmap(
        lambda m: st.integers(min_value=0, max_value=2**m).map(lambda k: k / 2**m)
    ),
    quantile_type=st.integers(min_value=1, max_value=9),
)
def test_sample_quantile_agrees_with_numpy(
    values: list[float], p: float, quantile_type: int
) -> None:
    """p = k/2ᵐ is a binary fraction, so n·p is exact and no definition depends on rounding
    (R's and numpy's treatments of n·p near an integer differ otherwise); small m makes n·p
    a whole number often, where types 1–3 differ."""
    ours = sample_quantile(values, p, quantile_type)  # type: ignore[arg-type]
    theirs = float(np.quantile(np.array(values), p, method=NUMPY_METHOD[quantile_type]))
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-6)
    assert min(values) <= ours <= max(values)


@pytest.mark.parametrize(
    ("quantile_type", "q1", "q3"), [(1, 2.0, 6.0), (2, 2.5, 6.5), (3, 2.0, 6.0)]
)
def test_discontinuous_quartiles_when_np_is_whole(quantile_type: int, q1: float, q3: float) -> None:
    """x = 1…8: np = 2 and 6 are whole numbers (g = 0). Type 1 takes x₍₂₎ = 2 and x₍₆₎ = 6;
    type 2 averages x₍₂₎, x₍₃₎ → 2.5 and x₍₆₎, x₍₇₎ → 6.5; type 3 has np − ½ = 1.5 and 5.5
    (g > 0) → x₍₂₎ = 2 and x₍₆₎ = 6."""
    d = describe(list(range(1, 9)), quantile_type=quantile_type)  # type: ignore[arg-type]
    assert (d.q1, d.q3) == (q1, q3)


def test_describe_counts_missing_and_summarises() -> None:
    d = describe([34, 6, None, 16, float("nan"), 16, 20, 12])
    assert (d.n, d.n_missing) == (6, 2)
    assert (d.min, d.max, d.median) == (6.0, 34.0, 16.0)
    # SD: Σ(x − 17.33)² = 445.33, / 5 = 89.07, √ = 9.44.
    # type 7 on 6, 12, 16, 16, 20, 34: h = 1 + 5·0.25 = 2.25 → 12 + 0.25·4 = 13;
    # h = 1 + 5·0.75 = 4.75 → 16 + 0.75·4 = 19
    assert (d.q1, d.q3) == (13.0, 19.0)
    assert d.mean == pytest.approx(104 / 6)
    assert d.sd == pytest.approx(statistics.stdev([6, 12, 16, 16, 20, 34]))
    assert d.iqr == (13.0, 19.0) and d.range == (6.0, 34.0)
    assert str(d) == ("median 16 (IQR 13–19; range 6–34), mean 17.33 (SD 9.44); n = 6, 2 missing")


def test_describe_with_other_quantile_type() -> None:
    d = describe([6, 12, 16, 16, 20, 34], quantile_type=6)
    # type 6: h = 7·0.25 = 1.75 → 6 + 0.75·6 = 10.5; h = 7·0.75 = 5.25 → 20 + 0.25·14 = 23.5
    assert (d.q1, d.q3, d.quantile_type) == (10.5, 23.5, 6)


@pytest.mark.parametrize(
    ("values", "n", "missing", "text"),
    [
        ([], 0, 0, "no values (n = 0)"),
        ([None, float("nan")], 0, 2, "no values (n = 0, 2 missing)"),
        ([7.5], 1, 0, "median 7.5 (IQR 7.5–7.5; range 7.5–7.5), mean 7.5; n = 1"),
    ],
)
def test_describe_small_samples(
    values: list[float | None], n: int, missing: int, text: str
) -> None:
    d = describe(values)
    assert (d.n, d.n_missing) == (n, missing)
    assert str(d) == text
    if n == 0:
        assert d.median is None and d.mean is None and d.iqr is None
    else:
        assert d.sd is None


@pytest.mark.parametrize(
    ("values", "field"),
    [(["16"], "values[0]"), ([1, True], "values[1]"), ([1, 2, float("inf")], "values[2]")],
)
def test_describe_rejects_non_numbers(values: list[object], field: str) -> None:
    with pytest.raises(EvidenceError) as info:
        describe(values)  # type: ignore[arg-type]
    assert info.value.location.field == field


def test_sample_quantile_rejects_bad_input() -> None:
    with pytest.raises(EvidenceError, match="empty"):
        sample_quantile([], 0.5)
    with pytest.raises(EvidenceError, match="missing"):
        sample_quantile([1.0, None], 0.5)  # type: ignore[list-item]
    with pytest.raises(EvidenceError, match="type 1 to 9"):
        sample_quantile([1.0], 0.5, 10)  # type: ignore[arg-type]
    with pytest.raises(EvidenceError, match="probability"):
        sample_quantile([1.0], 1.5)


def test_published_summary_fits_the_same_type() -> None:
    """A paper's "median 16 months (range 6–34)" is a Distribution without quartiles; the
    order of the parts is checked."""
    published = Distribution(n=16, median=16, min=6, max=34)
    assert str(published) == "median 16 (range 6–34); n = 16"
    with pytest.raises(ValidationError, match="exceeds"):
        Distribution(n=16, median=40, min=6, max=34)


# ----------------------------------------------------------------------------- Kaplan–Meier

AML_MAINTAINED = ([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161], [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0])
AML_NONMAINTAINED = ([5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45], [1] * 5 + [0] + [1] * 6)

#: R: summary(survfit(Surv(aml$time, aml$status) ~ aml$x))   (tests/doaml.Rout.save)
#: time n.risk n.event survival std.err lower 95% CI upper 95% CI
RRow = tuple[int, int, int, float, float | None, float | None, float | None]
R_AML_SUMMARY: dict[str, list[RRow]] = {
    "Maintained": [
        (9, 11, 1, 0.909, 0.0867, 0.7541, 1.000),
        (13, 10, 1, 0.818, 0.1163, 0.6192, 1.000),
        (18, 8, 1, 0.716, 0.1397, 0.4884, 1.000),
        (23, 7, 1, 0.614, 0.1526, 0.3769, 0.999),
        (31, 5, 1, 0.491, 0.1642, 0.2549, 0.946),
        (34, 4, 1, 0.368, 0.1627, 0.1549, 0.875),
        (48, 2, 1, 0.184, 0.1535, 0.0359, 0.944),
    ],
    "Nonmaintained": [
        (5, 12, 2, 0.8333, 0.1076, 0.6470, 1.000),
        (8, 10, 2, 0.6667, 0.1361, 0.4468, 0.995),
        (12, 8, 1, 0.5833, 0.1423, 0.3616, 0.941),
        (23, 6, 1, 0.4861, 0.1481, 0.2675, 0.883),
        (27, 5, 1, 0.3889, 0.1470, 0.1854, 0.816),
        (30, 4, 1, 0.2917, 0.1387, 0.1148, 0.741),
        (33, 3, 1, 0.1944, 0.1219, 0.0569, 0.664),
        (43, 2, 1, 0.0972, 0.0919, 0.0153, 0.620),
        (45, 1, 1, 0.0000, None, None, None),  # R prints NaN, NA, NA
    ],
}
AML_DATA = {"Maintained": AML_MAINTAINED, "Nonmaintained": AML_NONMAINTAINED}

#: R: print(fit) from the same file: median 0.95LCL 0.95UCL (conf.type = "log")
R_AML_MEDIAN = {"Maintained": (31.0, 18.0, None), "Nonmaintained": (23.0, 8.0, None)}


def _decimals(printed: float) -> float:
    """Half a unit in the last place R printed (4 significant digits, or 3 after '1.000')."""
    text = f"{printed}"
    places = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10.0**-places + 1e-12


@pytest.mark.parametrize("group", ["Maintained", "Nonmaintained"])
def test_km_log_intervals_match_r_survfit(group: str) -> None:
    durations, events = AML_DATA[group]
    km = KaplanMeier(conf_type="log").fit(durations, events)
    rows = km.table()
    assert len(rows) == len(R_AML_SUMMARY[group])
    for row, (time, n_risk, n_event, surv, se, low, high) in zip(
        rows, R_AML_SUMMARY[group], strict=True
    ):
        assert (row.time, row.at_risk, row.events) == (time, n_risk, n_event)
        assert row.survival == pytest.approx(surv, abs=5e-4)
        if se is None or low is None or high is None:
            assert row.std_err is None and row.low is None and row.high is None
            continue
        assert row.std_err == pytest.approx(se, abs=_decimals(se))
        assert row.low == pytest.approx(low, abs=_decimals(low))
        assert row.high == pytest.approx(high, abs=_decimals(high))
    median = km.quantile(0.5)
    assert (median.time, median.low, median.high) == R_AML_MEDIAN[group]


@pytest.mark.parametrize("group", ["Maintained", "Nonmaintained"])
def test_km_log_log_intervals_from_r_printed_numbers(group: str) -> None:
    """The log-log interval computed by hand from R's printed S and std.err: the standard
    error of log S is std.err/S, and the limits are S^exp(±1.959964·se_log/log S)
    (R survfit, conf.type = "log-log"). R's rounding of S and std.err limits agreement to
    about 2·10⁻³. The fitter's own log-log values were also checked during development
    against lifelines 0.30.3 ``KaplanMeierFitter`` (agreement 6·10⁻¹⁶)."""
    durations, events = AML_DATA[group]
    km = KaplanMeier().fit(durations, events)
    assert km.conf_type == "log-log"
    for row, (time, _, _, surv, se, _, _) in zip(km.table(), R_AML_SUMMARY[group], strict=True):
        assert row.time == time
        if se is None:
            assert row.low is None and row.high is None
            continue
        se_log = se / surv
        shift = 1.959964 * se_log / math.log(surv)
        by_hand = (surv ** math.exp(-shift), surv ** math.exp(shift))
        assert (row.low, row.high) == pytest.approx(by_hand, abs=2e-3)


@pytest.mark.parametrize(
    ("group", "median", "low", "high"),
    [("Maintained", 31.0, 13.0, None), ("Nonmaintained", 23.0, 5.0, 33.0)],
)
def test_km_median_with_log_log_interval(
    group: str, median: float, low: float, high: float | None
) -> None:
    """Read off the log-log bands (previous test): Maintained lower band 0.5081 at 9, 0.4474
    at 13 → 13; upper band stays above 0.5 until the last event (0.5250 at 48) → not reached.
    Nonmaintained lower band 0.4817 at 5 → 5; upper band 0.5609 at 30, 0.4614 at 33 → 33.
    (lifelines ``median_survival_times(confidence_interval_)`` gives the same.)"""
    km = KaplanMeier().fit(*AML_DATA[group])
    assert km.median_ == median
    assert km.median_ci_ == (low, high)
    text = str(km.quantile(0.5))
    assert text == f"median {median:g} (95% CI {low:g}–{'NR' if high is None else f'{high:g}'})"


def test_km_quantiles_match_r_quantile_survfit() -> None:
    """R package survival, tests/quantile.Rout.save::

        test1 <- data.frame(time=  c(9, 3,1,1,6,6,8, 10),
                            status=c(1,NA,1,0,1,1,0,  0), ...)
        qq <- c(13/14, 6/7, 2/3, .5, 9/35, .1)
        fit2 <- survfit(Surv(time, status) ~ 1, test1)   # conf.type = "log"
        aeq(quantile(fit2, 1-qq), list(quantile = c(1, 3.5, 6, 9, 9.5, NA),
                                       lower = c(1,1,1,6,6,9), upper = rep(NA, 6)))  # TRUE

    The row with status NA is dropped (R's na.action). S = 6/7 on [1, 6) and 9/35 from 9 to
    the last time 10 are flat at the asked level, hence the midpoints 3.5 and 9.5."""
    km = KaplanMeier(conf_type="log").fit([9, 1, 1, 6, 6, 8, 10], [1, 1, 0, 1, 1, 0, 0])
    qq = [13 / 14, 6 / 7, 2 / 3, 0.5, 9 / 35, 0.1]
    results = [km.quantile(1 - q) for q in qq]
    assert [r.time for r in results] == [1, 3.5, 6, 9, 9.5, None]
    assert [r.low for r in results] == [1, 1, 1, 6, 6, 9]
    assert [r.high for r in results] == [None] * 6


def test_km_fitted_attributes_and_ties() -> None:
    """By hand for 1, 2, 2, 2+, 3+, 4: at t = 2 five are at risk (the case censored at 2 is
    at risk at its own time) and two die, so S = 5/6 · 3/5 = 1/2 from t = 2; Greenwood's
    var(log S) = 1/(6·5) + 2/(5·3). S is exactly 0.5 from 2 until the next event at 4, so the
    median is the midpoint 3 (R's rule); the last case dies at 4, so S = 0 there."""
    km = KaplanMeier().fit([2, 1, 2, 2, 3, 4], [1, 1, 1, 0, 0, 1])
    assert km.n_ == 6
    assert km.timeline_ == (1.0, 2.0, 3.0, 4.0)
    assert km.at_risk_ == (6, 5, 2, 1)
    assert km.events_ == (1, 2, 0, 1)
    assert km.censored_ == (0, 1, 1, 0)
    assert km.survival_ == pytest.approx((5 / 6, 1 / 2, 1 / 2, 0.0), abs=1e-15)
    assert km.std_err_[1] == pytest.approx(0.5 * math.sqrt(1 / 30 + 2 / 15))
    assert km.std_err_[3] is None and km.ci_[3] is None
    assert isinstance(km.survival_, tuple) and isinstance(km.ci_, tuple)
    assert km.survival_at(0.5) == 1.0
    assert km.survival_at(2.5) == pytest.approx(0.5)
    assert km.survival_at(100) == 0.0  # the curve reached 0, so it is known beyond
    assert km.median_ == 3.0


def test_km_without_events_in_events_argument_means_all_events() -> None:
    km = KaplanMeier().fit([3, 1, 2])
    assert km.events_ == (1, 1, 1) and km.median_ == 2.0


def test_km_all_censored_never_reaches_the_median() -> None:
    km = KaplanMeier().fit([5, 7, 9], [0, 0, 0])
    assert km.survival_ == (1.0, 1.0, 1.0)
    assert km.ci_ == (None, None, None)  # log-log undefined at S = 1 (R: NA)
    assert km.median_ is None and km.median_ci_ == (None, None)
    assert "median NR (95% CI NR–NR)" in str(km)
    with pytest.raises(EvidenceError, match="past the last follow-up"):
        km.survival_at(10)
    log = KaplanMeier(conf_type="log").fit([5, 7, 9], [0, 0, 0])
    assert log.ci_ == ((1.0, 1.0),) * 3


def test_km_printable_summary() -> None:
    text = str(KaplanMeier(conf_type="log").fit(*AML_NONMAINTAINED))
    lines = text.splitlines()
    assert lines[0] == (
        "Kaplan–Meier: n = 12, events = 11, median 23 (95% CI 8–NR) [log intervals]"
    )
    assert lines[2].split() == ["5", "12", "2", "0.8333", "0.1076", "0.6470", "1.0000"]
    assert lines[-1].split() == ["45", "1", "1", "0.0000", "NaN", "NA", "NA"]
    assert "not fitted" in repr(KaplanMeier())


@pytest.mark.parametrize(
    ("durations", "events", "field"),
    [
        ([], None, "durations"),
        ([1, -2], None, "durations[1]"),
        ([1, float("nan")], None, "durations[1]"),
        ([1, None], None, "durations[1]"),
        ([1, 2], [1, 2], "events[1]"),
        ([1, 2], [1, "1"], "events[1]"),
        ([1, 2], [1, float("nan")], "events[1]"),
        ([1, 2], [1], "events"),
    ],
)
def test_km_rejects_bad_input(durations: list[object], events: object, field: str) -> None:
    with pytest.raises(EvidenceError) as info:
        KaplanMeier().fit(durations, events)  # type: ignore[arg-type]
    assert info.value.location.field == field


def test_numpy_inputs_are_accepted() -> None:
    assert proportion(np.int64(6), np.int64(9)) == proportion(6, 9)  # type: ignore[arg-type]
    d = describe(np.array([6.0, np.nan, 16.0, 34.0]))  # type: ignore[arg-type]
    assert (d.n, d.n_missing, d.median) == (3, 1, 16.0)
    km = KaplanMeier(conf_type="log").fit(
        np.array(AML_MAINTAINED[0]),  # type: ignore[arg-type]
        np.array(AML_MAINTAINED[1], dtype=bool),  # type: ignore[arg-type]
    )
    assert km.median_ci_ == (18.0, None)
    assert km.events_ == KaplanMeier().fit(*AML_MAINTAINED).events_
    assert KaplanMeier().fit([1, 2], [1.0, 0.0]).events_ == (1, 0)


def test_km_configuration_and_state_errors() -> None:
    with pytest.raises(EvidenceError, match="conf_type"):
        KaplanMeier(conf_type="arcsin")  # type: ignore[arg-type]
    with pytest.raises(EvidenceError, match="level"):
        KaplanMeier(level=95)
    with pytest.raises(EvidenceError, match="not fitted"):
        _ = KaplanMeier().survival_
    with pytest.raises(EvidenceError, match="strictly between"):
        KaplanMeier().fit([1, 2]).quantile(1.0)


durations_events = st.lists(
    st.tuples(st.integers(min_value=0, max_value=60), st.booleans()), min_size=1, max_size=60
)


@settings(max_examples=150, deadline=None)
@given(data=durations_events, conf_type=st.sampled_from(["log-log", "log", "plain"]))
def test_km_curve_properties(data: list[tuple[int, bool]], conf_type: str) -> None:
    durations = [t for t, _ in data]
    events = [e for _, e in data]
    km = KaplanMeier(conf_type=conf_type).fit(durations, events)  # type: ignore[arg-type]
    assert list(km.timeline_) == sorted(set(map(float, durations)))
    assert sum(km.events_) == sum(events) and sum(km.censored_) == len(data) - sum(events)
    assert km.at_risk_[0] == len(data)
    survival = km.survival_
    assert all(0.0 <= s <= 1.0 for s in survival)
    assert all(a >= b for a, b in itertools.pairwise(survival))
    for s, ci in zip(survival, km.ci_, strict=True):
        if ci is None:
            assert s == 0.0 or (conf_type == "log-log" and s == 1.0)
        else:
            assert 0.0 <= ci[0] <= s + 1e-12 and s - 1e-12 <= ci[1] <= 1.0
    median = km.quantile(0.5)
    if median.time is not None:
        if median.low is not None:
            assert median.low <= median.time
        if median.high is not None:
            assert median.time <= median.high


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=50))
def test_km_without_censoring_is_the_empirical_distribution(durations: list[int]) -> None:
    """With no censoring S(t) = (number > t)/n, and R's midpoint rule makes the median the
    ordinary sample median ("mirrors the standard behavior of the median when data is
    uncensored", ?quantile.survfit)."""
    km = KaplanMeier().fit(durations)
    n = len(durations)
    for t, s in zip(km.timeline_, km.survival_, strict=True):
        assert s == pytest.approx(sum(1 for d in durations if d > t) / n, abs=1e-12)
    assert km.median_ == statistics.median(durations)


def test_km_quantile_value_text() -> None:
    q = SurvivalQuantile(p=0.25, time=12.0, low=8.0, high=None, level=0.9)
    assert str(q) == "25th percentile 12 (90% CI 8–NR)"


# ----------------------------------------------------------------------------- module rules


def test_importing_stats_does_not_import_scipy() -> None:
    """scipy is heavy: it must be imported inside the functions that use it."""
    code = "import sys, tkiresist.evidence.stats; print('scipy' in sys.modules)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "False"
