"""A trust's webhook: where the service announces a letter published for that trust."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, Index, String, Text
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow

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
        description="https URL that receives a signed POST when a letter for the trust is published or superseded",
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
        description=(
            "Signs every delivery (Standard Webhooks, whsec_ and base64); shown in this response only"
        )
    )


class DeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event for a trust's receiver: queued with the change that caused it, sent by a worker.

    The row is the outbox: it is written in the transaction that publishes the letter, so an
    event exists exactly when its change does. Its id is the Standard Webhooks `webhook-id`,
    the same on every attempt, so a receiver can drop a repeat.
    """

    __tablename__ = "webhook_delivery"
    # The worker's question: which pending deliveries are due now.
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    trust_code: str = Field(
        sa_column=Column(
            String(64), ForeignKey("trust.code", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    event: str = Field(max_length=40)
    letter_id: str | None = Field(default=None, max_length=32)
    # The exact bytes that are signed and sent, frozen when the event is queued.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=DeliveryStatus.pending, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Attempts ever made, and those of the current round (a redelivery starts a new round).
    attempts: int = Field(default=0)
    round_attempts: int = Field(default=0)
    # When the next attempt is due; while a worker holds a claim, when that claim lapses.
    next_attempt_at: datetime | None = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_http_status: int | None = Field(default=None)
    last_error: str | None = Field(default=None, max_length=64)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    """Each attempt to send a delivery, kept for the trust's and the operators' questions."""

    __tablename__ = "webhook_attempt"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    delivery_id: str = Field(
        sa_column=Column(
            String(32),
            ForeignKey("webhook_delivery.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    number: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    duration_ms: int
    http_status: int | None = Field(default=None)
    # Why no answer was usable: the kind of network error, a refused address, no webhook.
    error: str | None = Field(default=None, max_length=64)
    worker: str = Field(max_length=64)


class DeliveryRead(BaseModel):
    id: str = PydanticField(description="The webhook-id header of every attempt")
    event: str = PydanticField(description="letter.published or letter.superseded")
    letter: str | None
    created_at: datetime
    status: DeliveryStatus
    attempts: int = PydanticField(description="Attempts made so far, over every round")
    last_attempt_at: datetime | None
    last_http_status: int | None = PydanticField(
        description="HTTP status of the last attempt; null when the receiver never answered"
    )
    last_error: str | None = PydanticField(
        description="Why the last attempt had no answer (network error kind), if it had none"
    )
    next_attempt_at: datetime | None = PydanticField(
        description="When the next attempt is due; null once delivered or failed"
    )
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    total: int
    limit: int
    offset: int
