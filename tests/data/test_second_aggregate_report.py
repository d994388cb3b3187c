"""Self-check of the Second Aggregate Report dataset: pure Python, no database."""

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.data.second_aggregate_report import (
    APPROXIMATE,
    CHOICE_SUFFICIENT,
    ESTABLISHMENTS,
    EXPECTED,
    OFFENDING_FACTORS_PROGRESS,
    PPO_CASES,
    ReportFigure,
    build_cases,
    fieldwork_start,
    pooled_counts,
    pooled_percent,
)

REFERENCE = Path(__file__).resolve().parents[2] / "app" / "reference"
PRISON_NUMBER = re.compile(r"^[A-Za-z][0-9]{4}[A-Za-z]{2}$")
DAYS_PER_MONTH = 30.44


def load(name: str) -> dict:
    return yaml.safe_load((REFERENCE / name).read_text(encoding="utf-8"))


FRAMEWORK = load("omi-custody-2011.yaml")
CASE_FILE = next(i for i in FRAMEWORK["instruments"] if i["code"] == "case_file")
CASES = build_cases()
ALL_CASES = [case for cases in CASES.values() for case in cases]


def round_half_up(value: float) -> int:
    return int(value + 0.5)


def in_scope(case: dict) -> bool:
    """SPEC 2.1: the four ways into scope of the Offender Management Model."""
    age, months = case["age_at_sentence"], case["sentence_months"]
    indeterminate = case["sentence_type"] in ("ipp", "life")
    high = case["rosh"] in ("high", "very_high")
    adult_high = age >= 21 and (indeterminate or months >= 12) and high
    young_adult = 18 <= age <= 20 and (indeterminate or months * DAYS_PER_MONTH > 28)
    return adult_high or case["ppo"] or case["sentence_type"] == "ipp" or young_adult


def applies(rule: dict | None, case: dict) -> bool:
    if rule is None:
        return True
    value = case["answers"].get(rule["question"]) if "question" in rule else case[rule["field"]]
    return value in rule["in"] if "in" in rule else value == rule["equals"]


def test_eleven_prisons_of_twenty_cases() -> None:
    shipped = {e["code"] for e in load("establishments-2011.yaml")["establishments"]}
    assert sorted(ESTABLISHMENTS) == sorted(shipped) == sorted(CASES)
    assert [len(CASES[e]) for e in ESTABLISHMENTS] == [20] * 11
    assert len(ALL_CASES) == 220


def test_case_refs_are_unique_and_pseudonymous() -> None:
    refs = [case["case_ref"] for case in ALL_CASES]
    assert len(set(refs)) == len(refs)
    for ref in refs:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", ref)
        assert not PRISON_NUMBER.match(ref)


def test_every_case_is_in_scope() -> None:
    assert [c["case_ref"] for c in ALL_CASES if not in_scope(c)] == []


def test_attributes_fit_the_prison() -> None:
    trusts = {t["code"] for t in load("probation-trusts-2011.yaml")["trusts"]}
    for est, cases in CASES.items():
        start = fieldwork_start(est)
        assert date(2011, 6, 1) <= start <= date(2012, 3, 31)
        for case in cases:
            assert case["home_trust"] in trusts
            women = est in ("east-sutton-park", "low-newton")
            assert case["sex"] == ("female" if women else "male")
            if est in ("deerbolt", "isis"):
                assert 18 <= case["age_at_sentence"] <= 20
            assert case["sentence_type"] in ("determinate", "ipp", "life")
            assert (case["sentence_months"] is not None) == (case["sentence_type"] == "determinate")
            assert case["rosh"] in ("low", "medium", "high", "very_high")
            assert case["mappa_level"] in (0, 1, 2, 3)
            assert case["os_grade"] in (
                "prison_officer", "probation_officer", "probation_services_officer"
            )  # fmt: skip
            assert date.fromisoformat(case["sentence_date"]) < start


def test_answers_cover_the_case_file() -> None:
    questions = {q["code"]: q for q in CASE_FILE["questions"]}
    for case in ALL_CASES:
        assert set(case["answers"]) == set(questions)
        for code, value in case["answers"].items():
            question = questions[code]
            if question["answer"] == "choice":
                assert value in {c["value"] for c in question["choices"]}
            else:
                assert value in ("yes", "no", "na")


