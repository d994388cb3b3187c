"""Reference data: programmes, NOMS regions, probation trusts and establishments."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import String
from sqlmodel import Field, SQLModel


class ProgrammeKind(StrEnum):
    community = "community"
    prison = "prison"


class EstablishmentType(StrEnum):
    local = "local"
    training = "training"
    open = "open"
    yoi = "yoi"
    women = "women"


class Programme(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=32)
    title: str = Field(max_length=200)
    kind: ProgrammeKind = Field(sa_type=String(16))
    started_on: date
    description: str = Field(default="", max_length=1000)
    letter_threshold: int = Field(default=10, ge=1)
    default_framework: str | None = Field(default=None, max_length=64)


class Region(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)


class Trust(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    region_code: str = Field(foreign_key="region.code", max_length=64, index=True)


class Establishment(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    type: EstablishmentType = Field(sa_type=String(16))
    region_code: str = Field(foreign_key="region.code", max_length=64, index=True)


class ProgrammeRead(BaseModel):
    code: str
    title: str
    kind: str
    started_on: date
    description: str
    letter_threshold: int
    default_framework: str | None


class EstablishmentRead(BaseModel):
    code: str
    name: str
    type: str
    region: str


class TrustRead(BaseModel):
    code: str
    name: str
    region: str


class RegionRead(BaseModel):
    code: str
    name: str
