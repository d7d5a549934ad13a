"""The host side of networking: one `NetworkAgent` runs a host's L2, DHCP and L3 agents
over its data plane driver. It is a reconciler: a message is a hint (an id to look at),
the desired state comes from the control plane over RPC, the driver converges to it and
the agent reports what it wired. A periodic full resync covers lost messages and
restarts. It never touches the database."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from gureum.core.bus import Bus, Handler
from gureum.network.config import NetworkSettings
from gureum.network.drivers.base import (
    DhcpHost,
    DhcpNetwork,
    NetworkDriver,
    PortFirewall,
    PortWiring,
    RouterState,
    decode,
)
from gureum.network.drivers.fake import FakeNetworkDriver
from gureum.network.messages import AGENT_KINDS, KINDS, PLUGIN_TOPIC, VIF_TYPE, agent_topic

log = logging.getLogger(__name__)
CHUNK = 500
MAX_RETRIES = 5  # then the item waits for the next full resync
REGISTER_TIMEOUT = 10.0
DHCP_SPACING = 10


def driver_for(name: str) -> NetworkDriver:
    """The data plane named in the settings."""
    if name in ("fake", "noop"):
        return FakeNetworkDriver()
    raise ValueError(f"network driver {name!r} is not available (choose 'fake')")


class NetworkAgent:
    def __init__(self, bus: Bus, host: str, driver: NetworkDriver, settings: NetworkSettings,
                 kinds: Iterable[str] = KINDS, *, batch_delay: float = 0.05,
                 retry_delay: float = 1.0, resync_interval: float | None = None,
                 rpc_timeout: float = 30.0) -> None:
        self.bus = bus
        self.host = host
        self.driver = driver
        self.settings = settings
        self.kinds = tuple(k for k in KINDS if k in set(kinds))
        self.batch_delay = batch_delay
        self.retry_delay = retry_delay
        self.resync_interval = resync_interval or settings.report_interval * 2
        self.rpc_timeout = rpc_timeout
        self.applied_dhcp: dict[str, DhcpNetwork] = {}
        self.applied_routers: dict[str, RouterState] = {}
        self._dhcp_due: dict[str, float] = {}  # loop time before which not to sync again
        # network → ports that changed on it: its served hosts are updated, not refetched
        self._dhcp_ports: dict[str, set[str]] = defaultdict(set)
        self._dirty: dict[str, set[str]] = {k: set() for k in self.kinds}
        self._full: set[str] = set(self.kinds)
        self._failures: Counter[tuple[str, str]] = Counter()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False

    # ------------------------------------------------------------ life
    async def start(self) -> None:
        self._running = True
        for kind in self.kinds:
            await self.bus.serve(agent_topic(kind, self.host), self._handlers(kind))
        # The first report is a call, so the agent is registered (and can be scheduled)
        # once start returns; later ones are casts.
        await self.report(start_flag=True)
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._heartbeat()), loop.create_task(self._work())]
        self._wake.set()

    async def stop(self) -> None:
        self._running = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def resync(self, kinds: Iterable[str] | None = None) -> None:
        self._full.update(k for k in (kinds or self.kinds) if k in self.kinds)
        self._wake.set()

    # ------------------------------------------------------------ hints
    def _handlers(self, kind: str) -> dict[str, Handler]:
        def marking(*names: str) -> Handler:
            async def handler(**kwargs: Any) -> None:
                ids: list[str] = []
                for name in names:
                    value = kwargs.get(name)
                    ids.extend(value if isinstance(value, list) else [value] if value else [])
                self._mark(kind, ids)
            return handler

        async def resync() -> None:
            self.resync([kind])

        if kind == "l2":
            handlers = {"port_update": marking("port_id"), "port_delete": marking("port_id"),
                        "security_groups_changed": marking("port_ids")}
        elif kind == "dhcp":
            async def network_update(network_id: str, port_ids: list[str] | None = None,
                                     ) -> None:
                if port_ids and network_id in self.applied_dhcp and self._running:
                    self._dhcp_ports[network_id].update(port_ids)
                    self._wake.set()
                else:
                    self._mark("dhcp", [network_id])

            handlers = {"network_update": network_update,
                        "network_delete": marking("network_id")}
        else:
            handlers = {"router_update": marking("router_id"),
                        "router_delete": marking("router_id")}
        return {**handlers, "resync": resync}

    def _mark(self, kind: str, ids: Iterable[str]) -> None:
        if self._running:
            self._dirty[kind].update(ids)
            self._wake.set()

    # ------------------------------------------------------------ loops
    async def _heartbeat(self) -> None:
        since_resync = 0.0
        while True:
            await asyncio.sleep(self.settings.report_interval)
            since_resync += self.settings.report_interval
            try:
                await self.report()
            except Exception as exc:  # the server is away: keep trying
                log.warning("network agent %s could not report: %s", self.host, exc)
            if since_resync >= self.resync_interval:
                since_resync = 0.0
                self.resync()

    async def _work(self) -> None:
        passes: dict[str, Callable[[set[str], bool], Awaitable[None]]] = {
            "l2": self._l2_pass, "dhcp": self._dhcp_pass, "l3": self._l3_pass}
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(self.batch_delay)  # hints in a burst make one pass
            for kind in self.kinds:
                full = kind in self._full
                ids, self._dirty[kind] = self._dirty[kind], set()
                self._full.discard(kind)
                if not (full or ids or (kind == "dhcp" and self._dhcp_ports)):
                    continue
                try:
                    await passes[kind](ids, full)
                    self._failures.pop((kind, ""), None)
                except Exception as exc:  # the control plane is away: all of it again
                    self._failures[(kind, "")] += 1
                    log.warning("network agent %s: %s pass failed: %s", self.host, kind, exc)
                    self._dirty[kind] |= ids
                    if full:
                        self._full.add(kind)
                    # Backing off to the resync interval, so a broken server is not flooded.
                    self._retry_later(min(self.retry_delay * 2 ** self._failures[(kind, "")],
                                          self.resync_interval))

    def _retry_later(self, delay: float | None = None) -> None:
        asyncio.get_running_loop().call_later(self.retry_delay if delay is None else delay,
                                              self._wake.set)

    def _failed(self, kind: str, resource_id: str, exc: Exception) -> None:
        key = (kind, resource_id)
        self._failures[key] += 1
        log.warning("network agent %s: %s %s failed (%d): %s", self.host, kind, resource_id,
                    self._failures[key], exc)
        if self._failures[key] < MAX_RETRIES:
            self._dirty[kind].add(resource_id)
            self._retry_later()
        else:
            del self._failures[key]

    def _done(self, kind: str, resource_id: str) -> None:
        self._failures.pop((kind, resource_id), None)

    async def _call(self, method: str, **kwargs: Any) -> Any:
        return await self.bus.call(PLUGIN_TOPIC, method, timeout=self.rpc_timeout, **kwargs)

    # ------------------------------------------------------------ L2: ports
    async def _l2_pass(self, ids: set[str], full: bool) -> None:
        if full:
            desired = set(await self._call("get_devices_for_host", host=self.host))
            ids |= desired | (await self.driver.wired_ports() - desired)
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start:start + CHUNK]
            details = await self._call("get_devices_details_list", devices=chunk,
                                       host=self.host)
            up: list[str] = []
            down: list[str] = []
            for port_id in chunk:
                try:
                    await self._l2_port(port_id, details.get(port_id), up, down)
                    self._done("l2", port_id)
                except Exception as exc:
                    self._failed("l2", port_id, exc)
            if up or down:
                await self._call("update_device_list", host=self.host, devices_up=up,
                                 devices_down=down)

    async def _l2_port(self, port_id: str, details: dict[str, Any] | None, up: list[str],
                       down: list[str]) -> None:
        if details is None or "wiring" not in details:  # gone, or bound elsewhere now
            await self.driver.unplug_port(port_id)
            return
        wiring = decode(PortWiring, details["wiring"])
        if not wiring.admin_state_up:
            await self.driver.unplug_port(port_id)
            if details["status"] != "DOWN":
                down.append(port_id)
            return
        await self.driver.plug_port(wiring)
        await self.driver.apply_security(decode(PortFirewall, details["firewall"]))
        if details["status"] != "ACTIVE" or details["vif_type"] != VIF_TYPE:
            up.append(port_id)

    # ------------------------------------------------------------ DHCP: networks
    async def _dhcp_pass(self, ids: set[str], full: bool) -> None:
        if full:
            desired = set(await self._call("get_active_networks", host=self.host))
            ids |= desired | (await self.driver.dhcp_networks() - desired)
        for network_id in sorted(set(self._dhcp_ports) - ids):
            await self._dhcp_hosts_changed(network_id, self._dhcp_ports.pop(network_id))
        for network_id in ids:  # refetched whole: the port hints are covered
            self._dhcp_ports.pop(network_id, None)
        loop = asyncio.get_running_loop()
        # A network's whole state is fetched for each sync: one that was just synced waits
        # ten times as long as that took (a busy big network costs at most a tenth).
        waiting = {n for n in ids if self._dhcp_due.get(n, 0.0) > loop.time()}
        if waiting:
            self._dirty["dhcp"] |= waiting
            self._retry_later(min(self._dhcp_due[n] for n in waiting) - loop.time())
        for network_id in sorted(ids - waiting):
            started = loop.time()
            try:
                await self._dhcp_network(network_id)
                self._done("dhcp", network_id)
            except Exception as exc:
                self._failed("dhcp", network_id, exc)
            if network_id in self.applied_dhcp:
                self._dhcp_due[network_id] = loop.time() + DHCP_SPACING * (
                    loop.time() - started)

    async def _dhcp_hosts_changed(self, network_id: str, port_ids: set[str]) -> None:
        """Some ports of a network this host serves changed: only their host entries are
        fetched, and the driver told the network's new state."""
        applied = self.applied_dhcp.get(network_id)
        if applied is None or applied.dhcp_port.port_id in port_ids:
            self._mark("dhcp", [network_id])  # the whole network, or its own port: refetch
            return
        try:
            reply = await self._call("get_dhcp_hosts", network_id=network_id,
                                     port_ids=sorted(port_ids), host=self.host)
            fresh = {h.port_id: h for h in (decode(DhcpHost, h) for h in reply["hosts"])}
            gone = set(reply["gone"])
            # One pass, in place (a sort of 10,000 hosts per change would cost more)
            kept = [fresh.pop(h.port_id, h) for h in applied.hosts if h.port_id not in gone]
            network = dataclasses.replace(applied, hosts=(*kept, *fresh.values()))
            await self.driver.sync_dhcp(network)
            self.applied_dhcp[network_id] = network
            self._done("dhcp", network_id)
        except Exception as exc:  # refetched whole on the retry
            self._failed("dhcp", network_id, exc)

    async def _dhcp_network(self, network_id: str) -> None:
        info = await self._call("get_network_info", network_id=network_id, host=self.host)
        if info is None:
            await self.driver.remove_dhcp(network_id)
            self.applied_dhcp.pop(network_id, None)
            self._dhcp_due.pop(network_id, None)
            return
        network = decode(DhcpNetwork, info["network"])
        await self.driver.sync_dhcp(network)
        self.applied_dhcp[network_id] = network
        if info["port_status"] != "ACTIVE":
            await self._call("update_device_up", device=network.dhcp_port.port_id,
                             host=self.host)

    # ------------------------------------------------------------ L3: routers
    async def _l3_pass(self, ids: set[str], full: bool) -> None:
        reply = await self._call("sync_routers", host=self.host,
                                 router_ids=None if full else sorted(ids))
        states = [decode(RouterState, r) for r in reply["routers"]]
        kept = {s.router_id for s in states}
        gone = ids - kept
        if full:
            gone |= await self.driver.routers() - kept
        for router_id in sorted(gone):
            try:
                await self.driver.remove_router(router_id)
                self.applied_routers.pop(router_id, None)
                self._done("l3", router_id)
            except Exception as exc:
                self._failed("l3", router_id, exc)
        ports_down, fips_down = set(reply["ports_down"]), set(reply["floatingips_down"])
        up: list[str] = []
        active: dict[str, str] = {}
        for state in states:
            try:
                await self.driver.sync_router(state)
            except Exception as exc:
                self._failed("l3", state.router_id, exc)
                continue
            self._done("l3", state.router_id)
            self.applied_routers[state.router_id] = state
            if not state.admin_state_up:
                continue
            legs = [*state.interfaces, *([state.gateway] if state.gateway else [])]
            up.extend(leg.port_id for leg in legs if leg.port_id in ports_down)
            active.update({f.floatingip_id: "ACTIVE" for f in state.floating_ips
                           if f.floatingip_id in fips_down})
        if up:
            await self._call("update_device_list", host=self.host, devices_up=up)
        if active:
            await self._call("update_floatingip_statuses", statuses=active)

    # ------------------------------------------------------------ heartbeats
    async def report(self, start_flag: bool = False) -> None:
        """Each kind's state to the server: a call at start (so the agent exists before
        anything is scheduled), a cast after. A server that was told the agent is new or
        revived gets a full resync from it."""
        await asyncio.gather(*(self._report(kind, start_flag) for kind in self.kinds))

    async def _report(self, kind: str, start_flag: bool) -> None:
        names = AGENT_KINDS[kind]
        state = {"agent_type": names.agent_type, "binary": names.binary, "host": self.host,
                 "topic": names.topic, "availability_zone": names.availability_zone,
                 "configurations": await self.configurations(kind), "start_flag": start_flag}
        if not start_flag:
            await self.bus.cast(PLUGIN_TOPIC, "report_state", agent_state=state)
            return
        try:
            reply = await self.bus.call(PLUGIN_TOPIC, "report_state",
                                        timeout=min(self.rpc_timeout, REGISTER_TIMEOUT),
                                        agent_state=state)
        except Exception as exc:  # the server is not up yet: the heartbeat retries
            log.warning("network agent %s (%s) could not register: %s", self.host, kind, exc)
            return
        if reply.get("status") in ("new", "revived"):
            self.resync([kind])

    async def configurations(self, kind: str) -> dict[str, Any]:
        if kind == "l2":
            physnets = sorted((set(self.settings.flat_networks) - {"*"})
                              | set(self.settings.network_vlan_ranges))
            return {"devices": len(await self.driver.wired_ports()),
                    "interface_mappings": {p: f"gureum-{p}" for p in physnets},
                    "bridge_mappings": {}, "tunnel_types": ["vxlan"],
                    "l2_population": False, "extensions": [], "driver": self.driver.name}
        if kind == "dhcp":
            nets = self.applied_dhcp.values()
            return {"dhcp_driver": f"gureum.{self.driver.name}", "dhcp_lease_duration": 86400,
                    "networks": len(self.applied_dhcp),
                    "subnets": sum(len(n.subnets) for n in nets),
                    "ports": sum(len(n.hosts) for n in nets), "notifies_port_ready": True,
                    "log_agent_heartbeats": False, "driver": self.driver.name}
        routers = self.applied_routers.values()
        return {"agent_mode": "legacy", "routers": len(self.applied_routers),
                "ex_gw_ports": sum(1 for r in routers if r.gateway),
                "interfaces": sum(len(r.interfaces) for r in routers),
                "floating_ips": sum(len(r.floating_ips) for r in routers),
                "interface_driver": "linuxbridge", "handle_internal_only_routers": True,
                "log_agent_heartbeats": False, "driver": self.driver.name}
