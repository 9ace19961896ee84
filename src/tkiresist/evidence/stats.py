"""The statistics core of evidence summaries.

Four things, each a pure function or a small fitter returning immutable values:

* :func:`proportion` → :class:`Proportion`: a numerator, a denominator and two confidence
  intervals (Clopper–Pearson "exact" and Wilson score).
* :func:`binomial_test` → :class:`BinomialTest`: the exact binomial test of one proportion
  against a reference value, with R's two-sided p-value.
* :func:`describe` → :class:`Distribution`: median, quartiles, range, mean and SD of a
  continuous variable with missing values; quartiles by any of the nine Hyndman–Fan
  definitions (:func:`sample_quantile`).
* :class:`KaplanMeier`: the product-limit estimator with Greenwood variance, pointwise
  confidence intervals ("log-log" by default) and the median with its confidence interval,
  computed the way R's ``survival::survfit`` does.

Nothing here does I/O. scipy is imported lazily, inside the two functions that need it
(:func:`_clopper_pearson` and :func:`_binomial_p_value`); everything else uses the standard
library only. Failures raise :class:`tkiresist.errors.EvidenceError` naming the argument.

A ``None`` in a result means "not defined" (a proportion of 0/0, a median that the survival
curve never reaches, a confidence limit where R prints ``NA``); it never stands for an error.

References (checked with the project's search tool unless marked otherwise)
--------------------------------------------------------------------------
* [CP34] Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the
  case of the binomial. Biometrika 1934;26:404–413. doi:10.2307/2331986.
* [Wil27] Wilson EB. Probable inference, the law of succession, and statistical inference.
  J Am Stat Assoc 1927;22(158):209–212. JSTOR 2276774.
* [HF96] Hyndman RJ, Fan Y. Sample quantiles in statistical packages. Am Stat
  1996;50:361–365. doi:10.1080/00031305.1996.10473566.
* [KM58] Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat
  Assoc 1958;53(282):457–481. doi:10.1080/01621459.1958.10501452.
* [BC82] Brookmeyer R, Crowley J. A confidence interval for the median survival time.
  Biometrics 1982;38(1):29–41. JSTOR 2530286.
* [Gre26] Greenwood M. The natural duration of cancer. Reports on Public Health and Medical
  Subjects 33, HMSO 1926. (Classic source of the variance formula; details not verified.)
* [KP80] Kalbfleisch JD, Prentice RL. The Statistical Analysis of Failure Time Data. Wiley
  1980. (Usual citation for log-log intervals; details not verified.)
* [R-binom] R ``stats::binom.test`` (documentation and saved example output,
  ``tests/Examples/stats-Ex.Rout.save`` in the R sources).
* [R-surv] Therneau T. R package ``survival``: ``survfit`` (``survfit_confint`` in
  ``R/survfit.R``), ``quantile.survfit`` (``R/quantile.survfit.R``), ``src/survfitkm.c``.
"""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, Self

from pydantic import Field, computed_field, model_validator

from tkiresist.errors import EvidenceError, Location
from tkiresist.model.base import Value

__all__ = [
    "Alternative",
    "BinomialTest",
    "ConfType",
    "Distribution",
    "Interval",
    "KaplanMeier",
    "Proportion",
    "QuantileType",
    "SurvivalQuantile",
    "SurvivalRow",
    "binomial_test",
    "describe",
    "format_p_value",
    "proportion",
    "sample_quantile",
]

Interval = tuple[float, float]
"""A confidence interval ``(low, high)``."""

Alternative = Literal["two-sided", "less", "greater"]
"""The alternative hypothesis of a test, as in R's ``alternative=`` argument."""

ConfType = Literal["log-log", "log", "plain"]
"""The transform for Kaplan–Meier pointwise intervals, as R's ``conf.type=``."""

QuantileType = Literal[1, 2, 3, 4, 5, 6, 7, 8, 9]
"""A Hyndman–Fan sample-quantile definition; the number is R's ``quantile(type=)``."""

_ALTERNATIVES: tuple[str, ...] = ("two-sided", "less", "greater")
_CONF_TYPES: tuple[str, ...] = ("log-log", "log", "plain")

#: R's tolerance for "the survival curve is exactly at the quantile" (quantile.survfit).
_SURV_TOL = math.sqrt(sys.float_info.epsilon)
#: R's fuzz for rounding in ``quantile.default``.
_QUANTILE_FUZZ = 4 * sys.float_info.epsilon


# --------------------------------------------------------------------------- helpers


def _fail(message: str, argument: str) -> EvidenceError:
    return EvidenceError(message, Location(field=argument))


