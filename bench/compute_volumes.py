"""Compute with Block Storage benchmark: attach/detach cycles on one server, and boots
from volume against plain boots, through `gureum up` with the fake drivers.

    .venv/bin/python bench/compute_volumes.py [--cycles 200] [--clients 1,8]
                                              [--boots 300] [--hosts 10]

Cycles: one server; each client has a volume of its own and attaches it
(`POST /servers/{id}/os-volume_attachments`), waits until Block Storage shows it `in-use`,
detaches it and waits until it is `available` again; `--cycles` in all per client count.
Boots: `--boots` servers (m1.nano, no network) from 10 clients until none is BUILD, first
from the image, then from volume (block_device_mapping_v2: the image into a new 1 GiB
volume, deleted with the server); the ratio is boot-from-volume boots/s over plain
boots/s in the same run.

Issue 7 asks for the figures (no target).
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from compute import boot, upload_image
from embedded import embedded_cloud

BACKENDS = {"fake": {"driver": "fake", "pools": {"pool": 10_000_000}}}
POLL = 0.01  # seconds between a waiter's looks, times the waiters (the polls cost CPU)


async def until(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 60,
                waiters: int = 1) -> None:
    deadline = time.perf_counter() + timeout
    while not await check():
        if time.perf_counter() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(POLL * waiters)


async def volume_is(volumes: httpx.AsyncClient, volume_id: str, status: str) -> bool:
    found = (await volumes.get(f"/volumes/{volume_id}")).json()["volume"]
    if found["status"] == "error":
        raise RuntimeError(f"volume {volume_id} went to error")
    return bool(found["status"] == status)


async def cycles(nova: httpx.AsyncClient, volumes: httpx.AsyncClient, server: str,
                 total: int, clients: int) -> float:
    """Seconds for `total` attach/detach cycles from `clients` workers."""
    owned = []
    for _ in range(clients):
        made = (await volumes.post("/volumes", json={"volume": {"size": 1}})).json()["volume"]
        owned.append(made["id"])
    for volume_id in owned:
        await until(functools.partial(volume_is, volumes, volume_id, "available"), "a volume")
    left = total

    async def worker(volume_id: str) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            answer = await nova.post(f"/servers/{server}/os-volume_attachments", json={
                "volumeAttachment": {"volumeId": volume_id}})
            if answer.status_code != 200:
                raise RuntimeError(f"attach: {answer.status_code} {answer.text}")
            await until(lambda: volume_is(volumes, volume_id, "in-use"), "in-use",
                        waiters=clients)
            answer = await nova.delete(f"/servers/{server}/os-volume_attachments/{volume_id}")
            if answer.status_code != 202:
                raise RuntimeError(f"detach: {answer.status_code} {answer.text}")
            await until(lambda: volume_is(volumes, volume_id, "available"), "available",
                        waiters=clients)

    start = time.perf_counter()
    await asyncio.gather(*[worker(v) for v in owned])
    return time.perf_counter() - start


async def building(nova: httpx.AsyncClient) -> bool:
    return not (await nova.get("/servers/detail", params={"status": "BUILD", "limit": "1"})
                ).json()["servers"]


async def delete_all(nova: httpx.AsyncClient) -> None:
    for server in (await nova.get("/servers")).json()["servers"]:
        await nova.delete(f"/servers/{server['id']}")

    async def none_left() -> bool:
        return not (await nova.get("/servers", params={"limit": "1"})).json()["servers"]
    await until(none_left, "deletes", timeout=600)


async def run(base: str, token: str, args: Any) -> None:
    headers = {"X-Auth-Token": token}
    project = httpx.get(f"{base}/identity/v3/auth/tokens", headers={
        "X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]["project"]["id"]
    async with httpx.AsyncClient(base_url=f"{base}/compute/v2.1", timeout=300, headers={
            **headers, "OpenStack-API-Version": "compute 2.79"}) as nova, \
            httpx.AsyncClient(base_url=f"{base}/volume/v3", timeout=300,
                              headers=headers) as volumes:
        await nova.put(f"/os-quota-sets/{project}", json={"quota_set": {
            "instances": -1, "cores": -1, "ram": -1}})
        await volumes.put(f"/os-quota-sets/{project}", json={"quota_set": {
            "volumes": -1, "gigabytes": -1, "snapshots": -1}})
        image = await upload_image(base, token)
        made = (await nova.post("/servers", json={"server": {
            "name": "attached", "imageRef": image, "flavorRef": "42",
            "networks": "none"}})).json()["server"]
        await until(lambda: building(nova), "the server")
        await cycles(nova, volumes, made["id"], 10, 1)  # warm up
        for clients in args.clients:
            seconds = await cycles(nova, volumes, made["id"], args.cycles, clients)
            print(f"attach → in-use → detach → available on one server, {clients} "
                  f"client(s): {args.cycles / seconds:.1f} cycles/s ({args.cycles} in "
                  f"{seconds:.1f} s)")
        await delete_all(nova)
        plain = {"imageRef": image, "networks": "none"}
        from_volume = {"imageRef": "", "networks": "none", "block_device_mapping_v2": [{
            "uuid": image, "source_type": "image", "destination_type": "volume",
            "volume_size": 1, "boot_index": 0, "delete_on_termination": True}]}
        await boot(nova, 20, 10, plain)  # warm up
        await delete_all(nova)
        rates = {}
        for name, server in (("plain", plain), ("from volume", from_volume)):
            seconds, failures = await boot(nova, args.boots, 10, server)
            rates[name] = args.boots / seconds
            print(f"boot → ACTIVE, {name:11}, {args.boots} servers on {args.hosts} fake "
                  f"hosts, 10 clients: {rates[name]:.1f} /s ({seconds:.1f} s, "
                  f"{failures} failed)")
            await delete_all(nova)
        print(f"boot from volume / plain boot: {rates['from volume'] / rates['plain']:.2f}")
        await asyncio.sleep(1)  # the last root volumes' deletes
        left = (await volumes.get("/volumes")).json()["volumes"]
        print(f"volumes left after the deletes: {len(left)} (the cycles' own: "
              f"{sum(args.clients) + 1})")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--clients", type=lambda s: [int(n) for n in s.split(",")],
                        default=[1, 8])
    parser.add_argument("--boots", type=int, default=300)
    parser.add_argument("--hosts", type=int, default=10)
    args = parser.parse_args()
    with embedded_cloud("compute-volumes", "/compute/",
                        GUREUM_COMPUTE__FAKE_HOSTS=str(args.hosts),
                        GUREUM_NETWORK__PUBLIC_NETWORK="false",
                        GUREUM_BLOCK_STORAGE__BACKENDS=json.dumps(BACKENDS)) as cloud:
        asyncio.run(run(cloud.base, cloud.token, args))


if __name__ == "__main__":
    main()
