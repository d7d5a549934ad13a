"""Domains, projects, users, groups, roles and assignments through openstacksdk and HTTP,
with keystone's error shapes for the failures."""

from __future__ import annotations

import uuid

import httpx
import openstack
import pytest


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_domain_lifecycle(admin_sdk: openstack.connection.Connection) -> None:
    domain = admin_sdk.identity.create_domain(name=unique("dom"), description="d")
    assert domain.is_enabled
    assert domain.name in {d.name for d in admin_sdk.identity.domains()}
    # an enabled domain cannot be deleted
    with pytest.raises(openstack.exceptions.ForbiddenException):
        admin_sdk.identity.delete_domain(domain)
    admin_sdk.identity.update_domain(domain, is_enabled=False)
    assert not admin_sdk.identity.get_domain(domain.id).is_enabled
    admin_sdk.identity.delete_domain(domain)
    with pytest.raises(openstack.exceptions.NotFoundException):
        admin_sdk.identity.get_domain(domain.id)


def test_projects_in_domains_with_parents_and_tags(
        admin_sdk: openstack.connection.Connection) -> None:
    domain = admin_sdk.identity.create_domain(name=unique("dom"))
    parent = admin_sdk.identity.create_project(name=unique("parent"), domain_id=domain.id)
    assert parent.parent_id == domain.id  # keystone: a top-level project's parent is its domain
    child = admin_sdk.identity.create_project(name=unique("child"), parent_id=parent.id,
                                              tags=["a", "b"])
    assert child.domain_id == domain.id and child.parent_id == parent.id
    assert sorted(admin_sdk.identity.get_project(child.id).tags) == ["a", "b"]
    children = list(admin_sdk.identity.projects(parent_id=parent.id))
    assert [p.id for p in children] == [child.id]
    tagged = list(admin_sdk.identity.projects(tags="a"))
    assert child.id in {p.id for p in tagged}
    admin_sdk.identity.update_project(child, description="changed", is_enabled=False)
    fetched = admin_sdk.identity.get_project(child.id)
    assert fetched.description == "changed" and not fetched.is_enabled
    with pytest.raises(openstack.exceptions.ForbiddenException):
        admin_sdk.identity.delete_project(parent)  # it still has a child
    admin_sdk.identity.delete_project(child)
    admin_sdk.identity.delete_project(parent)
    admin_sdk.identity.update_domain(domain, is_enabled=False)
    admin_sdk.identity.delete_domain(domain)


def test_project_tag_subresource(admin: httpx.Client) -> None:
    project = admin.post("/v3/projects", json={"project": {"name": unique("p")}}).json()["project"]
    base = f"/v3/projects/{project['id']}/tags"
    assert admin.put(f"{base}/red").status_code == 201
    assert admin.get(f"{base}/red").status_code == 204
    assert admin.get(f"{base}/blue").status_code == 404
    assert admin.put(base, json={"tags": ["x", "y"]}).json()["tags"] == ["x", "y"]
    assert admin.put(base, json={"tags": ["bad/tag"]}).status_code == 400
    assert admin.delete(base).status_code == 204
    assert admin.get(base).json()["tags"] == []


def test_duplicates_conflict_and_unknowns_are_404(admin: httpx.Client) -> None:
    name = unique("p")
    assert admin.post("/v3/projects", json={"project": {"name": name}}).status_code == 201
    again = admin.post("/v3/projects", json={"project": {"name": name}})
    assert again.status_code == 409
    assert again.json()["error"] == {"code": 409, "title": "Conflict", "message": (
        f"Conflict occurred attempting to store project - Duplicate entry found with name "
        f"{name}.")}
    missing = admin.get(f"/v3/users/{uuid.uuid4().hex}")
    assert missing.status_code == 404 and missing.json()["error"]["title"] == "Not Found"
    assert admin.patch("/v3/projects/nope", json={"project": {"name": "x"}}).status_code == 404
    assert admin.post("/v3/users", json={"user": {}}).status_code == 400
    assert admin.post("/v3/users", json={"user": {"name": "x", "enabled": "yes"}}
                      ).status_code == 400
    unknown = admin.get("/v3/no-such-collection")
    assert unknown.status_code == 404 and "error" in unknown.json()
    not_allowed = admin.put("/v3/projects")
    assert not_allowed.status_code == 405 and not_allowed.json()["error"]["code"] == 405


