"""Block device mappings at create (nova's block_device_mapping_v2, and the legacy
block_device_mapping of volume ids): the root disk from the image (local), or a volume
(boot from volume: an image, a snapshot or nothing made into a new volume, or a volume
the user has); more volumes; blank local ephemeral and swap disks within the flavor.
The API checks them with the user's token, makes the new volumes in the user's project
once the servers are recorded, and the host's agent attaches them before it spawns.
An image of a volume-backed server brings its own mappings (snapshots to volumes)."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from gureum.clients.volume import VolumeError
from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase, new_id
from gureum.compute.models import Flavor, Server, VolumeAttachment
from gureum.core.context import RequestContext

SOURCES = {("image", "local"), ("image", "volume"), ("volume", "volume"),
           ("snapshot", "volume"), ("blank", "volume"), ("blank", "local")}
NEEDS_SIZE = {"image", "blank"}  # made into new volumes of the size asked
# what an image's mapping may say (nova's snapshot_from_bdm); its source is named by uuid
IMAGE_MAPPING_KEYS = ("source_type", "destination_type", "volume_size", "boot_index",
                      "device_name", "delete_on_termination", "tag", "volume_type",
                      "guest_format", "disk_bus", "device_type")


def invalid(reason: str) -> errors.InvalidInput:
    return errors.InvalidInput(reason=f"Block Device Mapping is Invalid: {reason}")


def block_devices(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The create's mappings, normalised (v2, with the legacy v1 ones as volumes), in
    boot order: the root (boot_index 0) first."""
    found: list[dict[str, Any]] = []
    for given in spec.get("block_device_mapping") or []:  # v1: volume ids
        if not given.get("volume_id"):
            raise invalid("a legacy mapping needs a volume_id")
        found.append({"source_type": "volume", "destination_type": "volume",
                      "uuid": given["volume_id"], "device_name": given.get("device_name"),
                      "delete_on_termination": given.get("delete_on_termination", False),
                      "boot_index": 0 if not found and not spec.get("imageRef") else None})
    for given in spec.get("block_device_mapping_v2") or []:
        source = given.get("source_type")
        destination = given.get("destination_type") or ("local" if source in (
            "image", "blank") else "volume")
        if (source, destination) not in SOURCES:
            raise invalid(f"source {source} with destination {destination} is not valid.")
        index = given.get("boot_index")
        mapping = {**given, "destination_type": destination,
                   "boot_index": None if index in (None, "", "none", -1, "-1") else int(index)}
        if destination == "volume" and source in NEEDS_SIZE \
                and not int(given.get("volume_size") or 0):
            raise errors.InvalidInput(reason=f"Images with destination_type '{destination}'"
                                      " need to have a non-zero size specified"
                                      if source == "image" else "Blank volumes need a size")
        if source != "blank" and not given.get("uuid"):
            raise invalid(f"a mapping of a {source} needs its uuid.")
        found.append(mapping)
    indexes = sorted(m["boot_index"] for m in found if m["boot_index"] is not None)
    if indexes and indexes != list(range(len(indexes))):
        raise invalid("Boot sequence for the instance and image/block device mapping "
                      "combination is not valid.")
    return sorted(found, key=lambda m: (m["boot_index"] is None, m["boot_index"] or 0))


def image_mappings(image: dict[str, Any]) -> list[dict[str, Any]]:
    """The block device mappings an image carries (an image of a volume-backed server:
    nova's `block_device_mapping` property, JSON), as create's v2 mappings."""
    given = image.get("block_device_mapping")
    if not given or str(image.get("bdm_v2", "")).lower() != "true":
        return []
    try:
        parsed = json.loads(given) if isinstance(given, str) else given
    except ValueError as exc:
        raise errors.InvalidInput(reason=f"Image {image['id']} has block device mappings "
                                  "that are not JSON.") from exc
    mappings = []
    for mapping in parsed if isinstance(parsed, list) else []:
        source = mapping.get("source_type")
        uuid = mapping.get("uuid") or mapping.get(f"{source}_id")
        mappings.append({**{k: v for k, v in mapping.items()
                            if k in IMAGE_MAPPING_KEYS and v is not None}, "uuid": uuid})
    return mappings


def with_image_mappings(spec: dict[str, Any], image: dict[str, Any]) -> dict[str, Any]:
    """The create's mappings with the image's first; the create's own win for a device
    name both give, and the image's root replaces the local root of that image."""
    own = [m for m in spec.get("block_device_mapping_v2") or []
           if not (m.get("source_type") == "image" and str(m.get("boot_index")) == "0")]
    named = {m.get("device_name") for m in own if m.get("device_name")}
    return {**spec, "block_device_mapping_v2": [
        m for m in image["block_device_mapping"] if m.get("device_name") not in named] + own}


