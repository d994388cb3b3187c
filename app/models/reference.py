"""Reference data: programmes, NOMS regions, probation trusts and establishments."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
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


class AreaKind(StrEnum):
    """The era of a probation area (SPEC 12)."""

    noms_area = "noms_area"
    trust = "trust"
    region = "region"


class Region(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)


class Trust(SQLModel, table=True):
    """A probation area of any era: NOMS area, trust area or probation region."""

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    region_code: str = Field(foreign_key="region.code", max_length=64, index=True)
    kind: AreaKind = Field(default=AreaKind.trust, sa_type=String(16), index=True)
    valid_from: date | None = Field(default=None)
    valid_to: date | None = Field(default=None)


class Establishment(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    type: EstablishmentType | None = Field(default=None, sa_type=String(16))
    region_code: str = Field(foreign_key="region.code", max_length=64, index=True)
    nomis_code: str | None = Field(default=None, max_length=8, unique=True)
    closed_on: date | None = Field(default=None)


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
    nomis_code: str | None
    type: str | None
    region: str
    closed_on: date | None


class TrustRead(BaseModel):
    code: str
    name: str
    region: str
    kind: AreaKind
    valid_from: date | None
    valid_to: date | None


class RegionRead(BaseModel):
    code: str
    name: str


CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"


class EstablishmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = PydanticField(pattern=CODE_PATTERN)
    name: str = PydanticField(min_length=1, max_length=200)
    nomis_code: str | None = PydanticField(default=None, pattern=r"^[A-Z]{3,5}$")
    type: EstablishmentType | None = None
    region: str = PydanticField(min_length=1, max_length=64)
    closed_on: date | None = None


class EstablishmentUpdate(BaseModel):
    """Name, type, region and closed_on; the code never changes."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = PydanticField(default=None, min_length=1, max_length=200)
    nomis_code: str | None = PydanticField(default=None, pattern=r"^[A-Z]{3,5}$")
    type: EstablishmentType | None = None
    region: str | None = PydanticField(default=None, min_length=1, max_length=64)
    closed_on: date | None = None


class TrustCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = PydanticField(pattern=CODE_PATTERN)
    name: str = PydanticField(min_length=1, max_length=200)
    region: str = PydanticField(min_length=1, max_length=64)
    kind: AreaKind
    valid_from: date | None = None
    valid_to: date | None = None


class TrustUpdate(BaseModel):
    """Name, region, kind and validity; the code never changes."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = PydanticField(default=None, min_length=1, max_length=200)
    region: str | None = PydanticField(default=None, min_length=1, max_length=64)
    kind: AreaKind | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class RegionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = PydanticField(pattern=CODE_PATTERN)
    name: str = PydanticField(min_length=1, max_length=200)


class RegionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = PydanticField(min_length=1, max_length=200)
