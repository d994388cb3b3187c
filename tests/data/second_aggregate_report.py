"""Test data reproducing the Second Aggregate Report on Offender Management in Prisons.

The report (HMI Probation and HMI Prisons, March 2012) pooled 220 'in scope' cases, 20 at
each of the eleven prisons inspected from June 2011. `build_cases()` rebuilds such a sample
for the `case_file` instrument of `omi-custody-2011`: pooled over all 220 cases, every
question in `EXPECTED` scores the report's whole-number percentage. Nothing is random:
case-level variation comes from CRC32 of the case reference.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class ReportFigure:
    question: str  # case_file question code of omi-custody-2011
    percent: int  # the report's whole-number percentage, as the share answering yes
    quote: str  # the sentence it comes from, with its paragraph number
    relevant: int | None = None  # the base, when the report states it
    no: int | None = None  # the number answering no, when the report states it


F = ReportFigure
# fmt: off
EXPECTED: list[ReportFigure] = [
    F("om_allocated", 96, "3.18: As noted above 96% of prisoners had been allocated an offender manager."),
    F("first_contact_10_days", 70, "3.2: However, 70% of cases met the National Standard for a first contact with the prisoner within ten days of sentence."),
    F("initial_assessment_by_om", 93, "3.8: The initial assessment had been completed by the offender manager in 93% of cases [...] In nine cases it had been completed by the offender supervisor", no=9),
    F("roh_screening_sufficient", 83, "3.9: In the sample as a whole, a sufficient Risk of Harm screening had been completed in 83% of cases."),
    F("roh_analysis_sufficient", 75, "3.10: A sufficient full Risk of Harm assessment had been completed in 75% of the cases where required."),
    F("roh_communicated", 75, "3.11: Risk of Harm issues were effectively communicated to other staff involved in 75% of cases"),
    F("rmp_sufficient", 56, "3.11: but only 56% of cases had a sufficient risk management plan."),
    F("sp_roh_objectives", 82, "3.12: Sentence plans included objectives to manage Risk of Harm in 82% of cases classified as High or Very High Risk of Serious Harm cases"),
    F("sp_child_protection_objectives", 50, "3.12: included objectives to manage child protection in only half of the relevant cases."),
    F("likelihood_assessment_sufficient", 77, "3.13: Overall, in 77% of cases there had been a sufficient assessment of the likelihood of reoffending using OASys."),
    F("protective_factors_considered", 81, "3.13: Insufficient attention had been paid to positive and protective factors in the prisoners' life in 19%."),
    F("diversity_assessed", 53, "3.16: However, in 47% of files, we found no evidence that diversity issues and discriminatory and disadvantaging factors had been actively assessed"),
    F("vulnerability_addressed", 82, "3.17: In 82% of those cases where there were concerns about vulnerability, appropriate arrangements were in place to support, and where possible, protect the prisoner."),
    F("sentence_plan_completed", 91, "3.25: OASys sentence plans were completed in 91% of cases."),
    F("sentence_plan_on_time", 78, "3.25: They were completed on time in 78%, and late in a further 13%. In 9% of cases there was no plan at all."),
    F("sp_informed_by_assessment", 78, "3.25: Where completed, 78% of plans were informed by relevant assessments."),
    F("sp_addresses_likelihood", 94, "3.26: Overall, 94% of sentence plans contained objectives to address the likelihood of reoffending"),
    F("sp_outcome_focused", 55, "3.26: but these were outcome-focused and logically sequenced in only 55% and 47% of cases respectively."),
    F("sp_logically_sequenced", 47, "3.26: but these were outcome-focused and logically sequenced in only 55% and 47% of cases respectively."),
    F("sp_contact_levels", 31, "3.26: Only 31% described the planned levels of contact"),
    F("sp_roles_defined", 48, "3.26: only 48% set out the roles and responsibilities for all those involved with the case."),
    F("sp_effective_methods", 52, "3.26: Overall, we found sufficient attention was paid to the methods most likely to be effective with the prisoner in only 52% of cases."),
    F("sp_community_integration", 64, "3.26: Objectives to promote community integration were included in 64% of cases."),
    F("sp_shared", 75, "3.28: Sentence plans were shared with, or available to, other staff involved with the prisoner in three-quarters of cases."),
    F("prisoner_participated", 65, "3.29: In 35% of the cases we inspected, there was no evidence that the prisoner had been enabled to participate meaningfully in the sentence planning process."),
    F("learning_assessment_sufficient", 57, "3.32: a sufficient assessment of learning and skills had been carried out in only 57% of relevant cases"),
    F("learning_plan_present", 26, "3.32: learning plans were in present in only 26% of relevant cases."),
    F("roh_resources_allocated", 67, "4.3: Appropriate resources had been allocated throughout the sentence to address Risk of Harm in two-thirds of cases"),
    F("interventions_sequenced_roh", 52, "4.3: but interventions were timed and sequenced according to Risk of Harm in only 52%."),
    F("roh_changes_anticipated", 70, "4.4: Potential and actual changes in Risk of Harm factors were anticipated in 70% of cases"),
    F("roh_changes_identified", 83, "4.4: and where they occurred, identified swiftly in 83% and acted on appropriately in 71%."),
    F("roh_changes_acted_on", 71, "4.4: and where they occurred, identified swiftly in 83% and acted on appropriately in 71%."),
    F("roh_reviewed", 42, "4.4: Risk of Harm assessments were reviewed thoroughly in line with required timescales or following a change in circumstances in only 42% of cases."),
    F("child_protection_effective", 78, "4.7: Where relevant, multi-agency child protection procedures were used effectively to manage child protection in 78% of cases"),
    F("mgmt_oversight_assessment", 41, "4.9: There was insufficient management oversight of the offender supervisor's contribution to the assessment and planning for High and Very High Risk of Serious Harm cases in 59%"),
    F("mgmt_oversight_ongoing", 37, "4.9: There was also insufficient oversight of the offender supervisors' ongoing work in 63% of High and Very High Risk of Serious Harm cases"),
    F("sp_activities_prioritised", 59, "4.11: Sufficient priority had been given to activities linked to the sentence plan in only 59% of cases."),
    F("likelihood_resources_allocated", 68, "4.12: Appropriate resources had been allocated throughout the sentence so far to address the likelihood of reoffending in only 68% of cases, and resettlement in 65%."),
    F("resettlement_resources_allocated", 65, "4.12: Appropriate resources had been allocated throughout the sentence so far to address the likelihood of reoffending in only 68% of cases, and resettlement in 65%."),
    F("interventions_in_line_with_sp", 48, "4.12: Interventions had been: delivered in line with the sentence plan in only 48% of cases"),
    F("interventions_sequenced_likelihood", 57, "4.12: timed and sequenced according to the likelihood of reoffending in 57%, and according to preparation for release in 49%"),
    F("interventions_sequenced_release", 49, "4.12: timed and sequenced according to the likelihood of reoffending in 57%, and according to preparation for release in 49%"),
    F("ppo_interventions_delivered", 36, "4.12: delivered in only 36% of PPO cases. (3.26: the 33 PPO cases in the sample)", relevant=33),
    F("diversity_resources_allocated", 46, "4.13: Where assessments had identified diversity issues, appropriate resources were allocated to address them in only 46% of cases."),
    F("diversity_in_delivery", 53, "4.13: Diversity issues were taken into account in the delivery of interventions in only 53% of cases."),
    F("communication_om_workers", 56, "4.15: There was sufficient communication between: the offender manager and other workers involved in the case in only 56% of cases"),
    F("communication_workers_prisoner", 62, "4.15: all workers and the prisoner in 62% of cases"),
    F("communication_os_prison_staff", 64, "4.15: the offender supervisor and other workers in the prison in 64%."),
    F("victim_awareness_work", 50, "4.19: However, in half of the cases inspected, it was not clear whether victim awareness work had either been done or was planned for the future."),
    F("os_commitment", 75, "4.20: offender supervisors had demonstrated a commitment to their work with the prisoner in three-quarters of cases"),
    F("likelihood_reviewed", 49, "4.21: only 49% of the cases inspected had a thorough review of the likelihood of reoffending at even this frequency."),
    F("sp_reviewed", 37, "4.21: Only 37% of sentence plans were reviewed annually or when required following a change of circumstances"),
    F("sp_delivery_maintained", 63, "4.22: delivery of the sentence plan had not been maintained in 37% of cases where there had been a change of offender manager."),
    F("outcomes_sustainable", 54, "4.24: Where relevant, action been taken or plans were in place to ensure positive outcomes were sustainable beyond the custodial part of the sentence in only 54% of cases."),
    F("qualification_gained", 19, "4.25: In relation to learning and skills development, 19% of prisoners had already gained a qualification whilst in custody"),
]

# Statements without a number: the percent is this dataset's reading of the words.
APPROXIMATE: list[ReportFigure] = [
    F("responsibility_work", 53, "4.17: In nearly half of the cases we inspected, insufficient work had been undertaken to encourage the individual to take responsibility for their actions and decisions related to offending."),
    F("victim_safety_prioritised", 67, "4.8: In around one-third of cases where there was an identifiable victim or potential victim, we felt that greater priority needed to be given to victims' safety"),
]
# fmt: on

# 4.23, as shares of all 220 cases (the remaining 6% are not applicable): "insufficient
# progress [...] in half of all cases. Good progress had been made on all significant
# factors in only 10%, and progress had been made on some but not all factors in 34%."
OFFENDING_FACTORS_PROGRESS: dict[str, int] = {"all": 10, "some": 34, "insufficient": 50}
CHOICE_SUFFICIENT: dict[str, bool | None] = {
    "all": True,
    "some": True,
    "insufficient": False,
    "na": None,
}
PPO_CASES = 33
HIGH_ROSH = ("high", "very_high")


def whole_percent(yes: int, relevant: int) -> int:
    """100 * yes / relevant rounded half up, in exact integer arithmetic."""
    return (200 * yes + relevant) // (2 * relevant)


def pooled_counts(cases: list[dict], question: str) -> tuple[int, int, int]:
    """(yes, no, na) for one question over the cases; a choice counts by its sufficiency."""
    yes = no = na = 0
    for case in cases:
        value = case["answers"].get(question) or "na"
        sufficient = {"yes": True, "no": False}.get(value, CHOICE_SUFFICIENT.get(value))
        if sufficient is None:
            na += 1
        elif sufficient:
            yes += 1
        else:
            no += 1
    return yes, no, na


def pooled_percent(cases: list[dict], question: str) -> float | None:
    yes, no, _ = pooled_counts(cases, question)
    return None if yes + no == 0 else 100 * yes / (yes + no)


# --- the sample -------------------------------------------------------------------------

ESTABLISHMENTS: list[str] = [
    "deerbolt", "durham", "east-sutton-park", "high-down", "isis", "low-newton",
    "maidstone", "rye-hill", "shrewsbury", "stafford", "wayland",
]  # fmt: skip

_FIELDWORK_START = {  # Mondays; Isis had been open "just over a year" (opened July 2010)
    "stafford": date(2011, 6, 13), "east-sutton-park": date(2011, 6, 27),
    "isis": date(2011, 7, 11), "wayland": date(2011, 7, 25), "high-down": date(2011, 8, 8),
    "rye-hill": date(2011, 8, 22), "deerbolt": date(2011, 9, 5), "maidstone": date(2011, 9, 19),
    "shrewsbury": date(2011, 10, 3), "low-newton": date(2011, 10, 17),
    "durham": date(2011, 11, 7),
}  # fmt: skip

_REF_PREFIX = {
    "deerbolt": "DBT", "durham": "DUR", "east-sutton-park": "ESP", "high-down": "HDN",
    "isis": "ISI", "low-newton": "LNW", "maidstone": "MDS", "rye-hill": "RYE",
    "shrewsbury": "SHR", "stafford": "STF", "wayland": "WAY",
}  # fmt: skip

# Home trusts. Five prisons have a trust with 10+ cases (the report's five findings
# letters); Deerbolt has exactly 9 from one trust, one short of a letter.
_TRUSTS: dict[str, tuple[tuple[str, int], ...]] = {
    "deerbolt": (("durham-tees-valley", 9), ("northumbria", 5), ("cumbria", 2),
                 ("west-yorkshire", 2), ("south-yorkshire", 1), ("humberside", 1)),
    "durham": (("durham-tees-valley", 12), ("northumbria", 6), ("cumbria", 2)),
    "east-sutton-park": (("london", 6), ("kent", 4), ("surrey-sussex", 3), ("essex", 3),
                         ("hampshire", 2), ("thames-valley", 2)),
    "high-down": (("surrey-sussex", 11), ("london", 6), ("kent", 2), ("hampshire", 1)),
    "isis": (("london", 14), ("essex", 2), ("kent", 2), ("hertfordshire", 1),
             ("surrey-sussex", 1)),
    "low-newton": (("northumbria", 10), ("durham-tees-valley", 5), ("cumbria", 2),
                   ("west-yorkshire", 2), ("york-north-yorkshire", 1)),
    "maidstone": (("london", 6), ("kent", 5), ("surrey-sussex", 3), ("essex", 3),
                  ("hampshire", 2), ("thames-valley", 1)),
    "rye-hill": (("staffs-west-midlands", 5), ("west-mercia", 3), ("warwickshire", 3),
                 ("leics-rutland", 3), ("northamptonshire", 2), ("nottinghamshire", 2),
                 ("derbyshire", 2)),
    "shrewsbury": (("west-mercia", 10), ("staffs-west-midlands", 6), ("wales", 3),
                   ("cheshire", 1)),
    "stafford": (("staffs-west-midlands", 6), ("west-mercia", 4), ("derbyshire", 3),
                 ("greater-manchester", 3), ("cheshire", 2), ("warwickshire", 2)),
    "wayland": (("norfolk-suffolk", 6), ("london", 5), ("essex", 4),
                ("cambs-peterborough", 3), ("bedfordshire", 2)),
}  # fmt: skip

# Who is in each sample: (kind, rosh, ppo, count). Kinds: det = adult determinate of 2+
# years, ppo = adult PPO, ya = young adult (18-20), ipp, life. 150 High/Very High RoSH cases
# in all; 33 PPOs.
_MIX: dict[str, tuple[tuple[str, str, bool, int], ...]] = {
    "deerbolt": (("ya", "very_high", False, 1), ("ya", "high", False, 5),
                 ("ya", "medium", True, 5), ("ya", "medium", False, 6), ("ya", "low", False, 3)),
    "durham": (("det", "very_high", False, 3), ("det", "high", False, 10),
               ("life", "high", False, 2), ("ppo", "medium", True, 5)),
    "east-sutton-park": (("det", "high", False, 5), ("life", "high", False, 3),
                         ("ipp", "medium", False, 6), ("ppo", "medium", True, 2),
                         ("ya", "medium", False, 2), ("ya", "low", False, 2)),
    "high-down": (("det", "very_high", False, 2), ("det", "high", False, 11),
                  ("life", "high", False, 1), ("ppo", "high", True, 1),
                  ("ppo", "medium", True, 4), ("ipp", "medium", False, 1)),
    "isis": (("ya", "high", False, 8), ("ya", "medium", True, 4), ("ya", "medium", False, 6),
             ("ya", "low", False, 2)),
    "low-newton": (("det", "very_high", False, 1), ("det", "high", False, 8),
                   ("life", "high", False, 3), ("ppo", "medium", True, 3),
                   ("ipp", "medium", False, 3), ("ya", "medium", False, 2)),
    "maidstone": (("det", "very_high", False, 2), ("det", "high", False, 12),
                  ("life", "high", False, 2), ("ipp", "high", False, 2),
                  ("ipp", "medium", False, 1), ("ppo", "medium", True, 1)),
    "rye-hill": (("det", "very_high", False, 2), ("det", "high", False, 10),
                 ("life", "high", False, 2), ("ipp", "high", False, 4),
                 ("ipp", "medium", False, 1), ("ppo", "medium", True, 1)),
    "shrewsbury": (("det", "very_high", False, 2), ("det", "high", False, 12),
                   ("ipp", "high", False, 1), ("ipp", "medium", False, 1),
                   ("ppo", "medium", True, 4)),
    "stafford": (("det", "very_high", False, 3), ("det", "high", False, 12),
                 ("life", "high", False, 1), ("ipp", "high", False, 2),
                 ("ipp", "medium", False, 1), ("ppo", "medium", True, 1)),
    "wayland": (("det", "very_high", False, 1), ("det", "high", False, 11),
                ("life", "high", False, 2), ("ipp", "high", False, 3),
                ("ipp", "medium", False, 1), ("ppo", "medium", True, 2)),
}  # fmt: skip

# How well each prison does, so that prisons differ (the report names High Down's strategic
# lead and Rye Hill's poor information sharing); a case's chance of "yes" rises with it.
_QUALITY = {
    "high-down": 0.9, "durham": 0.75, "wayland": 0.7, "stafford": 0.65, "isis": 0.55,
    "east-sutton-park": 0.5, "maidstone": 0.45, "low-newton": 0.4, "deerbolt": 0.35,
    "shrewsbury": 0.25, "rye-hill": 0.15,
}  # fmt: skip
_SPREAD = 1.5  # weight of case-level variation against _QUALITY
_WOMEN = ("east-sutton-park", "low-newton")
_YOUNG = ("deerbolt", "isis")
_SEX_OFFENDER_ESTATE = ("stafford", "rye-hill", "shrewsbury", "maidstone")

_DET_MONTHS = (30, 48, 72, 36, 96, 54, 120, 24, 60, 84, 144, 42)
_PPO_MONTHS = (24, 30, 27, 36, 32)
_YA_MONTHS = (24, 36, 30, 48, 27, 60, 42)
_ADULT_AGES = (24, 31, 27, 45, 38, 22, 52, 34, 29, 41, 36, 26, 48, 33, 58, 23, 40, 30, 44, 28)


def fieldwork_start(establishment: str) -> date:
    return _FIELDWORK_START[establishment]


@dataclass
class _Case:
    est: str
    ref: str
    attrs: dict
    elapsed: int  # days from sentence to the start of fieldwork
    answers: dict[str, str]


def _jitter(ref: str, salt: str) -> float:
    """A stable pseudo-random number in [0, 1) for a case and a purpose."""
    return zlib.crc32(f"{salt}/{ref}".encode()) / 2**32


def _pick(ref: str, salt: str, n: int) -> int:
    return zlib.crc32(f"{salt}/{ref}".encode()) % n


def _new_case(est: str, i: int, kind: str, rosh: str, ppo: bool, trust: str) -> _Case:
    ref = f"{_REF_PREFIX[est]}-{i + 1:03d}"
    months = {"det": _DET_MONTHS, "ppo": _PPO_MONTHS, "ya": _YA_MONTHS}.get(kind)
    sentence_months = months[i % len(months)] if months else None
    high = rosh in HIGH_ROSH
    if sentence_months is None:  # indeterminate: years into the tariff
        elapsed = 400 + _pick(ref, "elapsed", 2600)
    else:  # determinate: before the automatic release at half-way
        latest = int(sentence_months * 30.44 / 2) - 30
        elapsed = 250 + _pick(ref, "elapsed", latest - 250 + 1)
    if kind in ("ipp", "life") or (high and i % 2 == 0):
        os_grade = "probation_officer"
    else:
        os_grade = "probation_services_officer" if i % 5 == 1 else "prison_officer"
    attrs = {
        "case_ref": ref,
        "home_trust": trust,
        "sex": "female" if est in _WOMEN else "male",
        "age_at_sentence": 18 + i % 3 if kind == "ya" else _ADULT_AGES[i] + 9 * (kind == "life"),
        "sentence_type": {"ipp": "ipp", "life": "life"}.get(kind, "determinate"),
        "sentence_months": sentence_months,
        "rosh": rosh,
        "mappa_level": (1, 2, 1, 0, 3, 1, 2, 1)[i % 8] if high else int(kind == "ipp"),
        "ppo": ppo,
        "os_grade": os_grade,
    }  # fmt: skip
    return _Case(est, ref, attrs, elapsed, {})


def _sample() -> list[_Case]:
    cases = []
    for est in ESTABLISHMENTS:
        trusts = [code for code, count in _TRUSTS[est] for _ in range(count)]
        kinds = [(k, r, p) for k, r, p, count in _MIX[est] for _ in range(count)]
        assert len(trusts) == len(kinds) == 20, est
        # 7 is coprime with 20: deal the trusts across the kinds of case
        cases += [_new_case(est, i, *kinds[i], trusts[i * 7 % 20]) for i in range(20)]
    return cases


# --- which cases each question is relevant to --------------------------------------------


@dataclass(frozen=True)
class _Pool:
    """A set of cases picked by size: those `first` wants, then the highest `bias`."""

    size: int
    bias: Callable[[_Case], float] = lambda c: 0.0
    within: Callable[[_Case], bool] = lambda c: True
    first: Callable[[_Case], bool] = lambda c: False


def _answered(question: str, value: str = "yes") -> Callable[[_Case], bool]:
    return lambda c: c.answers[question] == value


def _in(prisons: tuple[str, ...], bias: float) -> Callable[[_Case], float]:
    return lambda c: bias if c.est in prisons else 0.0


_POOLS: dict[str, Callable[[_Case], bool] | _Pool] = {
    "all": lambda c: True,
    "hvh": lambda c: c.attrs["rosh"] in HIGH_ROSH,  # also "where required" for full RoH
    "ppo": lambda c: c.attrs["ppo"],
    "plan": _answered("sentence_plan_completed"),
    # the nine without an offender manager are the nine assessed by the supervisor (3.8)
    "assessment_known": _Pool(134, first=_answered("om_allocated", "no")),
    "child_protection": _Pool(46, bias=_in(_SEX_OFFENDER_ESTATE + _WOMEN, 0.8)),
    "vulnerable": _Pool(56, bias=_in(_WOMEN + _YOUNG, 0.7)),
    "learning_need": _Pool(140, bias=_in(_YOUNG + _WOMEN, 0.6)),
    "roh_changed": _Pool(72, bias=lambda c: 0.5 * (c.attrs["rosh"] in HIGH_ROSH)),
    "victim": _Pool(180, bias=lambda c: 0.5 * (c.attrs["rosh"] in HIGH_ROSH)),
    "diversity_issue": _Pool(70, within=_answered("diversity_assessed"),
                             bias=_in(("isis", "maidstone", *_WOMEN), 0.5)),
    # 56% had a single offender manager (4.22): 97 of 220 had a change
    "om_changed": _Pool(97, within=_answered("om_allocated"), bias=lambda c: c.elapsed / 3000),
    "outcomes_relevant": _Pool(190),
}  # fmt: skip

# The cases each question is relevant to (the rest answer "na"); unlisted: all cases.
_POOL_OF = {
    "initial_assessment_by_om": "assessment_known",
    "roh_analysis_sufficient": "hvh",
    "sp_roh_objectives": "hvh",
    "sp_child_protection_objectives": "child_protection",
    "vulnerability_addressed": "vulnerable",
    "learning_assessment_sufficient": "learning_need",
    "learning_plan_present": "learning_need",
    "roh_changes_identified": "roh_changed",
    "roh_changes_acted_on": "roh_changed",
    "child_protection_effective": "child_protection",
    "victim_safety_prioritised": "victim",
    "mgmt_oversight_assessment": "hvh",
    "mgmt_oversight_ongoing": "hvh",
    "ppo_interventions_delivered": "ppo",
    "diversity_resources_allocated": "diversity_issue",
    "diversity_in_delivery": "diversity_issue",
    "sp_delivery_maintained": "om_changed",
    "outcomes_sustainable": "outcomes_relevant",
    **dict.fromkeys(
        ("sp_informed_by_assessment", "sp_addresses_likelihood", "sp_outcome_focused",
         "sp_logically_sequenced", "sp_contact_levels", "sp_roles_defined",
         "sp_community_integration", "sp_shared", "sp_reviewed"),
        "plan",
    ),
}  # fmt: skip

# Cases answering yes to the second question get the first question's yes first, so that,
# e.g., only a completed plan is on time and only an identified change is acted on.
_FOLLOWS = {
    "initial_assessment_by_om": "om_allocated",
    "roh_analysis_sufficient": "roh_screening_sufficient",
    "sp_roh_objectives": "sentence_plan_completed",
    "sp_child_protection_objectives": "sentence_plan_completed",
    "sentence_plan_on_time": "sentence_plan_completed",
    "learning_plan_present": "learning_assessment_sufficient",
    "roh_changes_acted_on": "roh_changes_identified",
    "mgmt_oversight_ongoing": "mgmt_oversight_assessment",
}


def _yes_count(percent: int, relevant: int) -> int:
    """The count nearest percent% of relevant that rounds (half up) to percent."""
    exact = percent * relevant / 100
    for yes in sorted(range(relevant + 1), key=lambda y: abs(y - exact)):
        if whole_percent(yes, relevant) == percent:
            return yes
    raise ValueError(f"no count of {relevant} rounds to {percent}%")


def _relevant(name: str, cases: list[_Case]) -> list[_Case]:
    pool = _POOLS[name]
    if not isinstance(pool, _Pool):
        return [c for c in cases if pool(c)]
    candidates = [c for c in cases if pool.within(c)]
    candidates.sort(key=lambda c: (not pool.first(c), -pool.bias(c) - _jitter(c.ref, name)))
    if len(candidates) < pool.size:
        raise ValueError(f"pool {name}: {len(candidates)} candidates for {pool.size}")
    return candidates[: pool.size]


def _merit(case: _Case, salt: str) -> float:
    return _QUALITY[case.est] + _SPREAD * _jitter(case.ref, salt)


def _deal(question: str, percent: int, relevant: list[_Case], cases: list[_Case],
          follows: str | None) -> None:  # fmt: skip
    """Answer yes for the best-placed percent% of the relevant cases, no for the rest."""
    ranked = sorted(relevant, key=lambda c: (
        follows is not None and c.answers[follows] != "yes", -_merit(c, question)))  # fmt: skip
    yes = _yes_count(percent, len(ranked))
    chosen = {c.ref: "yes" if rank < yes else "no" for rank, c in enumerate(ranked)}
    for case in cases:
        case.answers[question] = chosen.get(case.ref, "na")


def _deal_progress(cases: list[_Case]) -> None:
    """offending_factors_progress: too early to judge in the 13 most recent sentences."""
    total = len(cases)
    by_recency = sorted(cases, key=lambda c: (c.elapsed, c.ref))
    counts = {
        value: _yes_count(share, total) for value, share in OFFENDING_FACTORS_PROGRESS.items()
    }
    judged = by_recency[total - sum(counts.values()) :]
    for case in by_recency:
        case.answers["offending_factors_progress"] = "na"
    ranked = sorted(judged, key=lambda c: -_merit(c, "offending_factors_progress"))
    start = 0
    for value, count in counts.items():  # best first: all, some, insufficient
        for case in ranked[start : start + count]:
            case.answers["offending_factors_progress"] = value
        start += count


def _dates(case: _Case) -> dict[str, str | None]:
    """Dates consistent with the answers, so that National Standards checks agree."""
    a, ref = case.answers, case.ref
    start = fieldwork_start(case.est)
    sentenced = start - timedelta(days=case.elapsed)

    def after(days: int | None) -> str | None:
        return None if days is None else (sentenced + timedelta(days=days)).isoformat()

    os_days = (0, 1, 2, 0, 1, 2, 0, 1, 3, 5)[_pick(ref, "os", 10)]
    if a["first_contact_10_days"] == "yes":
        contact = min(10, os_days + 1 + _pick(ref, "contact", 8))
    else:
        contact = 11 + _pick(ref, "contact", 45)
    om = None
    if a["om_allocated"] == "yes":
        late = _pick(ref, "om-late", 5) == 0
        om = 60 + _pick(ref, "om", 110) if late else 7 + _pick(ref, "om", 44)
    plan = None
    if a["sentence_plan_completed"] == "yes":
        on_time = a["sentence_plan_on_time"] == "yes"
        plan = 35 + _pick(ref, "plan", 70) if on_time else 120 + _pick(ref, "plan", 100)
    if a["roh_reviewed"] == "yes":  # within the four months before fieldwork
        review = case.elapsed - 7 - _pick(ref, "review", 100)
    else:
        review = case.elapsed - 135 - _pick(ref, "review", case.elapsed - 150)
    months = case.attrs["sentence_months"]
    return {
        "sentence_date": sentenced.isoformat(),
        "reception_date": sentenced.isoformat(),
        "release_date": after(int(months * 30.44 / 2)) if months else None,
        "os_allocated_date": after(os_days),
        "first_contact_date": after(contact),
        "om_allocated_date": after(om),
        "sentence_plan_date": after(plan),
        "last_roh_review_date": after(review),
    }


def build_cases() -> dict[str, list[dict]]:
    """Establishment code -> its 20 case dicts (the shape of the cases API), built afresh."""
    cases = _sample()
    # in the report's order, except that a plan must exist before its contents are judged
    figures = sorted(EXPECTED + APPROXIMATE, key=lambda f: f.question != "sentence_plan_completed")
    for f in figures:
        relevant = _relevant(_POOL_OF.get(f.question, "all"), cases)
        _deal(f.question, f.percent, relevant, cases, _FOLLOWS.get(f.question))
    _deal_progress(cases)
    result: dict[str, list[dict]] = {est: [] for est in ESTABLISHMENTS}
    for case in cases:
        result[case.est].append({**case.attrs, **_dates(case), "answers": dict(case.answers)})
    return result
