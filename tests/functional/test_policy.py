"""RBAC on every route: per persona (admin, member, reader, other project), and policy.yaml
overrides that take effect without a restart."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.harness import RunningCloud


@pytest.fixture(scope="module")
def reader(cloud: RunningCloud) -> httpx.Client:
    """A user with only `reader` on the demo project."""
    admin = cloud.client(cloud.token())
    name = f"reader-{uuid.uuid4().hex[:6]}"
    user = admin.post("/v3/users", json={"user": {"name": name, "password": "pw"}}
                      ).json()["user"]
    role = admin.get("/v3/roles", params={"name": "reader"}).json()["roles"][0]
    demo = admin.get("/v3/projects", params={"name": "demo"}).json()["projects"][0]
    admin.put(f"/v3/projects/{demo['id']}/users/{user['id']}/roles/{role['id']}")
    return cloud.client(cloud.token(name, "demo", password="pw"))


def test_member_cannot_administer(demo: httpx.Client) -> None:
    for method, path, body in (
            ("POST", "/v3/projects", {"project": {"name": "nope"}}),
            ("POST", "/v3/users", {"user": {"name": "nope"}}),
            ("POST", "/v3/domains", {"domain": {"name": "nope"}}),
            ("POST", "/v3/roles", {"role": {"name": "nope"}}),
            ("GET", "/v3/users", None),
            ("GET", "/v3/projects", None),
            ("GET", "/v3/role_assignments", None),
            ("GET", "/v3/services", None),
    ):
        response = demo.request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["title"] == "Forbidden"


def test_reader_cannot_write_either(reader: httpx.Client) -> None:
    assert reader.post("/v3/projects", json={"project": {"name": "x"}}).status_code == 403
    assert reader.get("/v3/auth/projects").status_code == 200


def test_member_sees_own_project_and_self_but_not_others(cloud: RunningCloud,
                                                         demo: httpx.Client,
                                                         admin: httpx.Client) -> None:
    own = admin.get("/v3/projects", params={"name": "demo"}).json()["projects"][0]
    other = admin.get("/v3/projects", params={"name": "admin"}).json()["projects"][0]
    assert demo.get(f"/v3/projects/{own['id']}").status_code == 200
    assert demo.get(f"/v3/projects/{other['id']}").status_code == 403
    me = admin.get("/v3/users", params={"name": "demo"}).json()["users"][0]
    boss = admin.get("/v3/users", params={"name": "admin"}).json()["users"][0]
    assert demo.get(f"/v3/users/{me['id']}").status_code == 200
    assert demo.get(f"/v3/users/{boss['id']}").status_code == 403
    assert demo.get(f"/v3/users/{me['id']}/projects").status_code == 200
    assert demo.get(f"/v3/users/{boss['id']}/projects").status_code == 403
    # nobody changes another user's password without knowing it
    assert demo.post(f"/v3/users/{boss['id']}/password", json={"user": {
        "original_password": "x", "password": "y"}}).status_code == 401


def test_unauthenticated_requests_are_401(cloud: RunningCloud) -> None:
    response = httpx.get(f"{cloud.identity_url}/v3/projects")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == 401
    # discovery and health need no token
    assert httpx.get(f"{cloud.identity_url}/v3").status_code == 200
    assert httpx.get(f"{cloud.identity_url}/").status_code == 300
    assert httpx.get(f"{cloud.identity_url}/healthcheck").text == "OK"


def test_policy_yaml_overrides_without_restart(cloud: RunningCloud, demo: httpx.Client) -> None:
    policy = cloud.cloud.policy_file("identity")
    policy.parent.mkdir(parents=True, exist_ok=True)
    assert demo.get("/v3/services").status_code == 403
    try:
        policy.write_text('"identity:list_services": "role:member"\n')
        assert demo.get("/v3/services").status_code == 200
        time.sleep(0.01)
        policy.write_text('"identity:list_services": "!"\n')
        # oslo.policy notices the new mtime: even admin is refused now
        admin = cloud.client(cloud.token())
        assert admin.get("/v3/services").status_code == 403
    finally:
        policy.unlink()
    assert demo.get("/v3/services").status_code == 403


def test_a_member_may_read_its_projects_domain_only(cloud: RunningCloud, demo: httpx.Client,
                                                    admin: httpx.Client) -> None:
    assert demo.get("/v3/domains/default").status_code == 200
    other = admin.post("/v3/domains", json={"domain": {"name": f"d-{uuid.uuid4().hex[:6]}"}}
                       ).json()["domain"]
    assert demo.get(f"/v3/domains/{other['id']}").status_code == 403
