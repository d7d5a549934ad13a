"""Error → response body, one renderer per API dialect, each as the real service shapes it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from gureum.core.errors import GureumError

# nova and cinder name the body's key after the kind of fault.
_NOVA_KEYS = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    406: "notAcceptable",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}


def keystone(error: GureumError) -> dict[str, Any]:
    return {"error": {"code": error.status, "message": error.text, "title": error.title}}


def nova(error: GureumError) -> dict[str, Any]:
    key = _NOVA_KEYS.get(error.status, "computeFault")
    return {key: {"code": error.status, "message": error.text}}


def neutron(error: GureumError) -> dict[str, Any]:
    kind = error.kind if type(error).__module__ != "gureum.core.errors" else _neutron_generic(error)
    return {"NeutronError": {"type": kind, "message": error.text, "detail": ""}}


def _neutron_generic(error: GureumError) -> str:
    return {400: "HTTPBadRequest", 401: "HTTPUnauthorized", 403: "HTTPForbidden",
            404: "HTTPNotFound", 405: "HTTPMethodNotAllowed", 409: "HTTPConflict"}.get(
        error.status, "HTTPInternalServerError")


def glance(error: GureumError) -> dict[str, Any]:
    return {"message": error.text, "code": f"{error.status} {error.title}", "title": error.title}


Renderer = Callable[[GureumError], dict[str, Any]]
DIALECTS: dict[str, Renderer] = {
    "keystone": keystone,
    "nova": nova,
    "cinder": nova,
    "neutron": neutron,
    "glance": glance,
}


def render(dialect: str, error: GureumError) -> bytes:
    return json.dumps(DIALECTS[dialect](error)).encode()
