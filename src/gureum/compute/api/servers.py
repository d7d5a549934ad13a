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
from gureum.core.errors import Forbidden, NotFound

router = Router("/v2.1/servers")
# the filters every user may pass (nova drops the rest for non-admins)
USER_FILTERS = {"name", "status", "image", "flavor", "ip", "ip6", "changes-since",
                "changes-before", "reservation_id", "tags", "tags-any", "not-tags",
                "not-tags-any"}
ADMIN_FILTERS = {"host", "node", "project_id", "tenant_id", "user_id", "deleted",
                 "vm_state", "task_state", "availability_zone", "config_drive", "key_name",
                 "created_at", "launched_at", "terminated_at", "power_state", "progress"}
# what 2.83 lets every user filter by
FILTERS_2_83 = {"availability_zone", "config_drive", "key_name", "created_at",
                "launched_at", "terminated_at", "power_state", "task_state", "vm_state",
                "progress", "user_id"}
# nova's sort keys → columns; keys nova takes but ignores (from 2.75 it refuses them)
SORT_KEYS = {
    "access_ip_v4": "access_ipv4", "access_ip_v6": "access_ipv6",
    "availability_zone": "availability_zone", "config_drive": "config_drive",
    "created_at": "created_at", "display_description": "description",
    "display_name": "name", "host": "host", "hostname": "hostname", "image_ref": "image_ref",
    "instance_type_id": "flavor_id", "key_name": "key_name", "launch_index": "launch_index",
    "launched_at": "launched_at", "locked_by": "locked_by", "node": "node",
    "power_state": "power_state", "progress": "progress", "project_id": "project_id",
    "task_state": "task_state", "terminated_at": "terminated_at", "updated_at": "updated_at",
    "user_id": "user_id", "uuid": "id", "vm_state": "vm_state",
    # one value for every server here: a sort by them orders nothing
    "auto_disk_config": "", "kernel_id": "", "ramdisk_id": "", "root_device_name": ""}
IGNORED_SORT_KEYS = {
    "architecture", "cell_name", "cleaned", "default_ephemeral_device",
    "default_swap_device", "deleted", "deleted_at", "disable_terminate", "ephemeral_gb",
    "ephemeral_key_uuid", "id", "key_data", "launched_on", "locked", "memory_mb", "os_type",
    "reservation_id", "root_gb", "shutdown_terminate", "user_data", "vcpus", "vm_mode"}
ADMIN_SORT_KEYS = {"host", "node"}
# every query parameter nova's list takes (from 2.75 others are refused)
KNOWN_QUERY = USER_FILTERS | ADMIN_FILTERS | set(SORT_KEYS) | {
    "limit", "marker", "sort_key", "sort_dir", "all_tenants", "soft_deleted", "locked",
    "image_ref", "launch_index", "kernel_id", "ramdisk_id", "hostname", "key_name",
    "power_state", "launched_at", "terminated_at", "display_name", "description",
    "display_description", "locked_by", "uuid", "root_device_name", "config_drive",
    "access_ip_v4", "access_ip_v6", "auto_disk_config", "progress", "created_at",
    "block_device_mapping", "services", "metadata", "system_metadata", "info_cache",
    "security_groups", "pci_devices"}


@router.post("", status=202, schema=schemas.CREATE_SERVER, policy="os_compute_api:servers:create")
async def create_server(req: Request, manager: ComputeManager) -> Response:
    spec = dict(req.body["server"])
    hints = req.body.get("os:scheduler_hints") or req.body.get("OS-SCH-HNT:scheduler_hints")
    if hints:
        spec["os:scheduler_hints"] = hints
    if spec.get("host") or spec.get("hypervisor_hostname"):
        req.enforce("compute:servers:create:requested_destination",
                    {"project_id": req.context.project_id})
    if spec.get("trusted_image_certificates"):
        req.enforce("os_compute_api:servers:create:trusted_certs",
                    {"project_id": req.context.project_id})
    if spec.get("networks") is not None and spec["networks"] not in ("auto", "none"):
        req.enforce("os_compute_api:servers:create:attach_network",
                    {"project_id": req.context.project_id})
    rows, password = await manager.create_servers(
        req.context, spec, networks_required=version(req) >= (2, 37),
        multiattach=version(req) >= (2, 60))
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
    allowed = USER_FILTERS | (ADMIN_FILTERS if admin else set()) | (
        FILTERS_2_83 if version(req) >= (2, 83) else set())
    filters: dict[str, Any] = {k: v for k, v in req.query.items() if k in allowed}
    if version(req) < (2, 66):
        filters.pop("changes-before", None)
    if version(req) >= (2, 73) and "locked" in req.query:  # 2.73: locked or not
        value = req.query["locked"].lower()
        if value not in ("true", "false", "1", "0", "yes", "no"):
            raise errors.InvalidInput(reason=f"Unrecognized value '{req.query['locked']}', "
                                      "acceptable values are 'true' or 'false'")
        filters["locked"] = value in ("true", "1", "yes")
    for key in ("changes-since", "changes-before"):
        if key in filters:
            filters[key] = parse_time(filters[key], key)
    if "changes-before" in filters and filters["changes-before"] < filters.get(
            "changes-since", filters["changes-before"]):
        raise errors.InvalidInput(reason="The value of changes-since must be less than or "
                                  "equal to changes-before.")
    listing = page(req)
    return ServerQuery(filters=filters, limit=listing.limit, marker=listing.marker,
                       sort=_sort(req, admin),
                       # a bare ?all_tenants counts, as in nova
                       all_tenants=req.query.get("all_tenants") == ""
                       or truthy(req.query.get("all_tenants", "false")))


