"""POST /v2.1/servers/{id}/action: the power actions, lock, reset state, security
groups and the console log; and the instance actions that record them."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from gureum.compute import errors, schemas, views
from gureum.compute.api import consoles, moves, rescue, server_images, shelve
from gureum.compute.api.common import next_links, page, server_target, version
from gureum.compute.api.servers import render
from gureum.compute.manager import ComputeManager
from gureum.compute.manager.actions import ACTIONS, action_body
from gureum.compute.manager.servers import parse_time
from gureum.core.api import Request, Router, json_response

router = Router("/v2.1/servers/{server_id}")
P = "os_compute_api:"
# action → its policy (nova's names)
POLICIES = {
    "os-stop": "servers:stop", "os-start": "servers:start", "reboot": "servers:reboot",
    "pause": "os-pause-server:pause", "unpause": "os-pause-server:unpause",
    "suspend": "os-suspend-server:suspend", "resume": "os-suspend-server:resume",
    "lock": "os-lock-server:lock", "unlock": "os-lock-server:unlock",
    "os-resetState": "os-admin-actions:reset_state",
    "addSecurityGroup": "os-security-groups:add", "removeSecurityGroup":
    "os-security-groups:remove", "os-getConsoleOutput": "os-console-output",
    "rebuild": "servers:rebuild",
    **shelve.POLICIES, **moves.POLICIES, **server_images.POLICIES, **rescue.POLICIES,
    **consoles.POLICIES,
}


# the actions whose module of their own does them (and may give the answer's body)
DELEGATED = {**dict.fromkeys(moves.POLICIES, moves.act),
             **dict.fromkeys(shelve.POLICIES, shelve.act),
             **dict.fromkeys(server_images.POLICIES, server_images.act),
             **dict.fromkeys(rescue.POLICIES, rescue.act),
             **dict.fromkeys(consoles.POLICIES, consoles.act)}


@router.post("/action", schema=schemas.SERVER_ACTION, policy=P + "servers:show",
             target=server_target)
async def server_action(req: Request, manager: ComputeManager) -> Any:
    name, argument = action_body(req.body)
    server_id = req.params["server_id"]
    if name not in POLICIES:
        raise errors.NoSuchAction(name=name)
    target = await server_target(req, manager)
    req.enforce(P + POLICIES[name], target)
    if name == "reboot":
        kind = argument["type"].upper()  # the schema allows SOFT, Soft, soft, HARD, …
        await manager.server_action(req.context, server_id, f"reboot:{kind}")
    elif name in ACTIONS and name not in DELEGATED:
        await manager.server_action(req.context, server_id, name)
    elif name == "os-getConsoleOutput":
        length = argument.get("length")
        length = None if length is None else int(length)
        if length is not None and length < -1:
            raise errors.InvalidInput(reason=f"Invalid length {length}: -1 or more")
        output = await manager.console_output(req.context, server_id, length)
        return {"output": output}
    elif name == "rebuild":
        if "description" in argument and version(req) < (2, 19):
            raise errors.InvalidInput(reason="description needs microversion 2.19")
        if argument.get("trusted_image_certificates"):
            req.enforce(P + "servers:rebuild:trusted_certs", target)
        row = await manager.rebuild_server(req.context, server_id, argument)
        body = (await render(req, manager, [row], one=True))[0]
        body["adminPass"] = argument.get("adminPass") or secrets.token_urlsafe(9)
        return json_response({"server": body}, 202)
    elif name in DELEGATED:
        answer = await DELEGATED[name](req, manager, name, argument)
        if answer is not None:
            return answer if isinstance(answer, Response) else json_response(answer, 200)
    else:
        await _other_action(req, manager, name, argument)
    return Response(b"", 202)


async def _other_action(req: Request, manager: ComputeManager, name: str,
                        argument: Any) -> None:
    server_id = req.params["server_id"]
    if name == "lock":
        reason = (argument or {}).get("locked_reason") if version(req) >= (2, 73) else None
        await manager.lock_server(req.context, server_id, reason)
    elif name == "unlock":
        await manager.unlock_server(req.context, server_id)
    elif name == "os-resetState":
        await manager.reset_state(req.context, server_id, argument["state"])
    else:
        if not argument["name"].strip():
            raise errors.InvalidInput(reason="Security group name cannot be empty")
        await manager.change_security_group(req.context, server_id, argument["name"],
                                            add=name == "addSecurityGroup")


# ------------------------------------------------------------------ instance actions
async def actions_target(req: Request, manager: ComputeManager) -> Mapping[str, Any]:
    """The server the actions are of: a deleted one's too from 2.21."""
    row = await manager.show_any_server(req.context, req.params["server_id"],
                                        deleted=version(req) >= (2, 21))
    return {"project_id": row.project_id, "user_id": row.user_id}


@router.get("/os-instance-actions", policy=P + "os-instance-actions:list",
            target=actions_target)
async def list_instance_actions(req: Request, manager: ComputeManager) -> dict[str, Any]:
    rows = await manager.list_instance_actions(req.context, req.params["server_id"],
                                               deleted=version(req) >= (2, 21))
    if version(req) < (2, 58):
        return {"instanceActions": [views.instance_action(r, version(req)) for r in rows]}
    # 2.58: changes-since (the action's last update), a request id as marker, a limit
    if req.query.get("changes-since"):
        since = parse_time(req.query["changes-since"], "changes-since")
        rows = [r for r in rows if r.updated_at >= since]
    if req.query.get("changes-before") and version(req) >= (2, 66):
        before = parse_time(req.query["changes-before"], "changes-before")
        rows = [r for r in rows if r.updated_at <= before]
    wanted = page(req)
    if wanted.marker is not None:
        ids = [r.request_id for r in rows]
        if wanted.marker not in ids:
            raise errors.InvalidInput(reason=f"Marker {wanted.marker} could not be found.")
        rows = rows[ids.index(wanted.marker) + 1:]
    items = [views.instance_action(r, version(req)) for r in rows[:wanted.limit]]
    links = next_links(req, "instanceActions", items, wanted.limit, key="request_id")
    return {"instanceActions": items,
            **({"links": links["instanceActions_links"]} if links else {})}


@router.get("/os-instance-actions/{request_id}", policy=P + "os-instance-actions:show",
            target=actions_target)
async def show_instance_action(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row, events = await manager.show_instance_action(
        req.context, req.params["server_id"], req.params["request_id"],
        deleted=version(req) >= (2, 21))
    body = views.instance_action(row, version(req))
    # events are for admins (with their tracebacks); from 2.51 for everyone (without)
    admin = req.allowed(P + "os-instance-actions:events", {"project_id": row.project_id})
    if admin or version(req) >= (2, 51):
        details = req.allowed(P + "os-instance-actions:events:details",
                              {"project_id": row.project_id})
        body["events"] = [views.action_event(e, version(req), row.project_id, admin, details)
                          for e in events]
    return {"instanceAction": body}
