"""Settings from the environment: signing keys the service refuses, and the database URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import main
from app.auth import security
from app.config import MIN_SECRET_LENGTH, Settings
from app.db import build_engine, normalise_url

STRONG = "s" * MIN_SECRET_LENGTH
REFUSED_SECRETS = ["", "   ", "secret", "changeme", "CHANGEME", "jwt-secret", "short-but-real-1"]


def start(monkeypatch, **settings) -> object:
    """create_app with these settings in place of the environment's."""
    configured = Settings(**settings)
    monkeypatch.setattr(main, "get_settings", lambda: configured)
    return main.create_app()


# --- the signing key ----------------------------------------------------------------------


@pytest.mark.parametrize("secret", REFUSED_SECRETS)
def test_the_service_refuses_to_start_without_a_real_secret(monkeypatch, secret):
    with pytest.raises(main.ConfigurationError) as refused:
        start(monkeypatch, jwt_secret=secret, omi_env="production", jwt_public_key="")
    message = str(refused.value)
    assert "JWT_SECRET" in message and "OMI_ENV=development" in message
    if secret.strip():
        assert secret not in message


def test_production_is_the_default_environment(monkeypatch):
    monkeypatch.delenv("OMI_ENV", raising=False)
    assert Settings().is_development is False


@pytest.mark.parametrize("secret", REFUSED_SECRETS)
def test_development_mode_starts_without_a_real_secret(monkeypatch, secret):
    app = start(monkeypatch, jwt_secret=secret, omi_env="development", jwt_public_key="")
    with TestClient(app) as client:
        assert client.get("/health/live").status_code == 200


@pytest.mark.parametrize("secret", REFUSED_SECRETS)
def test_development_mode_never_signs_with_the_placeholder(secret):
    settings = Settings(jwt_secret=secret, omi_env="development", jwt_public_key="")
    keys = security.signing_keys(settings)
    assert keys.signing_key != secret and len(keys.signing_key) >= MIN_SECRET_LENGTH
    # The same key for the life of the process, so the tokens it issued keep working.
    assert security.signing_keys(settings) == keys


def test_a_real_secret_starts_the_service_and_signs_tokens(monkeypatch):
    start(monkeypatch, jwt_secret=STRONG, omi_env="production", jwt_public_key="")
    keys = security.signing_keys(Settings(jwt_secret=STRONG, jwt_public_key=""))
    assert (keys.algorithm, keys.signing_key) == ("HS256", STRONG)


def test_a_key_pair_needs_no_secret():
    settings = Settings(jwt_secret="", jwt_public_key="/etc/omi/public.pem")
    assert settings.signing_problems() == []


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://omi@db.internal/omi")
    monkeypatch.setenv("JWT_SECRET", STRONG)
    monkeypatch.setenv("JWT_ISSUER", "issuer-x")
    monkeypatch.setenv("JWT_AUDIENCE", "audience-y")
    monkeypatch.setenv("ACCESS_TOKEN_MINUTES", "15")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    settings = Settings()
    assert settings.database_url == "postgresql://omi@db.internal/omi"
    assert (settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience) == (
        STRONG,
        "issuer-x",
        "audience-y",
    )
    assert settings.access_token_minutes == 15
    assert settings.cors_origin_list == ["https://a.example", "https://b.example"]


@pytest.mark.parametrize("minutes", ["0", "-5", "100000", "soon"])
def test_a_nonsense_token_lifetime_is_refused(monkeypatch, minutes):
    monkeypatch.setenv("ACCESS_TOKEN_MINUTES", minutes)
    with pytest.raises(ValidationError):
        Settings()


# --- the database -------------------------------------------------------------------------


def test_the_default_database_is_a_sqlite_file(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = make_url(Settings().database_url)
    assert url.get_backend_name() == "sqlite"
    assert url.database and Path(url.database).is_absolute()
    assert Path(url.database).name == "omi.db"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://omi:pw@db:5432/omi",
        "postgresql+psycopg2://omi:pw@db:5432/omi",
        "postgres://omi:pw@db:5432/omi",
        "postgresql+psycopg://omi:pw@db:5432/omi",
    ],
)
def test_postgres_urls_use_psycopg_3(url):
    assert normalise_url(url) == "postgresql+psycopg://omi:pw@db:5432/omi"
    engine = build_engine(url)
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
    # Connections the server dropped are noticed and replaced before use.
    assert engine.pool._pre_ping is True
    engine.dispose()


def test_a_password_with_reserved_characters_survives_normalising():
    url = "postgresql://omi:p%40ss%2Fw%25rd@db/omi"
    assert make_url(normalise_url(url)).password == "p@ss/w%rd"


def test_sqlite_urls_are_left_alone_and_enforce_foreign_keys(tmp_path):
    url = f"sqlite:///{tmp_path / 'fk.db'}"
    assert normalise_url(url) == url
    engine = build_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
