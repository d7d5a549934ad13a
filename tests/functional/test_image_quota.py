"""Image quotas from keystone's unified limits: over a limit is glance's 413, and nothing
of the refused request is kept — no record, no bytes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from tests.harness import RunningCloud

MIB = 1 << 20


@dataclass
class Tenant:
    project_id: str
    images: httpx.Client


@pytest.fixture()
def tenant(cloud: RunningCloud, admin: httpx.Client) -> Iterator[Tenant]:
    """A fresh project with a member user, so limits set here touch no other test."""
    name = f"quota-{uuid.uuid4().hex[:8]}"
    project = admin.post("/v3/projects", json={"project": {"name": name,
                                                           "domain_id": "default"}})
    project_id = project.json()["project"]["id"]
    user = admin.post("/v3/users", json={"user": {"name": name, "password": "pw-" + name,
                                                  "domain_id": "default"}}).json()["user"]
    member = admin.get("/v3/roles", params={"name": "member"}).json()["roles"][0]
    assert admin.put(f"/v3/projects/{project_id}/users/{user['id']}/roles/{member['id']}"
                     ).status_code == 204
    token = cloud.token(name, name, password="pw-" + name)
    with httpx.Client(base_url=f"{cloud.url}/image", headers={"X-Auth-Token": token},
                      timeout=30) as images:
        yield Tenant(project_id, images)


def set_limit(admin: httpx.Client, project_id: str, resource: str, value: int) -> None:
    glance = admin.get("/v3/services", params={"type": "image"}).json()["services"][0]["id"]
    created = admin.post("/v3/limits", json={"limits": [{
        "service_id": glance, "region_id": "RegionOne", "project_id": project_id,
        "resource_name": resource, "resource_limit": value}]})
    assert created.status_code == 201, created.text


def create(images: httpx.Client) -> httpx.Response:
    return images.post("/v2/images", json={"name": "q", "disk_format": "raw",
                                           "container_format": "bare"})


def stored_files(cloud: RunningCloud) -> set[str]:
    return {p.name for folder in ("images", "image-staging")
            for p in (cloud.settings.state_dir / folder).iterdir()}


def test_image_count_over_the_limit_is_413_and_creates_nothing(
        admin: httpx.Client, tenant: Tenant) -> None:
    set_limit(admin, tenant.project_id, "image_count_total", 2)
    assert create(tenant.images).status_code == 201
    assert create(tenant.images).status_code == 201
    refused = create(tenant.images)
    assert refused.status_code == 413
    assert "image_count_total is over limit of 2" in refused.json()["message"]
    listed = tenant.images.get("/v2/images").json()["images"]
    # its own: other tests' public images are visible too
    assert len([i for i in listed if i["owner"] == tenant.project_id]) == 2


def test_concurrent_creates_against_a_limit_leave_exactly_the_limit(
        admin: httpx.Client, tenant: Tenant) -> None:
    set_limit(admin, tenant.project_id, "image_count_total", 5)
    with ThreadPoolExecutor(12) as pool:
        codes = sorted(r.status_code for r in pool.map(lambda _: create(tenant.images),
                                                       range(12)))
    assert codes == [201] * 5 + [413] * 7
    listed = tenant.images.get("/v2/images").json()["images"]
    assert len([i for i in listed if i["owner"] == tenant.project_id]) == 5


def test_upload_over_the_size_limit_is_refused_and_keeps_no_bytes(
        cloud: RunningCloud, admin: httpx.Client, tenant: Tenant) -> None:
    set_limit(admin, tenant.project_id, "image_size_total", 1)  # MiB
    first = create(tenant.images).json()
    assert tenant.images.put(f"/v2/images/{first['id']}/file", content=os.urandom(MIB // 2),
                             headers={"Content-Type": "application/octet-stream"}
                             ).status_code == 204
    before = stored_files(cloud)

    second = create(tenant.images).json()
    announced = tenant.images.put(f"/v2/images/{second['id']}/file",
                                  content=os.urandom(MIB // 2 + 1),
                                  headers={"Content-Type": "application/octet-stream"})
    assert announced.status_code == 413, announced.text
    assert "image_size_total" in announced.json()["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused midway instead
        for _ in range(8):
            yield os.urandom(MIB // 8)

    streamed = tenant.images.put(f"/v2/images/{second['id']}/file", content=chunks(),
                                 headers={"Content-Type": "application/octet-stream"})
    assert streamed.status_code == 413, streamed.text
    image = tenant.images.get(f"/v2/images/{second['id']}").json()
    assert image["status"] == "queued" and image["size"] is None
    assert stored_files(cloud) == before

    small = tenant.images.put(f"/v2/images/{second['id']}/file", content=os.urandom(1000),
                              headers={"Content-Type": "application/octet-stream"})
    assert small.status_code == 204  # what is left of the quota still takes an upload


def test_staging_over_the_stage_limit_is_refused(cloud: RunningCloud, admin: httpx.Client,
                                                 tenant: Tenant) -> None:
    set_limit(admin, tenant.project_id, "image_stage_total", 1)
    image = create(tenant.images).json()
    before = stored_files(cloud)
    refused = tenant.images.put(f"/v2/images/{image['id']}/stage", content=os.urandom(2 * MIB),
                                headers={"Content-Type": "application/octet-stream"})
    assert refused.status_code == 413
    assert tenant.images.get(f"/v2/images/{image['id']}").json()["status"] == "queued"
    assert stored_files(cloud) == before


def test_unlimited_is_minus_one(admin: httpx.Client, tenant: Tenant) -> None:
    set_limit(admin, tenant.project_id, "image_count_total", -1)
    set_limit(admin, tenant.project_id, "image_count_uploading", 0)
    image = create(tenant.images)
    assert image.status_code == 201
    uploading = tenant.images.put(f"/v2/images/{image.json()['id']}/file", content=b"x",
                                  headers={"Content-Type": "application/octet-stream"})
    assert uploading.status_code == 413
    assert "image_count_uploading" in uploading.json()["message"]
