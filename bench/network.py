"""Network benchmark: port creation throughput and port listing latency through
`gureum up`, as a user's clients feel them.

    .venv/bin/python bench/network.py [--clients 16] [--creates 2000] [--ports 10000]

Figures (issue 4's targets on 2 cores): port creates per second with 16 concurrent clients
on one network (target ≥ 300/s), and `GET /v2.0/ports` (no paging, every port in one
answer, as neutron's default) once the project has 10,000 ports: p50 of 20 (target
≤ 150 ms). Also the list with `limit=100`, which is what paging clients send.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
from embedded import embedded_cloud


async def create_ports(client: httpx.AsyncClient, network_id: str, total: int,
                       clients: int) -> tuple[float, int]:
    """`total` port creates from `clients` concurrent workers: (seconds, failures)."""
    left = total
    failures = 0

    async def worker() -> None:
        nonlocal left, failures
        while left > 0:
            left -= 1
            response = await client.post("/ports", json={"port": {"network_id": network_id}})
            if response.status_code != 201:
                failures += 1

    start = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(clients)])
    return time.perf_counter() - start, failures


async def list_times(client: httpx.AsyncClient, params: dict[str, str], rounds: int,
                     ) -> tuple[list[float], int]:
    times, count = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        response = await client.get("/ports", params=params)
        times.append((time.perf_counter() - start) * 1000)
        count = len(response.json()["ports"])
    return times, count


async def run(base: str, token: str, args: argparse.Namespace) -> None:
    headers = {"X-Auth-Token": token}
    limits = httpx.Limits(max_connections=args.clients + 4)
    async with httpx.AsyncClient(base_url=f"{base}/networking/v2.0", headers=headers,
                                 timeout=300, limits=limits) as client:
        project = (await client.get("/quotas/tenant")).json()["tenant"]["tenant_id"]
        await client.put(f"/quotas/{project}", json={"quota": {"port": -1}})
        network = (await client.post("/networks", json={"network": {"name": "bench"}})
                   ).json()["network"]
        await client.post("/subnets", json={"subnet": {
            "network_id": network["id"], "ip_version": 4, "cidr": "10.128.0.0/16"}})
        await create_ports(client, network["id"], 50, args.clients)  # warm up
        seconds, failures = await create_ports(client, network["id"], args.creates,
                                               args.clients)
        rate = args.creates / seconds
        print(f"port create, {args.clients} clients, one network: {rate:7.0f} /s "
              f"({args.creates} in {seconds:.1f} s, {failures} failed; target ≥ 300/s: "
              f"{'ok' if rate >= 300 else 'below target'})")
        have = args.creates + 50
        if have < args.ports:
            await create_ports(client, network["id"], args.ports - have, args.clients)
        times, count = await list_times(client, {}, 20)
        p50 = statistics.median(times)
        print(f"GET /v2.0/ports, {count} ports:            p50 {p50:7.1f} ms "
              f"(p90 {sorted(times)[17]:.1f}; target ≤ 150 ms: "
              f"{'ok' if p50 <= 150 else 'above target'})")
        times, count = await list_times(client, {"limit": "100"}, 20)
        p50 = statistics.median(times)
        print(f"GET /v2.0/ports?limit=100, of {args.ports}:  p50 {p50:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--creates", type=int, default=2000)
    parser.add_argument("--ports", type=int, default=10_000)
    args = parser.parse_args()
    with embedded_cloud("network", "/networking/") as cloud:
        asyncio.run(run(cloud.base, cloud.token, args))

if __name__ == "__main__":
    main()
