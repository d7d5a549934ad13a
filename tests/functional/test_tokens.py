"""Tokens over HTTP: issue, validate, check, revoke, scopes, and what invalidates them."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.harness import RunningCloud


def issue(cloud: RunningCloud, auth: dict) -> httpx.Response:
    return httpx.post(f"{cloud.identity_url}/v3/auth/tokens", json={"auth": auth})


def password_auth(user: str, password: str, scope: dict | None = None) -> dict:
    auth: dict = {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": "Default"}, "password": password}}}}
    if scope:
        auth["scope"] = scope
    return auth


def validate(cloud: RunningCloud, token: str, subject: str, **params: str) -> httpx.Response:
    return httpx.get(f"{cloud.identity_url}/v3/auth/tokens", params=params,
                     headers={"X-Auth-Token": token, "X-Subject-Token": subject})


def test_project_token_carries_user_project_roles_and_catalog(cloud: RunningCloud) -> None:
    scope = {"project": {"name": "admin", "domain": {"id": "default"}}}
    response = issue(cloud, password_auth("admin", cloud.passwords()["admin"], scope))
    assert response.status_code == 201
    token = response.headers["X-Subject-Token"]
    assert len(token) < 255 and response.headers["x-openstack-request-id"].startswith("req-")
    body = response.json()["token"]
    assert body["methods"] == ["password"]
    assert body["user"]["name"] == "admin" and body["user"]["domain"]["id"] == "default"
    assert body["project"]["name"] == "admin"
    # admin implies member implies reader: all three appear
    assert {"admin", "member", "reader"} <= {r["name"] for r in body["roles"]}
    identity = [s for s in body["catalog"] if s["type"] == "identity"]
    assert identity and {e["interface"] for e in identity[0]["endpoints"]} == {
        "public", "internal", "admin"}
    assert body["expires_at"].endswith("Z") and body["issued_at"] < body["expires_at"]


def test_validate_check_and_revoke(cloud: RunningCloud) -> None:
    admin = cloud.token("admin", "admin")
    subject = cloud.token("demo", "demo")
    shown = validate(cloud, admin, subject)
    assert shown.status_code == 200 and shown.headers["X-Subject-Token"] == subject
    assert shown.json()["token"]["user"]["name"] == "demo"
    assert "catalog" not in validate(cloud, admin, subject, nocatalog="1").json()["token"]
    head = httpx.head(f"{cloud.identity_url}/v3/auth/tokens",
                      headers={"X-Auth-Token": admin, "X-Subject-Token": subject})
    assert head.status_code == 200
    # the owner may revoke their own token
    revoked = httpx.delete(f"{cloud.identity_url}/v3/auth/tokens",
                           headers={"X-Auth-Token": subject, "X-Subject-Token": subject})
    assert revoked.status_code == 204
    gone = validate(cloud, admin, subject)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == 404
    used = httpx.get(f"{cloud.identity_url}/v3/auth/projects", headers={"X-Auth-Token": subject})
    assert used.status_code == 401
    assert used.headers["WWW-Authenticate"].startswith("Keystone uri=")
    assert used.json()["error"]["title"] == "Unauthorized"


def test_a_user_cannot_validate_someone_elses_token(cloud: RunningCloud) -> None:
    demo = cloud.token("demo", "demo")
    admin = cloud.token("admin", "admin")
    assert validate(cloud, demo, admin).status_code == 403
    assert validate(cloud, demo, demo).status_code == 200


def test_garbage_tokens_are_rejected(cloud: RunningCloud) -> None:
    admin = cloud.token("admin", "admin")
    assert validate(cloud, admin, "not-a-token").status_code == 404
    tampered = admin[:-4] + ("AAAA" if not admin.endswith("AAAA") else "BBBB")
    assert httpx.get(f"{cloud.identity_url}/v3/projects",
                     headers={"X-Auth-Token": tampered}).status_code == 401


def test_wrong_password_and_unknown_user_are_401(cloud: RunningCloud) -> None:
    for user, password in (("admin", "wrong"), ("nobody-" + uuid.uuid4().hex, "x")):
        response = issue(cloud, password_auth(user, password))
        assert response.status_code == 401
        assert response.json()["error"]["code"] == 401


def test_malformed_auth_is_400(cloud: RunningCloud) -> None:
    response = httpx.post(f"{cloud.identity_url}/v3/auth/tokens", content=b"{not json",
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "error" in response.json()
    response = httpx.post(f"{cloud.identity_url}/v3/auth/tokens",
                          json={"auth": {"identity": {"methods": "password"}}})
    assert response.status_code == 400
    assert "methods" in response.json()["error"]["message"]


def test_unscoped_domain_and_system_scopes(cloud: RunningCloud) -> None:
    password = cloud.passwords()["admin"]
    unscoped = issue(cloud, password_auth("admin", password)).json()["token"]
    assert "project" not in unscoped and "roles" not in unscoped and "catalog" not in unscoped
    domain = issue(cloud, password_auth("admin", password, {"domain": {"id": "default"}}))
    assert domain.status_code == 201 and domain.json()["token"]["domain"]["name"] == "Default"
    system = issue(cloud, password_auth("admin", password, {"system": {"all": True}}))
    assert system.status_code == 201 and system.json()["token"]["system"] == {"all": True}
    # demo has no role on the admin project, the domain or the system
    demo_pw = cloud.passwords()["demo"]
    for scope in ({"project": {"name": "admin", "domain": {"id": "default"}}},
                  {"domain": {"id": "default"}}, {"system": {"all": True}}):
        assert issue(cloud, password_auth("demo", demo_pw, scope)).status_code == 401


def test_rescoping_with_the_token_method_keeps_the_audit_chain(cloud: RunningCloud) -> None:
    unscoped = issue(cloud, password_auth("admin", cloud.passwords()["admin"]))
    first = unscoped.headers["X-Subject-Token"]
    rescoped = issue(cloud, {"identity": {"methods": ["token"], "token": {"id": first}},
                             "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}})
    # admin has no role on demo
    assert rescoped.status_code == 401
    rescoped = issue(cloud, {"identity": {"methods": ["token"], "token": {"id": first}},
                             "scope": {"project": {"name": "admin",
                                                   "domain": {"id": "default"}}}})
    assert rescoped.status_code == 201
    body = rescoped.json()["token"]
    assert body["audit_ids"][1] == unscoped.json()["token"]["audit_ids"][0]
    assert body["expires_at"] <= unscoped.json()["token"]["expires_at"]


def test_auth_projects_domains_system_and_catalog(cloud: RunningCloud) -> None:
    demo = cloud.client(cloud.token("demo", "demo"))
    assert [p["name"] for p in demo.get("/v3/auth/projects").json()["projects"]] == ["demo"]
    assert demo.get("/v3/auth/domains").json()["domains"] == []
    assert demo.get("/v3/auth/system").json()["system"] == []
    catalog = demo.get("/v3/auth/catalog").json()["catalog"]
    assert "identity" in {s["type"] for s in catalog}
    admin = cloud.client(cloud.token("admin", "admin"))
    assert admin.get("/v3/auth/system").json()["system"] == [{"all": True}]


@pytest.fixture()
def fresh_user(cloud: RunningCloud, admin: httpx.Client) -> dict:
    name = f"user-{uuid.uuid4().hex[:8]}"
    user = admin.post("/v3/users", json={"user": {"name": name, "password": "pw-1",
                                                  "domain_id": "default"}}).json()["user"]
    member = admin.get("/v3/roles", params={"name": "member"}).json()["roles"][0]
    demo = admin.get("/v3/projects", params={"name": "demo"}).json()["projects"][0]
    assert admin.put(f"/v3/projects/{demo['id']}/users/{user['id']}/roles/{member['id']}"
                     ).status_code == 204
    return {"id": user["id"], "name": name, "password": "pw-1", "project": demo["id"]}


def user_token(cloud: RunningCloud, user: dict, password: str | None = None) -> httpx.Response:
    return issue(cloud, password_auth(user["name"], password or user["password"],
                                      {"project": {"id": user["project"]}}))


def test_disabling_a_user_rejects_its_tokens(cloud: RunningCloud, admin: httpx.Client,
                                             fresh_user: dict) -> None:
    token = user_token(cloud, fresh_user).headers["X-Subject-Token"]
    assert validate(cloud, admin.headers["X-Auth-Token"], token).status_code == 200
    assert admin.patch(f"/v3/users/{fresh_user['id']}",
                       json={"user": {"enabled": False}}).status_code == 200
    assert validate(cloud, admin.headers["X-Auth-Token"], token).status_code == 404
    assert user_token(cloud, fresh_user).status_code == 401
    # re-enabling does not resurrect old tokens
    admin.patch(f"/v3/users/{fresh_user['id']}", json={"user": {"enabled": True}})
    assert validate(cloud, admin.headers["X-Auth-Token"], token).status_code == 404
    assert user_token(cloud, fresh_user).status_code == 201


def test_changing_password_revokes_tokens(cloud: RunningCloud, admin: httpx.Client,
                                          fresh_user: dict) -> None:
    token = user_token(cloud, fresh_user).headers["X-Subject-Token"]
    own = cloud.client(token)
    wrong = own.post(f"/v3/users/{fresh_user['id']}/password",
                     json={"user": {"original_password": "nope", "password": "pw-2"}})
    assert wrong.status_code == 401
    changed = own.post(f"/v3/users/{fresh_user['id']}/password",
                       json={"user": {"original_password": "pw-1", "password": "pw-2"}})
    assert changed.status_code == 204
    assert validate(cloud, admin.headers["X-Auth-Token"], token).status_code == 404
    assert user_token(cloud, fresh_user).status_code == 401
    assert user_token(cloud, fresh_user, "pw-2").status_code == 201


def test_deleting_a_project_or_its_role_invalidates_tokens(cloud: RunningCloud,
                                                           admin: httpx.Client) -> None:
    project = admin.post("/v3/projects", json={"project": {"name": f"p-{uuid.uuid4().hex[:8]}"}}
                         ).json()["project"]
    me = admin.get("/v3/users", params={"name": "admin"}).json()["users"][0]
    member = admin.get("/v3/roles", params={"name": "member"}).json()["roles"][0]
    grant = f"/v3/projects/{project['id']}/users/{me['id']}/roles/{member['id']}"
    assert admin.put(grant).status_code == 204
    token = issue(cloud, password_auth("admin", cloud.passwords()["admin"],
                                       {"project": {"id": project["id"]}}))
    assert token.status_code == 201
    subject = token.headers["X-Subject-Token"]
    assert admin.delete(grant).status_code == 204
    assert validate(cloud, admin.headers["X-Auth-Token"], subject).status_code == 404
    assert admin.delete(f"/v3/projects/{project['id']}").status_code == 204


def test_v2_tokens_for_legacy_clients(cloud: RunningCloud) -> None:
    response = httpx.post(f"{cloud.identity_url}/v2.0/tokens", json={"auth": {
        "passwordCredentials": {"username": "demo", "password": cloud.passwords()["demo"]},
        "tenantName": "demo"}})
    assert response.status_code == 200
    access = response.json()["access"]
    assert access["token"]["tenant"]["name"] == "demo"
    assert access["user"]["username"] == "demo"
    assert {"member", "reader"} <= {r["name"] for r in access["user"]["roles"]}
    identity = [s for s in access["serviceCatalog"] if s["type"] == "identity"][0]
    assert identity["endpoints"][0]["publicURL"].endswith("/identity")
    # the v2 token works on the v3 API
    projects = httpx.get(f"{cloud.identity_url}/v3/auth/projects",
                         headers={"X-Auth-Token": access["token"]["id"]})
    assert projects.status_code == 200
    bad = httpx.post(f"{cloud.identity_url}/v2.0/tokens", json={"auth": {
        "passwordCredentials": {"username": "demo", "password": "wrong"}}})
    assert bad.status_code == 401


def test_unknown_users_are_checked_against_a_hash_of_the_same_cost(cloud: RunningCloud
                                                                   ) -> None:
    """Refusing a stranger costs one bcrypt check, as refusing a wrong password does, so
    response times do not reveal which user names exist."""
    manager = cloud.cloud.identity
    assert manager is not None
    assert issue(cloud, password_auth(f"nobody-{uuid.uuid4().hex}", "x")).status_code == 401
    assert manager._dummy_hash is not None  # noqa: SLF001 - what makes the timing equal
    assert manager._dummy_hash.startswith("$2b$04$")  # noqa: SLF001 - the configured cost


def test_a_password_can_be_changed_without_a_token(cloud: RunningCloud,
                                                   fresh_user: dict) -> None:
    url = f"{cloud.identity_url}/v3/users/{fresh_user['id']}/password"
    wrong = httpx.post(url, json={"user": {"original_password": "no", "password": "pw-3"}})
    assert wrong.status_code == 401
    right = httpx.post(url, json={"user": {"original_password": "pw-1", "password": "pw-3"}})
    assert right.status_code == 204
    assert user_token(cloud, fresh_user, "pw-3").status_code == 201
