"""The problem document schema and the error responses every operation declares."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class FieldFault(BaseModel):
    model_config = ConfigDict(extra="allow")

    loc: list[str | int] | None = None
    row: int | None = None
    column: str | None = None
    cell: str | None = Field(
        default=None,
        description='An .xlsx upload: the sheet cell (e.g. "Sheet1!C5") or row ("Sheet1!5:5")',
    )
    code: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldFault] | None = None


class TokenProblem(Problem):
    """A token endpoint error: a problem document carrying OAuth2's members (RFC 6749 5.2)."""

    error: Literal["invalid_request", "invalid_client", "invalid_grant", "unsupported_grant_type"]
    error_description: str


Responses = dict[int | str, dict[str, Any]]


def created_response(model: type[Any], description: str) -> Responses:
    """The 201 of a PUT that may create: documented beside its 200."""
    return {201: {"description": description, "model": model}}


def problem_responses(*statuses: int) -> Responses:
    descriptions = {
        400: "Malformed request: a NUL character, a body that is not UTF-8 or not JSON",
        401: "Missing or invalid access token",
        403: "Your role may see this resource but not change it",
        404: "No such resource, or not visible to your role",
        406: "None of the accepted media types can be produced",
        409: "Conflicts with the resource's state (e.g. a published inspection)",
        412: "If-Match does not match the current ETag",
        413: "Body too large",
        415: "Unsupported media type",
        422: "Validation failed; every fault is listed in errors",
        429: "Too many requests",
        503: "Database unavailable; retry after Retry-After seconds",
    }
    return {status: {"description": descriptions[status], "model": Problem} for status in statuses}


def document_responses() -> Responses:
    """A document the route serves as JSON (its model), a printable HTML page or a PDF."""
    return {
        200: {
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            }
        },
        **problem_responses(406),
    }


API_ERRORS = problem_responses(400, 401, 403, 404, 422, 503)


def declare_problem_media_type(document: dict[str, Any]) -> dict[str, Any]:
    """Error responses are served as application/problem+json; say so in the document.

    FastAPI files every response model under the route's media type (application/json),
    so a client validating Content-Type against the document would reject every error.
    """
    problem = {"$ref": "#/components/schemas/Problem"}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if not status.isdigit() or int(status) < 400 or "application/json" not in content:
                    continue
                declared = content.pop("application/json")
                if declared.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
                    declared = {"schema": problem}
                content["application/problem+json"] = declared
    return document


def without_validation_response(document: dict[str, Any], operation_id: str) -> dict[str, Any]:
    """Drop the 422 FastAPI declares for an operation whose handler never sends one."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if operation.get("operationId") == operation_id:
                operation.get("responses", {}).pop("422", None)
    return document
