"""/v2.1/os-services: nova-compute, nova-scheduler and nova-conductor, up or down,
enabled or disabled (a disabled compute service is given no new servers)."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from gureum.compute import errors, schemas, views
from gureum.compute.api.common import version
from gureum.compute.manager import ComputeManager
from gureum.compute.messages import COMPUTE_BINARY
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
    if version(req) >= (2, 53):
        return await _update_by_uuid(req, manager)
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


async def _update_by_uuid(req: Request, manager: ComputeManager) -> dict[str, Any]:
    """2.53: a compute service by its uuid: enabled or disabled (with a reason), forced
    down or not; the answer is the whole service."""
    row = await manager.find_service(_uuid(req.params["service_id"]))
    body = req.body
    if row.binary != COMPUTE_BINARY:
        raise errors.InvalidInput(reason=f"Updating a {row.binary} service is not "
                                  "supported. Only nova-compute services can be updated.")
    if "status" not in body and "forced_down" not in body:
        raise errors.InvalidInput(reason="No updates were requested. Fields 'status' or "
                                  "'forced_down' should be specified.")
    if "disabled_reason" in body and body.get("status") != "disabled":
        raise errors.InvalidInput(reason="Specifying 'disabled_reason' with status "
                                  f"'{body.get('status', 'enabled')}' is invalid.")
    values: dict[str, Any] = {}
    if "status" in body:
        values["disabled"] = body["status"] == "disabled"
        values["disabled_reason"] = body.get("disabled_reason") if values["disabled"] \
            else None
    if "forced_down" in body:
        values["forced_down"] = body["forced_down"]
    updated = await manager.update_service(row.host, row.binary, **values)
    return {"service": views.service(updated, manager.is_up(updated), version(req))}


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise errors.InvalidInput(reason=f"Invalid uuid {value}") from exc


@router.delete("/{service_id}", status=204, policy=P + "delete")
async def delete_service(req: Request, manager: ComputeManager) -> Response:
    service_id = req.params["service_id"]
    if version(req) >= (2, 53):
        await manager.delete_service(_uuid(service_id))
        return Response(b"", 204)
    if not service_id.isdigit():
        raise errors.InvalidInput(reason=f"Invalid service id {service_id}")
    await manager.delete_service(int(service_id))
    return Response(b"", 204)
