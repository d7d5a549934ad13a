"""JSON Schema validation that answers 400 with a message saying what is wrong, and where."""

from __future__ import annotations

from typing import Any

import jsonschema
from jsonschema.validators import Draft202012Validator

from gureum.core.errors import ValidationError

_cache: dict[int, Draft202012Validator] = {}


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    key = id(schema)
    found = _cache.get(key)
    if found is None:
        Draft202012Validator.check_schema(schema)
        found = _cache[key] = Draft202012Validator(schema)
    return found


def describe(error: jsonschema.ValidationError) -> str:
    where = "/".join(str(part) for part in error.absolute_path)
    message = error.message
    if len(message) > 200:
        message = message[:200] + "…"
    return f"{message} (at '{where}')" if where else message


def validate(schema: dict[str, Any], body: Any) -> None:
    errors = sorted(validator_for(schema).iter_errors(body), key=lambda e: e.path)
    if errors:
        raise ValidationError(detail=describe(errors[0]))


def to_bool(text: str | None) -> bool | None:
    """A boolean query parameter as OpenStack services read them; None when absent."""
    if text is None:
        return None
    lowered = text.lower()
    if lowered in ("true", "1", "yes", "on", ""):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValidationError(detail=f"expected a boolean, got '{text}'")


# Building blocks the services' schemas share.
NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "\\S"}
OPTIONAL_TEXT = {"type": ["string", "null"]}
BOOLEAN = {"type": "boolean"}
ID = {"type": "string", "minLength": 1, "maxLength": 64}
NULLABLE_ID = {"type": ["string", "null"], "maxLength": 64}


def obj(properties: dict[str, Any], required: tuple[str, ...] = (),
        extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": extra}


def envelope(key: str, inner: dict[str, Any]) -> dict[str, Any]:
    """Bodies wrap the resource under its name: {"project": {...}}."""
    return obj({key: inner}, required=(key,))
