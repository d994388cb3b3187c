"""A bounded, reproducible schemathesis run: no 5xx and no response outside the OpenAPI schema.

Path parameters point at real objects (the world of tests/security/world.py), so the
generated queries and bodies reach the code behind the loaders instead of stopping at 404.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from app.main import create_app
from tests.security.conftest import bind_to_holder
from tests.security.world import FRAMEWORK

# CI runs a bounded, deterministic pass; `scripts/fuzz` runs a much larger one with other
# seeds (OMI_FUZZ_EXAMPLES, OMI_FUZZ_SEED) and keeps its report under docs/fuzzing/.
SEED = int(os.environ.get("OMI_FUZZ_SEED", "20110912"))
EXAMPLES_PER_OPERATION = int(os.environ.get("OMI_FUZZ_EXAMPLES", "12"))
CONFIG = {
    "seed": SEED,
    "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
    # The examples and fuzzing phases; coverage and stateful runs would multiply the time.
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
}


APP = create_app()
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", APP, config=SchemathesisConfig.from_dict(CONFIG)
)


@pytest.fixture(autouse=True)
def _requests_use_the_world(world_connection, holder):
    bind_to_holder(APP, holder)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_holds_its_contract_under_generated_input(case, world):
    real = {
        "inspection_id": world.inspection_id,
        "case_id": world.case_id,
        "response_id": world.response_id,
        "letter_id": world.letter_id,
        "evidence_id": world.evidence_id,
        "code": FRAMEWORK,
        "criterion_code": "4.4a",
        "import_id": world.import_id,
    }
    for name in list(case.path_parameters or {}):
        if real.get(name):
            case.path_parameters[name] = real[name]
    case.call_and_validate(
        headers=world.headers["admin"],
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
