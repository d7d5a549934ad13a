"""Volumes and the Image service: a volume made from an image (`imageRef`, checked as
cinder checks it, with the user's token so glance decides what the user may see), and a
volume uploaded to a new image (`os-volume_upload_image`: the record is made with the
user's token, so it is the user's; the volume's agent streams the bytes in)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from gureum.block_storage import errors
from gureum.block_storage.manager.base import ManagerBase, transition
from gureum.block_storage.messages import backend_of, volume_topic
from gureum.block_storage.models import Volume, VolumeType
from gureum.clients.image import ImageClient, ImageError
from gureum.core.context import RequestContext
from gureum.core.db import utcnow

GiB = 1 << 30
# What cinder keeps of an image in volume_image_metadata besides its custom properties.
IMAGE_KEYS = ("image_id", "image_name", "checksum", "container_format", "disk_format",
              "min_disk", "min_ram", "size")
# Fields of glance's image record that are not custom properties.
GLANCE_FIELDS = frozenset({"id", "name", "status", "visibility", "protected", "os_hidden",
                           "checksum", "os_hash_algo", "os_hash_value", "size",
                           "virtual_size", "disk_format", "container_format", "min_disk",
                           "min_ram", "owner", "tags", "created_at", "updated_at", "self",
                           "file", "schema", "stores", "locations", "direct_url"})
# Properties that describe the old image's bytes, not the new one's (cinder's reserved).
NOT_MERGED = frozenset({*IMAGE_KEYS, "signature_verified", "os_glance_importing_to_stores",
                        "os_glance_failed_import", "img_signature", "img_signature_hash_method",
                        "img_signature_key_type", "img_signature_certificate_uuid"})
UPLOAD_FORMATS = ("raw", "vmdk", "vdi", "qcow2", "vhd", "vhdx", "ploop")


def gigabytes(size_bytes: int | None) -> int:
    return (int(size_bytes or 0) + GiB - 1) // GiB


async def image_for_volume(images: ImageClient | None, context: RequestContext,
                           image_ref: str, size: int | None) -> tuple[int, dict[str, str]]:
    """The volume's size (given, or the image's) and its volume_image_metadata; 404 when
    the user cannot see the image, 400 when the volume would not hold it."""
    if images is None:
        raise errors.InvalidInput(reason="No Image service is configured for volumes made "
                                  "from images.")
    try:
        image = await images.show_image(image_ref, token=context.token)
    except ImageError as exc:
        if exc.status in (400, 404):
            raise errors.ImageNotFound(image_id=image_ref) from exc
        raise errors.VolumeBackendAPIException(data=str(exc)) from exc
    if image.get("status") != "active":
        raise errors.InvalidInput(reason=f"Image {image_ref} is not active.")
    image_gb = gigabytes(image.get("size"))
    virtual_gb = gigabytes(image.get("virtual_size") or image.get("size"))
    min_disk = int(image.get("min_disk") or 0)
    if size is None:
        size = max(image_gb, virtual_gb, min_disk, 1)
    if image_gb > size:
        raise errors.InvalidInput(reason=f"Size of specified image {image_gb}GB is larger "
                                  f"than volume size {size}GB.")
    if size < min_disk:
        raise errors.InvalidInput(reason=f"Volume size {size}GB cannot be smaller than the "
                                  f"image minDisk size {min_disk}GB.")
    if virtual_gb > size:
        raise errors.InvalidInput(reason=f"Image virtual size is {virtual_gb}GB and doesn't "
                                  f"fit in a volume of size {size}GB.")
    metadata = {"image_id": image["id"], "image_name": image.get("name") or "",
                "checksum": image.get("checksum") or "",
                "container_format": image.get("container_format") or "",
                "disk_format": image.get("disk_format") or "",
                "min_disk": str(min_disk), "min_ram": str(image.get("min_ram") or 0),
                "size": str(image.get("size") or 0)}
    for key, value in image.items():
        if key not in GLANCE_FIELDS and key not in metadata and value is not None:
            metadata[key] = value if isinstance(value, str) else str(value)
    return size, {k: str(v) for k, v in metadata.items()}


class Images(ManagerBase):
    async def snapshot_behind_image(self, context: RequestContext, image_ref: str,
                                    ) -> str | None:
        """3.46: an image nova made of a volume-backed server holds no bytes, only a
        `block_device_mapping` whose boot disk is a snapshot here: that snapshot's id."""
        if self.images is None:
            return None
        try:
            image = await self.images.show_image(image_ref, token=context.token)
        except ImageError:
            return None  # the ordinary path answers for a missing image
        try:
            mappings = json.loads(image.get("block_device_mapping") or "[]")
        except (TypeError, ValueError):
            return None
        for mapping in mappings if isinstance(mappings, list) else []:
            if (isinstance(mapping, dict) and mapping.get("source_type") == "snapshot"
                    and mapping.get("boot_index") in (0, "0")):
                snapshot_id = str(mapping.get("snapshot_id") or "")
                async with self.db.session() as session:  # 404 when it is not here
                    await self.snapshot_for(session, context, snapshot_id)
                return snapshot_id
        return None

    async def upload_volume_to_image(self, context: RequestContext, volume_id: str,
                                     spec: dict[str, Any], force: bool,
                                     ) -> dict[str, Any]:
        """available (or in-use, forced) → uploading; the image record now (the user's),
        its bytes by the volume's agent; cinder's answer."""
        if self.images is None:
            raise errors.InvalidInput(reason="No Image service is configured.")
        force = force and self.settings.enable_force_upload
        expected = ("available", "in-use") if force else ("available",)
        async with self.db.session() as session:
            volume = await self.volume_for(session, context, volume_id)
            if not await transition(session, Volume, volume_id,
                                    {"status": "uploading", "previous_status": Volume.status,
                                     "updated_at": utcnow()},
                                    status=expected):
                raise errors.InvalidVolume(reason=f"Volume {volume_id} status must be "
                                           f"{' or '.join(expected)}")
            vtype = (await session.scalars(select(VolumeType).where(
                VolumeType.id == volume.volume_type_id))).first()
        record = {k: v for k, v in volume.image_metadata.items() if k not in NOT_MERGED}
        record.update({k: v for k, v in spec.items() if v is not None})
        try:
            image = await self.images.create_image(record, token=context.token)
        except Exception as exc:  # as cinder: the volume goes back, the request is a 400
            async with self.db.session() as session:
                await transition(session, Volume, volume_id,
                                 {"status": Volume.previous_status,
                                  "previous_status": None},
                                 status="uploading")
            message = exc.args[0] if isinstance(exc, ImageError) else str(exc)
            raise errors.InvalidInput(reason=message) from exc
        await self.bus.cast(volume_topic(backend_of(volume.host or "")), "upload_volume",
                            volume_id=volume_id, host=volume.host, image_id=image["id"],
                            disk_format=image.get("disk_format") or "raw")
        answer: dict[str, Any] = {
            "id": volume.id, "updated_at": volume.updated_at.isoformat(timespec="microseconds")
            if volume.updated_at else None,
            "status": "uploading", "display_description": volume.description,
            "size": volume.size,
            "volume_type": None if vtype is None else {
                "id": vtype.id, "name": vtype.name, "description": vtype.description,
                "is_public": vtype.is_public, "extra_specs": dict(vtype.extra_specs),
                "qos_specs_id": None, "deleted": False,
                "created_at": vtype.created_at.isoformat(timespec="microseconds"),
                "updated_at": None, "deleted_at": None},
            "image_id": image["id"], "container_format": image.get("container_format"),
            "disk_format": image.get("disk_format"), "image_name": image.get("name")}
        if "protected" in image:
            answer["protected"] = image["protected"]
        if "visibility" in image:
            answer["visibility"] = image["visibility"]
        return answer
