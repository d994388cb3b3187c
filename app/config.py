"""Service settings, read once from the environment."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people paste from examples; a service signing tokens with one of them is open to all.
PLACEHOLDER_SECRETS = {
    "",
    "secret",
    "changeme",
    "change-me",
    "change_me",
    "dev",
    "test",
    "jwt-secret",
}
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    development = "development"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    database_url: str = f"sqlite:///{Path.cwd() / 'omi.db'}"
    omi_env: Environment = Environment.production

    jwt_secret: str = ""
    jwt_private_key: str = ""
    jwt_public_key: str = ""
    jwt_issuer: str = "omi-service"
    jwt_audience: str = "omi-api"
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Whatever its `exp` says, a token issued longer ago than this is refused.
    token_max_age_minutes: int = Field(default=24 * 60, ge=1, le=7 * 24 * 60)
    # Clock skew allowed between this service and whoever signed a token (iat, nbf).
    token_leeway_seconds: int = Field(default=30, ge=0, le=300)

    cors_origins: str = ""
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Failed logins per account and address; per account from any address; per address
    # over all accounts (0: no per-address ceiling, otherwise never below 50). SPEC 13.
    login_max_failures: int = Field(default=5, ge=1)
    login_account_max_failures: int = Field(default=20, ge=1)
    login_address_max_failures: int = Field(default=100, ge=0)
    login_window_seconds: int = Field(default=900, ge=1)

    # The person who signs findings letters; with none set a letter is signed by the title.
    letter_signatory_name: str = ""
    letter_signatory_title: str = "HM Chief Inspector of Probation"

    # Sized together (docs/operations.md, "Threads and connections"): DB_POOL_SIZE
    # connections are kept open, as many requests are admitted at once (each holds at most
    # one connection at a time), and the worker threads are that number plus a few spare.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # How long a request beyond those waits for a place before a 503 with Retry-After.
    request_queue_seconds: float = Field(default=10.0, gt=0, le=120)
    # PostgreSQL only: cached reads learn of changes by notification, not a query per read.
    change_feed: bool = True

    # Webhook deliveries (docs/operations.md). The first attempt is made at once; then one
    # more after each of these delays, in seconds (about 27.6 hours in all), then "failed".
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,36000"
    # Whether `omi serve` runs the delivery worker beside the HTTP server.
    webhook_worker: bool = True
    webhook_poll_seconds: float = Field(default=2.0, gt=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    # How long a worker's claim on a delivery lasts; a worker that dies mid-send loses its
    # claim after this, and the delivery is attempted again.
    webhook_claim_seconds: float = Field(default=120.0, gt=0)
    webhook_batch: int = Field(default=10, ge=1, le=100)
    log_level: str = "INFO"

    @field_validator("login_address_max_failures")
    @classmethod
    def _address_ceiling_spares_shared_addresses(cls, value: int) -> int:
        # Many people of one trust log in from one address; a low ceiling would lock them all.
        if 0 < value < 50:
            raise ValueError("LOGIN_ADDRESS_MAX_FAILURES is 0 (off) or at least 50")
        return value

    @property
    def max_concurrent_requests(self) -> int:
        return self.db_pool_size

    @property
    def is_development(self) -> bool:
        return self.omi_env is Environment.development

    @property
    def webhook_retry_delays(self) -> list[float]:
        """Seconds to wait before each attempt after the first."""
        return [float(part) for part in self.webhook_retry_schedule.split(",") if part.strip()]

    @property
    def uses_rsa(self) -> bool:
        return bool(self.jwt_public_key)

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    def signing_problems(self) -> list[str]:
        """Reasons this configuration must not serve production traffic."""
        if self.uses_rsa:
            return []
        secret = self.jwt_secret.strip()
        if secret.lower() in PLACEHOLDER_SECRETS:
            return ["JWT_SECRET is empty or a placeholder"]
        if len(secret) < MIN_SECRET_LENGTH:
            return [f"JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters"]
        return []

    @field_validator("webhook_retry_schedule")
    @classmethod
    def _schedule_is_numbers(cls, value: str) -> str:
        delays = [float(part) for part in value.split(",") if part.strip()]
        if any(delay < 0 for delay in delays):
            raise ValueError("retry delays are seconds, none negative")
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
