"""Users and service clients: listed, created, changed, disabled; client secrets rotated.

Every change is audited with the account as it looks to an admin, never a password, a
secret or a hash of either. Disabling takes effect at the holder's next request, because
every request reloads its account (`app.auth.accounts.load_principal`). Disabling, a new
password and a new secret also revoke every token issued before them (`tokens_not_before`):
enabling the account again brings none of them back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.accounts import check_password, check_roles, create_client, create_user
from app.auth.permissions import Principal, Role
from app.auth.security import generate_client_secret, hash_secret
from app.errors import Conflict, NotFound
from app.models import ServiceClient, UserAccount
from app.models.accounts import (
    ClientCreate,
    ClientRead,
    ClientUpdate,
    ClientWithSecret,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.models.base import utcnow
from app.models.page import Page
from app.services.audit import service as audit

Holder = UserAccount | ServiceClient


def _revoke_tokens(holder: Holder) -> None:
    """Refuse, for good, every token this account was issued until now."""
    holder.tokens_not_before = utcnow()


def user_view(user: UserAccount) -> UserRead:
    return UserRead(
        username=user.username,
        roles=list(user.roles),
        trust=user.trust_code,
        disabled=user.disabled,
        created_at=user.created_at,
    )


def client_view(client: ServiceClient) -> ClientRead:
    return ClientRead(
        client_id=client.client_id,
        roles=list(client.roles),
        trust=client.trust_code,
        disabled=client.disabled,
        created_at=client.created_at,
    )


def _audited(view: UserRead | ClientRead) -> dict[str, Any]:
    return view.model_dump(mode="json", exclude={"created_at"})


# --- users --------------------------------------------------------------------------------


def list_users(session: Session, *, limit: int, offset: int) -> Page[UserRead]:
    total = session.exec(select(func.count()).select_from(UserAccount)).one()
    rows = session.exec(
        select(UserAccount).order_by(col(UserAccount.username)).limit(limit).offset(offset)
    ).all()
    return Page(items=[user_view(row) for row in rows], total=total, limit=limit, offset=offset)


def get_user(session: Session, username: str) -> UserAccount:
    user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def add_user(session: Session, principal: Principal, payload: UserCreate) -> UserAccount:
    user = create_user(session, payload.username, payload.password, payload.roles, payload.trust)
    audit.record(
        session, principal, "user.created", "user", user.id, None, _audited(user_view(user))
    )
    return user


def change_user(
    session: Session, principal: Principal, user: UserAccount, payload: UserUpdate
) -> UserAccount:
    sent = payload.model_fields_set
    before = _audited(user_view(user))
    roles, trust = _new_roles(session, user, payload.roles, payload.trust, sent)
    disabled = user.disabled if payload.disabled is None else payload.disabled
    _keep_an_admin(session, user, roles, disabled)
    if payload.password is not None:
        check_password(payload.password)
        user.password_hash = hash_secret(payload.password)
    if payload.password is not None or (disabled and not user.disabled):
        _revoke_tokens(user)
    user.roles, user.trust_code, user.disabled = roles, trust, disabled
    session.add(user)
    session.flush()
    after = _audited(user_view(user))
    if payload.password is not None:
        after["password_reset"] = True  # that it changed; never what to
    if after != before:  # a change that changes nothing is not a write
        audit.record(session, principal, "user.updated", "user", user.id, before, after)
    return user


# --- service clients ----------------------------------------------------------------------


def list_clients(session: Session, *, limit: int, offset: int) -> Page[ClientRead]:
    total = session.exec(select(func.count()).select_from(ServiceClient)).one()
    rows = session.exec(
        select(ServiceClient).order_by(col(ServiceClient.client_id)).limit(limit).offset(offset)
    ).all()
    return Page(items=[client_view(row) for row in rows], total=total, limit=limit, offset=offset)


def get_client(session: Session, client_id: str) -> ServiceClient:
    client = session.exec(select(ServiceClient).where(ServiceClient.client_id == client_id)).first()
    if client is None:
        raise NotFound(f"no client {client_id!r}")
    return client


def add_client(session: Session, principal: Principal, payload: ClientCreate) -> ClientWithSecret:
    """A new client with its secret: in this answer and nowhere else, ever."""
    client, secret = create_client(session, payload.client_id, payload.roles, payload.trust)
    view = client_view(client)
    audit.record(session, principal, "client.created", "client", client.id, None, _audited(view))
    return ClientWithSecret(**view.model_dump(), client_secret=secret)


def change_client(
    session: Session, principal: Principal, client: ServiceClient, payload: ClientUpdate
) -> ServiceClient:
    sent = payload.model_fields_set
    before = _audited(client_view(client))
    roles, trust = _new_roles(session, client, payload.roles, payload.trust, sent)
    disabled = client.disabled if payload.disabled is None else payload.disabled
    _keep_an_admin(session, client, roles, disabled)
    if disabled and not client.disabled:
        _revoke_tokens(client)
    client.roles, client.trust_code, client.disabled = roles, trust, disabled
    session.add(client)
    session.flush()
    after = _audited(client_view(client))
    if after != before:
        audit.record(session, principal, "client.updated", "client", client.id, before, after)
    return client


def rotate_secret(
    session: Session, principal: Principal, client: ServiceClient
) -> ClientWithSecret:
    """A new secret, answered once; the old one, and every token it bought, stop working
    when this commits."""
    secret = generate_client_secret()
    client.secret_hash = hash_secret(secret)
    _revoke_tokens(client)
    session.add(client)
    session.flush()
    view = client_view(client)
    audit.record(
        session, principal, "client.secret_rotated", "client", client.id, None,
        {"client_id": client.client_id},
    )  # fmt: skip
    return ClientWithSecret(**view.model_dump(), client_secret=secret)


# --- shared rules -------------------------------------------------------------------------


def _new_roles(
    session: Session,
    holder: Holder,
    roles: list[str] | None,
    trust: str | None,
    sent: set[str],
) -> tuple[list[str], str | None]:
    """The roles and trust after a change, checked together as on creation."""
    new_roles = list(holder.roles) if roles is None else roles
    new_trust = trust if "trust" in sent else holder.trust_code
    parsed = check_roles(session, new_roles, new_trust)
    return [role.value for role in parsed], new_trust


def _keep_an_admin(session: Session, holder: Holder, roles: list[str], disabled: bool) -> None:
    """Refuse to disable or demote the last enabled admin: nobody could manage accounts."""
    was_admin = Role.admin.value in holder.roles and not holder.disabled
    stays_admin = Role.admin.value in roles and not disabled
    if not was_admin or stays_admin:
        return
    holders: list[Holder] = [
        *session.exec(select(UserAccount).where(col(UserAccount.disabled).is_(False))).all(),
        *session.exec(select(ServiceClient).where(col(ServiceClient.disabled).is_(False))).all(),
    ]
    others = [
        other
        for other in holders
        if Role.admin.value in other.roles
        and (type(other) is not type(holder) or other.id != holder.id)
    ]
    if not others:
        raise Conflict("this is the last enabled admin account; make another admin first")
