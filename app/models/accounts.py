"""People and systems that hold credentials, and the tokens they are given."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    trust_code: str | None = Field(default=None, foreign_key="trust.code", max_length=64)
    disabled: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When its tokens were last revoked (disabled, a new password): tokens issued
    # before then are refused for good, even once the account is enabled again.
    tokens_not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ServiceClient(SQLModel, table=True):
    __tablename__ = "service_client"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    client_id: str = Field(max_length=64, unique=True, index=True)
    secret_hash: str = Field(max_length=255)
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    trust_code: str | None = Field(default=None, foreign_key="trust.code", max_length=64)
    disabled: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When its tokens were last revoked (disabled, a new secret): tokens issued
    # before then are refused for good, even once the account is enabled again.
    tokens_not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class LoginFailureCount(SQLModel, table=True):
    """Failed logins counted for one throttle key in its current window, shared by processes.

    The key is a digest of what is counted (an account, an account and an address, or an
    address), so no name or address typed at the login form is kept here.
    """

    __tablename__ = "login_failure_count"

    key: str = Field(primary_key=True, max_length=64)
    failures: int = Field(default=0)
    window_start: datetime = Field(sa_type=UTCDateTime, index=True)


class AccountWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(AccountWrite):
    username: str = PydanticField(
        min_length=1, max_length=64, description="1-64 letters, digits or ._@-"
    )
    password: str = PydanticField(
        min_length=1, max_length=1024, description="At least 12 characters; never answered back"
    )
    roles: list[str] = PydanticField(min_length=1, max_length=6)
    trust: str | None = PydanticField(
        default=None, max_length=64, description="Only for the trust role"
    )


class UserUpdate(AccountWrite):
    """Only the fields sent change; `trust: null` clears the trust."""

    roles: list[str] | None = PydanticField(default=None, min_length=1, max_length=6)
    trust: str | None = PydanticField(default=None, max_length=64)
    disabled: bool | None = PydanticField(
        default=None, description="A disabled account's live tokens are refused at once"
    )
    password: str | None = PydanticField(
        default=None, min_length=1, max_length=1024, description="A new password; write-only"
    )


class UserRead(BaseModel):
    username: str
    roles: list[str]
    trust: str | None
    disabled: bool
    created_at: datetime


class ClientCreate(AccountWrite):
    client_id: str = PydanticField(
        min_length=1, max_length=64, description="1-64 letters, digits or ._@-"
    )
    roles: list[str] = PydanticField(min_length=1, max_length=6)
    trust: str | None = PydanticField(
        default=None, max_length=64, description="Only for the trust role"
    )


class ClientUpdate(AccountWrite):
    """Only the fields sent change; `trust: null` clears the trust."""

    roles: list[str] | None = PydanticField(default=None, min_length=1, max_length=6)
    trust: str | None = PydanticField(default=None, max_length=64)
    disabled: bool | None = PydanticField(
        default=None, description="A disabled client's live tokens are refused at once"
    )


class ClientRead(BaseModel):
    client_id: str
    roles: list[str]
    trust: str | None
    disabled: bool
    created_at: datetime


class ClientWithSecret(ClientRead):
    client_secret: str = PydanticField(description="Shown in this answer only; store it now")
