"""/v2.1/os-aggregates: host aggregates, their hosts and metadata (an
`availability_zone` key makes a zone)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import errors, schemas, views
from gureum.compute.api.common import version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router
from gureum.core.errors import NotFound

router = Router("/v2.1/os-aggregates")
P = "os_compute_api:os-aggregates:"


def _id(req: Request) -> int:
    raw = req.params["aggregate_id"]
    if not raw.isdigit():
        raise errors.InvalidInput(reason=f"Invalid aggregate id {raw}")
    return int(raw)


async def _shown(req: Request, manager: ComputeManager, aggregate_id: int,
                 ) -> dict[str, Any]:
    return {"aggregate": views.aggregate(*await manager.show_aggregate(aggregate_id),
                                         version(req))}


@router.get("", policy=P + "index")
async def list_aggregates(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"aggregates": [views.aggregate(row, hosts, version(req))
                           for row, hosts in await manager.list_aggregates()]}


@router.post("", schema=schemas.CREATE_AGGREGATE, policy=P + "create")
async def create_aggregate(req: Request, manager: ComputeManager) -> dict[str, Any]:
    spec = req.body["aggregate"]
    row = await manager.create_aggregate(spec["name"], spec.get("availability_zone"))
    body = views.aggregate(row, [], version(req))
    for key in ("hosts", "metadata"):
        body.pop(key)  # nova's create answer has neither
    return {"aggregate": body}


@router.get("/{aggregate_id}", policy=P + "show")
async def show_aggregate(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return await _shown(req, manager, _id(req))


@router.put("/{aggregate_id}", schema=schemas.UPDATE_AGGREGATE, policy=P + "update")
async def update_aggregate(req: Request, manager: ComputeManager) -> dict[str, Any]:
    await manager.update_aggregate(_id(req), req.body["aggregate"])
    return await _shown(req, manager, _id(req))


@router.delete("/{aggregate_id}", status=200, policy=P + "delete")
async def delete_aggregate(req: Request, manager: ComputeManager) -> Response:
    await manager.delete_aggregate(_id(req))
    return Response(b"", 200)


@router.post("/{aggregate_id}/action", schema=schemas.AGGREGATE_ACTION,
             policy=P + "add_host")
async def aggregate_action(req: Request, manager: ComputeManager) -> dict[str, Any]:
    aggregate_id = _id(req)
    if "add_host" in req.body:
        await manager.add_aggregate_host(aggregate_id, req.body["add_host"]["host"])
    elif "remove_host" in req.body:
        req.enforce(P + "remove_host", {})
        await manager.remove_aggregate_host(aggregate_id, req.body["remove_host"]["host"])
    else:
        req.enforce(P + "set_metadata", {})
        await manager.set_aggregate_metadata(aggregate_id,
                                             req.body["set_metadata"]["metadata"])
    return await _shown(req, manager, aggregate_id)


@router.post("/{aggregate_id}/images", status=202, schema=schemas.CACHE_IMAGES,
             policy="compute:aggregates:images")
async def cache_images(req: Request, manager: ComputeManager) -> Response:
    """2.81: the aggregate's hosts fetch these images ahead of the boots that need them."""
    if version(req) < (2, 81):
        raise NotFound()
    image_ids = list(dict.fromkeys(item["id"] for item in req.body["cache"]))
    await manager.cache_images(req.context, _id(req), image_ids)
    return Response(b"", 202)