def test_users_groups_and_membership(admin_sdk: openstack.connection.Connection) -> None:
    user = admin_sdk.identity.create_user(name=unique("u"), password="secret-1",
                                          email="u@example.com", domain_id="default")
    assert admin_sdk.identity.get_user(user.id).email == "u@example.com"
    group = admin_sdk.identity.create_group(name=unique("g"), domain_id="default")
    admin_sdk.identity.add_user_to_group(user, group)
    assert admin_sdk.identity.check_user_in_group(user, group)
    assert [u.id for u in admin_sdk.identity.group_users(group)] == [user.id]
    admin_sdk.identity.remove_user_from_group(user, group)
    assert not admin_sdk.identity.check_user_in_group(user, group)
    admin_sdk.identity.delete_group(group)
    admin_sdk.identity.delete_user(user)
    with pytest.raises(openstack.exceptions.NotFoundException):
        admin_sdk.identity.get_user(user.id)


def test_group_roles_are_effective_for_members(cloud, admin: httpx.Client) -> None:
    user = admin.post("/v3/users", json={"user": {"name": unique("u"), "password": "pw"}}
                      ).json()["user"]
    group = admin.post("/v3/groups", json={"group": {"name": unique("g")}}).json()["group"]
    project = admin.post("/v3/projects", json={"project": {"name": unique("p")}}
                         ).json()["project"]
    reader = admin.get("/v3/roles", params={"name": "reader"}).json()["roles"][0]
    assert admin.put(f"/v3/groups/{group['id']}/users/{user['id']}").status_code == 204
    grant = f"/v3/projects/{project['id']}/groups/{group['id']}/roles/{reader['id']}"
    assert admin.put(grant).status_code == 204
    assert admin.head(grant).status_code == 204
    listed = admin.get("/v3/role_assignments", params={
        "user.id": user["id"], "effective": "", "include_names": ""}).json()["role_assignments"]
    assert len(listed) == 1
    assert listed[0]["user"]["name"] == user["name"]
    assert listed[0]["scope"]["project"]["name"] == project["name"]
    assert listed[0]["links"]["membership"].endswith(f"/groups/{group['id']}/users/{user['id']}")
    token = httpx.post(f"{cloud.identity_url}/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "id": user["id"], "password": "pw"}}},
        "scope": {"project": {"id": project["id"]}}}})
    assert token.status_code == 201
    assert [r["name"] for r in token.json()["token"]["roles"]] == ["reader"]


def test_implied_roles_show_in_tokens(cloud, admin: httpx.Client) -> None:
    boss, helper = (admin.post("/v3/roles", json={"role": {"name": unique(n)}}).json()["role"]
                    for n in ("boss", "helper"))
    implied = admin.put(f"/v3/roles/{boss['id']}/implies/{helper['id']}")
    assert implied.status_code == 201
    assert implied.json()["role_inference"]["implies"]["id"] == helper["id"]
    inferences = admin.get("/v3/role_inferences").json()["role_inferences"]
    assert helper["id"] in {r["id"] for i in inferences if i["prior_role"]["id"] == boss["id"]
                            for r in i["implies"]}
    # a loop is refused
    assert admin.put(f"/v3/roles/{helper['id']}/implies/{boss['id']}").status_code == 403
    user = admin.post("/v3/users", json={"user": {"name": unique("u"), "password": "pw"}}
                      ).json()["user"]
    project = admin.get("/v3/projects", params={"name": "demo"}).json()["projects"][0]
    admin.put(f"/v3/projects/{project['id']}/users/{user['id']}/roles/{boss['id']}")
    token = httpx.post(f"{cloud.identity_url}/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "id": user["id"], "password": "pw"}}},
        "scope": {"project": {"id": project["id"]}}}}).json()["token"]
    assert {r["name"] for r in token["roles"]} == {boss["name"], helper["name"]}


