"""Cohen's kappa and percent agreement, against published worked examples and the undefined cases."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.rules.agreement import agreement, pooled


def table(yes_yes: int, yes_no: int, no_yes: int, no_no: int) -> dict[tuple[str, str], int]:
    """A two-by-two table: first reading's answer, then the second's."""
    cells = {("yes", "yes"): yes_yes, ("yes", "no"): yes_no, ("no", "yes"): no_yes}
    return {**cells, ("no", "no"): no_no}


@pytest.mark.parametrize(
    ("cells", "pairs", "agreed", "percent", "chance", "kappa"),
    [
        # The worked example of Wikipedia's "Cohen's kappa" article: 50 grant proposals, two
        # readers; p_o = 0.70, p_e = 0.5 x 0.6 + 0.5 x 0.4 = 0.50, kappa = 0.4.
        (table(20, 5, 10, 15), 50, 35, 70.0, Fraction(1, 2), 0.4),
        # The same article's pair with equal agreement (60%) and different kappas:
        # p_e = 0.54 gives 0.1304..., p_e = 0.46 gives 0.2592...
        (table(45, 15, 25, 15), 100, 60, 60.0, Fraction(54, 100), 0.13),
        (table(25, 35, 5, 35), 100, 60, 60.0, Fraction(46, 100), 0.259),
        # Perfect agreement on two values, and complete disagreement with even marginals.
        (table(3, 0, 0, 2), 5, 5, 100.0, Fraction(13, 25), 1.0),
        (table(0, 10, 10, 0), 20, 0, 0.0, Fraction(1, 2), -1.0),
    ],
)
def test_kappa_of_worked_examples(cells, pairs, agreed, percent, chance, kappa):
    result = agreement(cells)
    assert (result.pairs, result.agreed, result.percent_agreement) == (pairs, agreed, percent)
    assert result.chance == chance
    assert result.kappa == kappa


def test_three_values_and_choices_count_as_categories():
    # yes/no/na: p_o = 7/10; marginals first (yes 5, no 3, na 2), second (yes 4, no 4, na 2):
    # p_e = (20 + 12 + 4) / 100 = 0.36; kappa = (0.70 - 0.36) / 0.64 = 0.53125.
    cells = {
        ("yes", "yes"): 4,
        ("yes", "no"): 1,
        ("no", "no"): 2,
        ("no", "yes"): 0,
        ("no", "na"): 1,
        ("na", "na"): 1,
        ("na", "no"): 1,
    }
    result = agreement(cells)
    assert (result.pairs, result.agreed, result.chance) == (10, 7, Fraction(36, 100))
    assert result.kappa == 0.531  # 0.53125 rounded half up to three places


@pytest.mark.parametrize(
    ("cells", "pairs", "percent"),
    [
        ({}, 0, None),  # no pairs at all: nothing to agree on
        (table(0, 0, 0, 0), 0, None),
        # Both readings said yes every time: chance agreement is 1 and kappa is 0 / 0.
        (table(7, 0, 0, 0), 7, 100.0),
        ({("often", "often"): 4}, 4, 100.0),
    ],
)
def test_kappa_is_undefined_without_pairs_or_when_chance_explains_everything(cells, pairs, percent):
    result = agreement(cells)
    assert (result.pairs, result.percent_agreement, result.kappa) == (pairs, percent, None)


def test_pooled_weights_each_question_by_its_pairs():
    # 50 pairs with p_e 1/2 and 7 pairs with p_e 1: p_o = 42/57, p_e = (25 + 7)/57,
    # kappa = (42 - 32) / (57 - 32) = 0.4.
    overall = pooled([agreement(table(20, 5, 10, 15)), agreement(table(7, 0, 0, 0))])
    assert (overall.pairs, overall.agreed, overall.percent_agreement) == (57, 42, 73.7)
    assert overall.kappa == 0.4
    # Questions without pairs change nothing; nothing at all is undefined.
    assert pooled([agreement(table(20, 5, 10, 15)), agreement({})]).kappa == 0.4
    assert pooled([agreement({})]).kappa is None and pooled([]).pairs == 0
