"""The security tests' world of real objects, one per module: every path parameter has one."""

from tests.security.conftest import (  # noqa: F401 - fixtures
    holder,
    world,
    world_app,
    world_client,
    world_connection,
    world_session,
)
