"""The hosts side of compute as admins see it: services (nova-compute, -scheduler,
-conductor) with their state, hypervisors with inventory and usage, availability zones
and host aggregates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.clients.image import ImageError
from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase, new_id
from gureum.compute.messages import COMPUTE_BINARY, HOSTS_CHANGED, PUBLISHER, compute_topic
from gureum.compute.models import (
    Aggregate,
    AggregateHost,
    ComputeNode,
    ComputeService,
    Server,
)
from gureum.core.context import RequestContext
from gureum.core.db import IntegrityError, utcnow
from gureum.core.errors import Conflict, NotFound


class Hosts(ManagerBase):
    # ------------------------------------------------------------ services
    async def hosts_changed(self) -> None:
        """Schedulers read the hosts again (a service or an aggregate changed)."""
        await self.bus.notify(PUBLISHER, HOSTS_CHANGED, {})

    def is_up(self, service: ComputeService) -> bool:
        cutoff = utcnow() - timedelta(seconds=self.settings.service_down_time)
        return not service.forced_down and service.updated_at >= cutoff

    async def list_services(self, host: str | None = None, binary: str | None = None,
                            ) -> list[ComputeService]:
        stmt = select(ComputeService).order_by(ComputeService.id)
        if host:
            stmt = stmt.where(ComputeService.host == host)
        if binary:
            stmt = stmt.where(ComputeService.binary == binary)
        async with self.db.session() as session:
            rows = list(await session.scalars(stmt))
            zones = await self.host_zones(session)
        for row in rows:  # an aggregate's zone is the host's
            if row.binary == COMPUTE_BINARY and row.host in zones:
                row.availability_zone = zones[row.host]
        return rows

    async def update_service(self, host: str, binary: str, **values: Any) -> ComputeService:
        async with self.db.session() as session:
            row = (await session.scalars(select(ComputeService).where(
                ComputeService.host == host, ComputeService.binary == binary))).first()
            if row is None:
                raise NotFound(f"Service {binary} on host {host} could not be found.")
            for key, value in values.items():
                setattr(row, key, value)
        await self.hosts_changed()
        return row

    async def find_service(self, service_id: int | str) -> ComputeService:
        """A service by its id (before 2.53) or uuid (from 2.53)."""
        async with self.db.session() as session:
            row = await session.get(ComputeService, service_id) \
                if isinstance(service_id, int) else (await session.scalars(select(
                    ComputeService).where(ComputeService.uuid == service_id))).first()
        if row is None:
            raise NotFound(f"Service {service_id} could not be found.")
        return row

    async def delete_service(self, service_id: int | str) -> None:
        found = await self.find_service(service_id)
        async with self.db.session() as session:
            row = await session.get(ComputeService, found.id)
            if row is None:
                raise NotFound(f"Service {service_id} could not be found.")
            if row.binary == COMPUTE_BINARY:
                hosting = (await session.scalars(select(Server.id).where(
                    Server.host == row.host, Server.deleted.is_(False)).limit(1))).first()
                if hosting is not None:
                    raise Conflict("Unable to delete compute service that is hosting "
                                   "instances. Migrate or delete the instances first.")
                await session.execute(delete(ComputeNode).where(
                    ComputeNode.host == row.host))
            await session.delete(row)
        await self.hosts_changed()

    # ------------------------------------------------------------ hypervisors
    async def list_hypervisors(self) -> list[tuple[ComputeNode, ComputeService | None]]:
        async with self.db.session() as session:
            nodes = list(await session.scalars(select(ComputeNode).order_by(ComputeNode.id)))
            services = {s.host: s for s in await session.scalars(select(ComputeService).where(
                ComputeService.binary == COMPUTE_BINARY))}
        return [(n, services.get(n.host)) for n in nodes]

    async def hypervisor_servers(self, host: str) -> list[Server]:
        async with self.db.session() as session:
            return list(await session.scalars(select(Server).where(
                Server.host == host, Server.deleted.is_(False)).order_by(Server.created_at)))

    # ------------------------------------------------------------ zones
    @staticmethod
    async def host_zones(session: AsyncSession) -> dict[str, str]:
        """host → the zone its aggregates put it in."""
        zones: dict[str, str] = {}
        for host, meta in await session.execute(select(AggregateHost.host,
                                                       Aggregate.metadata_).join(
                Aggregate, Aggregate.id == AggregateHost.aggregate_id)):
            if meta.get("availability_zone"):
                zones[host] = meta["availability_zone"]
        return zones

    # ------------------------------------------------------------ aggregates
    async def list_aggregates(self) -> list[tuple[Aggregate, list[str]]]:
        async with self.db.session() as session:
            rows = list(await session.scalars(select(Aggregate).order_by(Aggregate.id)))
            hosts: dict[int, list[str]] = {r.id: [] for r in rows}
            for link in await session.scalars(select(AggregateHost)):
                hosts.setdefault(link.aggregate_id, []).append(link.host)
        return [(r, sorted(hosts[r.id])) for r in rows]

    async def show_aggregate(self, aggregate_id: int) -> tuple[Aggregate, list[str]]:
        async with self.db.session() as session:
            row = await self._aggregate(session, aggregate_id)
            hosts = sorted(await session.scalars(select(AggregateHost.host).where(
                AggregateHost.aggregate_id == aggregate_id)))
        return row, hosts

    async def cache_images(self, context: RequestContext, aggregate_id: int,
                           image_ids: list[str]) -> None:
        """2.81: the aggregate's hosts fetch the images ahead of boots."""
        _, hosts = await self.show_aggregate(aggregate_id)
        assert self.images is not None
        for image_id in image_ids:
            try:
                await self.images.show_image(image_id, token=context.token)
            except ImageError as exc:
                if exc.status in (400, 404):
                    raise errors.InvalidInput(
                        reason=f"Image {image_id} could not be found.") from exc
                raise
        for host in hosts:
            await self.bus.cast(compute_topic(host), "cache_images", image_ids=image_ids)

    @staticmethod
    async def _aggregate(session: AsyncSession, aggregate_id: int) -> Aggregate:
        row = await session.get(Aggregate, aggregate_id)
        if row is None:
            raise NotFound(f"Aggregate {aggregate_id} could not be found.")
        return row

    async def create_aggregate(self, name: str, zone: str | None) -> Aggregate:
        row = Aggregate(uuid=new_id(), name=name,
                        metadata_={"availability_zone": zone} if zone else {})
        try:
            async with self.db.session() as session:
                session.add(row)
        except IntegrityError as exc:
            raise Conflict(f"Aggregate {name} already exists.") from exc
        return row

    async def update_aggregate(self, aggregate_id: int, values: dict[str, Any]) -> None:
        async with self.db.session(lock="compute-aggregates") as session:
            row = await self._aggregate(session, aggregate_id)
            if "name" in values:
                row.name = values["name"]
            if "availability_zone" in values:
                await self._set_metadata(session, row, {
                    "availability_zone": values["availability_zone"]})
            row.updated_at = utcnow()
        await self.hosts_changed()

    async def delete_aggregate(self, aggregate_id: int) -> None:
        async with self.db.session(lock="compute-aggregates") as session:
            row = await self._aggregate(session, aggregate_id)
            hosts = (await session.scalars(select(AggregateHost).where(
                AggregateHost.aggregate_id == aggregate_id).limit(1))).first()
            if hosts is not None:
                raise errors.InvalidInput(reason=f"Cannot remove aggregate {aggregate_id}: "
                                          "it still has hosts")
            await session.delete(row)
        await self.hosts_changed()

    async def add_aggregate_host(self, aggregate_id: int, host: str) -> None:
        async with self.db.session(lock="compute-aggregates") as session:
            row = await self._aggregate(session, aggregate_id)
            known = (await session.scalars(select(ComputeService).where(
                ComputeService.host == host,
                ComputeService.binary == COMPUTE_BINARY))).first()
            if known is None:
                raise NotFound(f"Compute host {host} could not be found.")
            if await session.get(AggregateHost, (aggregate_id, host)) is not None:
                raise Conflict(f"Aggregate {aggregate_id} already has host {host}.")
            zone = row.metadata_.get("availability_zone")
            if zone:
                await self._check_zone_conflict(session, host, zone, aggregate_id)
            session.add(AggregateHost(aggregate_id=aggregate_id, host=host))
            row.updated_at = utcnow()
        await self.hosts_changed()

    async def remove_aggregate_host(self, aggregate_id: int, host: str) -> None:
        async with self.db.session(lock="compute-aggregates") as session:
            row = await self._aggregate(session, aggregate_id)
            link = await session.get(AggregateHost, (aggregate_id, host))
            if link is None:
                raise NotFound(f"Cannot remove host {host} in aggregate {aggregate_id}: "
                               "not found")
            await session.delete(link)
            row.updated_at = utcnow()
        await self.hosts_changed()

    async def set_aggregate_metadata(self, aggregate_id: int,
                                     metadata: dict[str, str | None]) -> None:
        async with self.db.session(lock="compute-aggregates") as session:
            row = await self._aggregate(session, aggregate_id)
            await self._set_metadata(session, row, metadata)
            row.updated_at = utcnow()
        await self.hosts_changed()

    async def _set_metadata(self, session: AsyncSession, row: Aggregate,
                            metadata: dict[str, str | None]) -> None:
        """None removes a key; a zone may not differ from the one its hosts are in."""
        zone = metadata.get("availability_zone")
        if zone:
            hosts = list(await session.scalars(select(AggregateHost.host).where(
                AggregateHost.aggregate_id == row.id)))
            for host in hosts:
                await self._check_zone_conflict(session, host, zone, row.id)
        merged = {**row.metadata_, **metadata}
        row.metadata_ = {k: v for k, v in merged.items() if v is not None}

    async def _check_zone_conflict(self, session: AsyncSession, host: str, zone: str,
                                   aggregate_id: int) -> None:
        for other, meta in await session.execute(
                select(Aggregate.id, Aggregate.metadata_).join(
                    AggregateHost, AggregateHost.aggregate_id == Aggregate.id).where(
                    AggregateHost.host == host, Aggregate.id != aggregate_id)):
            theirs = meta.get("availability_zone")
            if theirs and theirs != zone:
                raise errors.InvalidInput(
                    reason=f"Cannot add host {host} to aggregate {aggregate_id}: it is in "
                    f"availability zone {theirs} through aggregate {other}")
