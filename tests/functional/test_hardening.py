"""Defects an independent review found, each pinned by a test: privilege escalation paths,
inputs that used to crash, and keystone's hierarchy rules."""

from __future__ import annotations

import uuid

import httpx

from tests.harness import RunningCloud


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def auth(cloud: RunningCloud, body: dict) -> httpx.Response:
    return httpx.post(f"{cloud.identity_url}/v3/auth/tokens", json={"auth": body})


def role_id(admin: httpx.Client, name: str) -> str:
    return admin.get("/v3/roles", params={"name": name}).json()["roles"][0]["id"]


def test_an_app_credential_token_cannot_be_rescoped_beyond_it(cloud: RunningCloud,
                                                                admin: httpx.Client) -> None:
    me = admin.get("/v3/users", params={"name": "admin"}).json()["users"][0]["id"]
    cred = admin.post(f"/v3/users/{me}/application_credentials", json={
        "application_credential": {"name": unique("ro"), "roles": [{"name": "reader"}]}}
    ).json()["application_credential"]
    token = auth(cloud, {"identity": {"methods": ["application_credential"],
                                      "application_credential": {
                                          "id": cred["id"], "secret": cred["secret"]}}})
    first = token.headers["X-Subject-Token"]
    for scope in (None, {"project": {"name": "admin", "domain": {"id": "default"}}},
                  {"project": {"name": "demo", "domain": {"id": "default"}}}):
        body: dict = {"identity": {"methods": ["token"], "token": {"id": first}}}
        if scope:
            body["scope"] = scope
        again = auth(cloud, body)
        if again.status_code == 201:
            token_body = again.json()["token"]
            assert [r["name"] for r in token_body["roles"]] == ["reader"]
            assert token_body["application_credential"]["id"] == cred["id"]
            assert token_body["project"]["id"] == cred["project_id"]
        else:
            assert again.status_code == 401


def test_a_domain_scoped_admin_cannot_act_cloud_wide(cloud: RunningCloud,
                                                     admin: httpx.Client) -> None:
    domain = admin.post("/v3/domains", json={"domain": {"name": unique("d")}}).json()["domain"]
    user = admin.post("/v3/users", json={"user": {"name": unique("u"), "password": "pw",
                                                  "domain_id": domain["id"]}}).json()["user"]
    admin.put(f"/v3/domains/{domain['id']}/users/{user['id']}/roles/{role_id(admin, 'admin')}")
    token = auth(cloud, {"identity": {"methods": ["password"], "password": {"user": {
        "id": user["id"], "password": "pw"}}}, "scope": {"domain": {"id": domain["id"]}}})
    assert token.status_code == 201
    scoped = cloud.client(token.headers["X-Subject-Token"])
    victim = admin.post("/v3/users", json={"user": {"name": unique("v")}}).json()["user"]
    assert scoped.put(f"/v3/system/users/{victim['id']}/roles/{role_id(admin, 'admin')}"
                      ).status_code == 403
    assert scoped.post("/v3/domains", json={"domain": {"name": unique("x")}}).status_code == 403
    assert scoped.post("/v3/projects", json={"project": {"name": "x", "domain_id": "default"}}
                       ).status_code == 403


def test_ids_are_chosen_by_the_cloud(admin: httpx.Client) -> None:
    for collection, body in (("projects", {"project": {"name": unique("p"), "id": "default"}}),
                             ("users", {"user": {"name": unique("u"), "id": "a/b"}}),
                             ("services", {"service": {"type": "x", "id": 5}})):
        created = admin.post(f"/v3/{collection}", json=body)
        assert created.status_code in (201, 400), created.text
        if created.status_code == 201:
            made = created.json()[collection[:-1]]
            assert len(made["id"]) == 32 and made["id"] not in ("default", "a/b", 5)
    explicit = uuid.uuid4()
    domain = admin.post("/v3/domains", json={"domain": {
        "name": unique("d"), "explicit_domain_id": str(explicit)}})
    assert domain.status_code == 201 and domain.json()["domain"]["id"] == explicit.hex
    assert admin.post("/v3/domains", json={"domain": {
        "name": unique("d"), "explicit_domain_id": "default"}}).status_code == 400


def test_restricted_app_credentials_cannot_make_credentials(cloud: RunningCloud,
                                                            demo: httpx.Client) -> None:
    me = demo.get("/v3/auth/tokens", headers={"X-Subject-Token": demo.headers["X-Auth-Token"]}
                  ).json()["token"]["user"]["id"]
    cred = demo.post(f"/v3/users/{me}/application_credentials", json={
        "application_credential": {"name": unique("ro")}}).json()["application_credential"]
    token = auth(cloud, {"identity": {"methods": ["application_credential"],
                                      "application_credential": {
                                          "id": cred["id"], "secret": cred["secret"]}}})
    scoped = cloud.client(token.headers["X-Subject-Token"])
    made = scoped.post("/v3/credentials", json={"credential": {
        "user_id": me, "type": "totp", "blob": "x"}})
    assert made.status_code == 403


