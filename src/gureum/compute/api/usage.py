"""/v2.1/os-simple-tenant-usage: every project's usage over a period (admins), or one
project's with its servers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gureum.compute import errors
from gureum.compute.api.common import next_links, page, truthy, version
from gureum.compute.manager import ComputeManager
from gureum.compute.manager.servers import parse_time
from gureum.compute.manager.usage import ServerUsage, tenant_usage
from gureum.core.api import Page, Request, Router
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


def _paged(req: Request, found: dict[str, list[ServerUsage]],
           ) -> tuple[dict[str, list[ServerUsage]], list[dict[str, Any]], int | None]:
    """One page of the servers (limit and marker, a server's id, from 2.40; before, as
    many as nova's max_limit), regrouped by project; and the page's servers, for links."""
    wanted = page(req) if version(req) >= (2, 40) else Page(None, None)
    limit = 1000 if wanted.limit is None else wanted.limit
    usages = sorted((u for us in found.values() for u in us),
                    key=lambda u: (u.server.launched_at or u.server.created_at, u.server.id))
    if wanted.marker is not None:
        ids = [u.server.id for u in usages]
        if wanted.marker not in ids:
            raise errors.InvalidInput(reason=f"marker [{wanted.marker}] not found")
        usages = usages[ids.index(wanted.marker) + 1:]
    usages = usages[:limit]
    grouped: dict[str, list[ServerUsage]] = {}
    for usage in usages:
        grouped.setdefault(usage.server.project_id, []).append(usage)
    return grouped, [{"id": u.server.id} for u in usages], wanted.limit


@router.get("", policy=P + "list")
async def list_usage(req: Request, manager: ComputeManager) -> dict[str, Any]:
    start, stop = _period(req)
    found, listed, limit = _paged(req, await manager.usage(start, stop))
    detailed = truthy(req.query.get("detailed", "0"))
    return {"tenant_usages": [tenant_usage(project, usages, start, stop, detailed)
                              for project, usages in sorted(found.items())],
            **next_links(req, "tenant_usages", listed, limit)}


async def _target(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"project_id": req.params["project_id"]}


@router.get("/{project_id}", policy=P + "show", target=_target)
async def show_usage(req: Request, manager: ComputeManager) -> dict[str, Any]:
    start, stop = _period(req)
    project_id = req.params["project_id"]
    grouped, listed, limit = _paged(req, await manager.usage(start, stop, project_id))
    found = grouped.get(project_id, [])
    if not found:
        return {"tenant_usage": {}}  # nova's answer for a project that used nothing
    return {"tenant_usage": tenant_usage(project_id, found, start, stop, detailed=True),
            **next_links(req, "tenant_usage", listed, limit)}