def test_applies_if_is_respected() -> None:
    questions = [q for i in FRAMEWORK["instruments"] for q in i["questions"]]
    assert any("applies_if" in q for q in CASE_FILE["questions"])
    for case in ALL_CASES:
        for question in questions:
            if not applies(question.get("applies_if"), case):
                value = case["answers"].get(question["code"])
                assert value in ("na", "", None), (case["case_ref"], question["code"])


def test_choice_sufficiency_matches_the_framework() -> None:
    question = next(q for q in CASE_FILE["questions"] if q["answer"] == "choice")
    assert question["code"] == "offending_factors_progress"
    assert {c["value"]: c["sufficient"] for c in question["choices"]} == CHOICE_SUFFICIENT


def test_at_least_thirty_report_figures_one_per_question() -> None:
    codes = {q["code"] for q in CASE_FILE["questions"]}
    figures = [f.question for f in EXPECTED + APPROXIMATE]
    assert len(EXPECTED) >= 30
    assert len(set(figures)) == len(figures)
    assert set(figures) <= codes
    for figure in EXPECTED + APPROXIMATE:
        assert re.match(r"\d\.\d+: \S", figure.quote), figure.quote


def test_each_percent_is_stated_in_its_quote() -> None:
    words = {50: "half", 67: "two-thirds", 75: "three-quarters"}
    for f in EXPECTED:
        stated = (f"{f.percent}%", f"{100 - f.percent}%", words.get(f.percent, "%%"))
        assert any(s in f.quote for s in stated), f.question


@pytest.mark.parametrize("figure", EXPECTED + APPROXIMATE, ids=lambda f: f.question)
def test_pooled_percent_reproduces_the_report(figure: ReportFigure) -> None:
    yes, no, _ = pooled_counts(ALL_CASES, figure.question)
    percent = pooled_percent(ALL_CASES, figure.question)
    assert percent is not None
    assert round_half_up(percent) == figure.percent
    if figure.relevant is not None:
        assert yes + no == figure.relevant
    if figure.no is not None:
        assert no == figure.no


def test_ppo_cases() -> None:
    ppo = [case for case in ALL_CASES if case["ppo"]]
    assert len(ppo) == PPO_CASES == 33
    assert pooled_counts(ppo, "ppo_interventions_delivered") == (12, 21, 0)


def test_subset_figures_have_the_subset_as_base() -> None:
    high = sum(case["rosh"] in ("high", "very_high") for case in ALL_CASES)
    for code in ("sp_roh_objectives", "mgmt_oversight_assessment", "mgmt_oversight_ongoing"):
        yes, no, _ = pooled_counts(ALL_CASES, code)
        assert yes + no == high


def test_offending_factors_progress_distribution() -> None:
    counts = Counter(case["answers"]["offending_factors_progress"] for case in ALL_CASES)
    shares = {value: round_half_up(100 * counts[value] / 220) for value in counts}
    assert {v: shares[v] for v in OFFENDING_FACTORS_PROGRESS} == OFFENDING_FACTORS_PROGRESS
    assert counts["na"] > 0


def test_home_trusts_are_mostly_from_the_prisons_region() -> None:
    region_of = {t["code"]: t["region"] for t in load("probation-trusts-2011.yaml")["trusts"]}
    for prison in load("establishments-2011.yaml")["establishments"]:
        cases = CASES[prison["code"]]
        local = sum(region_of[case["home_trust"]] == prison["region"] for case in cases)
        assert local >= 8, prison["code"]


def test_trusts_for_findings_letters() -> None:
    top = {est: Counter(c["home_trust"] for c in cases).most_common(1)[0][1]
           for est, cases in CASES.items()}  # fmt: skip
    assert any(count >= 10 for count in top.values())
    assert any(count == 9 for count in top.values())


def test_prisons_differ() -> None:
    for code in ("rmp_sufficient", "roh_reviewed", "interventions_in_line_with_sp"):
        percents = [pooled_percent(CASES[est], code) or 0.0 for est in ESTABLISHMENTS]
        assert max(percents) - min(percents) >= 30


def test_build_is_deterministic() -> None:
    assert build_cases() == CASES
