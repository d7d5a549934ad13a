"""The network data plane as the agents see it: a `NetworkDriver` and the frozen
dataclasses it is told. Every method is idempotent and keyed by a resource id: telling a
driver the same thing twice changes nothing, telling it a new state converges to it.

The control plane builds these values (never ORM rows), they cross the bus as JSON (see
`decode`) and the agent hands them to its driver. The fake driver records them; the Linux
driver (bridges, namespaces, dnsmasq, nftables) makes them real."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import orjson

T = TypeVar("T")


@dataclass(frozen=True)
class FixedIP:
    subnet_id: str
    ip_address: str
    cidr: str = ""  # the subnet's, so a driver can give an interface its prefix length
    gateway_ip: str | None = None  # the subnet's (a router's default route on its gateway)


@dataclass(frozen=True)
class NetworkSegment:
    """Where a network lives on the wire: vxlan 1001, vlan 1000 on physnet1, flat
    public, local."""

    network_type: str
    physical_network: str | None = None
    segmentation_id: int | None = None


@dataclass(frozen=True)
class AddressPair:
    ip_address: str
    mac_address: str


@dataclass(frozen=True)
class PortWiring:
    """A port as the L2 agent wires it into its network's bridge."""

    port_id: str
    network_id: str
    mac_address: str
    segment: NetworkSegment
    mtu: int = 1500
    fixed_ips: tuple[FixedIP, ...] = ()
    admin_state_up: bool = True
    device_owner: str = ""
    device_id: str = ""
    allowed_address_pairs: tuple[AddressPair, ...] = ()


@dataclass(frozen=True)
class FirewallRule:
    """One security group rule with its remote group expanded into prefixes."""

    direction: str  # ingress | egress
    ethertype: str = "IPv4"
    protocol: str | None = None
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: str | None = None


@dataclass(frozen=True)
class PortFirewall:
    """What may reach and leave one port. Without port security: no filtering at all."""

    port_id: str
    mac_address: str
    fixed_ips: tuple[str, ...] = ()
    allowed_address_pairs: tuple[AddressPair, ...] = ()
    port_security_enabled: bool = True
    stateful: bool = True
    rules: tuple[FirewallRule, ...] = ()


@dataclass(frozen=True)
class HostRoute:
    destination: str
    nexthop: str


@dataclass(frozen=True)
class DhcpOption:
    opt_name: str
    opt_value: str
    ip_version: int = 4


@dataclass(frozen=True)
class DhcpSubnet:
    subnet_id: str
    cidr: str
    ip_version: int
    gateway_ip: str | None = None
    allocation_pools: tuple[tuple[str, str], ...] = ()
    dns_nameservers: tuple[str, ...] = ()
    host_routes: tuple[HostRoute, ...] = ()
    ipv6_address_mode: str | None = None
    ipv6_ra_mode: str | None = None


@dataclass(frozen=True)
class DhcpHost:
    """A port the DHCP server answers for: its MAC, addresses, name and options."""

    port_id: str
    mac_address: str
    fixed_ips: tuple[FixedIP, ...] = ()
    hostname: str = ""
    extra_dhcp_opts: tuple[DhcpOption, ...] = ()


@dataclass(frozen=True)
class DhcpNetwork:
    """Everything one network's DHCP server needs: its own port and whom it serves."""

    network_id: str
    segment: NetworkSegment
    dhcp_port: PortWiring
    mtu: int = 1500
    dns_domain: str = "openstacklocal."
    subnets: tuple[DhcpSubnet, ...] = ()
    hosts: tuple[DhcpHost, ...] = ()


@dataclass(frozen=True)
class RouterPort:
    """A router's leg on a network (its gateway or an interface)."""

    port_id: str
    network_id: str
    mac_address: str
    segment: NetworkSegment
    fixed_ips: tuple[FixedIP, ...] = ()
    mtu: int = 1500


@dataclass(frozen=True)
class FloatingIPMapping:
    floatingip_id: str
    floating_ip_address: str
    fixed_ip_address: str
    port_id: str


@dataclass(frozen=True)
class RouterState:
    router_id: str
    admin_state_up: bool = True
    gateway: RouterPort | None = None
    enable_snat: bool = True
    interfaces: tuple[RouterPort, ...] = ()
    routes: tuple[HostRoute, ...] = ()
    floating_ips: tuple[FloatingIPMapping, ...] = ()


class NetworkDriver(Protocol):
    """A host's data plane. Idempotent, keyed by resource id; failures raise (the agent
    retries on its next pass)."""

    name: str

    async def plug_port(self, wiring: PortWiring) -> None:
        """Wire the port into its network (creating the network's bridge if needed)."""

    async def unplug_port(self, port_id: str) -> None:
        """Take the port off its network and drop its firewall; unknown ids are fine."""

    async def apply_security(self, firewall: PortFirewall) -> None:
        """Replace the port's firewall with exactly these rules."""

    async def sync_dhcp(self, network: DhcpNetwork) -> None:
        """Serve DHCP on the network exactly as described (start or reload)."""

    async def remove_dhcp(self, network_id: str) -> None:
        """Stop serving the network and remove its DHCP port."""

    async def sync_router(self, router: RouterState) -> None:
        """Make the router (namespace, legs, routes, NAT) exactly as described."""

    async def remove_router(self, router_id: str) -> None:
        """Remove the router and everything it had."""

    async def wired_ports(self) -> set[str]:
        """The ports this host has wired (what a resync compares with the control plane)."""

    async def dhcp_networks(self) -> set[str]:
        """The networks this host serves DHCP on."""

    async def routers(self) -> set[str]:
        """The routers this host runs."""


# ------------------------------------------------------------------ over the bus
def encode(value: Any) -> Any:
    """A dataclass (nested) as plain JSON data (by orjson, which knows dataclasses: a
    network's DHCP state of 10,000 ports in a tenth of the time of walking it here)."""
    return orjson.loads(orjson.dumps(value))


def decode(cls: type[T], data: Any) -> T:
    """The dataclass back from what `encode` made (tuples from lists, nested classes);
    keys it does not know are ignored."""
    return cls(**{name: convert(data[name]) for name, convert in _plan(cls) if name in data})


Converter = Callable[[Any], Any]
_PLANS: dict[type[Any], tuple[tuple[str, Converter], ...]] = {}


def _plan(cls: type[Any]) -> tuple[tuple[str, Converter], ...]:
    """Each field's name and how to decode it (worked out once per class)."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        plan = _PLANS[cls] = tuple((f.name, _converter(hints[f.name]))
                                   for f in dataclasses.fields(cls))
    return plan


def _same(value: Any) -> Any:
    return value


def _converter(hint: Any) -> Converter:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = _converter(next(a for a in args if a is not type(None)))
        return _same if inner is _same else (lambda v: None if v is None else inner(v))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])
            return lambda v: tuple(v) if item is _same else tuple(item(x) for x in v)
        items = [_converter(a) for a in args]
        return lambda v: tuple(c(x) for c, x in zip(items, v, strict=True))
    if dataclasses.is_dataclass(hint):
        return lambda v: decode(hint, v)  # type: ignore[arg-type]
    return _same
