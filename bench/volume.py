"""Block storage benchmark: volume create → available throughput through `gureum up`, as
a user's clients feel it, on a fake backend and on a file backend (1 GiB sparse files).

    .venv/bin/python bench/volume.py [--clients 16] [--creates 1000] [--file-creates 300]

16 concurrent clients POST /volumes (1 GiB each); the clock stops when the last of them
is `available` (polled with one `GET /volumes/detail?status=creating&limit=1` at a time).
Also printed: the server's CPU (utime + stime) per create, the figure to compare between
versions on a shared machine.
Issue 5's target on 2 cores: ≥ 100 volumes/s on the fake backend.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import httpx
from embedded import embedded_cloud

BACKENDS = {"fake": {"driver": "fake", "pools": {"pool": 10_000_000}},
            "files": {"driver": "file", "pools": {"pool": 10_000_000}}}


async def create_volumes(client: httpx.AsyncClient, total: int, clients: int,
                         volume_type: str) -> tuple[float, int]:
    """`total` creates from `clients` workers, then wait until none is creating:
    (seconds from the first POST to the last volume available, failures)."""
    left = total
    failures = 0

    async def worker() -> None:
        nonlocal left, failures
        while left > 0:
            left -= 1
            response = await client.post("/volumes", json={"volume": {
                "size": 1, "volume_type": volume_type}})
            if response.status_code != 202:
                failures += 1

    start = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(clients)])
    while True:
        creating = (await client.get("/volumes/detail", params={
            "status": "creating", "limit": "1"})).json()["volumes"]
        if not creating:
            break
        await asyncio.sleep(0.02)
    seconds = time.perf_counter() - start
    errors = (await client.get("/volumes", params={"status": "error"})).json()["volumes"]
    return seconds, failures + len(errors)


def cpu_seconds(pid: int) -> float:
    """utime + stime of the server process (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run(base: str, token: str, server_pid: int, args: argparse.Namespace) -> None:
    headers = {"X-Auth-Token": token}
    limits = httpx.Limits(max_connections=args.clients + 4)
    async with httpx.AsyncClient(base_url=f"{base}/volume/v3", headers=headers,
                                 timeout=300, limits=limits) as client:
        token_info = httpx.get(f"{base}/identity/v3/auth/tokens",
                               headers={"X-Auth-Token": token, "X-Subject-Token": token})
        project_id = token_info.json()["token"]["project"]["id"]
        await client.put(f"/os-quota-sets/{project_id}", json={"quota_set": {
            "volumes": -1, "gigabytes": -1}})
        for backend in BACKENDS:
            await client.post("/types", json={"volume_type": {
                "name": backend, "extra_specs": {"volume_backend_name": backend}}})
        await create_volumes(client, 50, args.clients, "fake")  # warm up
        for backend, total in (("fake", args.creates), ("files", args.file_creates)):
            cpu = cpu_seconds(server_pid)
            seconds, failures = await create_volumes(client, total, args.clients, backend)
            cpu_ms = (cpu_seconds(server_pid) - cpu) * 1000 / total
            rate = total / seconds
            target = (f"; target ≥ 100/s: {'ok' if rate >= 100 else 'below target'}"
                      if backend == "fake" else "")
            print(f"volume create → available, {backend:5} backend, {args.clients} clients, "
                  f"1 GiB: {rate:6.0f} /s ({total} in {seconds:.1f} s, server CPU "
                  f"{cpu_ms:.1f} ms a create, {failures} failed{target})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--creates", type=int, default=1000)
    parser.add_argument("--file-creates", type=int, default=300)
    args = parser.parse_args()
    with embedded_cloud("volume", "/volume/", GUREUM_NETWORK__PUBLIC_NETWORK="false",
                        GUREUM_BLOCK_STORAGE__BACKENDS=json.dumps(BACKENDS)) as cloud:
        asyncio.run(run(cloud.base, cloud.token, cloud.server.pid, args))

if __name__ == "__main__":
    main()
