"""What a create asks for, checked before anything is written: the image (through the
Image service, as the user), the networks and ports (through the Network service, as the
user), the security groups, the key pair, user data, metadata and zone."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from gureum.clients.image import ImageError
from gureum.clients.network import NetworkError
from gureum.compute import errors
from gureum.compute.drivers.fake import BEHAVIOUR_KEY
from gureum.compute.manager.base import ManagerBase, is_admin
from gureum.compute.manager.block_devices import (
    BlockDevices,
    block_devices,
    image_mappings,
    volume_root,
    with_image_mappings,
)
from gureum.compute.manager.quotas import Quotas
from gureum.compute.models import Aggregate, ComputeNode, ComputeService, Flavor, Keypair
from gureum.core.context import RequestContext
from gureum.core.errors import Forbidden

MAX_USER_DATA = 65535
ADMIN_KEY_PREFIX = "gureum:"
# glance's own attributes that look like properties (os_*): not the image's properties
GLANCE_OWN = ("os_hidden", "os_hash_algo", "os_hash_value", "os_glance_import_task",
              "os_glance_importing_to_stores", "os_glance_failed_import")


@dataclass
class BuildRequest:
    """A create, checked: what the rows are made from."""

    flavor: Flavor
    image: dict[str, Any]
    networks: list[dict[str, Any]] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)
    key_name: str | None = None
    key_data: str | None = None
    zone: str | None = None
    forced_host: str | None = None
    requested_host: str | None = None  # 2.74: asked for, and still checked
    block_devices: list[dict[str, Any]] = field(default_factory=list)
    volume_backed: bool = False


def root_image(spec: dict[str, Any]) -> str:
    """The image to boot from a local disk: imageRef, or the root block device mapping
    that says the same (source image, destination local, boot index 0: what the CLI
    sends)."""
    image = str(spec.get("imageRef") or "")
    for mapping in spec.get("block_device_mapping_v2") or []:
        local_root = (mapping.get("source_type") == "image"
                      and mapping.get("destination_type", "local") == "local"
                      and str(mapping.get("boot_index")) == "0")
        if not local_root:
            continue
        if image and mapping.get("uuid") not in (None, image):
            raise errors.InvalidInput(reason="The root block device mapping names another "
                                      "image than imageRef.")
        image = image or str(mapping.get("uuid") or "")
    return image


def hostname_for(name: str) -> str:
    """nova's sanitising of a display name into a host name."""
    hostname = re.sub(r"[^\w.-]+", "", re.sub(r"[ _]", "-", name.lower()))
    hostname = hostname.strip(".-")[:63]
    return hostname or "server"


def check_metadata(context: RequestContext, metadata: dict[str, Any], limit: int) -> None:
    if 0 <= limit < len(metadata):
        raise errors.QuotaExceeded("Quota exceeded for metadata items", resources="metadata")
    for key in metadata:
        if key.startswith(ADMIN_KEY_PREFIX) and not is_admin(context):
            raise Forbidden(f"Only administrators may set metadata keys starting with "
                            f"'{ADMIN_KEY_PREFIX}' (such as {BEHAVIOUR_KEY}).")


