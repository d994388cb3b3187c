"""Demo users and a demo inspection, for trying the service locally."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, select

from app.auth.accounts import create_user, principal_for_user
from app.auth.permissions import Principal, Role
from app.models import Inspection, UserAccount
from app.models.framework import AnswerKind, Subject
from app.models.inspection import InspectionCreate, InspectionStatus
from app.models.review import ReviewAction, ReviewRequest
from app.rules.case_rules import condition_holds, scope_of
from app.rules.framework_index import FrameworkIndex
from app.services.cases import service as cases
from app.services.inspections import service as inspections
from app.services.review import moves
from app.services.survey import service as survey

DEMO_PASSWORD = "demo-password-1"
DEMO_USERS = {
    "admin": (["admin"], None),
    "probation": (["probation_inspector"], None),
    "prisons": (["prisons_inspector"], None),
    "analyst": (["analyst"], None),
    "trust": (["trust"], "durham-tees-valley"),
    "uploader": (["uploader"], None),
}
DEMO_ACTOR = Principal(id="demo", kind="system", name="demo", roles=frozenset({Role.admin}))
TRUSTS = ("durham-tees-valley",) * 12 + ("northumbria",) * 5 + ("cumbria",) * 3


def _answer(
    rng: random.Random,
    index: FrameworkIndex,
    code: str,
    facts: dict[str, Any],
    answers: dict[str, str],
) -> str:
    question = index.questions[code]
    if question.applies_if and not condition_holds(question.applies_if, facts, answers):
        return "na"
    if question.answer is AnswerKind.choice:
        return rng.choice([choice.value for choice in question.choices or []])
    return rng.choices(["yes", "no", "na"], weights=[6, 3, 1])[0]


def demo_case(rng: random.Random, number: int, index: FrameworkIndex) -> dict[str, Any]:
    sentenced = date(2010, 1, 4) + timedelta(days=rng.randrange(0, 500))
    attributes: dict[str, Any] = {
        "case_ref": f"DEMO-{number:03d}",
        "home_trust": TRUSTS[number % len(TRUSTS)],
        "sex": "male",
        "age_at_sentence": rng.randrange(21, 60),
        "sentence_type": rng.choice(["determinate", "determinate", "ipp", "life"]),
        "rosh": rng.choice(["high", "high", "very_high", "medium"]),
        "mappa_level": rng.randrange(0, 3),
        "ppo": rng.random() < 0.2,
        "sentence_date": sentenced,
        "reception_date": sentenced + timedelta(days=rng.randrange(0, 3)),
        "first_contact_date": sentenced + timedelta(days=rng.randrange(1, 20)),
        "sentence_plan_date": sentenced + timedelta(days=rng.randrange(30, 150)),
    }
    if attributes["sentence_type"] == "determinate":
        attributes["sentence_months"] = rng.choice([18, 24, 36, 48, 72])
    facts = {**attributes, "in_scope": bool(scope_of(attributes))}
    answers: dict[str, str] = {}
    for code in index.question_codes(Subject.case):
        answers[code] = _answer(rng, index, code, facts, answers)
    return {**attributes, "answers": answers}


def _review(session: Session, demo: Inspection, case_ids: list[str]) -> None:
    """The demo's readings submitted by the probation inspector and approved by another
    account (four eyes), so the demo inspection can be published."""
    reader = session.exec(select(UserAccount).where(UserAccount.username == "probation")).one()
    submitter = principal_for_user(reader)
    for action, principal in ((ReviewAction.submit, submitter), (ReviewAction.approve, DEMO_ACTOR)):
        moves.move_many(session, principal, demo, ReviewRequest(action=action), case_ids)


def load_demo(session: Session) -> str:
    for username, (roles, trust) in DEMO_USERS.items():
        if (
            session.exec(select(UserAccount).where(UserAccount.username == username)).first()
            is None
        ):
            create_user(session, username, DEMO_PASSWORD, roles, trust)
    demo = session.exec(select(Inspection).where(Inspection.establishment_code == "durham")).first()
    if demo is None:
        demo = inspections.create(
            session,
            DEMO_ACTOR,
            InspectionCreate(
                programme="pomi",
                establishment="durham",
                fieldwork_start=date(2011, 9, 12),
                fieldwork_end=date(2011, 9, 16),
                recommendations=["Sentence plans should set outcome-focused objectives."],
            ),
        )
        inspections.transition(session, DEMO_ACTOR, demo, InspectionStatus.fieldwork)
        index = cases.framework_index(session, demo)
        rng = random.Random(2011)
        created = [
            cases.create(session, DEMO_ACTOR, demo, demo_case(rng, number, index))
            for number in range(1, 21)
        ]
        _review(session, demo, [case.id for case in created])
        for _ in range(25):
            answers = {
                code: rng.choice(["yes", "no"]) for code in index.question_codes(Subject.respondent)
            }
            if answers.get("survey_has_sentence_plan") == "no":
                answers["survey_involved_in_plan"] = "na"
            survey.add(session, DEMO_ACTOR, demo, {"answers": answers})
    return (
        f"demo users ({', '.join(DEMO_USERS)}) share the password {DEMO_PASSWORD!r}; "
        f"demo inspection {demo.id} at HMP Durham (20 cases, 25 survey responses)"
    )
