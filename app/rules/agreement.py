"""Agreement between two readings of the same cases: counts, percent agreement, Cohen's kappa.

Pure: no session, no I/O. The service counts (first value, second value) pairs per
question in SQL and hands the contingency tables here.

Cohen's kappa (Cohen 1960) is (p_o - p_e) / (1 - p_e): p_o the share of pairs on which
the readings agree, p_e the agreement expected by chance from each reading's own
marginal shares. It is undefined (None) with no pairs, and when p_e is 1 (both readings
used one and the same value for every pair, so chance alone explains the agreement).
Arithmetic is exact (fractions) and rounded half up only at the end.

The overall figure pools the questions (a pair-weighted pooled kappa, after de Vries et
al. 2008): p_o and p_e are the pair-weighted means of the questions' p_o and p_e, so the
overall percent agreement is simply all agreed pairs over all pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

# (first reading's value, second reading's value) -> how many cases paired them.
Table = Mapping[tuple[str, str], int]

KAPPA_PLACES = Decimal("0.001")
# A question is flagged when its kappa falls below this on at least LOW_MIN_PAIRS pairs:
# below 0.40 is "fair" agreement at best on Landis and Koch's (1977) scale, "poor" on
# Fleiss's (1981). Fewer pairs say too little to flag.
LOW_KAPPA = 0.40
LOW_MIN_PAIRS = 5
PERCENT_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class Agreement:
    pairs: int
    agreed: int
    # p_e as an exact fraction; None without pairs. Kept so questions can be pooled.
    chance: Fraction | None

    @property
    def percent_agreement(self) -> float | None:
        if self.pairs == 0:
            return None
        return _rounded(Fraction(100 * self.agreed, self.pairs), PERCENT_PLACES)

    @property
    def kappa(self) -> float | None:
        if self.pairs == 0 or self.chance is None or self.chance == 1:
            return None
        observed = Fraction(self.agreed, self.pairs)
        return _rounded((observed - self.chance) / (1 - self.chance), KAPPA_PLACES)


def _rounded(value: Fraction, places: Decimal) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(places, rounding=ROUND_HALF_UP))


def agreement(table: Table) -> Agreement:
    """Pairs, agreed pairs and chance agreement of one question's contingency table."""
    pairs = sum(table.values())
    if pairs == 0:
        return Agreement(0, 0, None)
    agreed = sum(count for (first, second), count in table.items() if first == second)
    firsts: dict[str, int] = {}
    seconds: dict[str, int] = {}
    for (first, second), count in table.items():
        firsts[first] = firsts.get(first, 0) + count
        seconds[second] = seconds.get(second, 0) + count
    chance = sum(
        (Fraction(firsts[value] * seconds.get(value, 0), pairs * pairs) for value in firsts),
        Fraction(0),
    )
    return Agreement(pairs, agreed, chance)


def pooled(questions: Iterable[Agreement]) -> Agreement:
    """The questions pooled: pair-weighted mean chance agreement over all pairs."""
    rows = [row for row in questions if row.pairs]
    pairs = sum(row.pairs for row in rows)
    if pairs == 0:
        return Agreement(0, 0, None)
    chance = (
        sum((row.pairs * row.chance for row in rows if row.chance is not None), Fraction(0)) / pairs
    )
    return Agreement(pairs, sum(row.agreed for row in rows), chance)


def is_low(figures: Agreement) -> bool:
    """Whether the readings agree too little, on enough pairs, to leave unremarked."""
    kappa = figures.kappa
    return figures.pairs >= LOW_MIN_PAIRS and kappa is not None and kappa < LOW_KAPPA
