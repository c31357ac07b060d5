"""Statistics for success rates: intervals, pass@k estimators and the paired test that stay honest at small n.

Suites are a few dozen tasks, so every estimator here is one that behaves at
small n and near 0 or 1: Wilson rather than Wald intervals, an exact
binomial McNemar test for few discordant pairs, and Newcombe's score-based
interval for a paired difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # two-sided 95% normal quantile

#: below this many discordant pairs McNemar's test uses the exact binomial distribution
EXACT_BELOW = 25


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion; (nan, nan) when ``n`` is 0.

    Unlike the normal (Wald) interval it never leaves [0, 1] and does not
    collapse to a point at 0 or n successes, which matters for suites of a few
    dozen tasks.
    """
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # at 0 or n successes a bound is exactly 0 or 1; rounding would leave 1e-17 for a table to print
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(at least one of k attempts succeeds) from c successes in n attempts: 1 - C(n-c,k)/C(n,k).

    Averaging this over tasks is the standard pass@k; using all n attempts
    (rather than only the first k) lowers its variance.
    """
    _check_counts(n, c, k)
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(all of k attempts succeed) (pass^k) from c successes in n attempts: C(c,k)/C(n,k).

    pass^k measures reliability -- an agent that succeeds once in a while
    scores high on pass@k but low here.
    """
    _check_counts(n, c, k)
    return math.comb(c, k) / math.comb(n, k)


def _check_counts(n: int, c: int, k: int) -> None:
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and n={n}, got {k}")
    if not 0 <= c <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {c}")


@dataclass(frozen=True)
class McNemar:
    """McNemar's test of b (only the first side succeeded) against c (only the second did)."""

    b: int
    c: int
    statistic: float  # the smaller discordant count (exact) or the corrected chi-square (asymptotic)
    p_value: float
    method: str  # "exact binomial" or "chi-square, continuity corrected"


def mcnemar_test(b: int, c: int) -> McNemar:
    """Two-sided McNemar test on the discordant counts of a paired 2x2 table.

    Under the null hypothesis (both sides equally good) each discordant pair
    is a fair coin, so with fewer than ``EXACT_BELOW`` discordant pairs the
    p-value is the exact two-sided binomial one, 2·P(X <= min(b, c)) with
    X ~ Bin(b + c, 1/2), capped at 1.  With more it is the chi-square
    statistic with Yates's continuity correction, (|b - c| - 1)² / (b + c),
    on one degree of freedom.  No discordant pair at all gives p = 1.
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be non-negative, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return McNemar(b, c, 0.0, 1.0, "exact binomial")
    if n < EXACT_BELOW:
        low = min(b, c)
        tail = sum(math.comb(n, i) for i in range(low + 1)) / 2**n
        return McNemar(b, c, float(low), min(1.0, 2 * tail), "exact binomial")
    statistic = max(abs(b - c) - 1, 0) ** 2 / n
    return McNemar(b, c, statistic, chi2_sf_1df(statistic), "chi-square, continuity corrected")


def chi2_sf_1df(x: float) -> float:
    """P(X >= x) for a chi-square variable with one degree of freedom: the two tails of a standard normal."""
    return math.erfc(math.sqrt(max(x, 0.0) / 2))


def paired_difference_interval(both: int, only_first: int, only_second: int, neither: int,
                               z: float = Z95) -> tuple[float, float]:
    """95% interval for p1 - p2 from a paired 2x2 table: Newcombe's hybrid score method (method 10, 1998).

    p1 = (both + only_first)/n and p2 = (both + only_second)/n.  Each margin
    gets its Wilson interval and the two are combined by "square and add",
    corrected by the (continuity-corrected) phi correlation of the pairs.  Like Wilson's it stays inside [-1, 1] and does not collapse
    to a point when one side succeeds always or never, and it needs no
    resampling, so the same table always gives the same interval.
    (nan, nan) when there are no pairs.
    """
    n = both + only_first + only_second + neither
    if n == 0:
        return (math.nan, math.nan)
    p1, p2 = (both + only_first) / n, (both + only_second) / n
    l1, u1 = wilson_interval(both + only_first, n, z)
    l2, u2 = wilson_interval(both + only_second, n, z)
    phi = _phi(both, only_first, only_second, neither)
    difference = p1 - p2
    lower = difference - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    upper = difference + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return (max(-1.0, lower), min(1.0, upper))


def _phi(a: int, b: int, c: int, d: int) -> float:
    """Newcombe's correlation estimate for a 2x2 table [[a, b], [c, d]]: phi with a continuity correction.

    A positive ``ad - bc`` is reduced by n/2 (to no less than 0) so that the
    correlation, which narrows the interval, is not overstated in small
    tables; a negative one is kept.  0 when a row or column is empty.
    """
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    n, excess = a + b + c + d, a * d - b * c
    corrected = excess if excess < 0 else max(0.0, excess - n / 2)
    return corrected / math.sqrt(margins)
