"""Auto-allocated topology ("get me a network"): on first asking, a project gets a network
with a subnet from each default subnet pool and a router from it to the default external
network; later askings return the same network. One build per project at a time (a lock
per project), and a failed build is taken down again, as neutron's auto_allocate does.

There is no auto_allocated_topology table: the topology is the project's network named
`auto_allocated_network` and the `auto_allocated_router` attached to it."""

from __future__ import annotations

from typing import Any, Protocol, cast

from sqlalchemy import select

from gureum.core.context import RequestContext
from gureum.core.errors import BadRequest, GureumError, NotFound
from gureum.network import errors
from gureum.network.manager.base import ManagerBase
from gureum.network.models import Network, Port, Router, Subnet, SubnetPool

NETWORK_NAME = "auto_allocated_network"
ROUTER_NAME = "auto_allocated_router"
DRY_RUN = "dry-run"


class Builder(Protocol):
    """What building a topology uses of the rest of the manager."""

    async def create_network(self, context: RequestContext, spec: dict[str, Any]) -> Any: ...

    async def update_network(self, context: RequestContext, network_id: str,
                             spec: dict[str, Any]) -> Any: ...

    async def delete_network(self, context: RequestContext, network_id: str) -> None: ...

    async def create_subnet(self, context: RequestContext, spec: dict[str, Any]) -> Any: ...

    async def create_router(self, context: RequestContext, spec: dict[str, Any]) -> Any: ...

    async def add_router_interface(self, context: RequestContext, router_id: str,
                                   spec: dict[str, Any]) -> Any: ...

    async def remove_router_interface(self, context: RequestContext, router_id: str,
                                      spec: dict[str, Any]) -> Any: ...

    async def delete_router(self, context: RequestContext, router_id: str) -> None: ...


class AutoAllocation(ManagerBase):
    @property
    def _builder(self) -> Builder:
        return cast(Builder, self)

    async def get_auto_allocated_topology(self, context: RequestContext, project_id: str,
                                          fields: list[str]) -> dict[str, str]:
        if DRY_RUN in fields:
            await self._topology_requirements()
            return _topology("dry-run=pass", project_id)
        if fields:
            raise errors.NeutronBadRequest(resource="auto_allocate", msg="Unrecognized field")
        async with self.db.session(lock=f"auto-allocate:{project_id}") as session:
            found = await self._topology_network(session, project_id)
            if found is not None:
                return _topology(found, project_id)
            external = await self._default_external_network(session)
            pools = await self._default_pools(session)
            # Built with other transactions while this one holds the project's lock.
            network_id = await self._build_topology(context, project_id, external, pools)
        return _topology(network_id, project_id)

    async def _topology_requirements(self) -> None:
        async with self.db.session() as session:
            await self._default_external_network(session)
            if not await self._default_pools(session):
                raise errors.AutoAllocationFailure(reason="No default subnetpools defined")

    @staticmethod
    async def _topology_network(session: Any, project_id: str) -> str | None:
        found = (await session.scalars(select(Network.id).where(
            Network.project_id == project_id, Network.name == NETWORK_NAME).order_by(
            Network.created_at, Network.id))).first()
        return str(found) if found is not None else None

    @staticmethod
    async def _default_external_network(session: Any) -> str:
        found = (await session.scalars(select(Network.id).where(
            Network.is_default, Network.external).order_by(Network.created_at))).first()
        if found is None:
            raise errors.AutoAllocationFailure(reason="No default router:external network")
        return str(found)

    @staticmethod
    async def _default_pools(session: Any) -> list[SubnetPool]:
        return list(await session.scalars(select(SubnetPool).where(
            SubnetPool.is_default).order_by(SubnetPool.ip_version)))

    async def _build_topology(self, context: RequestContext, project_id: str,
                              external_id: str, pools: list[SubnetPool]) -> str:
        build = self._builder
        network_id: str | None = None
        router_id: str | None = None
        subnets: list[str] = []
        try:
            try:
                network = await build.create_network(context, {
                    "name": NETWORK_NAME, "admin_state_up": False, "shared": False,
                    "project_id": project_id})
                network_id = str(network.id)
                if not pools:
                    raise NotFound("No default subnet pools")
                for pool in pools:
                    subnet = await build.create_subnet(context, {
                        "name": f"auto_allocated_subnet_v{pool.ip_version}",
                        "network_id": network_id, "project_id": project_id,
                        "ip_version": pool.ip_version, "subnetpool_id": pool.id})
                    subnets.append(str(subnet.id))
            except (BadRequest, NotFound) as exc:
                raise errors.AutoAllocationFailure(
                    reason="Unable to provide tenant private network") from exc
            try:
                router = await build.create_router(context, {
                    "name": ROUTER_NAME, "admin_state_up": True, "project_id": project_id,
                    "external_gateway_info": {"network_id": external_id}})
                router_id = str(router.id if not isinstance(router, dict) else router["id"])
                for subnet_id in subnets:
                    await build.add_router_interface(context, router_id,
                                                     {"subnet_id": subnet_id})
            except BadRequest as exc:
                raise errors.AutoAllocationFailure(
                    reason="Unable to provide external connectivity") from exc
            await build.update_network(context, network_id, {"admin_state_up": True})
        except BaseException:
            await self._topology_cleanup(context, network_id, router_id, subnets, quiet=True)
            raise
        return network_id

    async def delete_auto_allocated_topology(self, context: RequestContext,
                                             project_id: str) -> None:
        async with self.db.session(lock=f"auto-allocate:{project_id}") as session:
            network_id = await self._topology_network(session, project_id)
            if network_id is None:
                return
            router_id = (await session.scalars(select(Router.id).join(
                Port, Port.device_id == Router.id).where(
                Port.network_id == network_id, Router.name == ROUTER_NAME,
                Router.project_id == project_id))).first()
            subnets = list(await session.scalars(select(Subnet.id).where(
                Subnet.network_id == network_id)))
            await self._topology_cleanup(context, network_id, router_id, subnets)

    async def _topology_cleanup(self, context: RequestContext, network_id: str | None,
                                router_id: str | None, subnets: list[str],
                                quiet: bool = False) -> None:
        """Take down what was built; what is already gone is fine. `quiet` after a failed
        build: what cannot be undone stays, the build's own error is what the caller
        needs to hear."""
        build = self._builder
        if router_id is not None:
            for subnet_id in subnets:
                await _ignore_missing(build.remove_router_interface(
                    context, router_id, {"subnet_id": subnet_id}), quiet)
            await _ignore_missing(build.delete_router(context, router_id), quiet)
        if network_id is not None:
            await _ignore_missing(build.delete_network(context, network_id), quiet)


def _topology(network_id: str, project_id: str) -> dict[str, str]:
    return {"id": network_id, "tenant_id": project_id, "project_id": project_id}


async def _ignore_missing(step: Any, quiet: bool) -> None:
    try:
        await step
    except NotFound:
        pass
    except GureumError:
        if not quiet:
            raise