def _as_real(x: object) -> float | None:
    """``x`` as a float if it is a real number (numpy scalars included, booleans not)."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    return float(x)


def _check_level(level: float, argument: str = "level") -> float:
    value = _as_real(level)
    if value is None or not 0.0 < value < 1.0:
        raise _fail(f"{argument} must lie strictly between 0 and 1, got {level!r}", argument)
    return value


def _as_count(value: int, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _fail(f"{argument} must be a whole number, got {value!r}", argument)
    count = int(value)
    if count < 0:
        raise _fail(f"{argument} must not be negative, got {count}", argument)
    return count


def _z(level: float) -> float:
    """The standard normal quantile for a two-sided interval: Φ⁻¹(1 − (1 − level)/2)."""
    return statistics.NormalDist().inv_cdf(1.0 - (1.0 - level) / 2.0)


def _fmt_level(level: float) -> str:
    return f"{level * 100:.10g}%"


def _fmt_pct(x: float) -> str:
    return f"{x * 100:.1f}"


def _fmt_num(x: float | None) -> str:
    if x is None:
        return "NA"
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_p_value(p: float) -> str:
    """``"p = 0.038"`` (two significant digits) or ``"p < 0.0001"``."""
    if p < 0.0001:
        return "p < 0.0001"
    return f"p = {p:.2g}" if p < 0.1 else f"p = {p:.2f}"


# --------------------------------------------------------------------------- proportions


def _clopper_pearson(k: int, n: int, alpha_low: float, alpha_high: float) -> Interval:
    """Clopper–Pearson limits from beta quantiles [CP34].

    ``low = B⁻¹(alpha_low; k, n − k + 1)`` (0 when k = 0 or alpha_low = 0) and
    ``high = B⁻¹(1 − alpha_high; k + 1, n − k)`` (1 when k = n or alpha_high = 0), where
    B⁻¹(q; a, b) is the q-quantile of the Beta(a, b) distribution. A two-sided interval at
    level 1 − α uses α/2 on each side; a one-sided one puts all of α on one side. This is the
    interval R's ``binom.test`` reports.
    """
    from scipy.special import betaincinv  # lazy: scipy is heavy

    low = 0.0 if k == 0 or alpha_low == 0.0 else float(betaincinv(k, n - k + 1, alpha_low))
    high = 1.0 if k == n or alpha_high == 0.0 else float(betaincinv(k + 1, n - k, 1.0 - alpha_high))
    return (low, high)


def _wilson(k: int, n: int, level: float) -> Interval:
    """The Wilson score interval [Wil27], closed form, without continuity correction.

    With p̂ = k/n and z = Φ⁻¹(1 − α/2)::

        centre = (k + z²/2) / (n + z²)
        half   = z / (n + z²) · √(k(n − k)/n + z²/4)
        (low, high) = (centre − half, centre + half)

    The limits are exactly 0 when k = 0 and exactly 1 when k = n (the formula gives these up to
    rounding). This is the interval of R's ``prop.test(k, n, correct = FALSE)``.
    """
    z = _z(level)
    z2 = z * z
    centre = (k + z2 / 2.0) / (n + z2)
    half = z / (n + z2) * math.sqrt(k * (n - k) / n + z2 / 4.0)
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (low, high)


class Proportion(Value):
    """``numerator``/``denominator`` with its exact and Wilson confidence intervals.

    ``value``, ``ci_exact`` and ``ci_wilson`` are derived (computed on first access and
    included in ``model_dump()``); they are ``None`` when the denominator is 0.
    ``str()`` gives ``"6/9 = 66.7% (exact 95% CI 29.9–92.5%)"``.
    """

    numerator: int = Field(ge=0, description="the count with the property, k")
    denominator: int = Field(ge=0, description="the count of cases assessed, n")
    level: float = Field(default=0.95, gt=0.0, lt=1.0, description="confidence level")

    @model_validator(mode="after")
    def _numerator_within_denominator(self) -> Proportion:
        if self.numerator > self.denominator:
            raise ValueError(f"numerator {self.numerator} exceeds denominator {self.denominator}")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def value(self) -> float | None:
        """k/n, or ``None`` when n = 0."""
        if self.denominator == 0:
            return None
        return self.numerator / self.denominator

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def ci_exact(self) -> Interval | None:
        """Two-sided Clopper–Pearson interval [CP34], as R's ``binom.test(k, n)$conf.int``."""
        if self.denominator == 0:
            return None
        alpha = 1.0 - self.level
        return _clopper_pearson(self.numerator, self.denominator, alpha / 2, alpha / 2)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def ci_wilson(self) -> Interval | None:
        """Wilson score interval [Wil27], as R's ``prop.test(k, n, correct=FALSE)``."""
        if self.denominator == 0:
            return None
        return _wilson(self.numerator, self.denominator, self.level)

    def __str__(self) -> str:
        head = f"{self.numerator}/{self.denominator}"
        if self.value is None or self.ci_exact is None:
            return f"{head} (no denominator)"
        low, high = self.ci_exact
        return (
            f"{head} = {_fmt_pct(self.value)}% "
            f"(exact {_fmt_level(self.level)} CI {_fmt_pct(low)}–{_fmt_pct(high)}%)"
        )


def proportion(k: int, n: int, level: float = 0.95) -> Proportion:
    """The proportion k/n with its confidence intervals at ``level``.

    Raises :class:`EvidenceError` if k or n is not a whole number ≥ 0, if k > n, or if the
    level is not strictly between 0 and 1. ``proportion(0, 0)`` is allowed: its value and
    intervals are ``None``.
    """
    k = _as_count(k, "k")
    n = _as_count(n, "n")
    if k > n:
        raise _fail(f"k = {k} exceeds n = {n}", "k")
    return Proportion(numerator=k, denominator=n, level=_check_level(level))