def test_domain_roles_and_inherited_grants(cloud, admin: httpx.Client) -> None:
    domain = admin.post("/v3/domains", json={"domain": {"name": unique("d")}}).json()["domain"]
    local = admin.post("/v3/roles", json={"role": {"name": "local", "domain_id": domain["id"]}})
    assert local.status_code == 201 and local.json()["role"]["domain_id"] == domain["id"]
    listed = admin.get("/v3/roles", params={"domain_id": domain["id"]}).json()["roles"]
    assert [r["name"] for r in listed] == ["local"]
    user = admin.post("/v3/users", json={"user": {"name": "u", "password": "pw",
                                                  "domain_id": domain["id"]}}).json()["user"]
    project = admin.post("/v3/projects", json={"project": {"name": "p",
                                                           "domain_id": domain["id"]}}
                         ).json()["project"]
    member = admin.get("/v3/roles", params={"name": "member"}).json()["roles"][0]
    inherit = (f"/v3/OS-INHERIT/domains/{domain['id']}/users/{user['id']}/roles/"
               f"{member['id']}/inherited_to_projects")
    assert admin.put(inherit).status_code == 204
    token = httpx.post(f"{cloud.identity_url}/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "id": user["id"], "password": "pw"}}},
        "scope": {"project": {"id": project["id"]}}}})
    assert token.status_code == 201
    assert {"member", "reader"} == {r["name"] for r in token.json()["token"]["roles"]}


def test_catalog_resources(admin_sdk: openstack.connection.Connection) -> None:
    region = admin_sdk.identity.create_region(id=unique("Region"), description="r")
    service = admin_sdk.identity.create_service(type=unique("thing"), name="thing")
    endpoint = admin_sdk.identity.create_endpoint(
        service_id=service.id, interface="public", url="http://example.test/thing",
        region_id=region.id)
    assert endpoint.id in {e.id for e in admin_sdk.identity.endpoints(service_id=service.id)}
    with pytest.raises(openstack.exceptions.BadRequestException):
        admin_sdk.identity.create_endpoint(service_id=service.id, interface="sideways",
                                           url="http://x")
    admin_sdk.identity.delete_endpoint(endpoint)
    admin_sdk.identity.delete_service(service)
    admin_sdk.identity.delete_region(region)
    with pytest.raises(openstack.exceptions.NotFoundException):
        admin_sdk.identity.get_region(region.id)


def test_concurrent_creates_of_one_name_leave_exactly_one(cloud, admin: httpx.Client) -> None:
    from concurrent.futures import ThreadPoolExecutor

    project = unique("race")
    token = admin.headers["X-Auth-Token"]

    def create(_: int) -> int:
        return httpx.post(f"{cloud.identity_url}/v3/projects", json={"project": {
            "name": project}}, headers={"X-Auth-Token": token}, timeout=30).status_code

    with ThreadPoolExecutor(12) as pool:
        codes = sorted(pool.map(create, range(12)))
    assert codes == [201] + [409] * 11
    assert len(admin.get("/v3/projects", params={"name": project}).json()["projects"]) == 1


def test_concurrent_identical_puts_all_succeed(cloud, admin: httpx.Client) -> None:
    """Grants and memberships are idempotent PUTs: racing twins both get 204, one row."""
    from concurrent.futures import ThreadPoolExecutor

    user = admin.post("/v3/users", json={"user": {"name": unique("u")}}).json()["user"]
    group = admin.post("/v3/groups", json={"group": {"name": unique("g")}}).json()["group"]
    project = admin.post("/v3/projects", json={"project": {"name": unique("p")}}
                         ).json()["project"]
    role = admin.get("/v3/roles", params={"name": "reader"}).json()["roles"][0]
    token = admin.headers["X-Auth-Token"]
    paths = [f"/v3/projects/{project['id']}/users/{user['id']}/roles/{role['id']}",
             f"/v3/groups/{group['id']}/users/{user['id']}"]

    def put(path: str) -> int:
        return httpx.put(f"{cloud.identity_url}{path}", headers={"X-Auth-Token": token},
                         timeout=30).status_code

    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(put, paths * 8))
    assert codes == [204] * 16
    listed = admin.get("/v3/role_assignments", params={"user.id": user["id"]}).json()
    assert len(listed["role_assignments"]) == 1
