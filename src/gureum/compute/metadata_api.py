"""Nova's metadata API: what a server learns about itself (meta_data.json, user_data,
network_data.json, vendor data, and the EC2-style /latest/meta-data tree).

Requests come through neutron's metadata proxy, which names the instance in
`X-Instance-ID` and signs it: `X-Instance-ID-Signature` is HMAC-SHA256 of the id under
the shared secret. Unsigned or badly signed requests are refused; a project that does not
own the instance (`X-Tenant-ID`) finds nothing. It reads through the control plane."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, Router

from gureum.clients.network import NetworkClient
from gureum.compute.manager import ComputeManager
from gureum.compute.models import Keypair, Server, VolumeAttachment
from gureum.compute.views import instance_name

FOLSOM = "2012-08-10"
OPENSTACK_VERSIONS = ("2012-08-10", "2013-04-04", "2013-10-17", "2015-10-15",
                      "2016-06-30", "2016-10-06", "2017-02-22", "2018-08-27", "2020-10-14",
                      "2025-04-04")
# the releases whose metadata versions added something (nova's names for them)
GRIZZLY, HAVANA, LIBERTY, NEWTON_ONE, NEWTON_TWO, VICTORIA = (
    "2013-04-04", "2013-10-17", "2015-10-15", "2016-06-30", "2016-10-06", "2020-10-14")
# nova's [api] dhcp_domain default: the hostname a guest is told is qualified with it
DHCP_DOMAIN = "novalocal"
# what a guest may post as its encrypted password (nova's limit)
MAX_PASSWORD_SIZE = 256
EC2_VERSIONS = ("1.0", "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10",
                "2007-12-15", "2008-02-01", "2008-09-01", "2009-04-04")


def sign(secret: str, instance_id: str) -> str:
    """The signature neutron's metadata proxy sends with an instance id."""
    return hmac.new(secret.encode(), instance_id.encode(), hashlib.sha256).hexdigest()


