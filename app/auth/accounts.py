"""User accounts and service clients: creation, authentication, and token principals."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import FromClause, Select, bindparam, false, inspect
from sqlmodel import Session, select

from app.auth.permissions import Principal, Role
from app.auth.security import generate_client_secret, hash_secret, verify_secret
from app.errors import Conflict, ValidationFailed, field_error
from app.models import ServiceClient, Trust, UserAccount

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_LENGTH = 12


def check_roles(session: Session, roles: list[str], trust: str | None) -> list[Role]:
    faults = []
    parsed: list[Role] = []
    for index, role in enumerate(roles):
        try:
            parsed.append(Role(role))
        except ValueError:
            faults.append(
                field_error(["body", "roles", index], "unknown_role", f"unknown role {role!r}")
            )
    if not roles:
        faults.append(field_error(["body", "roles"], "required", "at least one role is required"))
    if Role.trust in parsed and not trust:
        faults.append(field_error(["body", "trust"], "required", "the trust role needs a trust"))
    if trust and Role.trust not in parsed:
        faults.append(
            field_error(["body", "trust"], "not_allowed", "only the trust role carries a trust")
        )
    if trust and session.get(Trust, trust) is None:
        faults.append(field_error(["body", "trust"], "unknown_trust", f"unknown trust {trust!r}"))
    if faults:
        raise ValidationFailed("the account is not valid", errors=faults)
    return parsed


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "the account is not valid",
            errors=[
                field_error(
                    ["body", "password"], "too_short", f"at least {MIN_PASSWORD_LENGTH} characters"
                )
            ],
        )


def create_user(
    session: Session, username: str, password: str, roles: list[str], trust: str | None = None
) -> UserAccount:
    faults = []
    if not NAME_PATTERN.match(username):
        faults.append(field_error(["body", "username"], "invalid", "1-64 letters, digits or ._@-"))
    if len(password) < MIN_PASSWORD_LENGTH:
        faults.append(
            field_error(
                ["body", "password"], "too_short", f"at least {MIN_PASSWORD_LENGTH} characters"
            )
        )
    if faults:
        raise ValidationFailed("the account is not valid", errors=faults)
    parsed = check_roles(session, roles, trust)
    if session.exec(select(UserAccount).where(UserAccount.username == username)).first():
        raise Conflict(f"user {username!r} already exists")
    user = UserAccount(
        username=username,
        password_hash=hash_secret(password),
        roles=[role.value for role in parsed],
        trust_code=trust,
    )
    session.add(user)
    session.flush()
    return user


def create_client(
    session: Session, client_id: str, roles: list[str], trust: str | None = None
) -> tuple[ServiceClient, str]:
    """A new service client and its secret, which is shown once and never stored."""
    if not NAME_PATTERN.match(client_id):
        raise ValidationFailed(
            "the client is not valid",
            errors=[field_error(["body", "client_id"], "invalid", "1-64 letters, digits or ._@-")],
        )
    parsed = check_roles(session, roles, trust)
    if session.exec(select(ServiceClient).where(ServiceClient.client_id == client_id)).first():
        raise Conflict(f"client {client_id!r} already exists")
    secret = generate_client_secret()
    client = ServiceClient(
        client_id=client_id,
        secret_hash=hash_secret(secret),
        roles=[role.value for role in parsed],
        trust_code=trust,
    )
    session.add(client)
    session.flush()
    return client, secret


def authenticate_user(session: Session, username: str, password: str) -> UserAccount | None:
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    valid = verify_secret(password, user.password_hash if user else None)
    return user if valid and user and not user.disabled else None


def authenticate_client(session: Session, client_id: str, secret: str) -> ServiceClient | None:
    client = session.exec(select(ServiceClient).where(ServiceClient.client_id == client_id)).first()
    valid = verify_secret(secret, client.secret_hash if client else None)
    return client if valid and client and not client.disabled else None


def first_honoured_second(revoked_at: datetime | None) -> int:
    """The first whole second (Unix time) whose tokens hold after a revocation at `revoked_at`.

    A token's `iat` counts whole seconds, so one stamped with the revocation's own second
    may have been issued just before it: that second is refused too, and only tokens of
    later seconds hold. A login in that second waits for the next one before it issues a
    token (app.services.accounts.login), so a token issued after a revocation always works.
    """
    return 0 if revoked_at is None else int(revoked_at.timestamp()) + 1


def _principal(
    kind: str,
    ident: str,
    name: str,
    roles: list[str],
    trust: str | None,
    revoked_at: datetime | None,
) -> Principal:
    return Principal(
        id=ident,
        kind=kind,
        name=name,
        roles=frozenset(Role(role) for role in roles),
        trust=trust,
        tokens_not_before=first_honoured_second(revoked_at),
    )


def principal_for_user(user: UserAccount) -> Principal:
    return _principal(
        "user", user.id, user.username, user.roles, user.trust_code, user.tokens_not_before
    )


def principal_for_client(client: ServiceClient) -> Principal:
    return _principal(
        "client",
        client.id,
        client.client_id,
        client.roles,
        client.trust_code,
        client.tokens_not_before,
    )


def _enabled_holder(table: FromClause, name: str) -> Select:
    return select(
        table.c[name], table.c.roles, table.c.trust_code, table.c.tokens_not_before
    ).where(table.c.id == bindparam("ident"), table.c.disabled == false())


# Every authenticated request runs one of these: plain column reads, without the ORM's
# identity map and object loading, which cost as much again as the query itself.
PRINCIPAL_QUERIES: dict[str, Select] = {
    "user": _enabled_holder(inspect(UserAccount).local_table, "username"),
    "client": _enabled_holder(inspect(ServiceClient).local_table, "client_id"),
}


def load_principal(session: Session, subject: str) -> Principal | None:
    """The current state of a token's subject; None when deleted or disabled.

    The principal carries the account's last revocation, so a kept principal can refuse
    the tokens issued before it with no database round trip.
    """
    kind, _, ident = subject.partition(":")
    query = PRINCIPAL_QUERIES.get(kind)
    if query is None:
        return None
    row = session.connection().execute(query, {"ident": ident}).first()
    if row is None:
        return None
    name, roles, trust, revoked_at = row
    return _principal(kind, ident, name, roles, trust, revoked_at)
