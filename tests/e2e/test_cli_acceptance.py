"""Issue 2's acceptance list, step by step through the real `openstack` CLI (and curl for
the legacy v2.0 call): against `gureum up` running as its own process, and again scaled out
(PostgreSQL, RabbitMQ, `gureum identity` as its own role)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.cloudproc import (
    CloudProcess,
    OpenStackCLI,
    bootstrap,
    fresh_database,
    identity_role,
    needs_services,
    scaled_env,
)
from tests.harness import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", params=[
    "embedded", pytest.param("scaled", marks=[needs_services, pytest.mark.scaled])])
def up(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[tuple[CloudProcess, Path, str]]:
    """(the process, its state dir, its base URL)"""
    state = tmp_path_factory.mktemp(request.param) / "state"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    if request.param == "embedded":
        env = {k: v for k, v in os.environ.items() if not k.startswith("GUREUM_")}
        process = CloudProcess(["up", "--state-dir", str(state), "--port", str(port)],
                               {**env, "GUREUM_IDENTITY__PASSWORD_HASH_ROUNDS": "8"},
                               f"{url}/identity", state.parent / "gureum.log")
        yield process.wait_ready(), state, url
        process.terminate()
        return
    with fresh_database() as database:
        env = scaled_env(database, GUREUM_PUBLIC_URL=url)
        bootstrap(state, port, env)
        process = identity_role("a", port, state, env)
        yield process.wait_ready(), state, url
        process.terminate()


@pytest.fixture(scope="module")
def osc(up: tuple[CloudProcess, Path, str]) -> OpenStackCLI:
    return OpenStackCLI(up[1] / "clouds.yaml")


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_token_issue_and_catalog(osc: OpenStackCLI, up: tuple) -> None:
    token = osc.json("token", "issue")
    assert token["id"] and token["project_id"] and token["user_id"]
    catalog = osc.json("catalog", "list")
    identity = [entry for entry in catalog if entry["Type"] == "identity"][0]
    assert f"{up[2]}/identity" in json.dumps(identity["Endpoints"])


def test_domains(osc: OpenStackCLI) -> None:
    domain = name("dom")
    assert osc.json("domain", "create", domain)["enabled"] is True
    assert domain in {d["Name"] for d in osc.json("domain", "list")}
    osc.run("domain", "set", "--disable", domain)
    assert osc.json("domain", "show", domain)["enabled"] is False
    osc.run("domain", "delete", domain)
    assert osc.run("domain", "show", domain, check=False).returncode != 0


def test_projects_users_groups_roles(osc: OpenStackCLI, up: tuple) -> None:
    domain = name("dom")
    osc.run("domain", "create", domain)
    parent = osc.json("project", "create", "--domain", domain, name("parent"))
    child = osc.json("project", "create", "--domain", domain, "--parent", parent["id"],
                     name("child"))
    assert child["parent_id"] == parent["id"] and child["domain_id"] == parent["domain_id"]
    listed = {p["ID"] for p in osc.json("project", "list", "--domain", domain)}
    assert listed == {parent["id"], child["id"]}
    osc.run("project", "set", "--description", "now described", child["id"])
    assert osc.json("project", "show", child["id"])["description"] == "now described"

    user = osc.json("user", "create", "--domain", domain, "--password", "first-pw",
                    name("user"))
    osc.run("user", "set", "--password", "second-pw", user["id"])
    group = osc.json("group", "create", "--domain", domain, name("group"))
    osc.run("group", "add", "user", group["id"], user["id"])
    assert osc.run("group", "contains", "user", group["id"], user["id"]).returncode == 0
    role = osc.json("role", "create", name("role"))
    osc.run("role", "add", "--user", user["id"], "--project", child["id"], role["name"])
    osc.run("role", "add", "--group", group["id"], "--project", parent["id"], "member")
    osc.run("role", "add", "--user", user["id"], "--domain", domain, "reader")
    osc.run("role", "add", "--group", group["id"], "--domain", domain, role["name"])
    rows = osc.json("role", "assignment", "list", "--names", "--effective", "--user",
                    user["id"])
    seen = {(r["Role"], r["Project"] or r["Domain"]) for r in rows}
    parent_name, child_name = f"{parent['name']}@{domain}", f"{child['name']}@{domain}"
    assert (role["name"], child_name) in seen  # direct
    assert ("member", parent_name) in seen and ("reader", parent_name) in seen  # via group
    assert ("reader", domain) in seen and (role["name"], domain) in seen
    # the new password works, the old one does not
    auth = ["--os-username", user["name"], "--os-password", "second-pw",
            "--os-user-domain-name", domain, "--os-project-name", child["name"],
            "--os-project-domain-name", domain]
    assert osc.json("token", "issue", *auth)["project_id"] == child["id"]
    old = [a if a != "second-pw" else "first-pw" for a in auth]
    assert osc.run("token", "issue", *old, check=False).returncode != 0

    osc.run("project", "delete", child["id"])
    osc.run("project", "delete", parent["id"])
    osc.run("user", "delete", user["id"])
    assert osc.run("user", "show", user["id"], check=False).returncode != 0


def test_member_cannot_create_a_project(osc: OpenStackCLI, up: tuple) -> None:
    demo = OpenStackCLI(up[1] / "clouds.yaml", "gureum-demo")
    denied = demo.run("project", "create", name("nope"), check=False)
    assert denied.returncode != 0 and "403" in denied.stderr


def test_implied_roles_show_in_tokens(osc: OpenStackCLI, up: tuple) -> None:
    prior, implied = osc.json("role", "create", name("prior")), osc.json("role", "create",
                                                                          name("implied"))
    osc.run("implied", "role", "create", "--implied-role", implied["id"], prior["id"])
    osc.run("role", "add", "--user", "admin", "--project", "demo", prior["name"])
    token = osc.json("token", "issue", "--os-project-name", "demo")["id"]
    shown = httpx.get(f"{up[2]}/identity/v3/auth/tokens",
                      headers={"X-Auth-Token": token, "X-Subject-Token": token})
    assert {prior["name"], implied["name"]} <= {r["name"] for r in shown.json()["token"]["roles"]}


def test_application_credentials(osc: OpenStackCLI, up: tuple) -> None:
    demo = OpenStackCLI(up[1] / "clouds.yaml", "gureum-demo")
    cred = demo.json("application", "credential", "create", name("app"))
    assert [r["name"] for r in cred["Roles"]] and cred["Secret"]
    token = demo.json("token", "issue", "--os-auth-type", "v3applicationcredential",
                      "--os-auth-url", f"{up[2]}/identity",
                      "--os-application-credential-id", cred["ID"],
                      "--os-application-credential-secret", cred["Secret"],
                      OS_CLOUD="")
    assert token["project_id"] == cred["Project ID"]


def with_token(token: str, url: str, project: str) -> list[str]:
    """Arguments that make the CLI authenticate with this token alone (and OS_CLOUD="")."""
    return ["--os-auth-type", "token", "--os-token", token, "--os-auth-url",
            f"{url}/identity", "--os-project-name", project,
            "--os-project-domain-name", "Default"]


def test_revoked_token_is_rejected(osc: OpenStackCLI, up: tuple) -> None:
    token = osc.json("token", "issue")["id"]
    as_token = with_token(token, up[2], "admin")
    assert osc.run("project", "list", *as_token, OS_CLOUD="").returncode == 0
    osc.run("token", "revoke", token)
    rejected = osc.run("project", "list", *as_token, check=False, OS_CLOUD="")
    assert rejected.returncode != 0 and "401" in rejected.stderr


def test_disabled_user_tokens_are_rejected(osc: OpenStackCLI, up: tuple) -> None:
    user = osc.json("user", "create", "--password", "pw", name("user"))
    osc.run("role", "add", "--user", user["id"], "--project", "demo", "member")
    token = osc.json("token", "issue", "--os-username", user["name"], "--os-password", "pw",
                     "--os-project-name", "demo")["id"]
    as_token = with_token(token, up[2], "demo")
    assert osc.run("catalog", "list", *as_token, OS_CLOUD="").returncode == 0
    osc.run("user", "set", "--disable", user["id"])
    rejected = osc.run("catalog", "list", *as_token, check=False, OS_CLOUD="")
    assert rejected.returncode != 0 and "401" in rejected.stderr


def test_regions_services_endpoints(osc: OpenStackCLI) -> None:
    region = name("Region")
    osc.run("region", "create", region)
    service = osc.json("service", "create", "--name", "thing", name("thing"))
    endpoint = osc.json("endpoint", "create", "--region", region, service["id"], "public",
                        "http://thing.example/v1")
    assert endpoint["id"] in {e["ID"] for e in osc.json("endpoint", "list")}
    assert region in {r["Region"] for r in osc.json("region", "list")}
    assert service["id"] in {s["ID"] for s in osc.json("service", "list")}
    osc.run("endpoint", "delete", endpoint["id"])
    osc.run("service", "delete", service["id"])
    osc.run("region", "delete", region)
    assert region not in {r["Region"] for r in osc.json("region", "list")}


def test_v2_tokens_with_curl(up: tuple) -> None:
    passwords = json.loads((up[1] / "passwords.json").read_text())
    body = json.dumps({"auth": {"tenantName": "demo", "passwordCredentials": {
        "username": "demo", "password": passwords["demo"]}}})
    out = subprocess.run(["curl", "-s", "-X", "POST", f"{up[2]}/identity/v2.0/tokens",
                          "-H", "Content-Type: application/json", "-d", body],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    access = json.loads(out)["access"]
    assert access["token"]["tenant"]["name"] == "demo" and access["token"]["id"]


def test_errors_in_keystone_shape(up: tuple) -> None:
    clouds = yaml.safe_load((up[1] / "clouds.yaml").read_text())["clouds"]["gureum"]["auth"]
    token = httpx.post(f"{up[2]}/identity/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["password"], "password": {"user": {
            "name": "admin", "domain": {"id": "default"}, "password": clouds["password"]}}},
        "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}})
    headers = {"X-Auth-Token": token.headers["X-Subject-Token"]}
    missing = httpx.get(f"{up[2]}/identity/v3/projects/{uuid.uuid4().hex}", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == 404
    bad = httpx.post(f"{up[2]}/identity/v3/projects", headers=headers, content=b"{",
                     timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == 400
    httpx.post(f"{up[2]}/identity/v3/domains", headers=headers,
               json={"domain": {"name": "twice"}})
    again = httpx.post(f"{up[2]}/identity/v3/domains", headers=headers,
                       json={"domain": {"name": "twice"}})
    assert again.status_code == 409 and again.json()["error"]["code"] == 409


def test_ec2_credentials(osc: OpenStackCLI, up: tuple) -> None:
    demo = OpenStackCLI(up[1] / "clouds.yaml", "gureum-demo")
    made = demo.json("ec2", "credentials", "create")
    assert made["access"] and made["secret"]
    listed = demo.json("ec2", "credentials", "list")
    assert made["access"] in {c["Access"] for c in listed}
    demo.run("ec2", "credentials", "delete", made["access"])
    assert made["access"] not in {c["Access"] for c in demo.json("ec2", "credentials", "list")}


def test_sigterm_stops_cleanly(up: tuple) -> None:
    process = up[0]
    assert process.terminate() == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{up[2]}/identity/v3", timeout=2)
    assert "Traceback" not in process.log.read_text()