class MetadataAPI:
    def __init__(self, manager: ComputeManager, network: NetworkClient, secret: str) -> None:
        self.manager = manager
        self.network = network
        self.secret = secret
        self.app = Router(routes=[
            Route("/", self.ec2_versions), Route("/openstack", self.openstack_versions),
            Route("/openstack/", self.openstack_versions),
            Route("/openstack/{version}", self.openstack_listing),
            Route("/openstack/{version}/", self.openstack_listing),
            Route("/openstack/{version}/{item}", self.openstack_item, methods=["GET", "POST"]),
            Route("/{version}/user-data", self.ec2_user_data),
            Route("/{version}/meta-data", self.ec2_meta_data),
            Route("/{version}/meta-data/{path:path}", self.ec2_meta_data),
            Route("/{version}", self.ec2_listing), Route("/{version}/", self.ec2_listing)])

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    # ------------------------------------------------------------ who is asking
    async def instance(self, request: Request) -> Server | Response:
        """The instance the proxy names, as nova's handler checks it: every header there
        (400), the signature right (403), the instance the tenant's (404)."""
        instance_id = request.headers.get("x-instance-id")
        signature = request.headers.get("x-instance-id-signature")
        tenant = request.headers.get("x-tenant-id")
        for header, value in (("X-Instance-ID", instance_id),
                              ("X-Instance-ID-Signature", signature), ("X-Tenant-ID", tenant)):
            if value is None:
                return PlainTextResponse(f"{header} header is missing from request.", 400)
            if len(request.headers.getlist(header)) > 1:
                return PlainTextResponse(f"Multiple {header} headers found within "
                                         "request.", 400)
        assert instance_id is not None and signature is not None
        if not hmac.compare_digest(sign(self.secret, instance_id), signature):
            return PlainTextResponse("Invalid proxy request signature.", 403)
        async with self.manager.db.session() as session:
            row = await session.get(Server, instance_id)
        if row is None or row.deleted or tenant != row.project_id:
            return PlainTextResponse("Not Found", 404)
        return row

    # ------------------------------------------------------------ openstack
    async def openstack_versions(self, request: Request) -> Response:
        found = await self.instance(request)
        if isinstance(found, Response):
            return found
        return PlainTextResponse("\n".join([*OPENSTACK_VERSIONS, "latest"]))

    async def openstack_listing(self, request: Request) -> Response:
        found = await self.instance(request)
        if isinstance(found, Response):
            return found
        version = request.path_params["version"].rstrip("/")
        if version not in (*OPENSTACK_VERSIONS, "latest"):
            return PlainTextResponse("Not Found", 404)
        items = ["meta_data.json"]
        if found.user_data:
            items.append("user_data")
        for since, item in ((GRIZZLY, "password"), (HAVANA, "vendor_data.json"),
                            (LIBERTY, "network_data.json"), (NEWTON_TWO, "vendor_data2.json")):
            if since_version(since, version):
                items.append(item)
        return PlainTextResponse("\n".join(items))

    async def openstack_item(self, request: Request) -> Response:
        found = await self.instance(request)
        if isinstance(found, Response):
            return found
        version, item = request.path_params["version"], request.path_params["item"]
        available = {"meta_data.json": FOLSOM, "user_data": FOLSOM, "password": GRIZZLY,
                     "vendor_data.json": HAVANA, "network_data.json": LIBERTY,
                     "vendor_data2.json": NEWTON_TWO}
        if (version not in (*OPENSTACK_VERSIONS, "latest") or item not in available
                or not since_version(available[item], version)):
            return PlainTextResponse("Not Found", 404)
        if item == "meta_data.json":
            return JSONResponse(await self.meta_data(found, version))
        if item == "user_data":
            if not found.user_data:
                return PlainTextResponse("Not Found", 404)
            return Response(base64.b64decode(found.user_data),
                            media_type="application/octet-stream")
        if item == "network_data.json":
            return JSONResponse(await self.network_data(found))
        if item == "vendor_data.json":  # nova's StaticJSON provider, with no file
            return JSONResponse({})
        if item == "vendor_data2.json":  # each provider's under its name
            return JSONResponse({"static": {}})
        return await self.password(request, found)

    async def password(self, request: Request, row: Server) -> Response:
        """The guest posts its (encrypted) password once; it reads it back."""
        if request.method == "GET":
            return PlainTextResponse(row.system_metadata.get("password", ""))
        body = (await request.body()).decode(errors="replace")
        if len(body) > MAX_PASSWORD_SIZE:
            return PlainTextResponse("Request is too large.", 400)
        async with self.manager.db.session(lock=f"compute-password:{row.id}") as session:
            current = await session.get(Server, row.id)
            if current is None or current.system_metadata.get("password"):
                return PlainTextResponse("Password already set.", 409)
            current.system_metadata = {**current.system_metadata, "password": body}
        return PlainTextResponse("")

    async def keys(self, row: Server) -> list[dict[str, str]]:
        if not row.key_name:
            return []
        async with self.manager.db.session() as session:
            key = (await session.scalars(select(Keypair).where(
                Keypair.user_id == row.user_id, Keypair.name == row.key_name))).first()
        return [{"name": row.key_name, "type": key.type if key else "ssh",
                 "data": row.key_data or ""}]

    async def meta_data(self, row: Server, version: str = "latest") -> dict[str, Any]:
        """meta_data.json as nova writes it at that metadata version."""
        body: dict[str, Any] = {"uuid": row.id}
        if row.metadata_:
            body["meta"] = dict(row.metadata_)
        keys = await self.keys(row)
        if keys:
            body["public_keys"] = {k["name"]: k["data"] for k in keys}
            body["keys"] = keys
        body.update({"hostname": qualified(row.hostname), "name": row.name,
                     "launch_index": row.launch_index,
                     "availability_zone": row.availability_zone or ""})
        if since_version(GRIZZLY, version):
            body["random_seed"] = base64.b64encode(os.urandom(512)).decode()
        if since_version(LIBERTY, version):
            body["project_id"] = row.project_id
        if since_version(NEWTON_ONE, version):
            body["devices"] = await self.devices(row)
        if since_version(VICTORIA, version):
            body["dedicated_cpus"] = []  # the fake and plain KVM pin no CPUs
        return body

    async def devices(self, row: Server) -> list[dict[str, Any]]:
        """The server's tagged devices (2.42 at create, 2.49 on attach), as nova's device
        metadata lists them: its NICs by MAC address, its disks by volume."""
        found: list[dict[str, Any]] = []
        tags = {p["id"]: p["tag"] for p in row.ports if p.get("tag")}
        if tags:
            for index, port in enumerate(await self.network.list_ports(device_id=row.id)):
                if port["id"] in tags:
                    found.append({"type": "nic", "bus": "pci",
                                  "address": f"0000:00:{3 + index:02x}.0",
                                  "mac": port["mac_address"], "tags": [tags[port["id"]]]})
        async with self.manager.db.session() as session:
            volumes = list(await session.scalars(select(VolumeAttachment).where(
                VolumeAttachment.server_id == row.id, VolumeAttachment.tag.is_not(None))))
        found += [{"type": "disk", "bus": "pci", "serial": v.volume_id,
                   "path": v.device_name, "tags": [v.tag]} for v in volumes]
        return found

    async def network_data(self, row: Server) -> dict[str, Any]:
        """neutron's view of the server's ports, as nova writes network_data.json."""
        ports = await self.network.list_ports(device_id=row.id)
        subnets = {s["id"]: s for s in await self.subnets(ports)}
        links, networks, dns = [], [], []
        for index, port in enumerate(ports):
            link = f"tap{port['id'][:11]}"
            links.append({"id": link, "vif_id": port["id"], "type": "bridge", "mtu": 1500,
                          "ethernet_mac_address": port["mac_address"]})
            for ip in port["fixed_ips"]:
                subnet = subnets.get(ip["subnet_id"], {})
                network = ipaddress.ip_network(subnet.get("cidr", "0.0.0.0/0"))
                routes = [{"network": "0.0.0.0" if network.version == 4 else "::",
                           "netmask": "0.0.0.0" if network.version == 4 else "::",
                           "gateway": subnet["gateway_ip"]}] if subnet.get("gateway_ip") else []
                dns += [d for d in subnet.get("dns_nameservers", []) if d not in dns]
                networks.append({
                    "id": f"network{index}", "link": link, "network_id": port["network_id"],
                    "type": f"ipv{network.version}" + ("_dhcp" if subnet.get("enable_dhcp")
                                                      and network.version == 4 else ""),
                    "ip_address": ip["ip_address"], "netmask": str(network.netmask),
                    "routes": routes, "services": [{"type": "dns", "address": d}
                                                   for d in subnet.get("dns_nameservers",
                                                                       [])]})
        return {"links": links, "networks": networks,
                "services": [{"type": "dns", "address": d} for d in dns]}

    async def subnets(self, ports: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = {ip["subnet_id"] for p in ports for ip in p["fixed_ips"]}
        found = []
        for subnet_id in sorted(ids):
            found.append(await self.network.show_subnet(subnet_id))
        return found

    # ------------------------------------------------------------ EC2
    async def ec2_versions(self, request: Request) -> Response:
        found = await self.instance(request)
        if isinstance(found, Response):
            return found
        return PlainTextResponse("\n".join([*EC2_VERSIONS, "latest"]))

    async def ec2_listing(self, request: Request) -> Response:
        found = await self.instance(request)
        if isinstance(found, Response):
            return found
        return PlainTextResponse("meta-data/\nuser-data" if found.user_data else "meta-data/")

    async def ec2_user_data(self, request: Request) -> Response:
        found = await self.instance(request)
        if isinstance(found, Response):
            return found
        if not found.user_data:
            return PlainTextResponse("Not Found", 404)
        return Response(base64.b64decode(found.user_data),
                        media_type="application/octet-stream")

    async def ec2_meta_data(self, request: Request) -> Response:
        found = await self.instance(request)
        if isinstance(found, Response):
            return found
        tree = await self.ec2_tree(found)
        names = tree.pop("public-key-names")
        node: Any = tree
        for part in [p for p in request.path_params.get("path", "").split("/") if p]:
            if not isinstance(node, dict) or part not in node:
                return PlainTextResponse("Not Found", 404)
            node = node[part]
        if node is tree["public-keys"]:  # listed as index=name, read by index
            return PlainTextResponse("\n".join(f"{i}={n}" for i, n in enumerate(names)))
        if isinstance(node, dict):
            return PlainTextResponse("\n".join(
                f"{k}/" if isinstance(v, dict) else k for k, v in sorted(node.items())))
        return PlainTextResponse(str(node))

    async def ec2_tree(self, row: Server) -> dict[str, Any]:
        keys = await self.keys(row)
        fixed = [a["addr"] for entries in row.addresses.values() for a in entries
                 if a.get("version") == 4]
        return {
            "ami-id": row.image_ref, "ami-launch-index": str(row.launch_index),
            "ami-manifest-path": "FIXME",  # nova's own answer, kept for compatibility
            "hostname": qualified(row.hostname),
            "instance-action": "none", "instance-id": instance_name(row),
            "instance-type": row.flavor.get("name", ""),
            "local-hostname": qualified(row.hostname), "local-ipv4": fixed[0] if fixed else "",
            "public-hostname": qualified(row.hostname), "public-ipv4": "",
            "reservation-id": row.reservation_id,
            "security-groups": "\n".join(row.security_groups),
            "placement": {"availability-zone": row.availability_zone or ""},
            "block-device-mapping": {"ami": "vda", "root": "/dev/vda"},
            "public-keys": {str(i): {"openssh-key": k["data"]} for i, k in enumerate(keys)},
            "public-key-names": [k["name"] for k in keys]}


def since_version(since: str, version: str) -> bool:
    """Whether a metadata version (a date, or latest) has what that release added."""
    return version == "latest" or version >= since


def qualified(hostname: str) -> str:
    return f"{hostname}.{DHCP_DOMAIN}" if DHCP_DOMAIN else hostname
