"""Moving servers: the actions resize, confirmResize, revertResize, migrate (admins;
2.56 names the host) and os-migrateLive (admins); /os-migrations (admins) and a server's
live migrations under way (/servers/{id}/migrations, 2.23)."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import Response

from gureum.compute import errors
from gureum.compute.api.common import next_links, page, server_target, version
from gureum.compute.manager import ComputeManager
from gureum.compute.manager.servers import parse_time
from gureum.compute.models import Migration
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v2.1")
P = "os_compute_api:"
# action → its policy (nova's names)
POLICIES = {"resize": "servers:resize", "confirmResize": "servers:confirm_resize",
            "revertResize": "servers:revert_resize", "migrate": "os-migrate-server:migrate",
            "os-migrateLive": "os-migrate-server:migrate_live", "evacuate": "os-evacuate"}


async def act(req: Request, manager: ComputeManager, name: str, argument: Any,
              ) -> dict[str, Any] | Response | None:
    """The action done; the body of its answer, if it has one."""
    server_id, context = req.params["server_id"], req.context
    if name == "evacuate":
        return await _evacuate(req, manager, argument)
    if name == "resize":
        await manager.resize_server(context, server_id, str(argument["flavorRef"]))
    elif name == "confirmResize":  # nova's 204 (202 only from 2.101)
        await manager.confirm_resize(context, server_id)
        return Response(b"", 204 if version(req) < (2, 101) else 202)
    elif name == "revertResize":
        await manager.revert_resize(context, server_id)
    elif name == "migrate":
        host = (argument or {}).get("host")
        if argument and version(req) < (2, 56):
            raise errors.InvalidInput(reason="migrate takes no argument before 2.56")
        await manager.migrate_server(context, server_id, host)
    else:
        await manager.live_migrate_server(context, server_id, argument["host"],
                                          force=_live_arguments(req, argument))
    return None


async def _evacuate(req: Request, manager: ComputeManager, argument: dict[str, Any],
                    ) -> dict[str, Any] | Response:
    """onSharedStorage before 2.14 (required), force from 2.29 to 2.67; the admin
    password in the answer before 2.14; stopped at the end from 2.95."""
    at = version(req)
    if (at < (2, 14)) != ("onSharedStorage" in argument):
        raise errors.InvalidInput(reason="onSharedStorage is required before 2.14, and "
                                  "refused from it")
    if "force" in argument and not (2, 29) <= at < (2, 68):
        raise errors.InvalidInput(reason="force is accepted from 2.29 to 2.67")
    await manager.evacuate_server(req.context, req.params["server_id"], argument.get("host"),
                                  stopped=at >= (2, 95))
    if at < (2, 14):
        return {"adminPass": argument.get("adminPass") or secrets.token_urlsafe(9)}
    return Response(b"", 200)


def _live_arguments(req: Request, argument: dict[str, Any]) -> bool:
    """os-migrateLive's fields by version (nova's): whether the host is forced."""
    at = version(req)
    if at < (2, 25) and "disk_over_commit" not in argument:
        raise errors.InvalidInput(reason="disk_over_commit is required before 2.25")
    if at >= (2, 25) and "disk_over_commit" in argument:
        raise errors.InvalidInput(reason="disk_over_commit was removed at 2.25")
    block = argument["block_migration"]
    if block == "auto" and at < (2, 25) or (isinstance(block, str) and block != "auto"):
        raise errors.InvalidInput(reason=f"Invalid block_migration {block}")
    if "force" in argument and not (2, 30) <= at < (2, 68):
        raise errors.InvalidInput(reason="force is accepted from 2.30 to 2.67")
    return bool(argument.get("force"))


def migration_body(req: Request, row: Migration, server_view: bool = False,
                   ) -> dict[str, Any]:
    """A migration as os-migrations shows it, or (server_view) as a server's."""
    at = version(req)
    body: dict[str, Any] = {
        "id": row.id, "status": row.status, "source_compute": row.source_compute,
        "source_node": row.source_node, "dest_compute": row.dest_compute,
        "dest_node": row.dest_node, "dest_host": row.dest_host,
        "created_at": _time(row.created_at), "updated_at": _time(row.updated_at)}
    if server_view:
        body.update({"server_uuid": row.server_id, **{
            f"{kind}_{figure}_bytes": 0 for kind in ("memory", "disk")
            for figure in ("total", "processed", "remaining")}})
    else:
        body.update({"instance_uuid": row.server_id, "old_instance_type_id": row.old_flavor_id,
                     "new_instance_type_id": row.new_flavor_id})
        if at >= (2, 23):
            body["migration_type"] = row.migration_type
            if row.migration_type == "live-migration" and row.status in (
                    "queued", "preparing", "running"):
                href = f"{req.base_url}/v2.1/servers/{row.server_id}/migrations/{row.id}"
                body["links"] = [{"rel": "self", "href": href}]
    if at >= (2, 59):
        body["uuid"] = row.uuid
    if at >= (2, 80):
        body.update({"user_id": row.user_id, "project_id": row.project_id})
    return body


