"""A small world of real objects for security tests: every path parameter points at one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from app.auth.permissions import Principal, Role
from app.auth.security import issue_token
from app.models import (
    CaseImport,
    CriterionJudgement,
    EvidenceItem,
    ServiceClient,
    SurveyAnswer,
    SurveyResponse,
    TrustWebhook,
    UserAccount,
)
from app.models.imports import ImportKind
from app.services.webhooks import outbox
from tests.builders import make_case, make_inspection, make_second_reading

OWN_TRUST = "durham-tees-valley"
OTHER_TRUST = "northumbria"
FRAMEWORK = "omi-custody-2011"
# Every role of SPEC section 3, and a trust system of a second trust.
PRINCIPALS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "admin": (("admin",), None),
    "probation_inspector": (("probation_inspector",), None),
    "prisons_inspector": (("prisons_inspector",), None),
    "analyst": (("analyst",), None),
    "trust": (("trust",), OWN_TRUST),
    "trust_other": (("trust",), OTHER_TRUST),
    "uploader": (("uploader",), None),
}
LETTER_CASES = 10  # the programme's letter threshold


@dataclass
class World:
    inspection_id: str
    case_id: str
    case_ref: str
    response_id: str
    evidence_id: str
    judgement_id: str
    import_id: str
    survey_import_id: str
    letter_id: str | None
    author: str  # the probation inspector who recorded the evidence and the judgement
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    delivery_id: str = ""  # a delivery to the own trust's webhook
    username: str = ""  # an account and a service client for the accounts routes (SPEC 13)
    client_id: str = ""

    def principal(self, name: str) -> Principal:
        roles, trust = PRINCIPALS[name]
        return Principal(
            id=name, kind="user", name=name, roles=frozenset(map(Role, roles)), trust=trust
        )


def account(
    session: Session, roles: tuple[str, ...], trust: str | None
) -> tuple[str, dict[str, str]]:
    """The subject of a fresh, enabled account holding these roles, and headers for it."""
    user = UserAccount(
        username=f"sec-{uuid.uuid4().hex[:12]}",
        password_hash="not-a-login-account",
        roles=list(roles),
        trust_code=trust,
    )
    session.add(user)
    session.flush()
    token, _ = issue_token(f"user:{user.id}", list(roles), trust)
    return f"user:{user.id}", {"Authorization": f"Bearer {token}"}


def _published_letter(session: Session, inspection, world_admin: Principal) -> str | None:
    """A letter released to OWN_TRUST, through the letter service itself (None until it exists)."""
    try:
        from app.services.letters import service as letters
    except ImportError:
        return None
    drafted = letters.generate(session, world_admin, inspection)
    own = next(letter for letter in drafted if letter.trust_code == OWN_TRUST)
    return letters.publish(session, world_admin, own).id


def build_world(session: Session, *, with_letter: bool = True) -> World:
    accounts = {name: account(session, *PRINCIPALS[name]) for name in PRINCIPALS}
    author = accounts["probation_inspector"][0]
    inspection = make_inspection(session, recommendations=["Plan sentences within 28 days."])
    cases = [
        make_case(session, inspection, f"SEC-{number:03d}", {"rmp_sufficient": "yes"})
        for number in range(LETTER_CASES)
    ]
    response = SurveyResponse(inspection_id=inspection.id)
    session.add(response)
    session.flush()
    session.add(
        SurveyAnswer(
            response_id=response.id,
            question_code="survey_has_sentence_plan",
            value="yes",
            sufficient=True,
        )
    )
    evidence = EvidenceItem(
        inspection_id=inspection.id,
        source="omu_meeting",
        observed_on=date(2011, 9, 13),
        criteria=["4.4a"],
        text="Managers described the allocation of offender supervisors.",
        created_by=author,
    )
    session.add(evidence)
    session.flush()
    judgement = CriterionJudgement(
        inspection_id=inspection.id,
        criterion_code="4.4a",
        judgement="partly_met",
        narrative="Allocation was timely for most prisoners.",
        evidence_ids=[evidence.id],
        created_by=author,
    )
    upload = CaseImport(
        inspection_id=inspection.id,
        mode="create",
        content_type="text/csv",
        actor="user:seed",
        rows=LETTER_CASES,
        created=LETTER_CASES,
        updated=0,
        checksum="0" * 64,
        size_bytes=1,
    )
    survey_upload = CaseImport(
        inspection_id=inspection.id,
        kind=ImportKind.survey,
        mode="create",
        content_type="text/csv",
        actor="user:seed",
        rows=1,
        created=1,
        updated=0,
        checksum="0" * 64,
        size_bytes=1,
    )
    # A second reading of the first case by the probation inspector, for its routes.
    make_second_reading(session, cases[0], {"rmp_sufficient": "no"}, reader=author)
    # The own trust's webhook, so the webhook routes have an object to show and remove.
    webhook = TrustWebhook(
        trust_code=OWN_TRUST, url="https://hooks.durham-tees-valley.example/omi", secret="x" * 43
    )
    person = UserAccount(
        username="sec-account", password_hash="not-a-login-account", roles=["analyst"]
    )
    system = ServiceClient(
        client_id="sec-system", secret_hash="not-a-login-secret", roles=["uploader"]
    )
    session.add_all([judgement, upload, survey_upload, webhook, person, system])
    session.flush()
    delivery = outbox.enqueue(session, OWN_TRUST, "letter.published", None, {"letter": "seed"})
    world = World(
        inspection_id=inspection.id,
        case_id=cases[0].id,
        case_ref=cases[0].case_ref,
        response_id=response.id,
        evidence_id=evidence.id,
        judgement_id=judgement.id,
        import_id=upload.id,
        survey_import_id=survey_upload.id,
        letter_id=None,
        author=author,
        headers={name: headers for name, (_, headers) in accounts.items()},
        delivery_id=delivery.id,
        username=person.username,
        client_id=system.client_id,
    )
    if with_letter:
        world.letter_id = _published_letter(session, inspection, world.principal("admin"))
    return world
