"""/v2.1/servers: create, list (summary and detail), show, update, delete."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import errors, schemas, views
from gureum.compute.api.common import base, next_links, page, server_target, truthy, version
from gureum.compute.manager import ComputeManager, is_admin
from gureum.compute.manager.servers import ServerQuery, parse_time
from gureum.compute.models import Server
from gureum.core.api import Request, Router, json_response

router = Router("/v2.1/servers")
# the filters every user may pass (nova drops the rest for non-admins)
USER_FILTERS = {"name", "status", "image", "flavor", "ip", "ip6", "changes-since",
                "changes-before", "reservation_id", "tags", "tags-any", "not-tags",
                "not-tags-any"}
ADMIN_FILTERS = {"host", "node", "project_id", "tenant_id", "user_id", "deleted",
                 "vm_state", "task_state", "availability_zone"}


@router.post("", status=202, schema=schemas.CREATE_SERVER, policy="os_compute_api:servers:create")
async def create_server(req: Request, manager: ComputeManager) -> Response:
    spec = dict(req.body["server"])
    hints = req.body.get("os:scheduler_hints") or req.body.get("OS-SCH-HNT:scheduler_hints")
    if hints:
        spec["os:scheduler_hints"] = hints
    if spec.get("networks") is not None and spec["networks"] not in ("auto", "none"):
        req.enforce("os_compute_api:servers:create:attach_network",
                    {"project_id": req.context.project_id})
    rows, password = await manager.create_servers(
        req.context, spec, networks_required=version(req) >= (2, 37))
    if truthy(spec.get("return_reservation_id", False)):
        return json_response({"reservation_id": rows[0].reservation_id}, 202)
    first = rows[0]  # with several, nova answers with the first
    links = views.links(base(req), "servers", first.id)
    body = {"server": {"id": first.id, "links": links, "OS-DCF:diskConfig": "MANUAL",
                       "adminPass": password,
                       "security_groups": [{"name": n} for n in first.security_groups]}}
    return json_response(body, 202, {"Location": links[0]["href"]})


def _query(req: Request) -> ServerQuery:
    admin = is_admin(req.context)
    allowed = USER_FILTERS | (ADMIN_FILTERS if admin else set())
    filters: dict[str, Any] = {k: v for k, v in req.query.items() if k in allowed}
    for key in ("changes-since", "changes-before"):
        if key in filters:
            filters[key] = parse_time(filters[key], key)
    listing = page(req)
    return ServerQuery(filters=filters, limit=listing.limit, marker=listing.marker,
                       # a bare ?all_tenants counts, as in nova
                       all_tenants=req.query.get("all_tenants") == ""
                       or truthy(req.query.get("all_tenants", "false")))


async def _list(req: Request, manager: ComputeManager, scope: str) -> list[Server]:
    query = _query(req)
    if query.all_tenants:
        req.enforce(f"os_compute_api:servers:{scope}:get_all_tenants",
                    {"project_id": req.context.project_id})
    try:
        return await manager.list_servers(req.context, query)
    except errors.InvalidInput:
        if "status" in query.filters and version(req) < (2, 38):
            return []  # before 2.38 an unknown status lists nothing
        raise


@router.get("", policy="os_compute_api:servers:index")
async def list_servers(req: Request, manager: ComputeManager) -> dict[str, Any]:
    rows = await _list(req, manager, "index")
    items = [views.server_summary(r, base(req)) for r in rows]
    return {"servers": items, **next_links(req, "servers", items, page(req).limit)}


@router.get("/detail", policy="os_compute_api:servers:detail")
async def list_servers_detail(req: Request, manager: ComputeManager) -> dict[str, Any]:
    rows = await _list(req, manager, "detail")
    items = await render(req, manager, rows)
    return {"servers": items, **next_links(req, "servers", items, page(req).limit)}


async def render(req: Request, manager: ComputeManager, rows: list[Server],
                 ) -> list[dict[str, Any]]:
    at = version(req)
    admin = req.allowed("os_compute_api:os-extended-server-attributes",
                        {"project_id": req.context.project_id})
    tags = await manager.server_tags([r.id for r in rows]) if at >= (2, 26) else {}
    states: dict[str, str] | None = None  # host_status (2.16), for those allowed to see it
    if at >= (2, 16) and req.allowed("os_compute_api:servers:show:host_status",
                                     {"project_id": req.context.project_id}):
        states = await manager.host_states({r.host for r in rows if r.host})
    volumes = await manager.server_volumes([r.id for r in rows])
    extra_specs = at >= (2, 47) and req.allowed("os_compute_api:os-flavor-extra-specs:index",
                                                {"project_id": req.context.project_id})
    return [views.server(r, base(req), at, admin=admin, tags=tags.get(r.id),
                         host_status=None if states is None else states.get(r.host or "", ""),
                         volumes=volumes[r.id], extra_specs=extra_specs)
            for r in rows]


@router.get("/{server_id}", policy="os_compute_api:servers:show", target=server_target)
async def show_server(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.show_server(req.context, req.params["server_id"])
    return {"server": (await render(req, manager, [row]))[0]}


@router.put("/{server_id}", schema=schemas.UPDATE_SERVER,
            policy="os_compute_api:servers:update", target=server_target)
async def update_server(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.update_server(req.context, req.params["server_id"],
                                      req.body["server"])
    return {"server": (await render(req, manager, [row]))[0]}


@router.delete("/{server_id}", status=204, policy="os_compute_api:servers:delete",
               target=server_target)
async def delete_server(req: Request, manager: ComputeManager) -> None:
    await manager.delete_server(req.context, req.params["server_id"])
