"""The shelving actions (`POST /servers/{id}/action`): shelve, shelveOffload (admins),
unshelve (2.77: into a zone; 2.91: to a host, or unpinned from its zone)."""

from __future__ import annotations

from typing import Any

from gureum.compute import errors
from gureum.compute.api.common import version
from gureum.compute.manager import ComputeManager
from gureum.compute.manager.shelve import UNCHANGED
from gureum.core.api import Request

P = "os_compute_api:"
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
        argument = argument if isinstance(argument, dict) else {}
        if argument and version(req) < (2, 77):
            raise errors.InvalidInput(reason="unshelve takes no argument before 2.77")
        if ("host" in argument or argument.get("availability_zone", "") is None) \
                and version(req) < (2, 91):
            raise errors.InvalidInput(reason="a host, or no zone, came at 2.91")
        if "host" in argument:  # 2.91: an admin names the host
            req.enforce(P + "os-shelve:unshelve_to_host", {})
        await manager.unshelve_server(req.context, server_id,
                                      argument.get("availability_zone", UNCHANGED),
                                      argument.get("host"))
