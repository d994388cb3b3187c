"""A trust's webhook: where the service announces a letter published for that trust."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow

MAX_URL_LENGTH = 500


class TrustWebhook(SQLModel, table=True):
    __tablename__ = "trust_webhook"

    # One webhook per trust: registering again replaces the URL and the secret.
    trust_code: str = Field(
        sa_column=Column(String(64), ForeignKey("trust.code", ondelete="CASCADE"), primary_key=True)
    )
    url: str = Field(max_length=MAX_URL_LENGTH)
    # Kept as issued, not hashed: every delivery is signed with it (HMAC needs the key).
    secret: str = Field(max_length=128)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=64)
    last_delivery_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # "delivered" or "failed"; the HTTP status of the last attempt, none when unreachable.
    last_delivery_outcome: str | None = Field(default=None, max_length=16)
    last_delivery_status: int | None = Field(default=None)


class WebhookWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = PydanticField(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="https URL that receives a signed POST when a letter for the trust is published",
    )


class WebhookRead(BaseModel):
    trust: str
    url: str
    created_at: datetime
    updated_at: datetime
    last_delivery_at: datetime | None
    last_delivery_outcome: str | None = PydanticField(description="delivered or failed")
    last_delivery_status: int | None = PydanticField(
        description="HTTP status of the last attempt; null when the receiver never answered"
    )


class WebhookRegistered(WebhookRead):
    secret: str = PydanticField(
        description="Signs every delivery (X-OMI-Signature); shown in this response only"
    )