# --------------------------------------------------------------------------- binomial test


def _binomial_p_value(k: int, n: int, p0: float, alternative: Alternative) -> float:
    """The exact binomial p-value, computed as R's ``binom.test`` does.

    * ``"less"``: P(X ≤ k); ``"greater"``: P(X ≥ k), with X ~ Binomial(n, p0).
    * ``"two-sided"``: the probability of every outcome no more likely than the observed one,
      ∑ P(X = i) over i with P(X = i) ≤ P(X = k)·(1 + 10⁻⁷). The relative tolerance (R's
      ``relErr``) makes outcomes of equal probability count despite rounding. It is computed
      from the tail on the other side of the mode m = n·p0, exactly as R does: if k < m, the
      p-value is P(X ≤ k) + P(X ≥ n − y + 1) where y counts the i ≥ ⌈m⌉ with small enough
      probability; symmetrically if k > m; it is 1 when k = m.
    """
    import numpy as np  # lazy: comes with scipy
    from scipy.stats import binom  # lazy: scipy is heavy

    if alternative == "less":
        return float(binom.cdf(k, n, p0))
    if alternative == "greater":
        return float(binom.sf(k - 1, n, p0))
    rel_err = 1.0 + 1e-7
    d = float(binom.pmf(k, n, p0))
    m = n * p0
    if k == m:
        return 1.0
    if k < m:
        upper = np.arange(math.ceil(m), n + 1)
        y = int((binom.pmf(upper, n, p0) <= d * rel_err).sum())
        p = float(binom.cdf(k, n, p0)) + float(binom.sf(n - y, n, p0))
    else:
        lower = np.arange(0, math.floor(m) + 1)
        y = int((binom.pmf(lower, n, p0) <= d * rel_err).sum())
        p = float(binom.cdf(y - 1, n, p0)) + float(binom.sf(k - 1, n, p0))
    return min(1.0, p)


class BinomialTest(Value):
    """The exact test of an observed proportion against a reference probability ``p0``.

    ``p_value`` is exact (R's ``binom.test``); ``ci`` is the Clopper–Pearson interval that
    matches the alternative (two-sided, or one-sided ``(0, high)`` for ``"less"`` and
    ``(low, 1)`` for ``"greater"``), as R reports it. ``proportion`` carries the observed
    value and its usual two-sided intervals.
    """

    proportion: Proportion
    p0: float = Field(ge=0.0, le=1.0, description="the probability under the null hypothesis")
    alternative: Alternative = "two-sided"

    @model_validator(mode="after")
    def _needs_trials(self) -> BinomialTest:
        if self.proportion.denominator == 0:
            raise ValueError("a binomial test needs at least one trial (n ≥ 1)")
        return self

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def p_value(self) -> float:
        prop = self.proportion
        return _binomial_p_value(prop.numerator, prop.denominator, self.p0, self.alternative)

    @computed_field  # type: ignore[prop-decorator]
    @cached_property
    def ci(self) -> Interval:
        prop = self.proportion
        alpha = 1.0 - prop.level
        sides = {"two-sided": (alpha / 2, alpha / 2), "less": (0.0, alpha), "greater": (alpha, 0.0)}
        a_low, a_high = sides[self.alternative]
        return _clopper_pearson(prop.numerator, prop.denominator, a_low, a_high)

    def __str__(self) -> str:
        prop = self.proportion
        assert prop.value is not None  # guaranteed by the validator
        low, high = self.ci
        symbol = {"two-sided": "≠", "less": "<", "greater": ">"}[self.alternative]
        return (
            f"{prop.numerator}/{prop.denominator} = {_fmt_pct(prop.value)}% "
            f"(exact {_fmt_level(prop.level)} CI {_fmt_pct(low)}–{_fmt_pct(high)}%); "
            f"exact binomial test of p {symbol} {_fmt_pct(self.p0)}%: "
            f"{format_p_value(self.p_value)}"
        )


def binomial_test(
    k: int,
    n: int,
    p0: float,
    alternative: Alternative = "two-sided",
    level: float = 0.95,
) -> BinomialTest:
    """Exact binomial test of k successes in n trials against probability ``p0``.

    For "EML4 in 11/16 here against > 95 % in de novo ALK-positive NSCLC" the question is
    whether the proportion is *lower*: ``binomial_test(11, 16, 0.95, alternative="less")``.
    Raises :class:`EvidenceError` on n = 0, k > n, p0 outside [0, 1] or an unknown alternative.
    """
    k = _as_count(k, "k")
    n = _as_count(n, "n")
    if n == 0:
        raise _fail("a binomial test needs at least one trial (n ≥ 1)", "n")
    if k > n:
        raise _fail(f"k = {k} exceeds n = {n}", "k")
    null = _as_real(p0)
    if null is None or not 0.0 <= null <= 1.0:
        raise _fail(f"p0 must be a probability in [0, 1], got {p0!r}", "p0")
    if alternative not in _ALTERNATIVES:
        raise _fail(
            f"alternative must be one of {', '.join(_ALTERNATIVES)}; got {alternative!r}",
            "alternative",
        )
    return BinomialTest(
        proportion=Proportion(numerator=k, denominator=n, level=_check_level(level)),
        p0=null,
        alternative=alternative,
    )


