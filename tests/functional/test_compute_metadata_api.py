"""Nova's metadata API, reached as neutron's metadata proxy reaches it: instance ids
signed with the shared secret; unsigned or badly signed requests refused."""

from __future__ import annotations

import base64

import httpx

from gureum.compute.metadata_api import sign
from tests.functional.compute_helpers import (
    compute_client,
    create_server,
    public_image,
    wait_status,
)
from tests.harness import RunningCloud, unique


def test_a_server_reads_its_own_metadata(cloud: RunningCloud) -> None:
    image = public_image(cloud)
    secret = (cloud.settings.state_dir / "metadata-secret").read_text().strip()
    with compute_client(cloud, "demo") as nova:
        key = nova.post("/os-keypairs", json={"keypair": {"name": unique("md-key")}}).json()[
            "keypair"]
        user_data = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()
        server = create_server(nova, image, networks="auto", name=unique("md"),
                               key_name=key["name"], user_data=user_data,
                               metadata={"role": "web"})
        shown = wait_status(nova, server["id"], {"ACTIVE"})
    sid = server["id"]
    signed = {"X-Instance-ID": sid, "X-Instance-ID-Signature": sign(secret, sid),
              "X-Tenant-ID": shown["tenant_id"]}
    with httpx.Client(base_url=f"{cloud.url}/metadata", timeout=30) as md:
        meta = md.get("/openstack/latest/meta_data.json", headers=signed).json()
        assert meta["uuid"] == sid and meta["name"] == shown["name"]
        assert meta["meta"] == {"role": "web"} and meta["project_id"] == shown["tenant_id"]
        assert meta["public_keys"] == {key["name"]: key["public_key"]}
        assert meta["keys"][0]["type"] == "ssh" and len(base64.b64decode(
            meta["random_seed"])) == 512
        assert md.get("/openstack/latest/user_data",
                      headers=signed).content == b"#!/bin/sh\necho hello\n"
        assert "user_data" in md.get("/openstack/latest", headers=signed).text
        network = md.get("/openstack/2018-08-27/network_data.json", headers=signed).json()
        addresses = {n["ip_address"] for n in network["networks"]}
        assert {a["addr"] for entries in shown["addresses"].values()
                for a in entries} == addresses
        assert network["links"][0]["ethernet_mac_address"]
        assert md.get("/openstack/latest/vendor_data2.json", headers=signed).json() == {
            "static": {}}
        assert meta["hostname"].endswith(".novalocal")  # nova's default dhcp_domain
        assert meta["devices"] == [] and meta["dedicated_cpus"] == []
        # older metadata versions say less, as nova's did then
        folsom = md.get("/openstack/2012-08-10/meta_data.json", headers=signed).json()
        assert "random_seed" not in folsom and "project_id" not in folsom
        assert md.get("/openstack/2012-08-10", headers=signed).text.splitlines() == [
            "meta_data.json", "user_data"]
        assert md.get("/openstack/2012-08-10/network_data.json",
                      headers=signed).status_code == 404
        assert md.get("/openstack/1999-01-01/meta_data.json", headers=signed).status_code == 404
        # the guest posts its encrypted password once
        assert md.get("/openstack/latest/password", headers=signed).text == ""
        assert md.post("/openstack/latest/password", headers=signed,
                       content=b"c2VjcmV0").status_code == 200
        assert md.post("/openstack/latest/password", headers=signed,
                       content=b"again").status_code == 409
        assert md.get("/openstack/latest/password", headers=signed).text == "c2VjcmV0"
        assert md.post("/openstack/latest/password", headers=signed,
                       content=b"x" * 300).status_code in (400, 409)
        ec2 = md.get("/latest/meta-data/", headers=signed).text.splitlines()
        assert "instance-id" in ec2 and "public-keys/" in ec2
        assert md.get("/latest/meta-data/public-keys", headers=signed).text == \
            f"0={key['name']}"
        assert md.get("/latest/meta-data/public-keys/0/openssh-key",
                      headers=signed).text == key["public_key"]
        assert md.get("/latest/user-data", headers=signed).content.startswith(b"#!/bin/sh")
        # unsigned, badly signed, or another project's: refused
        assert md.get("/openstack/latest/meta_data.json").status_code == 400
        unsigned = {k: v for k, v in signed.items() if k != "X-Instance-ID-Signature"}
        missing = md.get("/openstack/latest/meta_data.json", headers=unsigned)
        assert (missing.status_code, missing.text) == (
            400, "X-Instance-ID-Signature header is missing from request.")
        no_tenant = {k: v for k, v in signed.items() if k != "X-Tenant-ID"}
        assert md.get("/openstack/latest/meta_data.json", headers=no_tenant
                      ).status_code == 400
        forged = {**signed, "X-Instance-ID-Signature": sign("guess", sid)}
        assert md.get("/openstack/latest/meta_data.json", headers=forged).status_code == 403
        other = {**signed, "X-Tenant-ID": "someone-else"}
        assert md.get("/openstack/latest/meta_data.json", headers=other).status_code == 404
    with compute_client(cloud, "demo") as nova:
        assert nova.delete(f"/servers/{sid}").status_code == 204
        # demo's key pairs are counted elsewhere
        assert nova.delete(f"/os-keypairs/{key['name']}").status_code == 204
