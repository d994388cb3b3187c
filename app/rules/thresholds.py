"""The thresholds that letters, provisional findings and scores share (SPEC 7 and 9).

A strength is a percent of at least STRENGTH_MIN on MIN_RELEVANT or more relevant cases,
an area for improvement a percent below IMPROVEMENT_BELOW on as many; a percent on fewer
than LOW_BASE relevant cases is flagged as resting on a low base.
"""

from __future__ import annotations

STRENGTH_MIN = 80.0
IMPROVEMENT_BELOW = 50.0
MIN_RELEVANT = 5
LOW_BASE = 5


def is_low_base(relevant: int) -> bool:
    """Whether a percent rests on fewer relevant cases than LOW_BASE."""
    return relevant < LOW_BASE


def _based(percent: float | None, relevant: int) -> bool:
    return percent is not None and relevant >= MIN_RELEVANT


def is_strength(percent: float | None, relevant: int) -> bool:
    """At least STRENGTH_MIN percent on MIN_RELEVANT or more relevant cases."""
    return _based(percent, relevant) and percent is not None and percent >= STRENGTH_MIN


def is_improvement(percent: float | None, relevant: int) -> bool:
    """Below IMPROVEMENT_BELOW percent on MIN_RELEVANT or more relevant cases."""
    return _based(percent, relevant) and percent is not None and percent < IMPROVEMENT_BELOW
