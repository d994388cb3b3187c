"""Responses checked against the committed OpenAPI document, with no undeclared field allowed."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

COMMITTED = Path(__file__).parents[2] / "openapi" / "openapi.json"
JSON_TYPES = {"application/json", "application/problem+json"}


# RFC 9457 lets a problem carry extension members beyond those it declares.
OPEN_BY_DESIGN = {"Problem", "FieldFault"}


def forbid_undeclared(schema: Any, name: str | None = None) -> Any:
    """Every object schema that lists its properties allows no others, even one that says
    it does (a model with extra="allow" hides fields the document never names)."""
    if isinstance(schema, dict):
        closed = {key: forbid_undeclared(value) for key, value in schema.items()}
        if "properties" in schema and name not in OPEN_BY_DESIGN:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [forbid_undeclared(item) for item in schema]
    return schema


@cache
def document() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text())


@cache
def _components() -> dict[str, Any]:
    components = copy.deepcopy(document().get("components", {}))
    components["schemas"] = {
        name: forbid_undeclared(schema, name)
        for name, schema in components.get("schemas", {}).items()
    }
    return components


def operation(method: str, path: str) -> dict[str, Any]:
    item = document()["paths"].get(path)
    assert item is not None, f"{path} is not in openapi/openapi.json: regenerate it"
    found = item.get(method.lower())
    assert found is not None, f"{method} {path} is not in openapi/openapi.json: regenerate it"
    return found


def declares_fields(schema: dict[str, Any]) -> bool:
    """False for a schema that says nothing of the body's members (`{}`, a bare object)."""
    if "$ref" in schema or "properties" in schema or "items" in schema:
        return True
    if any(key in schema for key in ("anyOf", "oneOf", "allOf")):
        return True
    return schema.get("type") not in (None, "object") or "additionalProperties" in schema


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def check(method: str, path: str, response: httpx.Response) -> None:
    """The response's status and media type are declared, and its JSON body fits the schema
    with additional properties forbidden wherever the schema lists properties."""
    where = f"{method} {path} -> {response.status_code}"
    declared = operation(method, path)["responses"]
    status = str(response.status_code)
    assert status in declared or "default" in declared, (
        f"{where}: status not declared (declares {sorted(declared)})"
    )
    content = declared.get(status, declared.get("default", {})).get("content", {})
    if not response.content:
        return
    kind = media_type(response)
    assert kind in content, f"{where}: {kind} not declared (declares {sorted(content)})"
    if kind not in JSON_TYPES:
        return
    schema = content[kind].get("schema", {})
    assert declares_fields(schema), f"{where}: the schema declares none of the body's fields"
    validator = Draft202012Validator({**forbid_undeclared(schema), "components": _components()})
    errors = list(validator.iter_errors(response.json()))
    if errors:
        worst = best_match(errors)
        place = "/".join(str(part) for part in worst.absolute_path) or "(the body)"
        raise AssertionError(
            f"{where}: the body does not match the document at {place}: {worst.message} "
            f"({len(errors)} fault(s))"
        )


def template_of(url: str) -> tuple[str, str]:
    """The document path an actual request path was made from (literal segments win)."""
    path = httpx.URL(url).path
    candidates = []
    for template in document()["paths"]:
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            candidates.append((template.count("{"), template))
    assert candidates, f"{path} matches no path of openapi/openapi.json"
    return path, min(candidates)[1]


def _untyped(schema: Any, where: str, seen: set[str], found: list[str]) -> None:
    if isinstance(schema, list):
        for number, item in enumerate(schema):
            _untyped(item, f"{where}[{number}]", seen, found)
        return
    if not isinstance(schema, dict):
        return
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        name = reference.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            _untyped(document()["components"]["schemas"][name], name, seen, found)
    is_object = schema.get("type") == "object" or "additionalProperties" in schema
    if (
        is_object
        and "properties" not in schema
        and schema.get("additionalProperties", True) in (True, {})
    ):
        found.append(where)
    for key, value in schema.items():
        if key != "$ref":
            _untyped(value, f"{where}.{key}", seen, found)


def untyped_objects(schema: dict[str, Any]) -> list[str]:
    """Places in a response schema where an object's members are not described at all."""
    found: list[str] = []
    _untyped(schema, "(the body)", set(), found)
    return found