# --------------------------------------------------------------------------- distributions


def _hf_quantile(xs: Sequence[float], p: float, quantile_type: int) -> float:
    """Quantile ``p`` of the sorted, non-empty ``xs`` by Hyndman–Fan definition 1–9 [HF96].

    With order statistics x₍₁₎ ≤ … ≤ x₍ₙ₎ (and x₍₀₎ = x₍₁₎, x₍ₙ₊₁₎ = x₍ₙ₎), every definition is
    Q(p) = (1 − γ)·x₍ⱼ₎ + γ·x₍ⱼ₊₁₎ with j = ⌊np + m⌋ and g = np + m − j:

    * type 1 (inverse empirical CDF): m = 0, γ = 1 if g > 0 else 0;
    * type 2 (type 1 averaged at discontinuities): m = 0, γ = 1 if g > 0 else ½;
    * type 3 (nearest even order statistic): m = −½, γ = 0 if g = 0 and j even, else 1;
    * types 4–9 (continuous): m = a + p(1 − a − b), γ = g, with (a, b) =
      (0, 1), (½, ½), (0, 0), (1, 1), (⅓, ⅓), (⅜, ⅜) for types 4, 5, 6, 7, 8, 9.

    As in R's ``quantile.default``, j is taken as ⌊np + m + 4ε⌋ and |g| < 4ε counts as 0, so
    that rounding in n·p cannot move a quantile to the next order statistic.
    """
    n = len(xs)
    fuzz = _QUANTILE_FUZZ
    gamma: float
    if quantile_type <= 3:
        position = n * p - 0.5 if quantile_type == 3 else n * p
        j = math.floor(position + fuzz)
        beyond = position > j
        if quantile_type == 1:
            gamma = 1.0 if beyond else 0.0
        elif quantile_type == 2:
            gamma = 1.0 if beyond else 0.5
        else:
            gamma = 1.0 if (position != j or j % 2 == 1) else 0.0
    else:
        a, b = {
            4: (0.0, 1.0),
            5: (0.5, 0.5),
            6: (0.0, 0.0),
            7: (1.0, 1.0),
            8: (1.0 / 3.0, 1.0 / 3.0),
            9: (3.0 / 8.0, 3.0 / 8.0),
        }[quantile_type]
        position = a + p * (n + 1 - a - b)
        j = math.floor(position + fuzz)
        gamma = position - j
        if abs(gamma) < fuzz:
            gamma = 0.0

    def order_stat(i: int) -> float:  # 1-based, clamped to [1, n]
        return xs[min(max(i, 1), n) - 1]

    lo, hi = order_stat(j), order_stat(j + 1)
    if gamma == 0.0 or lo == hi:
        return lo
    if gamma == 1.0:
        return hi
    return (1.0 - gamma) * lo + gamma * hi


def _check_quantile_type(quantile_type: int) -> None:
    if isinstance(quantile_type, bool) or quantile_type not in range(1, 10):
        raise _fail(
            f"quantile_type must be a Hyndman–Fan type 1 to 9, got {quantile_type!r}",
            "quantile_type",
        )


def _finite_value(x: object, index: int) -> float | None:
    """``x`` as a float, ``None`` if missing (None or NaN); raise on anything else."""
    if x is None:
        return None
    value = _as_real(x)
    if value is None:
        raise _fail(f"value {index} is not a number: {x!r}", f"values[{index}]")
    if math.isnan(value):
        return None
    if math.isinf(value):
        raise _fail(f"value {index} is infinite", f"values[{index}]")
    return value


def sample_quantile(values: Sequence[float], p: float, quantile_type: QuantileType = 7) -> float:
    """The sample quantile ``p`` of ``values`` (any order) by Hyndman–Fan ``quantile_type``.

    Type 7 (the default) is linear interpolation between order statistics: R's and numpy's
    default, Excel's ``QUARTILE.INC``. Type 6 is SPSS's and Minitab's (Excel's
    ``QUARTILE.EXC``); type 2 is SAS's default. Missing values are not allowed here; use
    :func:`describe` for data with gaps.
    """
    _check_quantile_type(quantile_type)
    prob = _as_real(p)
    if prob is None or not 0.0 <= prob <= 1.0:
        raise _fail(f"p must be a probability in [0, 1], got {p!r}", "p")
    clean: list[float] = []
    for i, x in enumerate(values):
        value = _finite_value(x, i)
        if value is None:
            raise _fail(f"value {i} is missing; sample_quantile needs complete data", "values")
        clean.append(value)
    if not clean:
        raise _fail("no values: the quantile of an empty sample is undefined", "values")
    clean.sort()
    return _hf_quantile(clean, prob, quantile_type)


