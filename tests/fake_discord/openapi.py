"""Every request checked against Discord's own description of its HTTP API (spec/openapi.json).

The operation must exist in the description, and a JSON body (or a multipart body's
`payload_json`) must match the operation's request schema; a violation is answered the way
Discord answers it: 400, code 50035 "Invalid Form Body", and an `errors` object keyed by the
path of each bad field. One change to the description: a snowflake may be a JSON number, as
discord.py sends some and Discord accepts them.

The description is vendored from github.com/discord/discord-api-spec at 74fda0f (2026-07-18;
MIT, spec/LICENSE): to update, copy its specs/openapi.json over spec/openapi.json.
Validators are compiled once per operation, the first time it is called.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import Errors
from .validation import merged

SPEC = Path(__file__).parent / "spec" / "openapi.json"
BASE = "urn:discord-openapi"
METHODS = ("get", "put", "post", "patch", "delete")
SNOWFLAKE = {
    "anyOf": [
        {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
        {"type": "integer", "minimum": 0},
    ]
}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    pattern: re.Pattern[str]
    body_schema: dict[str, Any] | None
    body_required: bool


class Description:
    """The operations of Discord's HTTP API and their request validators."""

    def __init__(self, spec: dict[str, Any]) -> None:
        spec["components"]["schemas"]["SnowflakeType"] = SNOWFLAKE
        self._registry = Registry().with_resource(
            BASE, Resource.from_contents(spec, default_specification=DRAFT202012)
        )
        operations = []
        for template, item in spec["paths"].items():
            for method in METHODS:
                if method in item:
                    operations.append(_operation(method.upper(), template, item[method]))
        # A literal segment wins over a parameter: /users/@me before /users/{user_id}.
        operations.sort(key=lambda op: (op.template.count("{"), -len(op.template)))
        self._operations = operations
        self._validators: dict[tuple[str, str], Draft202012Validator] = {}

    def operation(self, method: str, path: str) -> Operation | None:
        for op in self._operations:
            if op.method == method and op.pattern.fullmatch(path):
                return op
        return None

    def body_errors(self, op: Operation, body: Any) -> Errors:
        """Discord's `errors` object for this body ({} when it is valid)."""
        if op.body_schema is None:
            return {}
        if body is None:
            return (
                _errors_at([], "BASE_TYPE_REQUIRED", "This field is required")
                if (op.body_required)
                else {}
            )
        key = (op.method, op.template)
        validator = self._validators.get(key)
        if validator is None:
            validator = Draft202012Validator(op.body_schema, registry=self._registry)
            self._validators[key] = validator
        return merged(
            *(_discord_error(leaf) for e in validator.iter_errors(body) for leaf in _leaves(e))
        )


def _operation(method: str, template: str, spec: dict[str, Any]) -> Operation:
    regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    body = spec.get("requestBody") or {}
    schema = (body.get("content") or {}).get("application/json", {}).get("schema")
    return Operation(method, template, re.compile(regex), schema, bool(body.get("required")))


@cache
def description() -> Description:
    text = SPEC.read_text(encoding="utf-8").replace('"$ref": "#/', f'"$ref": "{BASE}#/')
    return Description(json.loads(text))


TYPE_CODES = {
    "string": "STRING_TYPE_CONVERT",
    "integer": "NUMBER_TYPE_COERCE",
    "number": "NUMBER_TYPE_COERCE",
    "boolean": "BOOLEAN_TYPE_CONVERT",
    "array": "LIST_TYPE_CONVERT",
    "object": "DICT_TYPE_CONVERT",
}


def _leaves(error: ValidationError) -> list[ValidationError]:
    """The errors to report for one failure: inside a oneOf/anyOf, those of the one alternative
    whose kind fits (the others fail on their `type` discriminator, or on being null)."""
    if not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    viable = [errs for errs in branches.values() if not any(map(_wrong_kind, errs))]
    if len(viable) != 1:
        return [best_match(error.context)]
    return [leaf for sub in viable[0] for leaf in _leaves(sub)]


def _wrong_kind(error: ValidationError) -> bool:
    at = list(error.relative_path)
    return (error.validator in ("enum", "const") and at == ["type"]) or (
        error.validator == "type" and not at
    )


def _discord_error(error: ValidationError) -> Errors:
    path = [str(p) for p in error.absolute_path]
    keyword, value = error.validator, error.validator_value
    if keyword == "required":
        missing = [p for p in value if p not in error.instance]
        return _errors_at([*path, missing[0]], "BASE_TYPE_REQUIRED", "This field is required")
    if keyword == "type":
        first = value[0] if isinstance(value, list) else value
        code = TYPE_CODES.get(first, "BASE_TYPE_INVALID")
        return _errors_at(path, code, f"Must be of type {value}.")
    if keyword in ("maxLength", "maxItems"):
        return _errors_at(path, "BASE_TYPE_MAX_LENGTH", f"Must be {value} or fewer in length.")
    if keyword in ("minLength", "minItems"):
        return _errors_at(path, "BASE_TYPE_MIN_LENGTH", f"Must be {value} or more in length.")
    if keyword in ("enum", "const"):
        return _errors_at(path, "BASE_TYPE_CHOICES", f"Value must be one of {value}.")
    if keyword == "maximum":
        return _errors_at(path, "NUMBER_TYPE_MAX", f"int value should be <= {value}.")
    if keyword == "minimum":
        return _errors_at(path, "NUMBER_TYPE_MIN", f"int value should be >= {value}.")
    if keyword == "pattern":
        return _errors_at(path, "STRING_TYPE_REGEX", "String value did not match validation.")
    return _errors_at(path, "UNION_TYPE_CHOICES", error.message[:200])


def _errors_at(path: list[str], code: str, message: str) -> Errors:
    errors: Errors = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {key: errors}
    return errors
