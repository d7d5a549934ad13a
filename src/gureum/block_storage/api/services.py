"""/v3/os-services, /v3/scheduler-stats/get_pools, /v3/capabilities/{host},
/v3/os-availability-zone and /v3/messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from gureum.block_storage import schemas, views
from gureum.block_storage.api.common import at_least, base, empty
from gureum.block_storage.manager import BlockStorageManager
from gureum.block_storage.manager.listing import boolean
from gureum.block_storage.messages import VOLUME_BINARY
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v3")


@router.get("/os-services", policy="volume_extension:services:index")
async def list_services(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    rows = await manager.list_services(dict(req.query))
    services = [views.service(r, manager.service_is_up(r)) for r in rows]
    if at_least(req, "3.49"):  # whether the storage behind each volume service is usable
        for row, body in zip(rows, services, strict=True):
            if row.binary == VOLUME_BINARY:
                body["backend_state"] = "up" if manager.service_is_up(row) else "down"
    return {"services": services}


@router.put("/os-services/{action}", schema=schemas.SERVICE_ACTION,
            policy="volume_extension:services:update")
async def update_service(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    action = req.params["action"]
    if action not in ("enable", "disable", "disable-log-reason"):
        raise NotFound(f"Unknown action {action}")
    body = req.body
    row = await manager.set_service_disabled(body["host"], body["binary"],
                                             action != "enable",
                                             body.get("disabled_reason"))
    return {"host": row.host, "binary": row.binary,
            "status": "disabled" if row.disabled else "enabled",
            "disabled": row.disabled, "disabled_reason": row.disabled_reason}


@router.get("/scheduler-stats/get_pools",
            policy="scheduler_extension:scheduler_stats:get_pools")
async def get_pools(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    detail = boolean(req.query.get("detail", "false"))
    rows = await manager.list_pools()
    if "name" in req.query:
        rows = [r for r in rows if r.name == req.query["name"]]
    if "backend_name" in req.query:
        rows = [r for r in rows if r.capabilities.get("volume_backend_name")
                == req.query["backend_name"]]
    return {"pools": [views.pool(r, detail) for r in rows]}


@router.get("/capabilities/{host}", policy="volume_extension:capabilities")
async def show_capabilities(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    rows = [r for r in await manager.list_pools() if r.backend == req.params["host"]]
    if not rows:
        raise NotFound(f"Can't find service: {req.params['host']}")
    return views.capabilities(rows[0])


@router.get("/os-availability-zone", policy="volume_extension:availability_zone_list")
async def list_zones(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    return {"availabilityZoneInfo": [{"zoneName": name, "zoneState": {"available": up}}
                                     for name, up in await manager.availability_zones()]}


# ------------------------------------------------------------------ user messages (3.3+)
async def message_target(req: Request, manager: BlockStorageManager) -> Mapping[str, Any]:
    row = await manager.show_message(req.context, req.params["message_id"])
    return {"project_id": row.project_id}


@router.get("/messages", policy="message:get_all")
async def list_messages(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    rows = await manager.list_messages(req.context, dict(req.query))
    return {"messages": [views.message(r, base(req)) for r in rows]}


@router.get("/messages/{message_id}", policy="message:get", target=message_target)
async def show_message(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    row = await manager.show_message(req.context, req.params["message_id"])
    return {"message": views.message(row, base(req))}


@router.delete("/messages/{message_id}", policy="message:delete", target=message_target)
async def delete_message(req: Request, manager: BlockStorageManager) -> Response:
    await manager.delete_message(req.context, req.params["message_id"])
    return empty(204)