class Distribution(Value):
    """A summary of a continuous variable: counts, centre, spread and range.

    ``median`` is always the ordinary sample median (the mean of the two middle values when n
    is even). ``q1`` and ``q3`` are the 0.25 and 0.75 sample quantiles by Hyndman–Fan
    definition ``quantile_type`` (7 by default, see :func:`sample_quantile`). For small n the
    definitions differ noticeably (for 1…10, Q1 is 3.25 by type 7, 2.75 by type 6 and 3 by
    type 2), so a published IQR may need a specific type to be reproduced. ``sd`` is the
    sample standard deviation (divisor n − 1). Statistics of an empty sample are ``None``.

    The fields are plain data so that a summary read from a paper ("median 16, range 6–34")
    can be held in the same type, with the parts it does not report left as ``None``.
    """

    n: int = Field(ge=0, description="values present")
    n_missing: int = Field(default=0, ge=0, description="values missing (None or NaN)")
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, ge=0.0)
    quantile_type: QuantileType = 7

    @model_validator(mode="after")
    def _ordered(self) -> Distribution:
        chain = [
            (name, v)
            for name, v in (
                ("min", self.min),
                ("q1", self.q1),
                ("median", self.median),
                ("q3", self.q3),
                ("max", self.max),
            )
            if v is not None
        ]
        for (name_a, a), (name_b, b) in itertools.pairwise(chain):
            if a > b:
                raise ValueError(f"{name_a} = {a} exceeds {name_b} = {b}")
        return self

    @property
    def iqr(self) -> Interval | None:
        """``(q1, q3)`` when both are known."""
        if self.q1 is None or self.q3 is None:
            return None
        return (self.q1, self.q3)

    @property
    def range(self) -> Interval | None:
        """``(min, max)`` when both are known."""
        if self.min is None or self.max is None:
            return None
        return (self.min, self.max)

    def __str__(self) -> str:
        counts = f"n = {self.n}" + (f", {self.n_missing} missing" if self.n_missing else "")
        if self.n == 0 and self.median is None:
            return f"no values ({counts})"
        parts: list[str] = []
        if self.median is not None:
            spread: list[str] = []
            if self.iqr is not None:
                spread.append(f"IQR {_fmt_num(self.iqr[0])}–{_fmt_num(self.iqr[1])}")
            if self.range is not None:
                spread.append(f"range {_fmt_num(self.range[0])}–{_fmt_num(self.range[1])}")
            text = f"median {_fmt_num(self.median)}"
            parts.append(text + (f" ({'; '.join(spread)})" if spread else ""))
        if self.mean is not None:
            sd = f" (SD {_fmt_num(self.sd)})" if self.sd is not None else ""
            parts.append(f"mean {_fmt_num(self.mean)}{sd}")
        return ", ".join(parts) + f"; {counts}"


def describe(
    values: Sequence[float | None],
    quantile_type: QuantileType = 7,
    counts: Sequence[int] | None = None,
) -> Distribution:
    """Summarise ``values``; ``None`` and NaN count as missing.

    ``counts`` (optional, whole numbers ≥ 0, one per value) are frequency weights: value i
    stands for ``counts[i]`` equal observations, and the result is that of the expanded data.
    This lets a caller summarise ``GROUP BY value`` output of a database without expanding a
    million rows. Raises :class:`EvidenceError` for a value that is not a number (strings,
    booleans) or is infinite, or a bad count, naming its index.
    """
    _check_quantile_type(quantile_type)
    weights = _check_counts(counts, len(values))
    clean: list[tuple[float, int]] = []
    missing = 0
    for i, x in enumerate(values):
        value = _finite_value(x, i)
        weight = 1 if weights is None else weights[i]
        if value is None:
            missing += weight
        elif weight:
            clean.append((value, weight))
    if not clean:
        return Distribution(n=0, n_missing=missing, quantile_type=quantile_type)
    clean.sort()
    xs = _Repeated(clean)
    n = len(xs)
    middle = n // 2
    median = xs[middle] if n % 2 else (xs[middle - 1] + xs[middle]) / 2.0
    mean = math.fsum(v * c for v, c in clean) / n
    sd = None
    if n >= 2:
        sd = math.sqrt(math.fsum(c * (v - mean) ** 2 for v, c in clean) / (n - 1))
    return Distribution(
        n=n,
        n_missing=missing,
        median=median,
        q1=_hf_quantile(xs, 0.25, quantile_type),
        q3=_hf_quantile(xs, 0.75, quantile_type),
        min=xs[0],
        max=xs[-1],
        mean=mean,
        sd=sd,
        quantile_type=quantile_type,
    )


def _check_counts(counts: Sequence[int] | None, length: int) -> list[int] | None:
    """Frequency weights as ints, checked: whole numbers ≥ 0, one per value."""
    if counts is None:
        return None
    out = [_as_count(c, f"counts[{i}]") for i, c in enumerate(counts)]
    if len(out) != length:
        raise _fail(f"{length} values but {len(out)} counts", "counts")
    return out


class _Repeated(Sequence[float]):
    """The sorted sample that ``(value, count)`` pairs stand for, indexed without expanding it."""

    def __init__(self, pairs: Sequence[tuple[float, int]]) -> None:
        self._values = [v for v, _ in pairs]
        self._ends = list(itertools.accumulate(c for _, c in pairs))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def __getitem__(self, index: int) -> float:  # type: ignore[override]
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError(index)
        return self._values[bisect.bisect_right(self._ends, i)]


