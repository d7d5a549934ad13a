"""Volume creates that arrive together commit together (one transaction per project's
batch): a create over quota fails alone with its own error while the rest of its batch
is made, and every volume made reaches `available` through the batched scheduler and
the batched agent reports."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import openstack

from gureum.block_storage import errors
from gureum.core.context import RequestContext
from tests.functional.volume_helpers import wait_for, wait_gone
from tests.harness import RunningCloud, unique


def test_a_create_batch_over_quota_fails_alone(cloud: RunningCloud, vol: httpx.Client,
                                               admin_sdk: openstack.connection.Connection,
                                               ) -> None:
    manager = cloud.cloud.block_storage
    assert manager is not None
    project = admin_sdk.identity.create_project(name=unique("vbatch"), domain_id="default")
    member = RequestContext(user_id="u", project_id=project.id, roles=("member", "reader"))
    sizes = [1, 1, 20, 1, 1, 1, 1]  # 20 GiB is over the gigabytes quota on its own
    batches: list[int] = []
    inserts = manager.volume_inserts
    run = inserts._run

    async def counted(project_id: str, volumes: list[Any]) -> list[Any]:
        batches.append(len(volumes))
        return await run(project_id, volumes)

    async def create_all() -> list[Any]:
        return await asyncio.gather(*(manager.create_volume(member, {"size": size})
                                      for size in sizes), return_exceptions=True)

    inserts._run = counted  # type: ignore[method-assign]
    try:
        assert vol.put(f"/os-quota-sets/{project.id}", json={"quota_set": {
            "volumes": 4, "gigabytes": 10}}).status_code == 200
        results = cloud.run(create_all())
        assert max(batches) > 1  # the batch path ran, not one create at a time
        assert isinstance(results[2], errors.SizeExceedsAvailableQuota)
        made = [r for r in results if not isinstance(r, Exception)]
        over = [r for r in results if isinstance(r, errors.VolumeLimitExceeded)]
        assert len(made) == 4 and len(over) == 2
        for volume in made:
            assert wait_for(vol, f"/volumes/{volume.id}", "volume",
                            {"available", "error"})["status"] == "available"
        usage = vol.get(f"/os-quota-sets/{project.id}",
                        params={"usage": "True"}).json()["quota_set"]
        assert usage["volumes"]["in_use"] == 4 and usage["gigabytes"]["in_use"] == 4
    finally:
        inserts._run = run  # type: ignore[method-assign]
        for volume in vol.get("/volumes", params={"all_tenants": "1", "project_id":
                                                   project.id}).json()["volumes"]:
            vol.delete(f"/volumes/{volume['id']}")
            wait_gone(vol, f"/volumes/{volume['id']}")
        vol.delete(f"/os-quota-sets/{project.id}")
        admin_sdk.identity.delete_project(project)


def test_concurrent_create_batches_never_pass_the_quota(
        cloud: RunningCloud, vol: httpx.Client,
        admin_sdk: openstack.connection.Connection) -> None:
    """Forty creates at once in batches of whatever arrived together: exactly the quota's
    worth are made, whichever batches they landed in."""
    manager = cloud.cloud.block_storage
    assert manager is not None
    project = admin_sdk.identity.create_project(name=unique("vbatch"), domain_id="default")
    member = RequestContext(user_id="u", project_id=project.id, roles=("member", "reader"))

    async def create_all() -> list[Any]:
        async def one(index: int) -> Any:
            await asyncio.sleep(index % 5 * 0.002)  # arrivals spread over a few batches
            return await manager.create_volume(member, {"size": 1})
        return await asyncio.gather(*(one(i) for i in range(40)), return_exceptions=True)

    try:
        assert vol.put(f"/os-quota-sets/{project.id}", json={"quota_set": {
            "volumes": 13}}).status_code == 200
        results = cloud.run(create_all())
        kinds = sorted(type(r).__name__ for r in results)
        assert kinds == ["Volume"] * 13 + ["VolumeLimitExceeded"] * 27
        listed = vol.get("/volumes", params={"all_tenants": "1",
                                             "project_id": project.id}).json()["volumes"]
        assert len(listed) == 13
    finally:
        for volume in vol.get("/volumes", params={"all_tenants": "1", "project_id":
                                                   project.id}).json()["volumes"]:
            wait_for(vol, f"/volumes/{volume['id']}", "volume", {"available", "error"})
            vol.delete(f"/volumes/{volume['id']}")
            wait_gone(vol, f"/volumes/{volume['id']}")
        vol.delete(f"/os-quota-sets/{project.id}")
        admin_sdk.identity.delete_project(project)
