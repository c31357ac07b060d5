"""The estimators and tests of harness.report.stats against published values and independent formulas."""

from __future__ import annotations

import itertools
import math

import pytest

from harness.report.stats import (
    EXACT_BELOW,
    Z95,
    chi2_sf_1df,
    mcnemar_test,
    paired_difference_interval,
    pass_at_k,
    pass_hat_k,
    wilson_interval,
)


def wilson_by_quadratic(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's bounds written as the roots of (n + z²)p² - (2x + z²)p + x²/n = 0 (the textbook form)."""
    a, b, c = n + z * z, -(2 * x + z * z), x * x / n
    root = math.sqrt(b * b - 4 * a * c)
    return ((-b - root) / (2 * a), (-b + root) / (2 * a))


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Stat Med 17:857, Table II, method 3
PUBLISHED_WILSON = [((81, 263), (0.2553, 0.3662)), ((15, 148), (0.0624, 0.1605)), ((0, 20), (0.0, 0.1611)),
                    ((1, 29), (0.0061, 0.1718))]


@pytest.mark.parametrize(("counts", "bounds"), PUBLISHED_WILSON)
def test_wilson_matches_published_values(counts: tuple[int, int], bounds: tuple[float, float]) -> None:
    low, high = wilson_interval(*counts)
    assert low == pytest.approx(bounds[0], abs=5e-5)
    assert high == pytest.approx(bounds[1], abs=5e-5)


@pytest.mark.parametrize(("x", "n"), [(0, 10), (5, 10), (10, 10), (81, 263), (3, 7), (1, 1)])
def test_wilson_matches_the_quadratic_form(x: int, n: int) -> None:
    expected = wilson_by_quadratic(x, n)
    assert wilson_interval(x, n) == pytest.approx(expected, abs=1e-12)


def test_wilson_hand_values_and_edges() -> None:
    z2 = Z95**2
    none_low, none_high = wilson_interval(0, 10)
    assert none_low == 0.0 and none_high == pytest.approx(z2 / (10 + z2))  # 0 successes: upper = z²/(n + z²)
    all_low, all_high = wilson_interval(10, 10)
    assert all_low == pytest.approx(10 / (10 + z2)) and all_high == 1.0
    low, high = wilson_interval(5, 10)  # symmetric around 1/2
    assert low == pytest.approx(1 - high) and low == pytest.approx(0.2366, abs=5e-5)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def by_enumeration(n: int, c: int, k: int) -> tuple[float, float]:
    """P(some / all of k attempts drawn without replacement from n, c of them successes, succeed), by counting."""
    outcomes = [True] * c + [False] * (n - c)
    draws = list(itertools.combinations(outcomes, k))
    return (sum(any(d) for d in draws) / len(draws), sum(all(d) for d in draws) / len(draws))


def test_pass_at_k_hand_example() -> None:
    # 2 successes in 5 attempts, k = 2: 1 - C(3,2)/C(5,2) = 1 - 3/10; pass^2 = C(2,2)/C(5,2) = 1/10
    assert pass_at_k(5, 2, 2) == pytest.approx(0.7)
    assert pass_hat_k(5, 2, 2) == pytest.approx(0.1)
    # averaged over three tasks as the tables do: (0.7 + 0 + 1) / 3 and (0.1 + 0 + 1) / 3
    tasks = [(5, 2), (5, 0), (5, 5)]
    assert sum(pass_at_k(n, c, 2) for n, c in tasks) / 3 == pytest.approx(1.7 / 3)
    assert sum(pass_hat_k(n, c, 2) for n, c in tasks) / 3 == pytest.approx(1.1 / 3)


@pytest.mark.parametrize(("n", "c", "k"), [(5, 2, 2), (6, 3, 3), (4, 1, 1), (7, 6, 4), (3, 0, 2), (2, 2, 2)])
def test_pass_k_estimators_match_enumeration(n: int, c: int, k: int) -> None:
    at_k, hat_k = by_enumeration(n, c, k)
    assert pass_at_k(n, c, k) == pytest.approx(at_k)
    assert pass_hat_k(n, c, k) == pytest.approx(hat_k)


def test_pass_k_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 3)
    with pytest.raises(ValueError):
        pass_hat_k(2, 3, 1)