def _time(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value else None


MIGRATION_FILTERS = ("status", "migration_type", "instance_uuid", "source_compute", "host")


@router.get("/os-migrations", policy=P + "os-migrations:index")
async def list_migrations(req: Request, manager: ComputeManager) -> dict[str, Any]:
    at = version(req)
    filters: dict[str, Any] = {k: req.query[k] for k in MIGRATION_FILTERS if k in req.query}
    if at >= (2, 80):
        filters.update({k: req.query[k] for k in ("user_id", "project_id") if k in req.query})
    if at >= (2, 59) and req.query.get("changes-since"):
        filters["changes-since"] = parse_time(req.query["changes-since"], "changes-since")
    if at >= (2, 66) and req.query.get("changes-before"):
        filters["changes-before"] = parse_time(req.query["changes-before"], "changes-before")
    rows = await manager.list_migrations(req.context, filters)
    if at < (2, 59):
        return {"migrations": [migration_body(req, r) for r in rows]}
    wanted = page(req)  # 2.59: paged by uuid
    if wanted.marker is not None:
        ids = [r.uuid for r in rows]
        if wanted.marker not in ids:
            raise errors.InvalidInput(reason=f"Marker {wanted.marker} could not be found.")
        rows = rows[ids.index(wanted.marker) + 1:]
    items = [migration_body(req, r) for r in rows[:wanted.limit]]
    return {"migrations": items,
            **next_links(req, "migrations", items, wanted.limit, key="uuid")}


@router.get("/servers/{server_id}/migrations", policy=P + "servers:migrations:index",
            target=server_target)
async def list_server_migrations(req: Request, manager: ComputeManager) -> dict[str, Any]:
    if version(req) < (2, 23):
        raise NotFound()
    rows = await manager.server_migrations(req.context, req.params["server_id"])
    return {"migrations": [migration_body(req, r, server_view=True) for r in rows]}


@router.get("/servers/{server_id}/migrations/{migration_id}",
            policy=P + "servers:migrations:show", target=server_target)
async def show_server_migration(req: Request, manager: ComputeManager) -> dict[str, Any]:
    if version(req) < (2, 23):
        raise NotFound()
    wanted = req.params["migration_id"]
    for row in await manager.server_migrations(req.context, req.params["server_id"]):
        if str(row.id) == wanted:
            return {"migration": migration_body(req, row, server_view=True)}
    raise NotFound(f"Migration {wanted} could not be found for server.")


@router.post("/servers/{server_id}/migrations/{migration_id}/action", status=202,
             policy=P + "servers:migrations:force_complete", target=server_target)
async def force_complete_migration(req: Request, manager: ComputeManager) -> Response:
    if version(req) < (2, 22):
        raise NotFound()
    if not isinstance(req.body, dict) or set(req.body) != {"force_complete"}:
        raise errors.InvalidInput(reason="The only action is force_complete.")
    await manager.force_complete_migration(req.context, req.params["server_id"],
                                           req.params["migration_id"])
    return Response(b"", 202)


@router.delete("/servers/{server_id}/migrations/{migration_id}", status=202,
               policy=P + "servers:migrations:delete", target=server_target)
async def abort_migration(req: Request, manager: ComputeManager) -> Response:
    if version(req) < (2, 24):
        raise NotFound()
    await manager.abort_migration(req.context, req.params["server_id"],
                                  req.params["migration_id"],
                                  waiting_too=version(req) >= (2, 65))
    return Response(b"", 202)
