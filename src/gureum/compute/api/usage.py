"""/v2.1/os-simple-tenant-usage: every project's usage over a period (admins), or one
project's with its servers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gureum.compute import errors
from gureum.compute.api.common import truthy
from gureum.compute.manager import ComputeManager
from gureum.compute.manager.servers import parse_time
from gureum.compute.manager.usage import tenant_usage
from gureum.core.api import Request, Router
from gureum.core.db import utcnow

router = Router("/v2.1/os-simple-tenant-usage")
P = "os_compute_api:os-simple-tenant-usage:"


def _period(req: Request) -> tuple[datetime, datetime]:
    """start and end (each now when absent, as nova); start must come first."""
    start = parse_time(req.query["start"], "start") if req.query.get("start") else utcnow()
    stop = parse_time(req.query["end"], "end") if req.query.get("end") else utcnow()
    if not start < stop:
        raise errors.InvalidInput(reason="Invalid start time. The start time cannot occur "
                                  "after the end time.")
    return start, stop


@router.get("", policy=P + "list")
async def list_usage(req: Request, manager: ComputeManager) -> dict[str, Any]:
    start, stop = _period(req)
    found = await manager.usage(start, stop)
    detailed = truthy(req.query.get("detailed", "0"))
    return {"tenant_usages": [tenant_usage(project, usages, start, stop, detailed)
                              for project, usages in sorted(found.items())]}


async def _target(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"project_id": req.params["project_id"]}


@router.get("/{project_id}", policy=P + "show", target=_target)
async def show_usage(req: Request, manager: ComputeManager) -> dict[str, Any]:
    start, stop = _period(req)
    project_id = req.params["project_id"]
    found = (await manager.usage(start, stop, project_id)).get(project_id, [])
    if not found:
        return {"tenant_usage": {}}  # nova's answer for a project that used nothing
    return {"tenant_usage": tenant_usage(project_id, found, start, stop, detailed=True)}
