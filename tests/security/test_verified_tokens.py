"""Verified tokens kept by their text: as strict as a token checked afresh."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import config
from app.auth import security
from app.auth.security import TokenError, VerifiedTokens, decode_token, issue_token
from app.models.base import utcnow


@pytest.fixture(autouse=True)
def empty_cache():
    security.verified_tokens.clear()
    yield
    security.verified_tokens.clear()


def test_a_kept_token_still_expires(monkeypatch):
    token, lifetime = issue_token("user:kept", ["admin"], None)
    assert decode_token(token)["sub"] == "user:kept"
    assert security.verified_tokens.get(token, config.get_settings(), security.signing_keys())
    later = utcnow() + timedelta(seconds=lifetime + config.get_settings().token_leeway_seconds + 1)
    monkeypatch.setattr(security, "utcnow", lambda: later)
    with pytest.raises(TokenError, match="expired"):
        decode_token(token)


def test_a_kept_token_is_refused_once_the_signing_key_changes(monkeypatch):
    token, _ = issue_token("user:kept", ["admin"], None)
    decode_token(token)
    monkeypatch.setenv("JWT_SECRET", "another-secret-" + "x" * 48)
    config.get_settings.cache_clear()
    try:
        with pytest.raises(TokenError):
            decode_token(token)
    finally:
        monkeypatch.undo()
        config.get_settings.cache_clear()


def test_a_forged_signature_is_refused_while_the_real_token_is_kept():
    token, _ = issue_token("user:kept", ["admin"], None)
    decode_token(token)
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    with pytest.raises(TokenError):
        decode_token(forged)
    assert (
        security.verified_tokens.get(forged, config.get_settings(), security.signing_keys()) is None
    )


def test_the_cache_keeps_at_most_its_entries_oldest_out():
    kept = VerifiedTokens(entries=2)
    settings, keys = config.get_settings(), security.signing_keys()
    for name in ("a", "b", "c"):
        kept.put(name, settings, keys, {"sub": name})
    assert kept.get("a", settings, keys) is None
    assert kept.get("b", settings, keys) == {"sub": "b"}
    assert kept.get("c", settings, keys) == {"sub": "c"}
