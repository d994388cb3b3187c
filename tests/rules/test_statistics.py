"""Statistics against values computed independently.

Wilson intervals: scipy.stats.binomtest(yes, n).proportion_ci(method="wilson") (scipy 1.17),
agreeing with Newcombe (1998), Statistics in Medicine 17:857-872, table I, method 3.
P-values: scipy.stats.chi2_contingency(table, correction=False), the same as R's
prop.test(c(a, b), c(n, m), correct = FALSE); the uncorrected chi-squared test on a 2x2
table is the square of the pooled two-proportion z-test.
"""

from __future__ import annotations

import pytest

from app.models.framework import RatingBand
from app.rules.statistics import (
    Z95,
    cluster_sums,
    clustered_interval,
    clustered_interval_of,
    difference_points,
    holm_adjusted,
    lowest,
    mean,
    percent,
    rating_band,
    round1,
    two_proportion_p_value,
    wilson_interval,
)
from app.rules.thresholds import LOW_BASE, is_low_base


@pytest.mark.parametrize(
    ("yes", "relevant", "expected"),
    [
        (11, 20, 55.0),  # SPEC 7
        (2, 3, 66.7),
        (1, 3, 33.3),
        (1, 8, 12.5),
        # Exact halves round up; round() would give 6.2, 31.2 and 1.2.
        (1, 16, 6.3),
        (5, 16, 31.3),
        (1, 80, 1.3),
        (3, 16, 18.8),
        (0, 7, 0.0),
        (7, 7, 100.0),
        (1, 1, 100.0),
        (0, 1, 0.0),
        (0, 0, None),
    ],
)
def test_percent(yes: int, relevant: int, expected: float | None) -> None:
    assert percent(yes, relevant) == expected


@pytest.mark.parametrize(
    ("yes", "relevant", "expected"),
    [
        (11, 20, [34.2, 74.2]),  # SPEC 7: 34.2085, 74.1802
        (81, 263, [25.5, 36.6]),
        (15, 148, [6.2, 16.0]),
        (1, 29, [0.6, 17.2]),
        # Nothing yes, everything yes: the bounds are exactly 0 and 100.
        (0, 20, [0.0, 16.1]),
        (20, 20, [83.9, 100.0]),
        (0, 4, [0.0, 49.0]),
        (4, 4, [51.0, 100.0]),
        # The smallest bases.
        (0, 1, [0.0, 79.3]),
        (1, 1, [20.7, 100.0]),
        (1, 2, [9.5, 90.5]),
        (2, 3, [20.8, 93.9]),
    ],
)
def test_wilson_interval(yes: int, relevant: int, expected: list[float]) -> None:
    assert wilson_interval(yes, relevant) == expected


@pytest.mark.parametrize(
    ("yes", "relevant", "expected"), [(11, 20, [37.2, 71.6]), (3, 10, [12.7, 55.8])]
)
def test_wilson_interval_at_another_confidence_level(
    yes: int, relevant: int, expected: list[float]
) -> None:
    """z for 90% (scipy.stats.norm.ppf(0.95)); the interval is the 90% Wilson interval."""
    assert wilson_interval(yes, relevant, z=1.6448536269514722) == expected


def test_wilson_interval_without_a_base() -> None:
    assert wilson_interval(0, 0) is None


def test_z95_is_the_two_sided_95_percent_quantile() -> None:
    assert Z95 == 1.959963984540054  # scipy.stats.norm.ppf(0.975)


@pytest.mark.parametrize(
    ("yes_a", "relevant_a", "yes_b", "relevant_b", "expected"),
    [
        (45, 100, 30, 100, 0.02846),  # 0.028459736916310638
        (30, 100, 45, 100, 0.02846),  # two-sided: the order of the sides does not matter
        (11, 20, 9, 20, 0.5271),  # 0.5270892568655381
        (7, 9, 2, 8, 0.02955),  # 0.029549015619382283
        (1, 10, 9, 10, 0.0003466),  # 0.000346619351134667
        # Four significant figures: a tiny p-value does not collapse to 0.
        (15, 50, 35, 50, 6.334e-05),  # 6.334248366623988e-05
        (0, 200, 40, 200, 2.617e-11),  # 2.6167849372106072e-11
        # Identical proportions.
        (50, 100, 50, 100, 1.0),
        (3, 10, 6, 20, 1.0),
    ],
)
def test_two_proportion_p_value(
    yes_a: int, relevant_a: int, yes_b: int, relevant_b: int, expected: float
) -> None:
    assert two_proportion_p_value(yes_a, relevant_a, yes_b, relevant_b) == expected


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # The pooled standard error is 0: all yes, or all no, on both sides.
        ((5, 5, 8, 8), 1.0),
        ((0, 5, 0, 8), 1.0),
        # A side with no base.
        ((3, 5, 0, 0), None),
        ((0, 0, 3, 5), None),
        ((0, 0, 0, 0), None),
    ],
)
def test_p_value_edges(counts: tuple[int, int, int, int], expected: float | None) -> None:
    assert two_proportion_p_value(*counts) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (55.0, 47.5, 7.5),
        (47.5, 55.0, -7.5),
        (66.7, 33.3, 33.4),  # float subtraction gives 33.400000000000006
        (0.3, 0.1, 0.2),
        (50.0, 50.0, 0.0),
        (None, 50.0, None),
        (50.0, None, None),
        (None, None, None),
    ],
)
def test_difference_points(a: float | None, b: float | None, expected: float | None) -> None:
    assert difference_points(a, b) == expected


