"""Hand-made JWT parts for the token tests: claims the service would issue, base64url."""

from __future__ import annotations

import base64
import time

from app.config import get_settings


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(subject: str, **changes: object) -> dict[str, object]:
    """Valid claims for `subject`; a change to None drops that claim."""
    settings = get_settings()
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": subject,
        "roles": ["admin"],
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(changes)
    return {key: value for key, value in claims.items() if value is not None}
