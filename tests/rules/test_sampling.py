"""Reproducible sampling: the same seed redraws the same sample, in the population's order."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from app.rules.sampling import draw, draw_two, new_seed

POPULATION = [f"case-{number:03d}" for number in range(200)]
SEED = "0123456789abcdef"


def test_new_seed_is_16_fresh_hex_characters() -> None:
    seeds = {new_seed() for _ in range(20)}
    assert len(seeds) == 20
    assert all(re.fullmatch(r"[0-9a-f]{16}", seed) for seed in seeds)


def test_a_stored_seed_redraws_the_same_sample_as_ever() -> None:
    """Pinned values: if this fails after a Python upgrade, stored seeds no longer redraw."""
    items = list(range(20))
    assert draw(items, 5, SEED) == [0, 2, 6, 12, 14]
    assert draw(items, 5, SEED, "cases") == [10, 13, 16, 17, 19]
    assert draw_two(items, 5, 4, SEED) == ([10, 13, 16, 17, 19], [1, 7, 12, 15])


@pytest.mark.parametrize("seed", [SEED, "x", "", "ffffffffffffffff"])
def test_the_same_seed_gives_the_same_sample(seed: str) -> None:
    first = draw(POPULATION, 20, seed, "cases")
    assert draw(POPULATION, 20, seed, "cases") == first
    assert draw(list(POPULATION), 20, seed, "cases") == first
    assert draw(tuple(POPULATION), 20, seed, "cases") == first


def test_different_seeds_and_salts_give_different_samples() -> None:
    samples = {tuple(draw(POPULATION, 20, f"seed-{n}")) for n in range(10)}
    assert len(samples) == 10
    salted = {tuple(draw(POPULATION, 20, SEED, salt)) for salt in ("", "cases", "survey")}
    assert len(salted) == 3


@pytest.mark.parametrize("size", [1, 2, 20, 100, 199])
def test_a_sample_has_the_size_asked_for_without_repeats(size: int) -> None:
    sample = draw(POPULATION, size, SEED)
    assert len(sample) == size
    assert len(set(sample)) == size
    assert set(sample) <= set(POPULATION)


@pytest.mark.parametrize("size", [200, 201, 10_000])
def test_a_size_of_the_population_or_more_takes_everyone_in_order(size: int) -> None:
    sample = draw(POPULATION, size, SEED)
    assert sample == POPULATION
    assert sample is not POPULATION


@pytest.mark.parametrize("items", [[], [{"ref": "only"}]])
def test_small_populations(items: list[dict[str, str]]) -> None:
    assert draw(items, 5, SEED) == items


def test_size_zero_draws_nobody() -> None:
    assert draw(POPULATION, 0, SEED) == []
    assert draw([], 0, SEED) == []


def test_a_negative_size_is_refused() -> None:
    with pytest.raises(ValueError):
        draw(POPULATION, -1, SEED)


@pytest.mark.parametrize("population", [POPULATION, list(reversed(POPULATION))])
def test_the_sample_keeps_the_populations_order(population: list[str]) -> None:
    sample = draw(population, 50, SEED)
    positions = [population.index(item) for item in sample]
    assert positions == sorted(positions)


def test_items_need_not_be_sortable_or_hashable() -> None:
    people = [{"case_ref": ref} for ref in POPULATION]
    sample = draw(people, 10, SEED)
    assert [person["case_ref"] for person in sample] == draw(POPULATION, 10, SEED)


def test_every_item_is_equally_likely_to_be_drawn() -> None:
    """2,000 seeded draws of 5 from 10: each item is expected 1,000 times (sd about 22)."""
    counts = Counter(item for n in range(2000) for item in draw(range(10), 5, f"s{n}"))
    assert set(counts) == set(range(10))
    assert all(900 <= count <= 1100 for count in counts.values()), counts


def test_draw_two_is_a_case_sample_and_a_separate_survey_sample() -> None:
    cases, survey = draw_two(POPULATION, 20, 30, SEED)
    assert cases == draw(POPULATION, 20, SEED, "cases")
    assert survey == draw(POPULATION, 30, SEED, "survey")
    # Independent draws: the survey is not the case sample over again.
    assert draw_two(POPULATION, 20, 20, SEED)[1] != cases


def test_draw_two_samples_may_overlap() -> None:
    cases, survey = draw_two(POPULATION, 100, 100, SEED)
    assert set(cases) & set(survey)
    assert set(cases) | set(survey) != set(POPULATION)


@pytest.mark.parametrize(
    ("case_size", "survey_size", "expected"), [(0, 0, (0, 0)), (0, 5, (0, 5)), (300, 5, (200, 5))]
)
def test_draw_two_sizes(case_size: int, survey_size: int, expected: tuple[int, int]) -> None:
    cases, survey = draw_two(POPULATION, case_size, survey_size, SEED)
    assert (len(cases), len(survey)) == expected
