"""Plain statistics for scores: percents, Wilson intervals, z-tests, means and rating bands.

Figures are rounded half up to one decimal (12.25 -> 12.3), as the published tables are,
not with Python's round(), which rounds exact halves to even. Where the inputs are counts
the rounding is done on the exact Decimal quotient; where they are floats, on their
shortest repr, so 12.55 rounds to 12.6 although the binary float is a hair below it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

# The two-sided 95% quantile of the standard normal distribution.
Z95 = 1.959963984540054
_TENTH = Decimal("0.1")


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


def _tenths(value: Decimal) -> float:
    return float(value.quantize(_TENTH, rounding=ROUND_HALF_UP))


def _float_tenths(value: float) -> float:
    """round1 of a float, without the Decimal where the answer is plain (aggregates round
    tens of thousands of figures a request).

    Rounding the shortest repr half up and rounding the float itself agree unless the value
    lies within a hair of a half-tenth; there (and for huge or non-finite values) the
    Decimal of the repr decides, as it always did."""
    size = abs(value)
    if size < 1e6:
        scaled = size * 10
        whole = math.floor(scaled)
        left = scaled - whole
        if abs(left - 0.5) > 1e-6:
            tenths = (whole + (left > 0.5)) / 10
            return -tenths if value < 0 else tenths
    return _tenths(_decimal(value))


def round1(value: float | None) -> float | None:
    """One decimal, halves rounded up, as the published tables do; None stays None."""
    return None if value is None else _float_tenths(value)


def _ratio_tenths(numerator: int, denominator: int) -> float:
    """numerator / denominator (denominator > 0) to one decimal, halves away from zero,
    exactly: the tenths of the quotient in whole numbers, a remainder of half or more up."""
    tenths, remainder = divmod(10 * abs(numerator), denominator)
    if 2 * remainder >= denominator:
        tenths += 1
    return -tenths / 10 if numerator < 0 else tenths / 10


def percent(yes: int, relevant: int) -> float | None:
    """100 * yes / relevant to one decimal; None when nothing was relevant."""
    if relevant <= 0:
        return None
    return _ratio_tenths(100 * yes, relevant)


def wilson_interval(yes: int, relevant: int, z: float = Z95) -> list[float] | None:
    """The Wilson score interval for yes / relevant as [low, high] percents; None without a base."""
    # A list, not a tuple: it is served as the JSON array `ci95` and compared as one.
    if relevant <= 0:
        return None
    p = yes / relevant
    z2 = z * z
    denominator = 1 + z2 / relevant
    centre = (p + z2 / (2 * relevant)) / denominator
    half = z * math.sqrt(p * (1 - p) / relevant + z2 / (4 * relevant * relevant)) / denominator
    # Clamp: at p = 0 or 1 rounding error can put a bound a hair outside [0, 1].
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    return [_float_tenths(100 * low), _float_tenths(100 * high)]


def two_proportion_p_value(
    yes_a: int, relevant_a: int, yes_b: int, relevant_b: int
) -> float | None:
    """Two-sided p-value of the pooled two-proportion z-test; None when a side has no base."""
    if relevant_a <= 0 or relevant_b <= 0:
        return None
    pooled = (yes_a + yes_b) / (relevant_a + relevant_b)
    variance = pooled * (1 - pooled) * (1 / relevant_a + 1 / relevant_b)
    if variance == 0:
        # Both sides all yes or all no: the proportions are identical.
        return 1.0
    z = (yes_a / relevant_a - yes_b / relevant_b) / math.sqrt(variance)
    # Four significant figures, not four decimals: a p-value of 6e-05 must not read as 0.
    return float(f"{math.erfc(abs(z) / math.sqrt(2)):.4g}")


def difference_points(percent_a: float | None, percent_b: float | None) -> float | None:
    """percent_a - percent_b in percentage points, to one decimal; None if either is None."""
    if percent_a is None or percent_b is None:
        return None
    # Decimal subtraction of the shown figures, so 66.7 - 33.3 is 33.4 and not 33.400000000000006.
    return _tenths(_decimal(percent_a) - _decimal(percent_b))


def mean(values: Iterable[float | None]) -> float | None:
    """Unweighted mean of the values that are not None, to one decimal; None if there are none."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    tenths = [round(value * 10) for value in present]
    if all(whole / 10 == value for whole, value in zip(tenths, present, strict=True)):
        # Figures of one decimal (percents), summed exactly in whole tenths.
        return _ratio_tenths(sum(tenths), 10 * len(present))
    return _tenths(sum((_decimal(value) for value in present), Decimal(0)) / len(present))