@pytest.mark.parametrize(
    ("values", "expected_mean", "expected_lowest"),
    [
        ([55.0, 60.0, 47.5], 54.2, 47.5),  # 54.1666...
        ([55.0, None, 65.0], 60.0, 55.0),  # a question nobody was relevant to is ignored
        ([None, 0.0], 0.0, 0.0),  # 0 is a value, not a missing one
        ([None, None], None, None),
        ([], None, None),
        ([12.5, 12.6], 12.6, 12.5),  # 12.55 rounds up
        ([0.7, 2.4], 1.6, 0.7),  # 1.55 rounds up, though the float sum / 2 is 1.5499999999999998
        ([0.7, 12.6], 6.7, 0.7),  # 6.65, likewise 6.6499999999999995 in floats
        ([0.1, 0.2], 0.2, 0.1),  # 0.15 rounds up
        ([100.0], 100.0, 100.0),
    ],
)
def test_mean_and_lowest(
    values: list[float | None], expected_mean: float | None, expected_lowest: float | None
) -> None:
    assert mean(values) == expected_mean
    assert lowest(values) == expected_lowest


def test_mean_and_lowest_take_any_iterable() -> None:
    assert mean(value for value in (40.0, None, 50.0)) == 45.0
    assert lowest(value for value in (40.0, None, 50.0)) == 40.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12.25, 12.3), (12.35, 12.4), (-7.25, -7.3), (54.16666, 54.2), (0.04, 0.0), (None, None)],
)
def test_round1_rounds_halves_away_from_zero(value: float | None, expected: float | None) -> None:
    assert round1(value) == expected


HMIP_BANDS = [
    (80.0, "outstanding"),
    (65.0, "good"),
    (50.0, "requires improvement"),
    (0.0, "inadequate"),
]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100.0, "outstanding"),
        (80.0, "outstanding"),
        (79.9, "good"),
        (65.0, "good"),
        (64.9, "requires improvement"),
        (50.0, "requires improvement"),
        (49.9, "inadequate"),
        (0.0, "inadequate"),
        (None, None),
    ],
)
def test_rating_band(value: float | None, expected: str | None) -> None:
    assert rating_band(value, HMIP_BANDS) == expected
    # The order the bands are given in does not matter.
    assert rating_band(value, list(reversed(HMIP_BANDS))) == expected
    assert rating_band(value, [HMIP_BANDS[2], HMIP_BANDS[0], HMIP_BANDS[3], HMIP_BANDS[1]]) == (
        expected
    )
    # A framework document's bands, as models or as plain mappings.
    models = [RatingBand(min=floor, label=label) for floor, label in HMIP_BANDS]
    assert rating_band(value, models) == expected
    assert rating_band(value, [{"min": f, "label": label} for f, label in HMIP_BANDS]) == expected


@pytest.mark.parametrize(
    ("value", "bands", "expected"),
    [
        (49.9, [(50.0, "pass")], None),  # below every band
        (50.0, [(50.0, "pass")], "pass"),
        (10.0, [], None),
        (0.0, [(65.0, "good"), (50.0, "requires improvement")], None),
    ],
)
def test_rating_band_below_every_band(
    value: float, bands: list[tuple[float, str]], expected: str | None
) -> None:
    assert rating_band(value, bands) == expected


@pytest.mark.parametrize(
    ("relevant", "expected"), [(0, True), (1, True), (4, True), (5, False), (6, False), (20, False)]
)
def test_low_base(relevant: int, expected: bool) -> None:
    assert LOW_BASE == 5
    assert is_low_base(relevant) is expected


