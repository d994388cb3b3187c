"""Every claim a token needs is present and typed, and no token outlives the service's limit.

python-jose skips the audience check when a token carries no `aud`, turns a string `exp`
into a number, and accepts any `iat`; the service checks these itself.
"""

from __future__ import annotations

import time

import pytest
from jose import jwt

from app.config import get_settings
from tests.security.test_tokens import PROTECTED, assert_refused, hs256_by_hand
from tests.tokens import claims_for


@pytest.fixture
def admin_subject(auth) -> str:
    token = auth("admin")["Authorization"].split()[1]
    return str(jwt.get_unverified_claims(token)["sub"])


def _call(client, claims):
    token = hs256_by_hand(claims, get_settings().jwt_secret.encode())
    return client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})


def test_the_control_token_is_accepted(client, admin_subject):
    assert _call(client, claims_for(admin_subject)).status_code == 200


@pytest.mark.parametrize("claim", ["aud", "iss", "exp", "iat", "sub", "roles"])
def test_a_token_missing_a_required_claim_is_refused(client, admin_subject, claim):
    assert_refused(_call(client, claims_for(admin_subject, **{claim: None})))


NOW = int(time.time())
MISTYPED = {
    "exp as a string": {"exp": str(NOW + 600)},
    "exp as a float string": {"exp": f"{NOW + 600}.0"},
    "exp as true": {"exp": True},
    "iat as a string": {"iat": str(NOW)},
    "nbf as a string": {"nbf": str(NOW)},
    "aud as a number": {"aud": 1},
    "aud as a list of others": {"aud": ["someone-else"]},
    "iss as a list": {"iss": ["omi-service"]},
    "sub as a number": {"sub": 7},
    "roles as a list of numbers": {"roles": [1]},
    "trust as a list": {"trust": ["durham-tees-valley"]},
}


@pytest.mark.parametrize("changes", MISTYPED.values(), ids=list(MISTYPED))
def test_a_mistyped_claim_is_refused(client, admin_subject, changes):
    assert_refused(_call(client, claims_for(admin_subject, **changes)))


def test_iat_in_the_future_is_refused_beyond_a_small_leeway(client, admin_subject):
    leeway = get_settings().token_leeway_seconds
    now = int(time.time())
    # Within the leeway: a signer's clock a little ahead is forgiven.
    near = claims_for(admin_subject, iat=now + leeway // 2, nbf=None)
    assert _call(client, near).status_code == 200
    far = claims_for(admin_subject, iat=now + leeway + 120, nbf=None)
    assert_refused(_call(client, far))


def test_a_token_older_than_the_maximum_age_is_refused_whatever_exp_says(client, admin_subject):
    max_age = get_settings().token_max_age_minutes * 60
    now = int(time.time())
    old = claims_for(admin_subject, iat=now - max_age - 3600, nbf=None, exp=now + 600)
    assert_refused(_call(client, old))


def test_a_ten_year_lifetime_is_refused(client, admin_subject):
    now = int(time.time())
    decade = claims_for(admin_subject, exp=now + 10 * 365 * 24 * 3600)
    assert_refused(_call(client, decade))


def test_a_token_the_service_issues_is_accepted(client, auth):
    assert client.get(PROTECTED, headers=auth("analyst")).status_code == 200
