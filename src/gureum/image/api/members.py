"""/v2/images/{id}/members: sharing an image with other projects."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router
from gureum.image import schemas, views
from gureum.image.api import targets
from gureum.image.manager import ImageManager

router = Router("/v2/images/{image_id}/members")


@router.post("", schema=schemas.ADD_MEMBER, policy="add_member", target=targets.image)
async def add_member(req: Request, manager: ImageManager) -> dict[str, Any]:
    return views.member(await manager.add_member(req.params["image_id"], req.body["member"]))


@router.get("", policy="get_members", target=targets.image)
async def list_members(req: Request, manager: ImageManager) -> dict[str, Any]:
    rows = await manager.list_members(req.context, req.params["image_id"])
    return {"members": [views.member(m) for m in rows], "schema": "/v2/schemas/members"}


@router.get("/{member_id}", policy="get_member", target=targets.image)
async def show_member(req: Request, manager: ImageManager) -> dict[str, Any]:
    return views.member(await manager.show_member(req.context, req.params["image_id"],
                                                  req.params["member_id"]))


@router.put("/{member_id}", schema=schemas.UPDATE_MEMBER, policy="modify_member",
            target=targets.member)
async def update_member(req: Request, manager: ImageManager) -> dict[str, Any]:
    return views.member(await manager.update_member(req.params["image_id"],
                                                    req.params["member_id"],
                                                    req.body["status"]))


@router.delete("/{member_id}", status=204, policy="delete_member", target=targets.image)
async def delete_member(req: Request, manager: ImageManager) -> None:
    await manager.delete_member(req.params["image_id"], req.params["member_id"])
