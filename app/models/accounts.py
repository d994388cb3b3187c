"""People and systems that hold credentials, and the tokens they are given."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
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


class ServiceClient(SQLModel, table=True):
    __tablename__ = "service_client"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    client_id: str = Field(max_length=64, unique=True, index=True)
    secret_hash: str = Field(max_length=255)
    roles: list[str] = Field(sa_column=Column(JSON, nullable=False))
    trust_code: str | None = Field(default=None, foreign_key="trust.code", max_length=64)
    disabled: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
