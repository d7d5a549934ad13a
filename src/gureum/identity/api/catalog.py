"""/v3/regions, /v3/services and /v3/endpoints."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router
from gureum.identity import schemas, views
from gureum.identity.manager import IdentityManager

router = Router("/v3")


@router.post("/regions", status=201, schema=schemas.CREATE_REGION,
             policy="identity:create_region")
async def create_region(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"region": views.region(await manager.create_region(req.body["region"]),
                                   req.base_url)}


@router.put("/regions/{region_id}", status=201, schema=schemas.CREATE_REGION,
            policy="identity:create_region")
async def create_region_with_id(req: Request, manager: IdentityManager) -> dict[str, Any]:
    spec = {**req.body["region"], "id": req.params["region_id"]}
    return {"region": views.region(await manager.create_region(spec), req.base_url)}


@router.get("/regions", policy="identity:list_regions")
async def list_regions(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_regions(req.query)
    return views.collection("regions", [views.region(r, req.base_url) for r in rows], req.url)


@router.get("/regions/{region_id}", policy="identity:get_region")
async def show_region(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"region": views.region(await manager.show_region(req.params["region_id"]),
                                   req.base_url)}


@router.patch("/regions/{region_id}", schema=schemas.UPDATE_REGION,
              policy="identity:update_region")
async def update_region(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_region(req.params["region_id"], req.body["region"])
    return {"region": views.region(row, req.base_url)}


@router.delete("/regions/{region_id}", status=204, policy="identity:delete_region")
async def delete_region(req: Request, manager: IdentityManager) -> None:
    await manager.delete_region(req.params["region_id"])


@router.post("/services", status=201, schema=schemas.CREATE_SERVICE,
             policy="identity:create_service")
async def create_service(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"service": views.service(await manager.create_service(req.body["service"]),
                                     req.base_url)}


@router.get("/services", policy="identity:list_services")
async def list_services(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_services(req.query)
    return views.collection("services", [views.service(s, req.base_url) for s in rows], req.url)


@router.get("/services/{service_id}", policy="identity:get_service")
async def show_service(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"service": views.service(await manager.show_service(req.params["service_id"]),
                                     req.base_url)}


@router.patch("/services/{service_id}", schema=schemas.UPDATE_SERVICE,
              policy="identity:update_service")
async def update_service(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_service(req.params["service_id"], req.body["service"])
    return {"service": views.service(row, req.base_url)}


@router.delete("/services/{service_id}", status=204, policy="identity:delete_service")
async def delete_service(req: Request, manager: IdentityManager) -> None:
    await manager.delete_service(req.params["service_id"])


@router.post("/endpoints", status=201, schema=schemas.CREATE_ENDPOINT,
             policy="identity:create_endpoint")
async def create_endpoint(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"endpoint": views.endpoint(await manager.create_endpoint(req.body["endpoint"]),
                                       req.base_url)}


@router.get("/endpoints", policy="identity:list_endpoints")
async def list_endpoints(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_endpoints(req.query)
    return views.collection("endpoints", [views.endpoint(e, req.base_url) for e in rows],
                            req.url)


@router.get("/endpoints/{endpoint_id}", policy="identity:get_endpoint")
async def show_endpoint(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"endpoint": views.endpoint(await manager.show_endpoint(req.params["endpoint_id"]),
                                       req.base_url)}


@router.patch("/endpoints/{endpoint_id}", schema=schemas.UPDATE_ENDPOINT,
              policy="identity:update_endpoint")
async def update_endpoint(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_endpoint(req.params["endpoint_id"], req.body["endpoint"])
    return {"endpoint": views.endpoint(row, req.base_url)}


@router.delete("/endpoints/{endpoint_id}", status=204, policy="identity:delete_endpoint")
async def delete_endpoint(req: Request, manager: IdentityManager) -> None:
    await manager.delete_endpoint(req.params["endpoint_id"])
