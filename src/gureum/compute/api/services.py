"""/v2.1/os-services: nova-compute, nova-scheduler and nova-conductor, up or down,
enabled or disabled (a disabled compute service is given no new servers)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import errors, schemas, views
from gureum.compute.api.common import version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v2.1/os-services")
P = "os_compute_api:os-services:"


@router.get("", policy=P + "list")
async def list_services(req: Request, manager: ComputeManager) -> dict[str, Any]:
    rows = await manager.list_services(req.query.get("host"), req.query.get("binary"))
    return {"services": [views.service(r, manager.is_up(r), version(req)) for r in rows]}


# One path parameter name for PUT and DELETE: routes are grouped by their path text, and two
# spellings of one pattern would leave DELETE answering 405.
@router.put("/{service_id}", schema=schemas.SERVICE_UPDATE, policy=P + "update")
async def update_service(req: Request, manager: ComputeManager) -> dict[str, Any]:
    action, body = req.params["service_id"], req.body
    host, binary = body["host"], body["binary"]
    if action == "enable":
        await manager.update_service(host, binary, disabled=False, disabled_reason=None)
        return {"service": {"host": host, "binary": binary, "status": "enabled"}}
    if action in ("disable", "disable-log-reason"):
        reason = body.get("disabled_reason") if action == "disable-log-reason" else None
        if action == "disable-log-reason" and not reason:
            raise errors.InvalidInput(reason="Missing disabled reason field")
        await manager.update_service(host, binary, disabled=True, disabled_reason=reason)
        answer = {"host": host, "binary": binary, "status": "disabled"}
        return {"service": {**answer, **({"disabled_reason": reason} if reason else {})}}
    if action == "force-down" and version(req) >= (2, 11):
        forced = body.get("forced_down")
        if not isinstance(forced, bool):
            raise errors.InvalidInput(reason="forced_down must be a boolean")
        await manager.update_service(host, binary, forced_down=forced)
        return {"service": {"host": host, "binary": binary, "forced_down": forced}}
    raise NotFound("Unknown action")  # nova's answer, also for force-down before 2.11


@router.delete("/{service_id}", status=204, policy=P + "delete")
async def delete_service(req: Request, manager: ComputeManager) -> Response:
    service_id = req.params["service_id"]
    if not service_id.isdigit():
        raise errors.InvalidInput(reason=f"Invalid service id {service_id}")
    await manager.delete_service(int(service_id))
    return Response(b"", 204)