def check_user_data(user_data: str | None) -> None:
    if user_data is None:
        return
    if len(user_data) > MAX_USER_DATA:
        raise errors.InvalidInput(reason="User data too large. User data must be no larger "
                                  f"than {MAX_USER_DATA} bytes once base64 encoded.")
    try:
        base64.b64decode(user_data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.InvalidInput(reason="User data needs to be valid base 64.") from exc


class BuildRequests(BlockDevices, Quotas, ManagerBase):
    async def check_build(self, context: RequestContext, spec: dict[str, Any],
                          flavor: Flavor, networks_required: bool,
                          multiattach: bool = True) -> BuildRequest:
        devices = block_devices(spec)
        root = volume_root(devices)
        if root is None:
            image = await self._image(context, root_image(spec), flavor)
            if image.get("block_device_mapping"):  # an image of a volume-backed server
                devices = block_devices(with_image_mappings(spec, image))
                root = volume_root(devices)
        else:  # boot from volume: the flavor's disk is not the root
            image = await self.root_volume_image(context, root, flavor)
        image.pop("block_device_mapping", None)
        count = int(spec.get("max_count") or spec.get("min_count") or 1)
        await self.check_block_devices(context, devices, flavor, count, multiattach)
        request = BuildRequest(flavor=flavor, image=image, block_devices=devices,
                               volume_backed=root is not None)
        request.networks = await self._networks(context, spec.get("networks"),
                                                 networks_required)
        request.security_groups = await self._security_groups(
            context, [g["name"] for g in spec.get("security_groups") or []])
        if spec.get("key_name"):
            request.key_name = spec["key_name"]
            request.key_data = await self._key(context, spec["key_name"])
        check_user_data(spec.get("user_data"))
        check_metadata(context, spec.get("metadata") or {},
                       await self.metadata_items_limit(context.project_id or ""))
        request.zone, request.forced_host = await self._zone(
            context, spec.get("availability_zone"))
        if spec.get("host") or spec.get("hypervisor_hostname"):
            request.requested_host = await self._requested_host(context, request, spec)
        return request

    async def _requested_host(self, context: RequestContext, request: BuildRequest,
                              spec: dict[str, Any]) -> str:
        """2.74: a compute host (or node: ours are one each) asked for by an admin."""
        if request.forced_host is not None:
            raise errors.InvalidInput(reason="The requested availability zone contains ':' "
                                      "which is not allowed with host or "
                                      "hypervisor_hostname")
        host, node = spec.get("host"), spec.get("hypervisor_hostname")
        async with self.db.session() as session:
            nodes = {n.hypervisor_hostname: n.host for n in await session.scalars(
                select(ComputeNode))}
        if node is not None and (node not in nodes or host not in (None, nodes[node])):
            raise errors.InvalidInput(reason=f"Compute host {host or ''} with node {node} "
                                      "could not be found.")
        if host is not None and host not in nodes.values():
            raise errors.InvalidInput(reason=f"Compute host {host} could not be found.")
        return str(host or nodes[str(node)])

    async def check_image(self, context: RequestContext, image_id: str) -> None:
        """An image the user may boot (a rescue image): 400 when it is not."""
        assert self.images is not None
        try:
            image = await self.images.show_image(image_id, token=context.token)
        except ImageError as exc:
            raise errors.ImageNotFound() from exc
        if image.get("status") != "active":
            raise errors.ImageNotActive(image_id=image_id)

    async def image_for_volume(self, context: RequestContext, image_id: str,
                               flavor: Flavor) -> dict[str, Any]:
        """An image a root volume is made from: checked as a create checks it, but for
        the flavor's disk (the volume is the disk)."""
        return await self._image(context, image_id, flavor, disk=False)

    async def _image(self, context: RequestContext, image_id: str, flavor: Flavor,
                     disk: bool = True) -> dict[str, Any]:
        if not image_id:
            raise errors.InvalidInput(reason="Missing imageRef attribute")
        assert self.images is not None
        try:
            image = await self.images.show_image(image_id, token=context.token)
        except ImageError as exc:
            if exc.status in (400, 404):
                raise errors.ImageNotFound() from exc
            raise
        if image.get("status") != "active":
            raise errors.ImageNotActive(image_id=image_id)
        if int(image.get("min_ram") or 0) > flavor.memory_mb:
            raise errors.FlavorTooSmall("Flavor's memory is too small for requested image.",
                                        what="Memory")
        mappings = image_mappings(image)
        min_disk_bytes = max(int(image.get("min_disk") or 0) << 30, int(image.get("size") or 0))
        if disk and not mappings and flavor.root_gb and min_disk_bytes > flavor.root_gb << 30:
            raise errors.FlavorTooSmall("Flavor's disk is too small for requested image.",
                                        what="Disk")
        return {"id": image["id"], "name": image.get("name"), "block_device_mapping": mappings,
                "disk_format": image.get("disk_format"),
                "container_format": image.get("container_format"),
                "min_ram": image.get("min_ram", 0), "min_disk": image.get("min_disk", 0),
                "properties": {k: v for k, v in image.items()
                               if k not in GLANCE_OWN and (k.startswith(("hw_", "os_", "img_"))
                               or k in ("architecture", "hypervisor_type"))}}

    async def _networks(self, context: RequestContext, requested: Any, required: bool,
                        ) -> list[dict[str, Any]]:
        assert self.network is not None
        if requested == "none":
            return []
        if requested == "auto":
            try:
                network_id = await self.network.auto_allocated_network(
                    context.project_id or "", token=context.token)
            except NetworkError as exc:
                raise errors.InvalidInput(
                    reason="Unable to automatically allocate a network for project "
                    f"{context.project_id}") from exc
            return [{"uuid": network_id}]
        if requested is None:
            if required:
                raise errors.InvalidInput(reason="Multiple possible networks found, use a "
                                          "Network ID to be more specific.")
            return await self._default_networks(context)
        checked = []
        for item in requested:
            checked.append(await self._network_request(context, item))
        return checked

    async def _default_networks(self, context: RequestContext) -> list[dict[str, Any]]:
        """Before 2.37 a create without networks takes the project's one network (or
        none when it has none), as nova did."""
        assert self.network is not None
        networks = [n for n in await self.network.list_networks(token=context.token)
                    if not n.get("router:external")
                    and (n.get("project_id") == context.project_id or n.get("shared"))]
        if len(networks) > 1:
            raise errors.NetworkAmbiguous()
        return [{"uuid": n["id"]} for n in networks]

    async def _network_request(self, context: RequestContext, item: dict[str, Any],
                               ) -> dict[str, Any]:
        assert self.network is not None
        if item.get("port"):
            try:
                port = await self.network.show_port(item["port"], token=context.token)
            except NetworkError as exc:
                raise errors.PortNotFound(port_id=item["port"]) from exc
            if port.get("device_id"):
                raise errors.PortInUse(port_id=item["port"])
            return {"port": port["id"], "uuid": port["network_id"],
                    **({"tag": item["tag"]} if item.get("tag") else {})}
        network_id = item.get("uuid") or ""
        try:
            await self.network.show_network(network_id, token=context.token)
        except NetworkError as exc:
            raise errors.NetworkNotFound(network_id=network_id) from exc
        request: dict[str, Any] = {"uuid": network_id}
        if item.get("fixed_ip"):
            request["fixed_ip"] = item["fixed_ip"]
        if item.get("tag"):
            request["tag"] = item["tag"]
        return request

    async def _security_groups(self, context: RequestContext, names: list[str],
                               ) -> list[str]:
        """Names or ids, each found in the project (nova keeps the names it was given)."""
        assert self.network is not None
        if not names:
            return []
        groups = await self.network.list_security_groups(
            token=context.token, project_id=context.project_id)
        known = {g["name"] for g in groups} | {g["id"] for g in groups}
        for name in names:
            if name not in known:
                raise errors.SecurityGroupNotFound(name=name, project_id=context.project_id)
        return list(dict.fromkeys(names))

    async def _key(self, context: RequestContext, name: str) -> str:
        async with self.db.session() as session:
            row = (await session.scalars(select(Keypair).where(
                Keypair.user_id == (context.user_id or ""), Keypair.name == name))).first()
        if row is None:
            raise errors.InvalidInput(reason="Invalid key_name provided.")
        return row.public_key

    async def _zone(self, context: RequestContext, requested: str | None,
                    ) -> tuple[str | None, str | None]:
        """(zone, forced host): "zone", "zone:host" or "zone::node" as nova reads them
        (the host part for admins only)."""
        if not requested:
            return None, None
        zone, _, rest = requested.partition(":")
        host = rest.split(":")[0] or None
        if host is not None and not is_admin(context):
            raise Forbidden("Policy doesn't allow os_compute_api:servers:create:forced_host "
                            "to be performed.")
        if zone and zone not in await self.zones():
            raise errors.AvailabilityZoneNotFound()
        return zone or None, host

    async def zones(self) -> set[str]:
        """The zones compute hosts are in: their service's, or their aggregates'."""
        async with self.db.session() as session:
            zones = set(await session.scalars(select(ComputeService.availability_zone).where(
                ComputeService.binary == "nova-compute")))
            for aggregate in await session.scalars(select(Aggregate)):
                if aggregate.metadata_.get("availability_zone"):
                    zones.add(aggregate.metadata_["availability_zone"])
        return zones
