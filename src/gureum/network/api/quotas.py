"""/v2.0/quotas (neutron's quotas and quota_details extensions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.core.validation import BOOLEAN, envelope, obj
from gureum.network import errors
from gureum.network.manager import NetworkManager, is_admin

router = Router("/v2.0/quotas")

LIMIT = {"type": ["integer", "string"]}
# Any resource name passes the schema; the manager answers neutron's "Unrecognized
# attribute(s)" for the ones it does not count.
UPDATE_QUOTA = envelope("quota", {
    **obj({"force": BOOLEAN, "check_limit": BOOLEAN}, extra=True),
    "additionalProperties": LIMIT})


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    project_id = req.params["project_id"]
    return {"project_id": project_id, "tenant_id": project_id}


async def own(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    return {"project_id": req.context.project_id, "tenant_id": req.context.project_id}


@router.get("", policy="get_quota", target=own)
async def list_quotas(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"quotas": await manager.list_quotas(req.context, is_admin(req.context))}


def _caller(req: Request, key: str) -> dict[str, Any]:
    if not req.context.project_id:
        raise errors.QuotaMissingTenant()
    return {key: {f"{key}_id": req.context.project_id}}


@router.get("/tenant", policy="get_quota", target=own)
async def show_tenant(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return _caller(req, "tenant")


@router.get("/project", policy="get_quota", target=own)
async def show_project(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return _caller(req, "project")


@router.get("/{project_id}", policy="get_quota", target=target)
async def show_quota(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"quota": await manager.show_quota(req.params["project_id"])}


@router.get("/{project_id}/default", policy="get_quota", target=target)
async def show_default_quota(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"quota": manager.default_quotas()}


@router.get("/{project_id}/details", policy="get_quota", target=target)
async def show_quota_details(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"quota": await manager.quota_details(req.params["project_id"])}


@router.put("/{project_id}", schema=UPDATE_QUOTA, policy="update_quota", target=target)
async def update_quota(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = dict(req.body["quota"])
    spec.pop("force", None)
    check_limit = bool(spec.pop("check_limit", False))
    return {"quota": await manager.update_quota(req.params["project_id"], spec, check_limit)}


@router.delete("/{project_id}", status=204, policy="delete_quota", target=target)
async def delete_quota(req: Request, manager: NetworkManager) -> None:
    await manager.delete_quota(req.params["project_id"])
