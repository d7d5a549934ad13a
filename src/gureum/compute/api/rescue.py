"""rescue and unrescue (`POST /servers/{id}/action`): the server booted from a rescue
image (its own disk attached) and back; volume-backed servers from 2.87."""

from __future__ import annotations

import secrets
from typing import Any

from gureum.compute import errors
from gureum.compute.api.common import version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request

# action → its policy (nova's names)
POLICIES = {"rescue": "os-rescue", "unrescue": "os-unrescue"}


async def act(req: Request, manager: ComputeManager, name: str, argument: Any,
              ) -> dict[str, Any] | None:
    """The action done; rescue answers the admin password the rescued server has."""
    server_id = req.params["server_id"]
    if name == "unrescue":
        await manager.server_action(req.context, server_id, "unrescue")
        return None
    argument = argument or {}
    server = await manager.show_server(req.context, server_id)
    if not server.image_ref and version(req) < (2, 87):
        raise errors.InvalidInput(reason="Cannot rescue a volume-backed instance")
    if argument.get("rescue_image_ref"):
        await manager.check_image(req.context, argument["rescue_image_ref"])
    await manager.server_action(req.context, server_id, "rescue")
    return {"adminPass": argument.get("adminPass") or secrets.token_urlsafe(9)}