# --------------------------------------------------------------------------- Kaplan–Meier


class SurvivalQuantile(Value):
    """A quantile of a survival curve with its confidence interval.

    ``p`` is the fraction that has had the event (R's ``probs``): the median is p = 0.5, the
    time where S(t) reaches 1 − p. ``None`` means not reached ("NR", R's ``NA``).
    """

    p: float = Field(gt=0.0, lt=1.0)
    time: float | None
    low: float | None
    high: float | None
    level: float = Field(gt=0.0, lt=1.0)

    def __str__(self) -> str:
        def fmt(x: float | None) -> str:
            return "NR" if x is None else _fmt_num(x)

        name = "median" if self.p == 0.5 else f"{_fmt_num(self.p * 100)}th percentile"
        interval = f"{_fmt_level(self.level)} CI {fmt(self.low)}–{fmt(self.high)}"
        return f"{name} {fmt(self.time)} ({interval})"


class SurvivalRow(Value):
    """One distinct time of a Kaplan–Meier curve (a row of R's ``summary(survfit(...))``)."""

    time: float
    at_risk: int = Field(ge=0)
    events: int = Field(ge=0)
    censored: int = Field(ge=0)
    survival: float = Field(ge=0.0, le=1.0)
    std_err: float | None = Field(description="Greenwood standard error of S(t)")
    low: float | None
    high: float | None


@dataclass(frozen=True, slots=True)
class _KMFit:
    timeline: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    censored: tuple[int, ...]
    survival: tuple[float, ...]
    var_log: tuple[float, ...]  # cumulative Greenwood sum; math.inf once S reaches 0
    ci: tuple[Interval | None, ...]
    n: int


def _pointwise_ci(s: float, var_log: float, z: float, conf_type: str) -> Interval | None:
    """Pointwise interval for S(t) from the Greenwood variance of log S(t) [Gre26].

    ``var_log`` = ∑ d/(n(n − d)) over event times ≤ t and se = √var_log is the standard error
    of log S(t) (equivalently of the cumulative hazard −log S). With z = Φ⁻¹(1 − α/2), as in
    R's ``survfit_confint``:

    * ``"plain"``:   S ± z·se·S, clipped to [0, 1];
    * ``"log"``:     S·exp(∓z·se), upper limit clipped at 1;
    * ``"log-log"``: S^exp(±z·se/log S) [KP80], i.e. exp(−exp(log(−log S) ∓ z·se/log S));
      always inside (0, 1).

    ``None`` where R gives ``NA``: when S = 0 (all transforms), and for "log-log" also when
    S = 1 (before the first event, where log(−log S) is undefined).
    """
    if s == 0.0:
        return None
    se = math.sqrt(var_log)
    if conf_type == "plain":
        return (max(0.0, s - z * se * s), min(1.0, s + z * se * s))
    if conf_type == "log":
        return (s * math.exp(-z * se), min(1.0, s * math.exp(z * se)))
    if s == 1.0:
        return None
    log_s = math.log(s)
    shift = z * se / log_s  # negative
    return (
        math.exp(-math.exp(math.log(-log_s) - shift)),
        math.exp(-math.exp(math.log(-log_s) + shift)),
    )


def _curve_quantile(
    times: Sequence[float], curve: Sequence[float | None], p: float
) -> float | None:
    """Where a step curve (S or a confidence band) crosses 1 − p, by R's rule.

    This reproduces ``findq`` in R's ``quantile.survfit`` [R-surv]: the curve is taken as the
    distribution F = 1 − curve on the points (0, F = 0), (t₁, F₁), … (all distinct times,
    censoring times included); points where the curve is undefined (``None``) are dropped,
    and so are points whose F repeats an earlier value. Among the remaining points, ordered by
    F, the quantile time is the one with the smallest F ≥ p − tol; if that F lies within tol
    of p (the curve is flat at exactly 1 − p), the result is the midpoint between it and the
    time with the smallest F ≥ p + tol, or, if the flat part runs to the end, the midpoint
    between it and the last time. tol = √ε (R's default). ``None`` if never reached.
    """
    tol = _SURV_TOL
    x_last = times[-1]
    xs: list[float] = [0.0]
    fs: list[float | None] = [0.0]
    seen: set[float | None] = {0.0}
    for t, c in zip(times, curve, strict=True):
        f = None if c is None else 1.0 - c
        if f in seen:
            continue
        seen.add(f)
        xs.append(t)
        fs.append(f)
    defined = sorted(((f, i) for i, f in enumerate(fs) if f is not None), key=lambda pair: pair[0])

    def first_at_least(keys: list[float]) -> int | None:
        """Index (into xs) of the point with the smallest key ≥ p, keys ascending with F."""
        pos = bisect.bisect_left(keys, p)
        return defined[pos][1] if pos < len(defined) else None

    first = first_at_least([f + tol for f, _ in defined])
    if first is None:
        return None
    last_f = fs[-1]
    if last_f is not None and abs(p - last_f) < tol:
        return (xs[first] + x_last) / 2.0
    second = first_at_least([f - tol for f, _ in defined])
    if second is None:
        return None
    return (xs[first] + xs[second]) / 2.0