def volume_root(devices: list[dict[str, Any]]) -> dict[str, Any] | None:
    root = devices[0] if devices and devices[0]["boot_index"] == 0 else None
    return root if root is not None and root["destination_type"] == "volume" else None


class BlockDevices(ManagerBase):
    async def check_block_devices(self, context: RequestContext, devices: list[dict[str, Any]],
                                  flavor: Flavor, count: int, multiattach: bool = True,
                                  ) -> None:
        """What the mappings name exists for the user, each volume is free (a
        multiattach one only if the microversion allows), and the local disks fit the
        flavor."""
        assert self.volumes is not None
        for mapping in devices:
            source, uuid = mapping["source_type"], str(mapping.get("uuid") or "")
            try:
                if source == "volume":
                    volume = await self.volumes.show_volume(uuid, token=context.token)
                    if volume.get("multiattach") and not multiattach:
                        raise errors.MultiattachNotSupportedOldMicroversion()
                    if volume["status"] != "available" and not volume.get("multiattach"):
                        raise invalid(f"Volume {uuid} is {volume['status']}, not available.")
                    if count > 1:
                        raise invalid(f"Volume {uuid} can not serve several servers.")
                elif source == "snapshot":
                    await self.volumes.show_snapshot(uuid, token=context.token)
            except VolumeError as exc:
                raise invalid(f"failed to get {source} {uuid}.") from exc
        swap = sum(int(m.get("volume_size") or 0) for m in devices
                   if m["source_type"] == "blank" and m["destination_type"] == "local"
                   and m.get("guest_format") == "swap")
        ephemeral = sum(int(m.get("volume_size") or 0) for m in devices
                        if m["source_type"] == "blank" and m["destination_type"] == "local"
                        and m.get("guest_format") != "swap")
        if swap * 1024 > (flavor.swap or 0):
            raise errors.InvalidInput(reason="Swap drive requested is larger than instance "
                                      "type allows.")
        if ephemeral > flavor.ephemeral_gb:
            raise errors.InvalidInput(reason="Ephemeral disks requested are larger than the "
                                      "instance type allows.")

    async def make_block_devices(self, context: RequestContext, server: Server,
                                 devices: list[dict[str, Any]]) -> list[VolumeAttachment]:
        """The server's volumes (new ones made now in the user's project), recorded for
        its agent to attach ("building") before it spawns."""
        assert self.volumes is not None
        made: list[VolumeAttachment] = []
        letters = iter("abcdefghijklmnopqrstuvwxyz")
        for mapping in devices:
            device = f"/dev/vd{next(letters)}"
            if mapping["destination_type"] == "local":
                continue
            volume_id = mapping.get("uuid") or ""
            if mapping["source_type"] != "volume":  # a VolumeError: the caller's to say
                volume = await self.volumes.create_volume(new_volume(server, mapping),
                                                          token=context.token)
                volume_id = volume["id"]
            made.append(VolumeAttachment(
                id=new_id(), server_id=server.id, volume_id=volume_id, attachment_id="",
                device_name=mapping.get("device_name") or device,
                tag=mapping.get("tag"), boot_index=mapping["boot_index"],
                delete_on_termination=bool(mapping.get("delete_on_termination")),
                status="building"))
        return made

    async def root_volume_image(self, context: RequestContext, root: dict[str, Any],
                                flavor: Flavor) -> dict[str, Any]:
        """What a volume-backed server knows of its image: the image a new root volume
        is made from, or the one an existing volume was (its volume_image_metadata)."""
        if root["source_type"] == "image":
            return await self.image_for_volume(context, root["uuid"], flavor)
        if root["source_type"] != "volume":
            return {}
        assert self.volumes is not None
        with contextlib.suppress(VolumeError):
            volume = await self.volumes.show_volume(root["uuid"], token=context.token)
            meta = volume.get("volume_image_metadata") or {}
            if meta.get("image_id"):
                return {"id": meta["image_id"], "name": meta.get("image_name"),
                        "disk_format": meta.get("disk_format"),
                        "properties": {k: v for k, v in meta.items()
                                       if k.startswith(("hw_", "os_", "img_"))}}
        return {}

    async def image_for_volume(self, context: RequestContext, image_id: str,
                               flavor: Flavor) -> dict[str, Any]:
        raise NotImplementedError  # BuildRequests checks images


def new_volume(server: Server, mapping: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": f"{server.name}-{mapping['source_type']}",
                            "size": int(mapping.get("volume_size") or 0) or None}
    if mapping["source_type"] == "image":
        spec["imageRef"] = mapping["uuid"]
    elif mapping["source_type"] == "snapshot":
        spec["snapshot_id"] = mapping["uuid"]
    if mapping.get("volume_type"):
        spec["volume_type"] = mapping["volume_type"]
    return {k: v for k, v in spec.items() if v is not None}
