"""Remote consoles: `POST /servers/{id}/remote-consoles` (2.6), the older actions
(os-getVNCConsole, os-getSPICEConsole, os-getRDPConsole, os-getSerialConsole), and
`GET /os-console-auth-tokens/{token}` for the console proxies (admins)."""

from __future__ import annotations

from typing import Any

from gureum.compute import errors, schemas
from gureum.compute.api.common import server_target, version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v2.1")
P = "os_compute_api:"
# the older actions: action → (its protocol, its policy)
ACTIONS = {"os-getVNCConsole": "vnc", "os-getSPICEConsole": "spice",
           "os-getRDPConsole": "rdp", "os-getSerialConsole": "serial"}
POLICIES = dict.fromkeys(ACTIONS, "os-remote-consoles")


async def act(req: Request, manager: ComputeManager, name: str, argument: Any,
              ) -> dict[str, Any]:
    kind = (argument or {}).get("type", "")
    url = await manager.remote_console(req.context, req.params["server_id"], ACTIONS[name],
                                       kind)
    return {"console": {"type": kind, "url": url}}


@router.post("/servers/{server_id}/remote-consoles", schema=schemas.REMOTE_CONSOLE,
             policy=P + "remote-consoles", target=server_target)
async def create_console(req: Request, manager: ComputeManager) -> dict[str, Any]:
    if version(req) < (2, 6):
        raise NotFound()
    spec = req.body["remote_console"]
    if spec["type"] == "spice-direct" and version(req) < (2, 99):
        raise errors.InvalidInput(reason="spice-direct consoles came at 2.99")
    if spec["protocol"] == "mks" and version(req) < (2, 8):
        raise errors.InvalidInput(reason="mks consoles came at 2.8")
    url = await manager.remote_console(req.context, req.params["server_id"],
                                       spec["protocol"], spec["type"])
    return {"remote_console": {"protocol": spec["protocol"], "type": spec["type"],
                               "url": url}}


@router.get("/os-console-auth-tokens/{token}", policy=P + "os-console-auth-tokens")
async def show_token(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.console_connection(req.params["token"])
    if version(req) < (2, 31) and row.console_type != "rdp-html5":
        raise errors.InvalidInput(reason="The requested console type details are not "
                                  "accessible")
    body: dict[str, Any] = {"instance_uuid": row.server_id, "host": row.host,
                            "port": row.port, "internal_access_path": row.internal_access_path}
    if version(req) >= (2, 99):
        body["tls_port"] = None
    return {"console": body}