def lowest(values: Iterable[float | None]) -> float | None:
    """The smallest value that is not None; None if there are none."""
    present = [value for value in values if value is not None]
    return min(present) if present else None


class Band(Protocol):
    """A rating band as a framework document defines it (e.g. RatingBand)."""

    # Read-only members, so frozen models such as RatingBand match too.
    @property
    def min(self) -> float: ...

    @property
    def label(self) -> str: ...


BandLike = tuple[float, str] | Mapping[str, Any] | Band


def _floor_and_label(band: BandLike) -> tuple[float, str]:
    if isinstance(band, tuple):
        return band
    if isinstance(band, Mapping):
        return band["min"], band["label"]
    return band.min, band.label


def rating_band(value: float | None, bands: Sequence[BandLike]) -> str | None:
    """The label of the highest band whose min the value reaches; None below every band."""
    if value is None:
        return None
    # Highest minimum first, whatever order the framework lists its bands in.
    ordered = sorted((_floor_and_label(band) for band in bands), key=lambda b: -b[0])
    return next((label for floor, label in ordered if value >= floor), None)


def cluster_sums(clusters: Iterable[tuple[int, int]]) -> tuple[int, int, int, int, int, int]:
    """(yes, relevant, clusters, Σyes², Σyes·relevant, Σrelevant²) over the clusters that
    have a relevant answer, from (yes, relevant) per cluster."""
    kept = [(y, n) for y, n in clusters if n > 0]
    return (
        sum(y for y, _ in kept),
        sum(n for _, n in kept),
        len(kept),
        sum(y * y for y, _ in kept),
        sum(y * n for y, n in kept),
        sum(n * n for _, n in kept),
    )


def clustered_interval(
    yes: int,
    relevant: int,
    clusters: int,
    sum_yy: float,
    sum_yn: float,
    sum_nn: float,
    z: float = Z95,
) -> list[float] | None:
    """The 95% interval of the ratio yes / relevant with clusters (inspections) as the units.

    The ratio estimator p = Σy / Σn with its cluster-robust (linearised) variance
        V = k / (k - 1) * Σ (y_i - p·n_i)² / (Σn)²
    over the k clusters with a relevant answer; the interval p ± z·√V, clamped to [0, 100]
    percent. Σ(y_i - p·n_i)² is expanded into Σy² - 2pΣyn + p²Σn², so that the database
    can return the three sums. None with fewer than two clusters or nothing relevant.
    See docs/aggregates.md.
    """
    if clusters < 2 or relevant <= 0:
        return None
    p = yes / relevant
    residuals = sum_yy - 2 * p * sum_yn + p * p * sum_nn
    variance = clusters / (clusters - 1) * max(residuals, 0.0) / (relevant * relevant)
    half = z * math.sqrt(variance)
    low, high = max(0.0, p - half), min(1.0, p + half)
    return [_float_tenths(100 * low), _float_tenths(100 * high)]


def clustered_interval_of(clusters: Iterable[tuple[int, int]]) -> list[float] | None:
    """clustered_interval from (yes, relevant) per cluster."""
    return clustered_interval(*cluster_sums(clusters))


HOLM = "Holm"


def holm_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of p-values for multiple comparisons, in the given order.

    Sorted ascending, the i-th smallest of m p-values (i from 1) becomes
    max over j <= i of min(1, (m - j + 1) * p_j): rejecting where the adjusted p-value is
    below alpha keeps the chance of any false positive among the m tests below alpha,
    whatever their dependence. None (no test possible) stays None and does not count in m.
    Four significant figures, as the p-values are given.
    """
    tested = sorted((p, index) for index, p in enumerate(p_values) if p is not None)
    m = len(tested)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(tested):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[index] = float(f"{running:.4g}")
    return adjusted