def test_clustered_interval_worked_by_hand() -> None:
    """Four inspections answering one question: 3 of 4, 1 of 2, 1 of 4 and 2 of 2.

    p = 7 / 12 = 0.583333. Residuals y_i - p * n_i, in twelfths: 8, -2, -16, 10; their
    squares sum to (64 + 4 + 256 + 100) / 144 = 424 / 144 = 2.944444.
    V = k / (k - 1) * sum / (sum of n)^2 = 4 / 3 * 2.944444 / 144 = 0.0272634;
    sqrt(V) = 0.165116; half-width 1.959964 * 0.165116 = 0.323621.
    Interval: 0.583333 -/+ 0.323621 = [0.259712, 0.906954] -> [26.0, 90.7] percent,
    wider than the Wilson interval of the 12 answers taken as independent, [32.0, 80.7].
    """
    clusters = [(3, 4), (1, 2), (1, 4), (2, 2)]
    assert cluster_sums(clusters) == (7, 12, 4, 9 + 1 + 1 + 4, 12 + 2 + 4 + 4, 16 + 4 + 16 + 4)
    assert clustered_interval_of(clusters) == [26.0, 90.7]
    assert clustered_interval(7, 12, 4, 15, 22, 40) == [26.0, 90.7]
    assert wilson_interval(7, 12) == [32.0, 80.7]


def test_clustered_interval_is_null_without_two_clusters_or_a_base() -> None:
    assert clustered_interval_of([(3, 4)]) is None  # one inspection
    assert clustered_interval_of([(3, 4), (0, 0)]) is None  # the other had nothing relevant
    assert clustered_interval_of([]) is None
    assert clustered_interval(0, 0, 3, 0, 0, 0) is None


def test_clustered_interval_with_equal_clusters_has_no_width_and_clamps() -> None:
    # Every inspection at the same share: no variation between clusters.
    assert clustered_interval_of([(1, 2), (2, 4)]) == [50.0, 50.0]
    # All yes: the interval stays within 100.
    assert clustered_interval_of([(2, 2), (3, 3)]) == [100.0, 100.0]
    # Far apart: the bound is clamped to 0.
    interval = clustered_interval_of([(0, 10), (10, 10)])
    assert interval is not None and interval[0] == 0.0


# Holm's step-down adjustment, worked by hand. For p = (0.01, 0.04, 0.03, 0.005), m = 4:
# sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 give 0.02, 0.03, 0.06, 0.04; the running
# maximum makes the last 0.06. At alpha 0.05 the first and the fourth are significant, although
# 0.03 and 0.04 alone would be.
@pytest.mark.parametrize(
    ("p_values", "adjusted"),
    [
        ([0.01, 0.04, 0.03, 0.005], [0.03, 0.06, 0.06, 0.02]),
        ([], []),
        ([0.2], [0.2]),
        # A question with no test (None) is not counted in m and stays None.
        ([None, 0.01, None, 0.02], [None, 0.02, None, 0.02]),
        # Adjusted values never exceed 1.
        ([0.6, 0.9, 0.7], [1.0, 1.0, 1.0]),
        # Ties: 3 * 0.01, then max(0.03, 2 * 0.01), then max(0.03, 1 * 0.5).
        ([0.01, 0.5, 0.01], [0.03, 0.5, 0.03]),
        # Four significant figures, as the p-values are given: 5 * 1.234e-05.
        ([1.234e-05, 0.5, 0.5, 0.5, 0.5], [6.17e-05, 1.0, 1.0, 1.0, 1.0]),
    ],
)
def test_holm_adjusted(p_values: list[float | None], adjusted: list[float | None]) -> None:
    assert holm_adjusted(p_values) == adjusted


def test_rounding_without_decimal_agrees_with_decimal():
    """round1 and percent read digits and whole numbers, not Decimal: the same figures."""
    import random
    from decimal import ROUND_HALF_UP, Decimal

    from app.rules.statistics import percent, round1

    def by_decimal(value: Decimal) -> float:
        return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))

    rng = random.Random(16)
    values = [rng.uniform(-200, 200) for _ in range(20000)]
    values += [n / 100 for n in range(-2000, 2000)] + [0.05, 0.15, 12.25, 12.55, -0.0, 1e-7, 1e17]
    for value in values:
        assert round1(value) == by_decimal(Decimal(repr(value))), value
    for relevant in range(1, 120):
        for yes in range(relevant + 1):
            wanted = by_decimal(Decimal(100 * yes) / Decimal(relevant))
            assert percent(yes, relevant) == wanted, (yes, relevant)


def test_the_mean_of_percents_without_decimal_agrees_with_decimal():
    import random
    from decimal import ROUND_HALF_UP, Decimal

    from app.rules.statistics import mean

    rng = random.Random(18)
    for _ in range(5000):
        values = [rng.randrange(0, 1001) / 10 for _ in range(rng.randrange(1, 12))]
        exact = sum((Decimal(repr(v)) for v in values), Decimal(0)) / len(values)
        wanted = float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
        assert mean(values) == wanted, values
    assert mean([12.25, 12.35]) == 12.3 and mean([1 / 3, 2 / 3]) == 0.5
