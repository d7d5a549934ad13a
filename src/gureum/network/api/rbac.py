"""/v2.0/rbac-policies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.core.validation import envelope, obj
from gureum.network.api.collection import list_query, listed
from gureum.network.manager import NetworkManager
from gureum.network.models import RBACPolicy

router = Router("/v2.0/rbac-policies")

PROJECT_ID = {"type": "string", "minLength": 1, "maxLength": 255}
CREATE_RBAC_POLICY = envelope("rbac_policy", obj({
    "object_type": {"type": "string"}, "object_id": {"type": "string", "maxLength": 64},
    "action": {"type": "string", "maxLength": 255}, "target_tenant": PROJECT_ID,
    "project_id": PROJECT_ID, "tenant_id": PROJECT_ID},
    required=("object_type", "object_id", "action", "target_tenant")))
UPDATE_RBAC_POLICY = envelope("rbac_policy", obj({"target_tenant": PROJECT_ID}))


def view(row: RBACPolicy) -> dict[str, Any]:
    return {"id": row.id, "project_id": row.project_id, "tenant_id": row.project_id,
            "object_type": row.object_type, "object_id": row.object_id,
            "action": row.action, "target_tenant": row.target_tenant}


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    row = await manager.show_rbac_policy(req.context, req.params["policy_id"])
    return {"project_id": row.project_id, "tenant_id": row.project_id}


def _restrict_wildcard(req: Request, action: str, spec: Mapping[str, Any]) -> None:
    if spec.get("target_tenant") == "*":
        req.enforce(f"{action}_rbac_policy:target_tenant",
                    {"project_id": req.context.project_id})


@router.post("", status=201, schema=CREATE_RBAC_POLICY, policy="create_rbac_policy")
async def create_rbac_policy(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["rbac_policy"]
    _restrict_wildcard(req, "create", spec)
    return {"rbac_policy": view(await manager.create_rbac_policy(req.context, spec))}


@router.get("", policy="get_rbac_policy")
async def list_rbac_policies(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover = await manager.list_rbac_policies(req.context, query)
    return listed(req, "rbac_policies", [view(r) for r in rows], leftover, query)


@router.get("/{policy_id}", policy="get_rbac_policy", target=target)
async def show_rbac_policy(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.show_rbac_policy(req.context, req.params["policy_id"])
    return {"rbac_policy": view(row)}


@router.put("/{policy_id}", schema=UPDATE_RBAC_POLICY, policy="update_rbac_policy",
            target=target)
async def update_rbac_policy(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["rbac_policy"]
    _restrict_wildcard(req, "update", spec)
    row = await manager.update_rbac_policy(req.context, req.params["policy_id"], spec)
    return {"rbac_policy": view(row)}


@router.delete("/{policy_id}", status=204, policy="delete_rbac_policy", target=target)
async def delete_rbac_policy(req: Request, manager: NetworkManager) -> None:
    await manager.delete_rbac_policy(req.context, req.params["policy_id"])
