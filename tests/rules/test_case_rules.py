"""The case rules shared by the API, imports and sampling: pure, no database."""

from __future__ import annotations

from datetime import date

import pytest

from app.models.framework import AppliesIf, FrameworkDocument, Subject
from app.rules.case_rules import check_answers, check_case, condition_holds, outcome_of
from app.rules.framework_index import FrameworkIndex
from app.services.reference.loader import read_reference

INDEX = FrameworkIndex.build(
    FrameworkDocument.model_validate(read_reference("omi-custody-2011.yaml"))
)
TRUSTS = {"durham-tees-valley", "cumbria"}
VALID = {
    "case_ref": "C-001",
    "home_trust": "durham-tees-valley",
    "sex": "male",
    "age_at_sentence": 30,
    "sentence_type": "determinate",
    "sentence_months": 48,
    "rosh": "high",
    "sentence_date": "2010-06-01",
}


def faults_of(checked) -> dict[tuple[str, bool], str]:
    return {(fault.field, fault.is_answer): fault.code for fault in checked.faults}


def test_a_valid_case_is_typed_and_scored():
    checked = check_case(
        {**VALID, "answers": {"rmp_sufficient": "Yes", "offending_factors_progress": "some"}},
        INDEX,
        TRUSTS,
    )
    assert checked.faults == []
    assert checked.attributes["sentence_date"] == date(2010, 6, 1)
    assert checked.attributes["sentence_months"] == 48.0
    assert checked.in_scope is True
    assert checked.answers == {
        "rmp_sufficient": ("yes", True),
        "offending_factors_progress": ("some", True),
    }


def test_text_cells_from_a_csv_parse_like_json_values():
    raw = {key: str(value) for key, value in VALID.items()}
    checked = check_case({**raw, "ppo": "yes", "mappa_level": "2"}, INDEX, TRUSTS)
    assert checked.faults == []
    assert (checked.attributes["age_at_sentence"], checked.attributes["ppo"]) == (30, True)
    assert checked.attributes["mappa_level"] == 2


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"case_ref": "A1234BC"}, "case_ref", "looks_like_prison_number"),
        ({"case_ref": "C/1"}, "case_ref", "invalid"),
        ({"home_trust": "atlantis"}, "home_trust", "unknown_trust"),
        ({"sex": "other"}, "sex", "invalid"),
        ({"age_at_sentence": "thirty"}, "age_at_sentence", "invalid"),
        ({"age_at_sentence": 30.5}, "age_at_sentence", "invalid"),
        ({"age_at_sentence": True}, "age_at_sentence", "invalid"),
        ({"age_at_sentence": 9}, "age_at_sentence", "invalid"),
        ({"sentence_type": "suspended"}, "sentence_type", "invalid"),
        ({"sentence_months": 0}, "sentence_months", "invalid"),
        ({"sentence_months": "long"}, "sentence_months", "invalid"),
        ({"sentence_months": None}, "sentence_months", "required"),
        ({"rosh": "extreme"}, "rosh", "invalid"),
        ({"mappa_level": 4}, "mappa_level", "invalid"),
        ({"ppo": "maybe"}, "ppo", "invalid"),
        ({"os_grade": "governor"}, "os_grade", "invalid"),
        ({"sentence_date": "2011-02-30"}, "sentence_date", "invalid_date"),
        ({"sentence_date": "01/06/2010"}, "sentence_date", "invalid_date"),
        ({"reception_date": "2011-13-01"}, "reception_date", "invalid_date"),
        ({"release_date": "2009-01-01"}, "release_date", "before_sentence"),
        ({"sentence_date": None}, "sentence_date", "required"),
        ({"rosh": ""}, "rosh", "required"),
    ],
)
def test_each_attribute_fault(change, field, code):
    checked = check_case({**VALID, **change}, INDEX, TRUSTS)
    assert faults_of(checked) == {(field, False): code}


@pytest.mark.parametrize("missing", ["case_ref", "home_trust", "sex", "age_at_sentence", "rosh"])
def test_required_attributes(missing):
    raw = {key: value for key, value in VALID.items() if key != missing}
    assert faults_of(check_case(raw, INDEX, TRUSTS)) == {(missing, False): "required"}


