"""The no-op data plane: wires nothing, remembers exactly what it was told (and in what
order), and fails on request. It says what it is: agents report `driver: fake`."""

from __future__ import annotations

from gureum.core.drivers import FaultInjection
from gureum.network.drivers.base import DhcpNetwork, PortFirewall, PortWiring, RouterState


class FakeNetworkDriver(FaultInjection):
    name = "fake"

    def __init__(self) -> None:
        super().__init__()
        self.ports: dict[str, PortWiring] = {}
        self.firewalls: dict[str, PortFirewall] = {}
        self.dhcp: dict[str, DhcpNetwork] = {}
        self.routers_state: dict[str, RouterState] = {}
        # (method, resource id) for every call that changed something, in order.
        self.log: list[tuple[str, str]] = []

    def _record(self, method: str, resource_id: str) -> None:
        self.log.append((method, resource_id))

    async def plug_port(self, wiring: PortWiring) -> None:
        self._enter("plug_port")
        if self.ports.get(wiring.port_id) != wiring:
            self.ports[wiring.port_id] = wiring
            self._record("plug_port", wiring.port_id)

    async def unplug_port(self, port_id: str) -> None:
        self._enter("unplug_port")
        self.firewalls.pop(port_id, None)
        if self.ports.pop(port_id, None) is not None:
            self._record("unplug_port", port_id)

    async def apply_security(self, firewall: PortFirewall) -> None:
        self._enter("apply_security")
        if self.firewalls.get(firewall.port_id) != firewall:
            self.firewalls[firewall.port_id] = firewall
            self._record("apply_security", firewall.port_id)

    async def sync_dhcp(self, network: DhcpNetwork) -> None:
        self._enter("sync_dhcp")
        if self.dhcp.get(network.network_id) != network:
            self.dhcp[network.network_id] = network
            self._record("sync_dhcp", network.network_id)

    async def remove_dhcp(self, network_id: str) -> None:
        self._enter("remove_dhcp")
        if self.dhcp.pop(network_id, None) is not None:
            self._record("remove_dhcp", network_id)

    async def sync_router(self, router: RouterState) -> None:
        self._enter("sync_router")
        if self.routers_state.get(router.router_id) != router:
            self.routers_state[router.router_id] = router
            self._record("sync_router", router.router_id)

    async def remove_router(self, router_id: str) -> None:
        self._enter("remove_router")
        if self.routers_state.pop(router_id, None) is not None:
            self._record("remove_router", router_id)

    async def wired_ports(self) -> set[str]:
        return set(self.ports)

    async def dhcp_networks(self) -> set[str]:
        return set(self.dhcp)

    async def routers(self) -> set[str]:
        return set(self.routers_state)
