"""/v2.1/servers/{id}/tags (2.26): list, replace, check, add, delete one, delete all."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import schemas
from gureum.compute.api.common import base, server_target, version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v2.1/servers/{server_id}/tags")
P = "os_compute_api:os-server-tags:"


def _since_226(req: Request) -> None:
    if version(req) < (2, 26):
        raise NotFound()


@router.get("", policy=P + "index", target=server_target)
async def list_tags(req: Request, manager: ComputeManager) -> dict[str, Any]:
    _since_226(req)
    return {"tags": await manager.list_tags(req.context, req.params["server_id"])}


@router.put("", schema=schemas.REPLACE_TAGS, policy=P + "update_all", target=server_target)
async def replace_tags(req: Request, manager: ComputeManager) -> dict[str, Any]:
    _since_226(req)
    return {"tags": await manager.replace_tags(req.context, req.params["server_id"],
                                               req.body["tags"])}


@router.delete("", status=204, policy=P + "delete_all", target=server_target)
async def delete_tags(req: Request, manager: ComputeManager) -> None:
    _since_226(req)
    await manager.replace_tags(req.context, req.params["server_id"], [],
                               action="delete tags")


@router.get("/{tag}", status=204, policy=P + "show", target=server_target)
async def check_tag(req: Request, manager: ComputeManager) -> None:
    _since_226(req)
    await manager.has_tag(req.context, req.params["server_id"], req.params["tag"])


@router.put("/{tag}", policy=P + "update", target=server_target)
async def add_tag(req: Request, manager: ComputeManager) -> Response:
    _since_226(req)
    server_id, tag = req.params["server_id"], req.params["tag"]
    added = await manager.add_tag(req.context, server_id, tag)
    url = f"{base(req)}/servers/{server_id}/tags/{tag}"
    return Response(b"", 201 if added else 204, headers={"Location": url})


@router.delete("/{tag}", status=204, policy=P + "delete", target=server_target)
async def delete_tag(req: Request, manager: ComputeManager) -> None:
    _since_226(req)
    await manager.delete_tag(req.context, req.params["server_id"], req.params["tag"])