def test_domain_specific_roles_stay_in_their_domain(admin: httpx.Client) -> None:
    domain = admin.post("/v3/domains", json={"domain": {"name": unique("d")}}).json()["domain"]
    local = admin.post("/v3/roles", json={"role": {"name": "local", "domain_id": domain["id"]}}
                       ).json()["role"]
    demo = admin.get("/v3/projects", params={"name": "demo"}).json()["projects"][0]
    user = admin.post("/v3/users", json={"user": {"name": unique("u")}}).json()["user"]
    assert admin.put(f"/v3/projects/{demo['id']}/users/{user['id']}/roles/{local['id']}"
                     ).status_code == 403
    assert admin.put(f"/v3/domains/default/users/{user['id']}/roles/{local['id']}"
                     ).status_code == 403
    inside = admin.post("/v3/projects", json={"project": {"name": "in",
                                                          "domain_id": domain["id"]}}
                        ).json()["project"]
    assert admin.put(f"/v3/projects/{inside['id']}/users/{user['id']}/roles/{local['id']}"
                     ).status_code == 204


def test_inputs_that_used_to_crash_are_400(cloud: RunningCloud, admin: httpx.Client) -> None:
    for method in ("password", "token", "application_credential"):
        answer = auth(cloud, {"identity": {"methods": [method]}})
        assert answer.status_code == 400, answer.text
    deep = admin.post("/v3/projects", content=b"[" * 100000,
                      headers={"Content-Type": "application/json"})
    assert deep.status_code == 400
    for name in ("   ", "x" * 65):
        assert admin.post("/v3/projects", json={"project": {"name": name}}).status_code == 400


def test_circular_regions_are_refused(admin: httpx.Client) -> None:
    parent = admin.post("/v3/regions", json={"region": {"id": unique("Rp")}}).json()["region"]
    child = admin.post("/v3/regions", json={"region": {
        "id": unique("Rc"), "parent_region_id": parent["id"]}}).json()["region"]
    loop = admin.patch(f"/v3/regions/{parent['id']}",
                       json={"region": {"parent_region_id": child["id"]}})
    assert loop.status_code == 400
    assert admin.delete(f"/v3/regions/{child['id']}").status_code == 204
    assert admin.delete(f"/v3/regions/{parent['id']}").status_code == 204


def test_no_enabled_project_below_a_disabled_one(admin: httpx.Client) -> None:
    parent = admin.post("/v3/projects", json={"project": {"name": unique("p")}}).json()["project"]
    child = admin.post("/v3/projects", json={"project": {
        "name": unique("c"), "parent_id": parent["id"]}}).json()["project"]
    assert admin.patch(f"/v3/projects/{parent['id']}",
                       json={"project": {"enabled": False}}).status_code == 403
    assert admin.patch(f"/v3/projects/{child['id']}",
                       json={"project": {"enabled": False}}).status_code == 200
    assert admin.patch(f"/v3/projects/{parent['id']}",
                       json={"project": {"enabled": False}}).status_code == 200
    assert admin.patch(f"/v3/projects/{child['id']}",
                       json={"project": {"enabled": True}}).status_code == 403
    assert admin.post("/v3/projects", json={"project": {
        "name": unique("c"), "parent_id": parent["id"]}}).status_code == 403


def test_nothing_implies_admin_and_unknown_targets_are_404(admin: httpx.Client) -> None:
    plain = admin.post("/v3/roles", json={"role": {"name": unique("plain")}}).json()["role"]
    assert admin.put(f"/v3/roles/{plain['id']}/implies/{role_id(admin, 'admin')}"
                     ).status_code == 403
    user = admin.get("/v3/users", params={"name": "demo"}).json()["users"][0]
    assert admin.get(f"/v3/projects/{uuid.uuid4().hex}/users/{user['id']}/roles"
                     ).status_code == 404


def test_discovery_ignores_a_bad_token(cloud: RunningCloud) -> None:
    bad = {"X-Auth-Token": "garbage"}
    assert httpx.get(f"{cloud.identity_url}/v3", headers=bad).status_code == 200
    assert httpx.get(f"{cloud.identity_url}/healthcheck", headers=bad).status_code == 200
    assert httpx.get(f"{cloud.identity_url}/v3/projects", headers=bad).status_code == 401
