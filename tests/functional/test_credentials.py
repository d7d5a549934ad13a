"""Application credentials (with access rules) and EC2-style credentials."""

from __future__ import annotations

import json
import uuid

import httpx

from tests.harness import RunningCloud


def test_application_credential_authenticates_to_its_project(cloud: RunningCloud,
                                                               demo: httpx.Client) -> None:
    me = demo.get("/v3/auth/tokens", headers={
        "X-Subject-Token": demo.headers["X-Auth-Token"]}).json()["token"]["user"]["id"]
    created = demo.post(f"/v3/users/{me}/application_credentials", json={
        "application_credential": {
            "name": f"ci-{uuid.uuid4().hex[:6]}", "roles": [{"name": "reader"}],
            "access_rules": [
                {"service": "identity", "method": "GET", "path": "/v3/auth/projects"},
                {"service": "identity", "method": "POST",
                 "path": "/v3/users/*/application_credentials"}]}})
    assert created.status_code == 201, created.text
    cred = created.json()["application_credential"]
    assert cred["secret"] and cred["roles"][0]["name"] == "reader"
    assert cred["access_rules"][0]["id"]
    listed = demo.get(f"/v3/users/{me}/application_credentials").json()
    assert cred["id"] in {c["id"] for c in listed["application_credentials"]}
    assert "secret" not in listed["application_credentials"][0]
    rules = demo.get(f"/v3/users/{me}/access_rules").json()["access_rules"]
    assert rules[0]["path"] == "/v3/auth/projects"

    token = httpx.post(f"{cloud.identity_url}/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": cred["id"], "secret": cred["secret"]}}}})
    assert token.status_code == 201
    body = token.json()["token"]
    assert body["project"]["name"] == "demo"
    assert [r["name"] for r in body["roles"]] == ["reader"]  # not member: restricted to reader
    assert body["application_credential"]["id"] == cred["id"]
    wrong = httpx.post(f"{cloud.identity_url}/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": cred["id"], "secret": "wrong"}}}})
    assert wrong.status_code == 401
    app_client = cloud.client(token.headers["X-Subject-Token"])
    # its access rules decide what the token may call
    assert app_client.get("/v3/auth/projects").status_code == 200
    outside = app_client.get("/v3/auth/catalog")
    assert outside.status_code == 401 and "access rules" in outside.json()["error"]["message"]
    # a restricted application credential cannot mint another
    again = app_client.post(f"/v3/users/{me}/application_credentials",
                            json={"application_credential": {"name": "child"}})
    assert again.status_code == 403
    # deleting it kills its tokens
    assert demo.delete(f"/v3/users/{me}/application_credentials/{cred['id']}").status_code == 204
    assert app_client.get("/v3/auth/projects").status_code == 401


def test_a_user_cannot_make_credentials_for_another(demo: httpx.Client,
                                                    admin: httpx.Client) -> None:
    boss = admin.get("/v3/users", params={"name": "admin"}).json()["users"][0]
    response = demo.post(f"/v3/users/{boss['id']}/application_credentials",
                         json={"application_credential": {"name": "steal"}})
    assert response.status_code == 403


def test_ec2_credentials_are_stored_encrypted(cloud: RunningCloud, admin: httpx.Client,
                                              demo: httpx.Client) -> None:
    user = admin.get("/v3/users", params={"name": "demo"}).json()["users"][0]
    project = admin.get("/v3/projects", params={"name": "demo"}).json()["projects"][0]
    blob = json.dumps({"access": uuid.uuid4().hex, "secret": "very-secret-value"})
    created = demo.post("/v3/credentials", json={"credential": {
        "user_id": user["id"], "project_id": project["id"], "type": "ec2", "blob": blob}})
    assert created.status_code == 201, created.text
    credential = created.json()["credential"]
    assert credential["blob"] == blob
    assert demo.get(f"/v3/credentials/{credential['id']}").json()["credential"]["blob"] == blob
    assert credential["id"] in {c["id"] for c in demo.get("/v3/credentials").json()["credentials"]}
    raw = (cloud.settings.state_dir / "gureum.db").read_bytes()
    assert b"very-secret-value" not in raw
    boss = admin.get("/v3/users", params={"name": "admin"}).json()["users"][0]
    stolen = demo.post("/v3/credentials", json={"credential": {
        "user_id": boss["id"], "type": "totp", "blob": "x"}})
    assert stolen.status_code == 403
    assert demo.delete(f"/v3/credentials/{credential['id']}").status_code == 204
