"""Keystone's unified limits over HTTP and openstacksdk: registered (default) limits, the
project limits that override them, who may see and change which."""

from __future__ import annotations

import uuid

import httpx
import openstack

from tests.harness import RunningCloud


def service_id(client: httpx.Client, service_type: str) -> str:
    return str(client.get("/v3/services", params={"type": service_type}).json()[
        "services"][0]["id"])


def project_id(client: httpx.Client, name: str) -> str:
    return str(client.get("/v3/projects", params={"name": name}).json()["projects"][0]["id"])


def test_bootstrap_registers_the_image_service_defaults(
        admin_sdk: openstack.connection.Connection) -> None:
    glance = admin_sdk.identity.find_service("glance")
    registered = {r.resource_name: r.default_limit
                  for r in admin_sdk.identity.registered_limits(service_id=glance.id)}
    assert registered == {"image_count_total": 100, "image_count_uploading": 10,
                          "image_size_total": 102400, "image_stage_total": 102400}


def test_registered_and_project_limits_lifecycle(admin: httpx.Client, demo: httpx.Client
                                                 ) -> None:
    glance = service_id(admin, "image")
    resource = f"widgets_{uuid.uuid4().hex[:6]}"
    created = admin.post("/v3/registered_limits", json={"registered_limits": [{
        "service_id": glance, "region_id": "RegionOne", "resource_name": resource,
        "default_limit": 5, "description": "test widgets"}]})
    assert created.status_code == 201, created.text
    registered = created.json()["registered_limits"][0]
    assert registered["default_limit"] == 5 and registered["links"]["self"].endswith(
        registered["id"])
    again = admin.post("/v3/registered_limits", json={"registered_limits": [{
        "service_id": glance, "region_id": "RegionOne", "resource_name": resource,
        "default_limit": 6}]})
    assert again.status_code == 409

    demo_project = project_id(admin, "demo")
    limit = admin.post("/v3/limits", json={"limits": [{
        "service_id": glance, "region_id": "RegionOne", "project_id": demo_project,
        "resource_name": resource, "resource_limit": 2}]})
    assert limit.status_code == 201, limit.text
    limit_id = limit.json()["limits"][0]["id"]
    assert admin.post("/v3/limits", json={"limits": [{
        "service_id": glance, "region_id": "RegionOne", "project_id": demo_project,
        "resource_name": resource, "resource_limit": 3}]}).status_code == 409

    # a registered limit that project limits refer to can neither move nor go
    assert admin.delete(f"/v3/registered_limits/{registered['id']}").status_code == 403
    assert admin.patch(f"/v3/registered_limits/{registered['id']}", json={
        "registered_limit": {"resource_name": "elsewhere"}}).status_code == 403
    raised = admin.patch(f"/v3/registered_limits/{registered['id']}", json={
        "registered_limit": {"default_limit": 9}})
    assert raised.status_code == 200 and raised.json()["registered_limit"]["default_limit"] == 9

    updated = admin.patch(f"/v3/limits/{limit_id}", json={"limit": {"resource_limit": 4}})
    assert updated.status_code == 200 and updated.json()["limit"]["resource_limit"] == 4
    assert demo.get(f"/v3/limits/{limit_id}").json()["limit"]["resource_limit"] == 4
    assert demo.patch(f"/v3/limits/{limit_id}", json={
        "limit": {"resource_limit": 100}}).status_code == 403
    assert admin.delete(f"/v3/limits/{limit_id}").status_code == 204
    assert admin.get(f"/v3/limits/{limit_id}").status_code == 404
    assert admin.delete(f"/v3/registered_limits/{registered['id']}").status_code == 204


def test_a_limit_needs_its_registered_limit_and_real_references(admin: httpx.Client) -> None:
    glance = service_id(admin, "image")
    demo_project = project_id(admin, "demo")
    orphan = admin.post("/v3/limits", json={"limits": [{
        "service_id": glance, "project_id": demo_project, "resource_name": "nothing_here",
        "resource_limit": 1}]})
    assert orphan.status_code == 403
    assert "no corresponding registered limit" in orphan.json()["error"]["message"]
    for bad in ({"service_id": "nope", "resource_name": "x", "default_limit": 1},
                {"service_id": glance, "region_id": "Atlantis", "resource_name": "x",
                 "default_limit": 1},
                {"service_id": glance, "resource_name": "x", "default_limit": "many"},
                {"service_id": glance, "resource_name": "x", "default_limit": -2},
                {"service_id": glance, "resource_name": "", "default_limit": 1}):
        answer = admin.post("/v3/registered_limits", json={"registered_limits": [bad]})
        assert answer.status_code == 400, (bad, answer.text)
        assert answer.json()["error"]["code"] == 400
    assert admin.get("/v3/limits/model").json()["model"]["name"] == "flat"


def test_users_see_only_their_projects_limits_and_cannot_write(
        cloud: RunningCloud, admin: httpx.Client, demo: httpx.Client) -> None:
    glance = service_id(admin, "image")
    other = admin.post("/v3/projects", json={"project": {"name": f"lim-{uuid.uuid4().hex[:6]}",
                                                         "domain_id": "default"}}).json()
    created = admin.post("/v3/limits", json={"limits": [{
        "service_id": glance, "region_id": "RegionOne", "project_id": other["project"]["id"],
        "resource_name": "image_count_total", "resource_limit": 7}]}).json()["limits"][0]
    assert created["id"] in {x["id"] for x in admin.get("/v3/limits").json()["limits"]}
    assert created["id"] not in {x["id"] for x in demo.get("/v3/limits").json()["limits"]}
    assert demo.get(f"/v3/limits/{created['id']}").status_code == 403
    assert demo.post("/v3/registered_limits", json={"registered_limits": [{
        "service_id": glance, "resource_name": "mine", "default_limit": 1}]}).status_code == 403
    assert demo.get("/v3/registered_limits").status_code == 200  # defaults are no secret
    # a project's limits go with it
    assert admin.delete(f"/v3/projects/{other['project']['id']}").status_code == 204
    assert admin.get(f"/v3/limits/{created['id']}").status_code == 404