def test_mcnemar_exact_on_a_published_table() -> None:
    # Cavo et al. (2012), as in Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables",
    # chapter 8: [[59, 6], [16, 80]].  22 discordant pairs, so the exact conditional (binomial) test applies.
    result = mcnemar_test(6, 16)
    tail = sum(math.comb(22, i) for i in range(7))  # 1 + 22 + 231 + 1540 + 7315 + 26334 + 74613
    assert tail == 110056
    assert result.method == "exact binomial"
    assert result.p_value == pytest.approx(2 * tail / 2**22)
    assert result.p_value == pytest.approx(0.052479, abs=5e-7)
    # the same table's continuity-corrected chi-square p, published as 0.055009
    assert chi2_sf_1df((abs(6 - 16) - 1) ** 2 / 22) == pytest.approx(0.055009, abs=5e-7)


def test_mcnemar_chi_square_from_25_discordant_pairs() -> None:
    # Agresti's presidential approval table [[794, 150], [86, 570]]: 236 discordant pairs
    result = mcnemar_test(150, 86)
    assert result.method == "chi-square, continuity corrected"
    assert result.statistic == pytest.approx(63**2 / 236)
    normal_tail = 2 * (1 - 0.5 * (1 + math.erf(math.sqrt(63**2 / 236) / math.sqrt(2))))
    assert result.p_value == pytest.approx(normal_tail, rel=1e-9)
    assert result.p_value == pytest.approx(4.115e-5, rel=1e-3)
    assert mcnemar_test(12, EXACT_BELOW - 1 - 12).method == "exact binomial"
    assert mcnemar_test(12, EXACT_BELOW - 12).method == "chi-square, continuity corrected"


def test_mcnemar_edge_cases() -> None:
    assert mcnemar_test(0, 0).p_value == 1.0
    assert mcnemar_test(7, 0).p_value == pytest.approx(2 / 2**7)  # all 7 discordant pairs one way
    assert mcnemar_test(3, 3).p_value == 1.0  # capped, never above 1
    assert mcnemar_test(4, 9).p_value == mcnemar_test(9, 4).p_value
    with pytest.raises(ValueError):
        mcnemar_test(-1, 2)


def newcombe_by_hand(a: int, b: int, c: int, d: int) -> tuple[float, float]:
    """Newcombe's method 10 written out again: quadratic-root Wilson limits, corrected phi, square and add."""
    n = a + b + c + d
    p1, p2 = (a + b) / n, (a + c) / n
    (l1, u1), (l2, u2) = wilson_by_quadratic(a + b, n), wilson_by_quadratic(a + c, n)
    product = (a + b) * (c + d) * (a + c) * (b + d)
    excess = a * d - b * c
    if product == 0:
        phi = 0.0
    elif excess > n / 2:
        phi = (excess - n / 2) / math.sqrt(product)
    elif excess >= 0:
        phi = 0.0
    else:
        phi = excess / math.sqrt(product)
    low = (p1 - p2) - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2))
    high = (p1 - p2) + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2))
    return (low, high)


def test_paired_interval_matches_published_values() -> None:
    # Fagerland, Lydersen & Laake, chapter 8, Newcombe square-and-add: -0.0621 (95% CI -0.1186 to -0.0046)
    low, high = paired_difference_interval(59, 6, 16, 80)
    assert (6 - 16) / 161 == pytest.approx(-0.0621, abs=5e-5)
    assert low == pytest.approx(-0.1186, abs=5e-5)
    assert high == pytest.approx(-0.0046, abs=5e-5)


@pytest.mark.parametrize("table", [(1, 1, 7, 12), (0, 7, 0, 0), (0, 3, 0, 4), (6, 0, 0, 8), (10, 15, 5, 20),
                                   (3, 2, 2, 3)])
def test_paired_interval_matches_the_written_out_method(table: tuple[int, int, int, int]) -> None:
    low, high = paired_difference_interval(*table)
    expected_low, expected_high = newcombe_by_hand(*table)
    assert low == pytest.approx(max(-1.0, expected_low), abs=1e-12)
    assert high == pytest.approx(min(1.0, expected_high), abs=1e-12)
    estimate = (table[1] - table[2]) / sum(table)
    assert -1 <= low <= estimate <= high <= 1


def test_paired_interval_without_pairs() -> None:
    assert all(math.isnan(v) for v in paired_difference_interval(0, 0, 0, 0))
