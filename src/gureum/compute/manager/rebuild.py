"""Rebuild: the server keeps its id, host, ports and addresses and is spawned again from
another image (checked as a create checks it), with a new name or metadata if given."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gureum.compute import errors
from gureum.compute.manager.actions import check_unlocked
from gureum.compute.manager.base import record_action
from gureum.compute.manager.build_requests import (
    BuildRequests,
    check_metadata,
    check_user_data,
)
from gureum.compute.messages import compute_topic
from gureum.compute.models import Flavor, Server
from gureum.core.context import RequestContext
from gureum.core.db import transition, utcnow

REBUILDABLE = ("active", "stopped", "error")


class Rebuilds(BuildRequests):
    async def rebuild_server(self, context: RequestContext, server_id: str,
                             spec: dict[str, Any]) -> Server:
        async with self.db.session() as session:
            server = await self.server_for(session, context, server_id)
            check_unlocked(context, server)
            flavor = (await session.scalars(select(Flavor).where(
                Flavor.id == server.flavor_id))).first() or Flavor(
                memory_mb=server.memory_mb, root_gb=server.root_gb)
        image_id = spec["imageRef"].rstrip("/").rsplit("/", 1)[-1]
        if not server.image_ref and image_id != server.image.get("id"):
            raise errors.InvalidInput(reason=f"Image {image_id} is unacceptable: Unable to "
                                      "rebuild with a different image for a volume-backed "
                                      "server.")
        image = await self._image(context, image_id, flavor, disk=bool(server.image_ref))
        if "metadata" in spec:
            check_metadata(context, spec["metadata"],
                           await self.metadata_items_limit(server.project_id))
        values: dict[str, Any] = {"task_state": "rebuilding",
                                  "image_ref": server.image_ref and image["id"],
                                  "image": image, "updated_at": utcnow()}
        if "key_name" in spec:  # 2.54: another key pair of the user's, or none
            values["key_name"] = spec["key_name"]
            values["key_data"] = await self._key(context, spec["key_name"]) \
                if spec["key_name"] else None
        if "trusted_image_certificates" in spec:  # 2.63: new ones, or none
            certs = spec["trusted_image_certificates"]
            values["system_metadata"] = {
                **{k: v for k, v in server.system_metadata.items() if k != "trusted_certs"},
                **({"trusted_certs": certs} if certs else {})}
        if "user_data" in spec:  # 2.57
            check_user_data(spec["user_data"])
            values["user_data"] = spec["user_data"]
        for key, column in (("name", "name"), ("metadata", "metadata_"),
                            ("hostname", "hostname"),
                            ("description", "description"),
                            ("accessIPv4", "access_ipv4"), ("accessIPv6", "access_ipv6")):
            if key in spec:  # a null access IP is none at all
                values[column] = "" if spec[key] is None and key != "description" \
                    else spec[key]
        async with self.db.session() as session:
            if not server.host or not await transition(
                    session, Server, server_id, values, vm_state=REBUILDABLE,
                    task_state=None, deleted=False):
                raise errors.InstanceInvalidState(
                    action="rebuild", server_id=server_id,
                    attr="task_state" if server.task_state else "vm_state",
                    state=server.task_state or server.vm_state)
            await record_action(session, server, "rebuild", context)
        await self.bus.cast(compute_topic(server.host), "rebuild_server", server_id=server_id,
                            vm_state="stopped" if server.vm_state == "stopped" else "active",
                            request_id=context.request_id)
        return await self.show_server(context, server_id)
