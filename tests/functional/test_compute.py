"""Compute: version discovery and microversions, flavors, key pairs and limits, over
HTTP as nova clients use them."""

from __future__ import annotations

import httpx
import openstack

from tests.harness import RunningCloud, unique


def test_version_documents_and_microversion_headers(cloud: RunningCloud,
                                                     nova: httpx.Client) -> None:
    root = httpx.get(f"{cloud.url}/compute/")
    assert root.status_code == 200
    version = root.json()["versions"][0]
    assert (version["id"], version["min_version"], version["version"]) == ("v2.1", "2.1",
                                                                           "2.92")
    legacy = nova.get("/flavors", headers={"OpenStack-API-Version": "",
                                           "X-OpenStack-Nova-API-Version": "2.19"})
    assert legacy.headers["X-OpenStack-Nova-API-Version"] == "2.19"
    assert legacy.headers["OpenStack-API-Version"] == "compute 2.19"
    # nova names the request id twice (2.46)
    assert legacy.headers["X-Compute-Request-Id"] == legacy.headers["X-OpenStack-Request-Id"]
    too_new = nova.get("/flavors", headers={"OpenStack-API-Version": "compute 2.93"})
    assert too_new.status_code == 406
    assert "notAcceptable" in too_new.json()
    # the project id in the URL is optional, and ignored
    with_project = nova.get(f"{cloud.url}/compute/v2.1/{'a' * 32}/flavors")
    assert with_project.status_code == 200


def test_default_flavors_and_the_catalog(admin_sdk: openstack.connection.Connection) -> None:
    names = {f.name for f in admin_sdk.compute.flavors()}
    assert {"m1.nano", "m1.micro", "m1.tiny", "m1.small", "m1.medium", "m1.large",
            "m1.xlarge"} <= names
    nano = admin_sdk.compute.get_flavor("42")
    assert (nano.name, nano.vcpus, nano.ram, nano.disk) == ("m1.nano", 1, 128, 1)
    assert admin_sdk.compute.get_endpoint().endswith("/compute/v2.1")


def test_flavor_create_with_properties_access_and_delete(nova: httpx.Client,
                                                         demo_nova: httpx.Client,
                                                         cloud: RunningCloud) -> None:
    name = unique("flavor")
    made = nova.post("/flavors", json={"flavor": {"name": name, "ram": 256, "vcpus": 2,
                                                  "disk": 3,
                                                  "os-flavor-access:is_public": False}})
    assert made.status_code == 200, made.text
    flavor = made.json()["flavor"]
    assert (flavor["ram"], flavor["vcpus"], flavor["disk"]) == (256, 2, 3)
    specs = nova.post(f"/flavors/{flavor['id']}/os-extra_specs",
                      json={"extra_specs": {"hw:cpu_policy": "shared", "tier": "gold"}})
    assert specs.json()["extra_specs"] == {"hw:cpu_policy": "shared", "tier": "gold"}
    assert nova.get(f"/flavors/{flavor['id']}/os-extra_specs/tier").json() == {
        "tier": "gold"}
    assert nova.get(f"/flavors/{flavor['id']}/os-extra_specs/nope").status_code == 404
    # private: demo sees it only once its project is given access
    assert demo_nova.get(f"/flavors/{flavor['id']}").status_code == 404
    demo_project = demo_nova.get("/limits")  # any call: the token's project
    assert demo_project.status_code == 200
    project_id = _project_id(cloud, "demo")
    added = nova.post(f"/flavors/{flavor['id']}/action",
                      json={"addTenantAccess": {"tenant": project_id}})
    assert added.json()["flavor_access"] == [{"flavor_id": flavor["id"],
                                              "tenant_id": project_id}]
    assert nova.post(f"/flavors/{flavor['id']}/action", json={
        "addTenantAccess": {"tenant": project_id}}).status_code == 409
    assert demo_nova.get(f"/flavors/{flavor['id']}").status_code == 200
    # members may not manage flavors
    assert demo_nova.post("/flavors", json={"flavor": {
        "name": unique("nope"), "ram": 1, "vcpus": 1, "disk": 0}}).status_code == 403
    duplicate = nova.post("/flavors", json={"flavor": {"name": name, "ram": 1, "vcpus": 1,
                                                       "disk": 0}})
    assert duplicate.status_code == 409 and "conflictingRequest" in duplicate.json()
    assert nova.post("/flavors", json={"flavor": {"name": unique("bad"), "ram": "x",
                                                  "vcpus": 1, "disk": 0}}).status_code == 400
    assert nova.delete(f"/flavors/{flavor['id']}").status_code == 202
    assert nova.get(f"/flavors/{flavor['id']}").status_code == 404


def _project_id(cloud: RunningCloud, name: str) -> str:
    with cloud.client(cloud.token("admin", "admin")) as identity:
        return str(identity.get("/v3/projects", params={"name": name}).json()[
            "projects"][0]["id"])


def test_keypairs_generated_imported_and_per_user(nova: httpx.Client,
                                                  demo_nova: httpx.Client) -> None:
    name = unique("key")
    made = nova.post("/os-keypairs", json={"keypair": {"name": name}})
    assert made.status_code == 201, made.text
    generated = made.json()["keypair"]
    assert generated["private_key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert generated["type"] == "ssh" and generated["public_key"].startswith("ssh-rsa ")
    assert len(generated["fingerprint"].split(":")) == 16
    # the same public key imported by another user has the same fingerprint
    imported = demo_nova.post("/os-keypairs", json={"keypair": {
        "name": name, "public_key": generated["public_key"]}})
    assert imported.status_code == 201, imported.text
    assert "private_key" not in imported.json()["keypair"]
    assert imported.json()["keypair"]["fingerprint"] == generated["fingerprint"]
    assert nova.post("/os-keypairs", json={"keypair": {"name": name}}).status_code == 409
    bad = nova.post("/os-keypairs", json={"keypair": {"name": unique("k"),
                                                      "public_key": "not a key"}})
    assert bad.status_code == 400 and "badRequest" in bad.json()
    x509 = nova.post("/os-keypairs", json={"keypair": {"name": unique("cert"),
                                                       "type": "x509"}})
    assert x509.json()["keypair"]["public_key"].startswith("-----BEGIN CERTIFICATE-----")
    listed = [k["keypair"]["name"] for k in demo_nova.get("/os-keypairs").json()["keypairs"]]
    assert listed.count(name) == 1  # demo's own only (other tests' keys may be there)
    shown = demo_nova.get(f"/os-keypairs/{name}").json()["keypair"]
    assert shown["user_id"] != generated["user_id"]
    assert demo_nova.delete(f"/os-keypairs/{name}").status_code == 204
    assert demo_nova.get(f"/os-keypairs/{name}").status_code == 404
    assert nova.get(f"/os-keypairs/{name}").status_code == 200


def test_limits_show_the_project_quota_and_usage(demo_nova: httpx.Client) -> None:
    limits = demo_nova.get("/limits").json()["limits"]
    absolute = limits["absolute"]
    assert absolute["maxTotalInstances"] == 10 and absolute["maxTotalCores"] == 20
    assert "maxSecurityGroups" not in absolute  # gone at 2.36
    old = demo_nova.get("/limits", headers={"OpenStack-API-Version": "compute 2.1"})
    assert "maxSecurityGroups" in old.json()["limits"]["absolute"]
    assert limits["rate"] == []
