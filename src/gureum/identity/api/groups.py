"""/v3/groups and membership."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router
from gureum.identity import schemas, views
from gureum.identity.api import targets
from gureum.identity.manager import IdentityManager

router = Router("/v3/groups")


@router.post("", status=201, schema=schemas.CREATE_GROUP, policy="identity:create_group")
async def create_group(req: Request, manager: IdentityManager) -> dict[str, Any]:
    default_domain = req.context.domain_id or req.context.project_domain_id
    row = await manager.create_group(req.body["group"], default_domain)
    return {"group": views.group(row, req.base_url)}


@router.get("", policy="identity:list_groups", target=targets.domain_filter)
async def list_groups(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_groups(req.query)
    return views.collection("groups", [views.group(g, req.base_url) for g in rows], req.url)


@router.get("/{group_id}", policy="identity:get_group", target=targets.group)
async def show_group(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"group": views.group(await manager.show_group(req.params["group_id"]),
                                 req.base_url)}


@router.patch("/{group_id}", schema=schemas.UPDATE_GROUP, policy="identity:update_group",
              target=targets.group)
async def update_group(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_group(req.params["group_id"], req.body["group"])
    return {"group": views.group(row, req.base_url)}


@router.delete("/{group_id}", status=204, policy="identity:delete_group", target=targets.group)
async def delete_group(req: Request, manager: IdentityManager) -> None:
    await manager.delete_group(req.params["group_id"])


@router.get("/{group_id}/users", policy="identity:list_users_in_group", target=targets.group)
async def list_users_in_group(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_users(req.query, group_id=req.params["group_id"])
    return views.collection("users", [views.user(u, req.base_url) for u in rows], req.url)


@router.put("/{group_id}/users/{user_id}", status=204, policy="identity:add_user_to_group",
            target=targets.group)
async def add_user_to_group(req: Request, manager: IdentityManager) -> None:
    await manager.add_user_to_group(req.params["group_id"], req.params["user_id"])


@router.head("/{group_id}/users/{user_id}", status=204, policy="identity:check_user_in_group",
             target=targets.group)
async def check_user_in_group(req: Request, manager: IdentityManager) -> None:
    await manager.check_user_in_group(req.params["group_id"], req.params["user_id"])


router.get("/{group_id}/users/{user_id}", status=204, policy="identity:check_user_in_group",
           target=targets.group)(check_user_in_group)


@router.delete("/{group_id}/users/{user_id}", status=204,
               policy="identity:remove_user_from_group", target=targets.group)
async def remove_user_from_group(req: Request, manager: IdentityManager) -> None:
    await manager.remove_user_from_group(req.params["group_id"], req.params["user_id"])
