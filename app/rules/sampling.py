"""Reproducible random samples drawn from a stored seed."""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def new_seed() -> str:
    """A fresh random seed: 16 hex characters, stored with the sample so it can be redrawn."""
    return secrets.token_hex(8)


def draw(items: Sequence[T], size: int, seed: str, salt: str = "") -> list[T]:
    """A simple random sample without replacement, in the items' original order."""
    if size >= len(items):
        return list(items)
    # A string seed is hashed the same way on every run and platform, so the seed and the
    # same ordered population redraw the same sample. A negative size raises ValueError.
    chosen = set(random.Random(f"{seed}:{salt}").sample(range(len(items)), size))
    return [item for position, item in enumerate(items) if position in chosen]


def draw_two(
    items: Sequence[T], case_size: int, survey_size: int, seed: str
) -> tuple[list[T], list[T]]:
    """The case sample and an independent survey sample (they may overlap)."""
    # The survey is anonymous and separate from case reading, so a prisoner may be in both.
    return draw(items, case_size, seed, "cases"), draw(items, survey_size, seed, "survey")