def test_indeterminate_sentences_need_no_length():
    raw = {**VALID, "sentence_type": "life", "sentence_months": None}
    assert check_case(raw, INDEX, TRUSTS).faults == []


def test_all_faults_come_back_together_and_a_bad_value_is_not_also_missing():
    raw = {
        **VALID,
        "sex": "x",
        "sentence_type": "bad",
        "sentence_date": "2011-02-30",
        "answers": {"nope": "yes", "rmp_sufficient": "maybe", "ppo_interventions_delivered": "no"},
    }
    assert faults_of(check_case(raw, INDEX, TRUSTS)) == {
        ("sex", False): "invalid",
        ("sentence_type", False): "invalid",
        ("sentence_date", False): "invalid_date",
        ("nope", True): "unknown_question",
        ("rmp_sufficient", True): "invalid_answer",
        ("ppo_interventions_delivered", True): "not_applicable",
    }


@pytest.mark.parametrize(
    ("attributes", "answer", "ok"),
    [
        ({"rosh": "high"}, "yes", True),
        ({"rosh": "very_high"}, "no", True),
        ({"rosh": "medium"}, "yes", False),
        ({"rosh": "low"}, "no", False),
        ({"rosh": "low"}, "na", True),
    ],
)
def test_applies_if_on_an_attribute(attributes, answer, ok):
    raw = {**VALID, **attributes, "answers": {"sp_roh_objectives": answer}}
    checked = check_case(raw, INDEX, TRUSTS)
    assert (checked.faults == []) is ok
    if not ok:
        assert faults_of(checked) == {("sp_roh_objectives", True): "not_applicable"}


def test_a_partial_update_merges_with_the_existing_case_and_answers():
    existing = check_case(VALID, INDEX, TRUSTS).attributes
    answers = {"sp_roh_objectives": "yes", "rmp_sufficient": "no"}
    lowered = check_case({"rosh": "low"}, INDEX, TRUSTS, existing, answers)
    assert faults_of(lowered) == {("sp_roh_objectives", True): "not_applicable"}
    cleared = check_case(
        {"rosh": "low", "answers": {"sp_roh_objectives": None}}, INDEX, TRUSTS, existing, answers
    )
    assert cleared.faults == []
    assert cleared.answers == {"rmp_sufficient": ("no", False)}
    assert cleared.attributes["case_ref"] == "C-001" and cleared.in_scope is False


def test_survey_applies_if_names_another_question():
    def faults(raw):
        _, found = check_answers(raw, INDEX, Subject.respondent, {})
        return {fault.field: fault.code for fault in found}

    assert faults({"survey_has_sentence_plan": "yes", "survey_involved_in_plan": "yes"}) == {}
    assert faults({"survey_has_sentence_plan": "no", "survey_involved_in_plan": "yes"}) == {
        "survey_involved_in_plan": "not_applicable"
    }
    assert faults({"survey_involved_in_plan": "no"}) == {
        "survey_involved_in_plan": "not_applicable"
    }
    assert faults({"rmp_sufficient": "yes"}) == {"rmp_sufficient": "unknown_question"}


def test_conditions():
    by_field = AppliesIf(field="rosh", **{"in": ["high", "very_high"]})
    assert condition_holds(by_field, {"rosh": "high"}, {})
    assert not condition_holds(by_field, {"rosh": "low"}, {})
    assert not condition_holds(by_field, {}, {})
    by_question = AppliesIf(question="survey_has_sentence_plan", equals="yes")
    assert condition_holds(by_question, {}, {"survey_has_sentence_plan": "yes"})
    assert not condition_holds(by_question, {}, {"survey_has_sentence_plan": "na"})
    assert condition_holds(AppliesIf(field="ppo", equals=True), {"ppo": True}, {})
    assert not condition_holds(AppliesIf(field="ppo", equals=True), {"ppo": False}, {})


@pytest.mark.parametrize(
    ("value", "outcome"), [("all", True), ("some", True), ("insufficient", False), ("na", None)]
)
def test_choice_outcomes(value, outcome):
    assert outcome_of(INDEX.questions["offending_factors_progress"], value) is outcome


@pytest.mark.parametrize(("value", "outcome"), [("yes", True), ("no", False), ("na", None)])
def test_yes_no_na_outcomes(value, outcome):
    assert outcome_of(INDEX.questions["rmp_sufficient"], value) is outcome
