"""Networks and their segments: the ML2 type drivers' rules for flat, VLAN, VXLAN,
Geneve and local networks, with segmentation ids allocated from the configured ranges and
kept unique by the allocation table's primary key."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from gureum.core.context import RequestContext
from gureum.core.errors import Conflict
from gureum.network import errors
from gureum.network.manager.base import ManagerBase, new_id, quota_lock
from gureum.network.manager.listing import ListQuery, filtered, paged, tagged
from gureum.network.models import (
    IPAllocation,
    Network,
    Port,
    RBACPolicy,
    Segment,
    SegmentAllocation,
    Subnet,
    Tag,
)

TYPES = ("flat", "vlan", "vxlan", "geneve", "local")
OVERHEAD = {"vxlan": 50, "geneve": 58}  # encapsulation headers the MTU must leave room for
MAX_ID = {"vlan": 4094, "vxlan": 2**24 - 1, "geneve": 2**24 - 1}
PROVIDER = ("provider:network_type", "provider:physical_network", "provider:segmentation_id")
NETWORK_COLUMNS = {
    "id": Network.id, "name": Network.name, "project_id": Network.project_id,
    "tenant_id": Network.project_id, "admin_state_up": Network.admin_state_up,
    "status": Network.status, "shared": Network.shared, "router:external": Network.external,
    "mtu": Network.mtu, "port_security_enabled": Network.port_security_enabled,
    "description": Network.description, "revision_number": Network.revision_number,
    "created_at": Network.created_at, "updated_at": Network.updated_at,
    "is_default": Network.is_default,
}
# Ports the network itself owns go with it; any other port keeps it alive.
NETWORK_OWNED = ("network:dhcp",)


class Networks(ManagerBase):
    # ------------------------------------------------------------ networks
    async def create_network(self, context: RequestContext, spec: dict[str, Any]) -> Network:
        project_id = self.project_for(context, spec)
        segments = self._requested_segments(spec)
        async with self.db.session(lock=quota_lock(project_id, "network")) as session:
            await self.check_quota(session, project_id, "network", Network)
        network = Network(
            id=new_id(), project_id=project_id, name=spec.get("name") or "",
            description=spec.get("description") or "",
            admin_state_up=spec.get("admin_state_up", True),
            shared=spec.get("shared", False), external=spec.get("router:external", False),
            is_default=spec.get("is_default", False),
            port_security_enabled=spec.get("port_security_enabled", True),
            availability_zone_hints=spec.get("availability_zone_hints", []),
            dns_domain=spec.get("dns_domain") or "")
        rows = await self._allocate_segments(network.id, segments)
        network.mtu = self._mtu(rows, spec.get("mtu"))
        try:
            async with self.db.session(lock=quota_lock(project_id, "network")) as session:
                await self.check_quota(session, project_id, "network", Network)
                session.add(network)
                await session.flush()
                for segment in rows:
                    session.add(segment)
                if network.shared:
                    session.add(self._share_rule(network, "*"))
        except BaseException:
            await self._release_segments([s.id for s in rows])
            raise
        await self.agents.network_changed(network.id)
        return network

    @staticmethod
    def _share_rule(network: Network, target: str) -> RBACPolicy:
        return RBACPolicy(id=new_id(), project_id=network.project_id, object_type="network",
                          object_id=network.id, action="access_as_shared",
                          target_tenant=target)

    async def list_networks(self, context: RequestContext, query: ListQuery,
                            ) -> tuple[list[Network], dict[str, list[str]]]:
        stmt = select(Network)
        visible = self.visible_networks(context)
        if visible is not None:
            stmt = stmt.where(visible)
        stmt, leftover = filtered(stmt, NETWORK_COLUMNS, query)
        stmt = tagged(stmt, Network.id, query.tags)
        async with self.db.session() as session:
            return await paged(session, stmt, Network, NETWORK_COLUMNS, query), leftover

    async def show_network(self, context: RequestContext, network_id: str) -> Network:
        async with self.db.session() as session:
            return await self.network_for(session, context, network_id)

    async def update_network(self, context: RequestContext, network_id: str,
                             spec: dict[str, Any]) -> Network:
        if any(key in spec for key in (*PROVIDER, "segments")):
            raise errors.InvalidInput(error_message="Plugin does not support updating "
                                      "provider attributes")
        async with self.db.session() as session:
            network = await self.network_for(session, context, network_id)
            if "mtu" in spec:
                segments = list(await session.scalars(
                    select(Segment).where(Segment.network_id == network_id)))
                network.mtu = self._mtu(segments, spec["mtu"])
            simple = ("name", "description", "admin_state_up", "port_security_enabled",
                      "availability_zone_hints", "dns_domain", "is_default")
            for key in simple:
                if key in spec:
                    setattr(network, key, spec[key] if spec[key] is not None else "")
            if "router:external" in spec:
                network.external = spec["router:external"]
            if "shared" in spec and spec["shared"] != network.shared:
                await self._set_shared(session, network, spec["shared"])
            self.bump(network)
        await self.agents.network_changed(network_id)
        return network

    async def _set_shared(self, session: Any, network: Network, shared: bool) -> None:
        if shared:
            session.add(self._share_rule(network, "*"))
        else:
            others = (await session.scalars(select(Port.id).where(
                Port.network_id == network.id, Port.project_id != network.project_id,
                Port.device_owner.not_in(NETWORK_OWNED)).limit(1))).first()
            if others:
                raise errors.InvalidSharedSetting(network=network.name or network.id)
            await session.execute(delete(RBACPolicy).where(
                RBACPolicy.object_id == network.id, RBACPolicy.target_tenant == "*",
                RBACPolicy.action == "access_as_shared"))
        network.shared = shared

    async def delete_network(self, context: RequestContext, network_id: str) -> None:
        async with self.db.session() as session:
            network = await self.network_for(session, context, network_id)
            busy = (await session.scalars(select(Port.id).where(
                Port.network_id == network_id,
                Port.device_owner.not_in(NETWORK_OWNED)).limit(1))).first()
            if busy:
                raise errors.NetworkInUse(net_id=network_id)
            owned = list(await session.scalars(select(Port.id).where(
                Port.network_id == network_id)))
            await session.execute(delete(IPAllocation).where(
                IPAllocation.network_id == network_id))
            await session.execute(delete(Port).where(Port.network_id == network_id))
            subnets = list(await session.scalars(select(Subnet.id).where(
                Subnet.network_id == network_id)))
            await session.execute(delete(Subnet).where(Subnet.network_id == network_id))
            await session.execute(delete(RBACPolicy).where(
                RBACPolicy.object_id == network_id))
            await session.execute(delete(Tag).where(
                Tag.resource_id.in_([network_id, *subnets, *owned])))
            segments = list(await session.scalars(select(Segment.id).where(
                Segment.network_id == network_id)))
            await session.execute(delete(SegmentAllocation).where(
                SegmentAllocation.segment_id.in_(segments)))
            await session.execute(delete(Segment).where(Segment.network_id == network_id))
            await session.delete(network)
        await self.agents.network_changed(network_id)

    # ------------------------------------------------------------ segments
    def _requested_segments(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        """What the request asks for: provider attributes, a `segments` list, or nothing
        (then the tenant network types decide)."""
        provider = {key: spec[key] for key in PROVIDER if key in spec}
        if provider and spec.get("segments"):
            raise errors.InvalidInput(error_message="Segments and provider values cannot "
                                      "both be set.")
        asked = spec.get("segments") or ([provider] if provider else [])
        for segment in asked:
            kind = segment.get("provider:network_type")
            if kind not in TYPES:
                raise errors.InvalidInput(
                    error_message=f"network_type value '{kind}' not supported")
        return [dict(s) for s in asked]

    async def _allocate_segments(self, network_id: str, asked: list[dict[str, Any]],
                                 ) -> list[Segment]:
        rows: list[Segment] = []
        try:
            if not asked:
                rows.append(await self._tenant_segment(network_id))
            for index, segment in enumerate(asked):
                rows.append(await self._provider_segment(network_id, index, segment))
        except BaseException:
            await self._release_segments([s.id for s in rows])
            raise
        return rows

    async def _tenant_segment(self, network_id: str) -> Segment:
        for kind in self.settings.tenant_network_types:
            if kind == "local":
                return Segment(id=new_id(), network_id=network_id, network_type="local")
            physnets = (self.settings.network_vlan_ranges if kind == "vlan"
                        else {"": self._ranges(kind)})
            for physnet, ranges in physnets.items():
                found = await self._take_free(network_id, kind, physnet, ranges)
                if found is not None:
                    return found
        raise errors.NoNetworkAvailable()

    def _ranges(self, kind: str) -> list[tuple[int, int]]:
        if kind == "vxlan":
            return self.settings.vni_ranges
        if kind == "geneve":
            return self.settings.geneve_vni_ranges
        return []

    async def _take_free(self, network_id: str, kind: str, physnet: str,
                         ranges: list[tuple[int, int]]) -> Segment | None:
        async with self.db.session(lock=f"segments:{kind}:{physnet}") as session:
            used = set(await session.scalars(select(SegmentAllocation.segmentation_id).where(
                SegmentAllocation.network_type == kind,
                SegmentAllocation.physical_network == physnet)))
            for low, high in ranges:
                for candidate in range(low, high + 1):
                    if candidate not in used:
                        return await self._record_segment(session, network_id, kind, physnet,
                                                  candidate)
        return None

    async def _record_segment(self, session: Any, network_id: str, kind: str, physnet: str,
                      segmentation_id: int, index: int = 0) -> Segment:
        # The segment row comes with the network; the allocation is committed now so
        # that the id is taken while the network is written (released if that fails).
        segment = Segment(id=new_id(), network_id=network_id, network_type=kind,
                          physical_network=physnet or None,
                          segmentation_id=segmentation_id if kind != "flat" else None,
                          segment_index=index)
        session.add(SegmentAllocation(network_type=kind, physical_network=physnet,
                                      segmentation_id=segmentation_id,
                                      segment_id=segment.id))
        return segment

    async def _provider_segment(self, network_id: str, index: int,
                                asked: dict[str, Any]) -> Segment:
        kind = asked["provider:network_type"]
        physnet = asked.get("provider:physical_network")
        seg_id = asked.get("provider:segmentation_id")
        seg_id = int(seg_id) if seg_id is not None else None
        if kind in ("flat", "vlan") and not physnet:
            raise errors.InvalidInput(error_message=f"physical_network required for {kind} "
                                      "provider network")
        if kind in ("vxlan", "geneve", "local") and physnet:
            raise errors.InvalidInput(error_message=f"provider:physical_network specified "
                                      f"for {kind} network")
        if kind in ("flat", "local") and seg_id is not None:
            raise errors.InvalidInput(error_message=f"provider:segmentation_id specified "
                                      f"for {kind} network")
        if kind == "local":
            return Segment(id=new_id(), network_id=network_id, network_type="local",
                           segment_index=index)
        if kind == "flat":
            flat = self.settings.flat_networks
            if "*" not in flat and physnet not in flat:
                raise errors.InvalidInput(error_message=f"physical_network '{physnet}' "
                                          "unknown for flat provider network")
            return await self._claim(network_id, kind, physnet or "", 0, index,
                                     errors.FlatNetworkInUse(physical_network=physnet))
        if kind == "vlan" and physnet not in self.settings.network_vlan_ranges:
            raise errors.InvalidInput(error_message=f"physical_network '{physnet}' unknown "
                                      "for VLAN provider network")
        if seg_id is None:
            ranges = (self.settings.network_vlan_ranges[physnet or ""] if kind == "vlan"
                      else self._ranges(kind))
            found = await self._take_free(network_id, kind, physnet or "", ranges)
            if found is None:
                raise errors.NoNetworkAvailable()
            found.segment_index = index
            return found
        if not 1 <= int(seg_id) <= MAX_ID[kind]:
            raise errors.InvalidInput(error_message=f"segmentation_id out of range (1 "
                                      f"through {MAX_ID[kind]})")
        taken = (errors.VlanIdInUse(vlan_id=seg_id, physical_network=physnet)
                 if kind == "vlan" else errors.TunnelIdInUse(tunnel_id=seg_id))
        return await self._claim(network_id, kind, physnet or "", int(seg_id), index, taken)

    async def _claim(self, network_id: str, kind: str, physnet: str, seg_id: int,
                     index: int, taken: Conflict) -> Segment:
        async with self.db.session(lock=f"segments:{kind}:{physnet}") as session:
            found = await session.get(SegmentAllocation, (kind, physnet, seg_id))
            if found is not None:
                raise taken
            return await self._record_segment(session, network_id, kind, physnet, seg_id, index)

    async def _release_segments(self, segment_ids: list[str]) -> None:
        if segment_ids:
            async with self.db.session() as session:
                await session.execute(delete(SegmentAllocation).where(
                    SegmentAllocation.segment_id.in_(segment_ids)))

    def _mtu(self, segments: list[Segment], asked: int | None) -> int:
        physical = self.settings.global_physnet_mtu
        most = min([physical - OVERHEAD.get(s.network_type, 0) for s in segments] or
                   [physical])
        if asked is None:
            return most
        if asked > most:
            raise errors.InvalidInput(error_message=f"Requested MTU is too big, maximum is "
                                      f"{most}")
        return asked

    async def segments_of(self, network_ids: list[str]) -> dict[str, list[Segment]]:
        found: dict[str, list[Segment]] = {i: [] for i in network_ids}
        async with self.db.session() as session:
            for segment in await session.scalars(select(Segment).where(
                    Segment.network_id.in_(network_ids)).order_by(Segment.segment_index)):
                found[segment.network_id].append(segment)
        return found

    async def subnets_of(self, network_ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {i: [] for i in network_ids}
        async with self.db.session() as session:
            for subnet_id, network_id in await session.execute(
                    select(Subnet.id, Subnet.network_id).where(
                        Subnet.network_id.in_(network_ids)).order_by(Subnet.created_at)):
                found[network_id].append(subnet_id)
        return found