class KaplanMeier:
    """The Kaplan–Meier (product-limit) estimator [KM58], fitted the way R's survfit does.

    Configure in the constructor, then ``fit(durations, events)``, which returns the fitter.
    Fitted attributes end in ``_`` and are tuples over ``timeline_``, the sorted distinct
    observed times (event and censoring times, like ``survfit(...)$time``):

    * ``at_risk_`` (n: observed time ≥ t, so a case censored at t is at risk at t),
      ``events_`` (d) and ``censored_`` at each time;
    * ``survival_``: S(t) = ∏ over event times tᵢ ≤ t of (1 − dᵢ/nᵢ); tied events at one time
      are one factor;
    * ``std_err_``: Greenwood's standard error of S(t), S·√∑ d/(n(n − d)), as R's
      ``summary()`` prints it (``None`` once S = 0, where R prints NaN);
    * ``ci_``: pointwise intervals with the chosen transform (``conf_type``, "log-log" by
      default, R's ``conf.type="log-log"``); see :func:`_pointwise_ci`;
    * ``median_`` and ``median_ci_``: the median and its interval, found where the survival
      curve and the confidence bands cross 0.5 (Brookmeyer–Crowley style inversion [BC82],
      with R's midpoint rule for flat segments); ``None`` when not reached.

    :meth:`quantile` gives other percentiles, :meth:`survival_at` reads the step function, and
    :meth:`table` gives the rows as :class:`SurvivalRow` values. Equal times must be equal
    floats (R's ``timefix`` rounding is not applied).
    """

    def __init__(self, level: float = 0.95, conf_type: ConfType = "log-log") -> None:
        checked_level = _check_level(level)
        if conf_type not in _CONF_TYPES:
            raise _fail(
                f"conf_type must be one of {', '.join(_CONF_TYPES)}; got {conf_type!r}",
                "conf_type",
            )
        self.level = checked_level
        self.conf_type: ConfType = conf_type
        self._fit: _KMFit | None = None

    def __repr__(self) -> str:
        state = f"fitted, n={self._fit.n}" if self._fit is not None else "not fitted"
        return f"KaplanMeier(level={self.level}, conf_type={self.conf_type!r}) [{state}]"

    # ----------------------------------------------------------------- fitting

    def fit(
        self,
        durations: Sequence[float],
        events: Sequence[bool | float] | None = None,
        counts: Sequence[int] | None = None,
    ) -> Self:
        """Fit to follow-up ``durations`` (≥ 0) and ``events``.

        ``events``: 1/True = event, 0/False = censored (numpy scalars and 0.0/1.0 too); all
        events when omitted. ``counts`` (optional, whole numbers ≥ 0): frequency weights,
        observation i standing for ``counts[i]`` identical ones; the fit equals that of the
        expanded data (R: integer case weights in ``survfit``). Raises :class:`EvidenceError`,
        naming the index, for a missing, negative or non-finite duration, an event flag other
        than 0/1, a bad count, unequal lengths or no data.
        """
        times: list[float] = []
        for i, t in enumerate(durations):
            value = _as_real(t)
            if value is None:
                raise _fail(f"duration {i} is not a number: {t!r}", f"durations[{i}]")
            if not math.isfinite(value) or value < 0.0:
                raise _fail(f"duration {i} must be finite and ≥ 0, got {t!r}", f"durations[{i}]")
            times.append(value)
        if not times:
            raise _fail("no observations to fit", "durations")
        flags: list[bool]
        if events is None:
            flags = [True] * len(times)
        else:
            flags = []
            for i, e in enumerate(events):
                # bool, int, 0.0/1.0 and numpy scalars (np.bool_ is not numbers.Real)
                numeric = isinstance(e, numbers.Real) or type(e).__name__ in ("bool", "bool_")
                if numeric and e == 1:
                    flags.append(True)
                elif numeric and e == 0:
                    flags.append(False)
                else:
                    raise _fail(
                        f"event {i} must be 1/True (event) or 0/False (censored), got {e!r}",
                        f"events[{i}]",
                    )
            if len(flags) != len(times):
                raise _fail(f"{len(times)} durations but {len(flags)} event flags", "events")
        weights = _check_counts(counts, len(times))
        if weights is not None and sum(weights) == 0:
            raise _fail("no observations to fit: every count is 0", "counts")
        self._fit = self._compute(times, flags, weights)
        return self

    def _compute(self, times: list[float], flags: list[bool], weights: list[int] | None) -> _KMFit:
        order = sorted(range(len(times)), key=times.__getitem__)
        timeline: list[float] = []
        deaths: list[int] = []
        censors: list[int] = []
        for idx in order:
            weight = 1 if weights is None else weights[idx]
            if weight == 0:
                continue
            t = times[idx]
            if not timeline or t != timeline[-1]:
                timeline.append(t)
                deaths.append(0)
                censors.append(0)
            if flags[idx]:
                deaths[-1] += weight
            else:
                censors[-1] += weight
        z = _z(self.level)
        at_risk: list[int] = []
        survival: list[float] = []
        var_log: list[float] = []
        ci: list[Interval | None] = []
        n_total = len(times) if weights is None else sum(weights)
        n_risk = n_total
        s = 1.0
        v = 0.0
        for d, c in zip(deaths, censors, strict=True):
            at_risk.append(n_risk)
            if d > 0:
                s *= (n_risk - d) / n_risk
                v = math.inf if d == n_risk else v + d / (n_risk * (n_risk - d))
            survival.append(s)
            var_log.append(v)
            ci.append(_pointwise_ci(s, v, z, self.conf_type))
            n_risk -= d + c
        return _KMFit(
            timeline=tuple(timeline),
            at_risk=tuple(at_risk),
            events=tuple(deaths),
            censored=tuple(censors),
            survival=tuple(survival),
            var_log=tuple(var_log),
            ci=tuple(ci),
            n=n_total,
        )

    # ----------------------------------------------------------------- fitted attributes

    def _fitted(self) -> _KMFit:
        if self._fit is None:
            raise EvidenceError("KaplanMeier is not fitted: call fit(durations, events) first")
        return self._fit

    @property
    def n_(self) -> int:
        """Number of observations fitted."""
        return self._fitted().n

    @property
    def timeline_(self) -> tuple[float, ...]:
        return self._fitted().timeline

    @property
    def at_risk_(self) -> tuple[int, ...]:
        return self._fitted().at_risk

    @property
    def events_(self) -> tuple[int, ...]:
        return self._fitted().events

    @property
    def censored_(self) -> tuple[int, ...]:
        return self._fitted().censored

    @property
    def survival_(self) -> tuple[float, ...]:
        return self._fitted().survival

    @property
    def std_err_(self) -> tuple[float | None, ...]:
        fit = self._fitted()
        return tuple(
            None if s == 0.0 else s * math.sqrt(v)
            for s, v in zip(fit.survival, fit.var_log, strict=True)
        )

    @property
    def ci_(self) -> tuple[Interval | None, ...]:
        return self._fitted().ci

    @property
    def median_(self) -> float | None:
        return self.quantile(0.5).time

    @property
    def median_ci_(self) -> tuple[float | None, float | None]:
        q = self.quantile(0.5)
        return (q.low, q.high)

    # ----------------------------------------------------------------- derived results

    def quantile(self, p: float) -> SurvivalQuantile:
        """The time by which a fraction ``p`` has had the event (S(t) = 1 − p) with its
        confidence interval: the lower limit is where the lower band crosses 1 − p, the upper
        limit where the upper band does (R's ``quantile.survfit``)."""
        prob = _as_real(p)
        if prob is None or not 0.0 < prob < 1.0:
            raise _fail(f"p must lie strictly between 0 and 1, got {p!r}", "p")
        fit = self._fitted()
        lows = [None if c is None else c[0] for c in fit.ci]
        highs = [None if c is None else c[1] for c in fit.ci]
        return SurvivalQuantile(
            p=prob,
            time=_curve_quantile(fit.timeline, fit.survival, prob),
            low=_curve_quantile(fit.timeline, lows, prob),
            high=_curve_quantile(fit.timeline, highs, prob),
            level=self.level,
        )

    def survival_at(self, t: float) -> float:
        """S(t) from the step function (1 before the first time). Raises
        :class:`EvidenceError` for t past the last follow-up while S > 0, where the estimate
        is undefined."""
        fit = self._fitted()
        pos = bisect.bisect_right(fit.timeline, t)
        if pos == 0:
            return 1.0
        s = fit.survival[pos - 1]
        if t > fit.timeline[-1] and s > 0.0:
            raise _fail(
                f"t = {t} is past the last follow-up time {fit.timeline[-1]}; S(t) is not "
                "estimable there",
                "t",
            )
        return s

    def table(self, events_only: bool = True) -> tuple[SurvivalRow, ...]:
        """The curve as rows; by default only event times, like R's ``summary(fit)``."""
        fit = self._fitted()
        rows: list[SurvivalRow] = []
        for i, t in enumerate(fit.timeline):
            if events_only and fit.events[i] == 0:
                continue
            ci = fit.ci[i]
            rows.append(
                SurvivalRow(
                    time=t,
                    at_risk=fit.at_risk[i],
                    events=fit.events[i],
                    censored=fit.censored[i],
                    survival=fit.survival[i],
                    std_err=self.std_err_[i],
                    low=None if ci is None else ci[0],
                    high=None if ci is None else ci[1],
                )
            )
        return tuple(rows)

    def __str__(self) -> str:
        if self._fit is None:
            return repr(self)
        fit = self._fit
        median = self.quantile(0.5)
        head = (
            f"Kaplan–Meier: n = {fit.n}, events = {sum(fit.events)}, {median} "
            f"[{self.conf_type} intervals]"
        )
        lines = [head, "    time  n.risk  n.event  survival  std.err   lower   upper"]
        for row in self.table():
            lines.append(
                f"{row.time:8g} {row.at_risk:7d} {row.events:8d} {row.survival:9.4f} "
                f"{'NaN' if row.std_err is None else f'{row.std_err:.4f}':>8} "
                f"{'NA' if row.low is None else f'{row.low:.4f}':>7} "
                f"{'NA' if row.high is None else f'{row.high:.4f}':>7}"
            )
        return "\n".join(lines)
