"""An inspection's samples: the population's formats and what a draw produced."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class PopulationFormat(StrEnum):
    """How an uploaded population is written."""

    csv = "csv"
    json = "json"


class SampleResult(BaseModel):
    seed: str
    population: int
    in_scope: int
    case_size: int
    survey_size: int
    cases_created: int
    case_refs: list[str]
    survey_refs: list[str]
