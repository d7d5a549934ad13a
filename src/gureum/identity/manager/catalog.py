"""Regions, services and endpoints: the service catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from gureum.core.errors import BadRequest, Forbidden
from gureum.identity import errors
from gureum.identity.manager.base import ManagerBase, apply, new_id
from gureum.identity.models import Endpoint, Region, Service

INTERFACES = ("public", "internal", "admin")


class CatalogManager(ManagerBase):
    # ------------------------------------------------------------ regions
    async def create_region(self, spec: dict[str, Any]) -> Region:
        async with self.db.session() as session:
            parent = spec.get("parent_region_id")
            if parent:
                await self.get(session, Region, parent, errors.RegionNotFound, region_id=parent)
            region = Region(id=spec.get("id") or new_id(),
                            description=spec.get("description") or "", parent_region_id=parent)
            session.add(region)
            await self.flush_unique(session, "region", region.id)
        await self.changed("region", "created", region.id)
        return region

    async def list_regions(self, query: Mapping[str, str]) -> list[Region]:
        stmt = select(Region).order_by(Region.id)
        if "parent_region_id" in query:
            stmt = stmt.where(Region.parent_region_id == query["parent_region_id"])
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_region(self, region_id: str) -> Region:
        async with self.db.session() as session:
            return await self.get(session, Region, region_id, errors.RegionNotFound,
                                  region_id=region_id)

    async def update_region(self, region_id: str, changes: dict[str, Any]) -> Region:
        async with self.db.session() as session:
            region = await self.get(session, Region, region_id, errors.RegionNotFound,
                                    region_id=region_id)
            parent = changes.get("parent_region_id")
            while parent is not None:  # walk up from the new parent: we must not be there
                if parent == region_id:
                    raise BadRequest("Circular region hierarchy: a region cannot be its own "
                                     "ancestor.")
                above = await self.get(session, Region, parent, errors.RegionNotFound,
                                       region_id=parent)
                parent = above.parent_region_id
            apply(region, changes, ("description", "parent_region_id"))
        await self.changed("region", "updated", region_id)
        return region

    async def delete_region(self, region_id: str) -> None:
        async with self.db.session() as session:
            region = await self.get(session, Region, region_id, errors.RegionNotFound,
                                    region_id=region_id)
            used = (await session.scalars(select(Endpoint.id).where(
                Endpoint.region_id == region_id))).first()
            child = (await session.scalars(select(Region.id).where(
                Region.parent_region_id == region_id))).first()
            if used or child:
                raise Forbidden("Cannot delete a region that has endpoints or child "
                                       "regions.")
            await session.delete(region)
        await self.changed("region", "deleted", region_id)

    # ------------------------------------------------------------ services
    async def create_service(self, spec: dict[str, Any]) -> Service:
        async with self.db.session() as session:
            service = Service(id=new_id(), type=spec["type"],
                              name=spec.get("name") or "",
                              description=spec.get("description") or "",
                              enabled=spec.get("enabled", True))
            session.add(service)
        await self.changed("service", "created", service.id)
        return service

    async def list_services(self, query: Mapping[str, str]) -> list[Service]:
        stmt = select(Service).order_by(Service.type, Service.name)
        for field in ("type", "name"):
            if field in query:
                stmt = stmt.where(getattr(Service, field) == query[field])
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_service(self, service_id: str) -> Service:
        async with self.db.session() as session:
            return await self.get(session, Service, service_id, errors.ServiceNotFound,
                                  service_id=service_id)

    async def update_service(self, service_id: str, changes: dict[str, Any]) -> Service:
        async with self.db.session() as session:
            service = await self.get(session, Service, service_id, errors.ServiceNotFound,
                                     service_id=service_id)
            apply(service, changes, ("type", "name", "description", "enabled"))
        await self.changed("service", "updated", service_id)
        return service

    async def delete_service(self, service_id: str) -> None:
        async with self.db.session() as session:
            service = await self.get(session, Service, service_id, errors.ServiceNotFound,
                                     service_id=service_id)
            await session.delete(service)
        await self.changed("service", "deleted", service_id)

    # ------------------------------------------------------------ endpoints
    async def create_endpoint(self, spec: dict[str, Any]) -> Endpoint:
        async with self.db.session() as session:
            await self.get(session, Service, spec["service_id"], errors.ServiceNotFound,
                           service_id=spec["service_id"])
            region_id = spec.get("region_id") or spec.get("region")
            if region_id:
                await self.get(session, Region, region_id, errors.RegionNotFound,
                               region_id=region_id)
            endpoint = Endpoint(id=new_id(), service_id=spec["service_id"],
                                interface=spec["interface"], url=spec["url"],
                                region_id=region_id, enabled=spec.get("enabled", True))
            session.add(endpoint)
        await self.changed("endpoint", "created", endpoint.id)
        return endpoint

    async def list_endpoints(self, query: Mapping[str, str]) -> list[Endpoint]:
        stmt = select(Endpoint).order_by(Endpoint.service_id, Endpoint.interface)
        for field in ("service_id", "interface", "region_id"):
            if field in query:
                stmt = stmt.where(getattr(Endpoint, field) == query[field])
        async with self.db.session() as session:
            return list(await session.scalars(stmt))

    async def show_endpoint(self, endpoint_id: str) -> Endpoint:
        async with self.db.session() as session:
            return await self.get(session, Endpoint, endpoint_id, errors.EndpointNotFound,
                                  endpoint_id=endpoint_id)

    async def update_endpoint(self, endpoint_id: str, changes: dict[str, Any]) -> Endpoint:
        async with self.db.session() as session:
            endpoint = await self.get(session, Endpoint, endpoint_id, errors.EndpointNotFound,
                                      endpoint_id=endpoint_id)
            if "service_id" in changes:
                await self.get(session, Service, changes["service_id"], errors.ServiceNotFound,
                               service_id=changes["service_id"])
            if changes.get("region_id"):
                await self.get(session, Region, changes["region_id"], errors.RegionNotFound,
                               region_id=changes["region_id"])
            apply(endpoint, changes, ("service_id", "interface", "url", "region_id", "enabled"))
        await self.changed("endpoint", "updated", endpoint_id)
        return endpoint

    async def delete_endpoint(self, endpoint_id: str) -> None:
        async with self.db.session() as session:
            endpoint = await self.get(session, Endpoint, endpoint_id, errors.EndpointNotFound,
                                      endpoint_id=endpoint_id)
            await session.delete(endpoint)
        await self.changed("endpoint", "deleted", endpoint_id)

    async def catalog(self) -> list[dict[str, Any]]:
        """The catalog as tokens carry it: enabled services with their enabled endpoints."""
        async with self.db.session() as session:
            services = list(await session.scalars(
                select(Service).where(Service.enabled.is_(True)).order_by(Service.type)))
            endpoints = list(await session.scalars(
                select(Endpoint).where(Endpoint.enabled.is_(True))))
        by_service: dict[str, list[dict[str, Any]]] = {}
        for endpoint in endpoints:
            by_service.setdefault(endpoint.service_id, []).append({
                "id": endpoint.id, "interface": endpoint.interface, "url": endpoint.url,
                "region": endpoint.region_id, "region_id": endpoint.region_id})
        return [{"id": s.id, "type": s.type, "name": s.name,
                 "endpoints": by_service.get(s.id, [])} for s in services]
