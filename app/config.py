"""Service settings, read once from the environment."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
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

    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)

    letter_signatory_name: str = "Chief Inspector of Probation"
    letter_signatory_title: str = "HM Chief Inspector of Probation"

    # Sized together (docs/operations.md, "Threads and connections"): DB_POOL_SIZE
    # connections are kept open, as many requests are admitted at once (each holds at most
    # one connection at a time), and the worker threads are that number plus a few spare.
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # How long a request beyond those waits for a place before a 503 with Retry-After.
    request_queue_seconds: float = Field(default=10.0, gt=0, le=120)
    log_level: str = "INFO"

    @property
    def max_concurrent_requests(self) -> int:
        return self.db_pool_size

    @property
    def is_development(self) -> bool:
        return self.omi_env is Environment.development

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
