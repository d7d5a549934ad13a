"""Images of servers (`POST /servers/{id}/action`): createImage and createBackup (with
its rotation)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute.api.common import version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, json_response

# action → its policy (nova's names)
POLICIES = {"createImage": "servers:create_image", "createBackup": "os-create-backup"}


async def act(req: Request, manager: ComputeManager, name: str, argument: Any) -> Response:
    server_id, metadata = req.params["server_id"], argument.get("metadata") or {}
    if name == "createImage":
        image_id = await manager.create_image(req.context, server_id, argument["name"],
                                              metadata)
        return image_answer(req, image_id)
    made = await manager.create_backup(req.context, server_id, argument["name"],
                                       argument["backup_type"], int(argument["rotation"]),
                                       metadata)
    return Response(b"", 202) if made is None else image_answer(req, made)


def image_answer(req: Request, image_id: str) -> Response:
    """createImage's and createBackup's 202: the new image in the Location header before
    2.45, in the body from 2.45."""
    if version(req) >= (2, 45):
        return json_response({"image_id": image_id}, 202)
    return Response(b"", 202, headers={"Location": f"{req.base_url}/v2.1/images/{image_id}"})