def _sort(req: Request, admin: bool) -> tuple[tuple[str, str], ...]:
    """sort_key and sort_dir pairs (a missing direction is desc, as nova's)."""
    at = version(req)
    if at >= (2, 75):
        unknown = set(req.query) - KNOWN_QUERY
        if unknown:
            raise errors.InvalidInput(reason="Invalid input for query parameters "
                                      f"{', '.join(sorted(unknown))}.")
    keys = req.raw.query_params.getlist("sort_key")
    dirs = req.raw.query_params.getlist("sort_dir")
    ignored = IGNORED_SORT_KEYS - ({"locked"} if at >= (2, 73) else set())
    sort: list[tuple[str, str]] = []
    for index, key in enumerate(keys):
        direction = dirs[index] if index < len(dirs) else "desc"
        if direction not in ("asc", "desc"):
            raise errors.InvalidInput(reason=f"Invalid sort direction {direction}")
        if key == "locked" and at >= (2, 73):
            sort.append(("locked", direction))
        elif key in ignored and at < (2, 75):
            continue
        elif key not in SORT_KEYS:
            raise errors.InvalidInput(reason=f"Invalid sort key {key}")
        elif key in ADMIN_SORT_KEYS and not admin:
            raise Forbidden(f"Only administrators can sort servers by {key}")
        elif SORT_KEYS[key]:
            sort.append((SORT_KEYS[key], direction))
    return tuple(sort)


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
                 one: bool = False) -> list[dict[str, Any]]:
    """Servers as the request's microversion shows them; `one`: a single server's answer
    (show, update, rebuild), which from 2.71 names its server groups."""
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
    items = [views.server(r, base(req), at, admin=admin, tags=tags.get(r.id),
                          host_status=None if states is None else states.get(r.host or "", ""),
                          volumes=volumes[r.id], extra_specs=extra_specs)
             for r in rows]
    if one and at >= (2, 71):
        for item in items:
            item["server_groups"] = await manager.groups_of(item["id"])
    return items


@router.get("/{server_id}", policy="os_compute_api:servers:show", target=server_target)
async def show_server(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.show_server(req.context, req.params["server_id"])
    return {"server": (await render(req, manager, [row], one=True))[0]}


@router.put("/{server_id}", schema=schemas.UPDATE_SERVER,
            policy="os_compute_api:servers:update", target=server_target)
async def update_server(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.update_server(req.context, req.params["server_id"],
                                      req.body["server"])
    return {"server": (await render(req, manager, [row], one=True))[0]}


@router.delete("/{server_id}", status=204, policy="os_compute_api:servers:delete",
               target=server_target)
async def delete_server(req: Request, manager: ComputeManager) -> None:
    await manager.delete_server(req.context, req.params["server_id"])


@router.get("/{server_id}/topology", policy="compute:server:topology:index",
            target=server_target)
async def show_topology(req: Request, manager: ComputeManager) -> dict[str, Any]:
    """2.78: the server's NUMA nodes; the drivers here pin none, so a server has none (as
    nova shows a server without a NUMA topology)."""
    if version(req) < (2, 78):
        raise NotFound()
    await manager.show_server(req.context, req.params["server_id"])
    return {"nodes": [], "pagesize_kb": None}
