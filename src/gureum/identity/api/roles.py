"""/v3/roles, implied roles and /v3/role_inferences."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router, json_response
from gureum.identity import schemas, views
from gureum.identity.manager import IdentityManager
from gureum.identity.models import Role

router = Router("/v3")


def _policy(action: str) -> str:
    return f"identity:{action}_role"


@router.post("/roles", status=201, schema=schemas.CREATE_ROLE, policy=_policy("create"))
async def create_role(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"role": views.role(await manager.create_role(req.body["role"]), req.base_url)}


@router.get("/roles", policy="identity:list_roles")
async def list_roles(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_roles(req.query)
    return views.collection("roles", [views.role(r, req.base_url) for r in rows], req.url)


@router.get("/roles/{role_id}", policy=_policy("get"))
async def show_role(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"role": views.role(await manager.show_role(req.params["role_id"]), req.base_url)}


@router.patch("/roles/{role_id}", schema=schemas.UPDATE_ROLE, policy=_policy("update"))
async def update_role(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_role(req.params["role_id"], req.body["role"])
    return {"role": views.role(row, req.base_url)}


@router.delete("/roles/{role_id}", status=204, policy=_policy("delete"))
async def delete_role(req: Request, manager: IdentityManager) -> None:
    await manager.delete_role(req.params["role_id"])


def _inference(prior: Role, implied: list[Role], base: str) -> dict[str, Any]:
    return {"prior_role": views.role_ref(prior, base),
            "implies": [views.role_ref(r, base) for r in implied]}


@router.put("/roles/{prior_id}/implies/{implied_id}", policy="identity:create_implied_role")
async def create_implied_role(req: Request, manager: IdentityManager) -> Any:
    prior, implied = await manager.create_implied_role(req.params["prior_id"],
                                                       req.params["implied_id"])
    body = {"role_inference": {"prior_role": views.role_ref(prior, req.base_url),
                               "implies": views.role_ref(implied, req.base_url)},
            "links": {"self": req.url}}
    return json_response(body, 201)


@router.get("/roles/{prior_id}/implies/{implied_id}", policy="identity:get_implied_role")
async def show_implied_role(req: Request, manager: IdentityManager) -> dict[str, Any]:
    prior, implied = await manager.show_implied_role(req.params["prior_id"],
                                                     req.params["implied_id"])
    return {"role_inference": {"prior_role": views.role_ref(prior, req.base_url),
                               "implies": views.role_ref(implied, req.base_url)},
            "links": {"self": req.url}}


@router.head("/roles/{prior_id}/implies/{implied_id}", status=204,
             policy="identity:check_implied_role")
async def check_implied_role(req: Request, manager: IdentityManager) -> None:
    await manager.show_implied_role(req.params["prior_id"], req.params["implied_id"])


@router.delete("/roles/{prior_id}/implies/{implied_id}", status=204,
               policy="identity:delete_implied_role")
async def delete_implied_role(req: Request, manager: IdentityManager) -> None:
    await manager.delete_implied_role(req.params["prior_id"], req.params["implied_id"])


@router.get("/roles/{prior_id}/implies", policy="identity:list_implied_roles")
async def list_implied_roles(req: Request, manager: IdentityManager) -> dict[str, Any]:
    [(prior, implied)] = await manager.list_implied_roles(req.params["prior_id"])
    return {"role_inference": _inference(prior, implied, req.base_url),
            "links": {"self": req.url}}


@router.get("/role_inferences", policy="identity:list_role_inference_rules")
async def list_role_inferences(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.role_inferences()
    return {"role_inferences": [_inference(p, i, req.base_url) for p, i in rows],
            "links": {"self": req.url, "previous": None, "next": None}}
