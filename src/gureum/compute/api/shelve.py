"""The shelving actions (`POST /servers/{id}/action`): shelve, shelveOffload (admins),
unshelve (2.77: into a zone)."""

from __future__ import annotations

from typing import Any

from gureum.compute import errors
from gureum.compute.api.common import version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request

# action → its policy (nova's names)
POLICIES = {"shelve": "os-shelve:shelve", "shelveOffload": "os-shelve:shelve_offload",
            "unshelve": "os-shelve:unshelve"}


async def act(req: Request, manager: ComputeManager, name: str, argument: Any) -> None:
    """The action done (its answer has no body)."""
    server_id = req.params["server_id"]
    if name == "shelve":
        await manager.shelve_server(req.context, server_id)
    elif name == "shelveOffload":
        await manager.shelve_offload_server(req.context, server_id)
    else:
        zone = None
        if isinstance(argument, dict) and argument:
            if version(req) < (2, 77):
                raise errors.InvalidInput(reason="unshelve takes no argument before 2.77")
            zone = argument.get("availability_zone")
        await manager.unshelve_server(req.context, server_id, zone)
