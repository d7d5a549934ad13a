"""Address arithmetic for subnets (pure functions over `ipaddress`): CIDR and pool
validation, default pools, the next free address, SLAAC (EUI-64) addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Container, Iterator
from typing import Any

from gureum.network import errors

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_cidr(text: str, version: int | None = None) -> Net:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise errors.InvalidInput(error_message=f"'{text}' is not a valid IP subnet") from exc
    if str(network) != text and str(network) != text.lower():
        raise errors.InvalidInput(error_message=f"'{text}' isn't a recognized IP subnet "
                                  f"cidr, '{network}' is recommended")
    if version is not None and network.version != version:
        raise errors.InvalidInput(error_message=f"Cidr {text} does not match the IP "
                                  f"version {version}")
    return network


def parse_ip(text: str) -> Address:
    try:
        return ipaddress.ip_address(text)
    except ValueError as exc:
        raise errors.InvalidInput(error_message=f"'{text}' is not a valid IP address") from exc


def usable(network: Net) -> tuple[int, int]:
    """First and last assignable address (v4 keeps network and broadcast out; v6 the
    subnet-router anycast address)."""
    first, last = int(network.network_address), int(network.broadcast_address)
    if network.version == 4 and network.prefixlen < 31:
        return first + 1, last - 1
    if network.version == 6 and network.prefixlen < 127:
        return first + 1, last
    return first, last


def default_gateway(network: Net) -> str | None:
    first, last = usable(network)
    return str(ipaddress.ip_address(first)) if first <= last else None


def check_gateway(network: Net, gateway: str) -> None:
    address = parse_ip(gateway)
    first, last = usable(network)
    if address.version != network.version or not first <= int(address) <= last:
        raise errors.InvalidInput(error_message="Gateway is not valid on subnet")


def default_pools(network: Net, gateway: str | None) -> list[dict[str, str]]:
    first, last = usable(network)
    holes = [int(ipaddress.ip_address(gateway))] if gateway else []
    pools, start = [], first
    for hole in sorted(h for h in holes if first <= h <= last):
        if start < hole:
            pools.append((start, hole - 1))
        start = hole + 1
    if start <= last:
        pools.append((start, last))
    return [_pool(a, b, network.version) for a, b in pools]


def _pool(start: int, end: int, version: int) -> dict[str, str]:
    make = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    return {"start": str(make(start)), "end": str(make(end))}


def check_pools(network: Net, pools: list[dict[str, Any]], gateway: str | None,
                ) -> list[dict[str, str]]:
    """Pools inside the subnet's usable range, not overlapping, clear of the gateway."""
    first, last = usable(network)
    ranges: list[tuple[int, int, dict[str, str]]] = []
    for pool in pools:
        start, end = parse_ip(pool["start"]), parse_ip(pool["end"])
        text = {"start": str(start), "end": str(end)}
        if start.version != network.version or end.version != network.version or \
                int(start) > int(end):
            raise errors.InvalidAllocationPool(pool=f"{text['start']}-{text['end']}")
        if not (first <= int(start) and int(end) <= last):
            raise errors.OutOfBoundsAllocationPool(pool=f"{text['start']}-{text['end']}",
                                                   subnet_cidr=str(network))
        ranges.append((int(start), int(end), text))
    ranges.sort(key=lambda r: r[0])
    for (_, end_a, pool_a), (start_b, _, pool_b) in zip(ranges, ranges[1:], strict=False):
        if start_b <= end_a:
            raise errors.OverlappingAllocationPools(
                pool_1=f"{pool_a['start']}-{pool_a['end']}",
                pool_2=f"{pool_b['start']}-{pool_b['end']}", subnet_cidr=str(network))
    if gateway:
        g = int(ipaddress.ip_address(gateway))
        for low, high, pool in ranges:
            if low <= g <= high:
                raise errors.GatewayConflictWithAllocationPools(
                    ip_address=gateway, pool=f"{pool['start']}-{pool['end']}")
    return [pool for _, _, pool in ranges]


def pool_addresses(pools: list[dict[str, str]]) -> Iterator[str]:
    for pool in pools:
        start, end = int(ipaddress.ip_address(pool["start"])), int(
            ipaddress.ip_address(pool["end"]))
        for value in range(start, end + 1):
            yield str(ipaddress.ip_address(value))


def windows(pools: list[dict[str, str]], after: str | None, size: int,
            ) -> Iterator[list[str]]:
    """The pools' addresses in chunks, starting after `after` and wrapping around to end
    with it: every address once, computed (not walked) however large the pools."""
    ranges = sorted((int(ipaddress.ip_address(p["start"])), int(ipaddress.ip_address(p["end"])))
                    for p in pools)
    if not ranges:
        return
    make = ipaddress.ip_address
    hint = int(make(after)) if after is not None and in_pools(after, pools) else None
    order = ([(max(low, hint + 1), high) for low, high in ranges if high > hint] +
             [(low, min(high, hint)) for low, high in ranges if low <= hint]
             if hint is not None else ranges)
    for low, high in order:
        for first in range(low, high + 1, size):
            yield [str(make(v)) for v in range(first, min(first + size, high + 1))]


def first_free(pools: list[dict[str, str]], taken: Container[str]) -> str | None:
    for address in pool_addresses(pools):
        if address not in taken:
            return address
    return None


def pool_size(pools: list[dict[str, str]]) -> int:
    return sum(int(ipaddress.ip_address(p["end"])) - int(ipaddress.ip_address(p["start"])) + 1
               for p in pools)


def in_pools(address: str, pools: list[dict[str, str]]) -> bool:
    value = int(ipaddress.ip_address(address))
    return any(int(ipaddress.ip_address(p["start"])) <= value <= int(
        ipaddress.ip_address(p["end"])) for p in pools)


def eui64(network: Net, mac: str) -> str:
    """The SLAAC address a host with this MAC gives itself on a /64."""
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02
    interface = octets[:3] + [0xFF, 0xFE] + octets[3:]
    suffix = int.from_bytes(bytes(interface), "big")
    return str(ipaddress.IPv6Address(int(network.network_address) | suffix))


def is_auto_address(ipv6_address_mode: str | None, ipv6_ra_mode: str | None) -> bool:
    return (ipv6_address_mode or ipv6_ra_mode) in ("slaac", "dhcpv6-stateless")
