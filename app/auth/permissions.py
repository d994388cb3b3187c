"""Roles and the permission table of SPEC section 3, in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    probation_inspector = "probation_inspector"
    prisons_inspector = "prisons_inspector"
    analyst = "analyst"
    trust = "trust"
    uploader = "uploader"


class Resource(StrEnum):
    accounts = "accounts"
    reference = "reference"
    inspections = "inspections"
    cases = "cases"
    survey = "survey"
    scores = "scores"
    letters = "letters"
    audit = "audit"
    evidence = "evidence"
    webhooks = "webhooks"
    second_readings = "second_readings"
    prison_tests = "prison_tests"
    ratings = "ratings"
    case_extract = "case_extract"


class Access(StrEnum):
    read = "R"
    write = "W"
    # Write through bulk imports only (the uploader's service account).
    imports = "I"


R, W, IMP = Access.read, Access.write, Access.imports
RW = frozenset({R, W})

PERMISSIONS: dict[Resource, dict[Role, frozenset[Access]]] = {
    Resource.accounts: {Role.admin: RW},
    Resource.reference: {
        Role.admin: RW,
        Role.probation_inspector: frozenset({R}),
        Role.prisons_inspector: frozenset({R}),
        Role.analyst: frozenset({R}),
        Role.uploader: frozenset({R}),
    },
    Resource.inspections: {
        Role.admin: RW,
        Role.probation_inspector: RW,
        Role.prisons_inspector: RW,
        Role.analyst: frozenset({R}),
        Role.uploader: frozenset({R}),
    },
    Resource.cases: {
        Role.admin: RW,
        Role.probation_inspector: RW,
        Role.prisons_inspector: frozenset({R}),
        Role.uploader: frozenset({IMP}),
    },
    Resource.survey: {
        Role.admin: RW,
        Role.probation_inspector: frozenset({R}),
        Role.prisons_inspector: RW,
        Role.uploader: frozenset({IMP}),
    },
    Resource.scores: {
        Role.admin: frozenset({R}),
        Role.probation_inspector: frozenset({R}),
        Role.prisons_inspector: frozenset({R}),
        Role.analyst: frozenset({R}),
    },
    Resource.letters: {
        Role.admin: RW,
        Role.probation_inspector: RW,
        Role.prisons_inspector: frozenset({R}),
        Role.analyst: frozenset({R}),
        # Published letters of the token's own trust only; enforced where letters are loaded.
        Role.trust: frozenset({R}),
    },
    Resource.audit: {Role.admin: frozenset({R})},
    # Evidence and judgements: inspectors of both inspectorates write, analysts read.
    Resource.evidence: {
        Role.admin: RW,
        Role.probation_inspector: RW,
        Role.prisons_inspector: RW,
        Role.analyst: frozenset({R}),
    },
    # A trust's letter webhook: admins for any trust; a trust for its own, enforced on loading.
    Resource.webhooks: {Role.admin: RW, Role.trust: RW},
    # SPEC 14: any inspector reads a case a second time (never its submitter, enforced on
    # writing); the readings are case-level data, so only case readers see them.
    Resource.second_readings: {
        Role.admin: RW,
        Role.probation_inspector: RW,
        Role.prisons_inspector: RW,
    },
    # SPEC 15: HMI Prisons' healthy prison tests, written by prisons inspectors.
    Resource.prison_tests: {
        Role.admin: RW,
        Role.probation_inspector: frozenset({R}),
        Role.prisons_inspector: RW,
        Role.analyst: frozenset({R}),
    },
    # SPEC 15: section ratings are overridden by probation inspectors; scores readers see them.
    Resource.ratings: {
        Role.admin: RW,
        Role.probation_inspector: RW,
        Role.prisons_inspector: frozenset({R}),
        Role.analyst: frozenset({R}),
    },
    # SPEC 18: the case-level extract across inspections, for analysts and inspectors, and
    # for admin, who reads every case (SPEC 3).
    Resource.case_extract: {
        Role.admin: frozenset({R}),
        Role.probation_inspector: frozenset({R}),
        Role.prisons_inspector: frozenset({R}),
        Role.analyst: frozenset({R}),
    },
}


# The inspectorate an inspector judges for (criterion judgements name it).
INSPECTORATE_OF_ROLE: dict[Role, str] = {
    Role.probation_inspector: "hmi-probation",
    Role.prisons_inspector: "hmi-prisons",
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person's account or a system's service client."""

    id: str
    kind: str
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    trust: str | None = None
    # The first whole second (Unix time) whose tokens this account still honours: tokens
    # issued earlier were revoked (app.auth.accounts.first_honoured_second).
    tokens_not_before: int = 0

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.id}"

    def honours(self, issued_at: int) -> bool:
        """Whether a token of this account issued at `issued_at` (its `iat`) still holds."""
        return issued_at >= self.tokens_not_before

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def inspectorates(self) -> list[str]:
        """The inspectorates this principal judges for, HMI Probation first."""
        return [name for role, name in INSPECTORATE_OF_ROLE.items() if role in self.roles]

    def access_to(self, resource: Resource) -> frozenset[Access]:
        table = PERMISSIONS[resource]
        granted: set[Access] = set()
        for role in self.roles:
            granted |= table.get(role, frozenset())
        return frozenset(granted)


class Decision(StrEnum):
    allow = "allow"
    forbid = "forbid"  # may see the resource but not do this: 403
    hide = "hide"  # may not see the resource at all: 404


def decide(principal: Principal, resource: Resource, wanted: Access) -> Decision:
    granted = principal.access_to(resource)
    if not granted:
        return Decision.hide
    if wanted in granted or (wanted is IMP and W in granted):
        return Decision.allow
    if wanted is R:
        return Decision.hide
    return Decision.forbid
