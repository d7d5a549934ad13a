"""Volumes attached to servers (os-volume_attachments): the API reserves the volume in
Block Storage (an attachment with no connector: `reserved`, which decides between two
racing attaches of a volume that is not multiattach) and records where the guest will see
it; the host's agent connects it through its driver and completes the attachment
(`in-use`). Detach runs the other way, and a server's end detaches what it holds."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.clients.volume import VolumeError
from gureum.compute import errors
from gureum.compute.manager.actions import check_unlocked
from gureum.compute.manager.base import ManagerBase, new_id, record_action
from gureum.compute.messages import compute_topic
from gureum.compute.models import Server, VolumeAttachment
from gureum.core.context import RequestContext
from gureum.core.db import IntegrityError, transition
from gureum.core.errors import Forbidden, NotFound

# where a volume may be attached from: nova's states for attach and detach
ATTACHABLE = ("active", "paused", "stopped", "suspended")
DEVICE = re.compile(r"^/dev/[a-z]+d[b-z]$")
DETACH_WAIT = 5.0  # seconds an attach (a detach) waits for an ending detach (attach)


class VolumeAttachments(ManagerBase):
    async def list_volume_attachments(self, context: RequestContext, server_id: str,
                                      ) -> list[VolumeAttachment]:
        async with self.db.session() as session:
            await self.server_for(session, context, server_id)
            return list(await session.scalars(select(VolumeAttachment).where(
                VolumeAttachment.server_id == server_id).order_by(
                VolumeAttachment.device_name)))

    async def show_volume_attachment(self, context: RequestContext, server_id: str,
                                     volume_id: str) -> VolumeAttachment:
        async with self.db.session() as session:
            await self.server_for(session, context, server_id)
            return await self._attachment(session, server_id, volume_id)

    @staticmethod
    async def _attachment(session: AsyncSession, server_id: str, volume_id: str,
                          ) -> VolumeAttachment:
        row = (await session.scalars(select(VolumeAttachment).where(
            VolumeAttachment.server_id == server_id,
            VolumeAttachment.volume_id == volume_id))).first()
        if row is None:
            raise NotFound(f"Volume {volume_id} is not attached to server {server_id}")
        return row

    async def server_volumes(self, server_ids: list[str]) -> dict[str, list[VolumeAttachment]]:
        found: dict[str, list[VolumeAttachment]] = {i: [] for i in server_ids}
        async with self.db.session() as session:
            for start in range(0, len(server_ids), 500):
                for row in await session.scalars(select(VolumeAttachment).where(
                        VolumeAttachment.server_id.in_(server_ids[start:start + 500]))):
                    found[row.server_id].append(row)
        return found

    async def attach_volume(self, context: RequestContext, server_id: str, volume_id: str,
                            device: str | None, tag: str | None,
                            delete_on_termination: bool = False, multiattach: bool = True,
                            ) -> VolumeAttachment:
        """`multiattach`: whether the request's microversion (2.60) allows multiattach
        volumes."""
        assert self.volumes is not None
        async with self.db.session() as session:
            server = await self.server_for(session, context, server_id)
            check_unlocked(context, server)
            self._check_state(server, "attach_volume")
            taken = set(await session.scalars(select(VolumeAttachment.device_name).where(
                VolumeAttachment.server_id == server_id)))
        if device is not None and (not DEVICE.match(device) or device in taken):
            raise errors.InvalidInput(reason=f"The supplied device path ({device}) is "
                                      "invalid or in use.")
        attachment = await self._reserve(context, volume_id, server_id, multiattach)
        row = VolumeAttachment(id=new_id(), server_id=server_id, volume_id=volume_id,
                               attachment_id=attachment["id"],
                               device_name=device or next_device(taken), tag=tag,
                               delete_on_termination=delete_on_termination,
                               status="attaching")
        try:
            await self._record_attach(context, server, row, device is not None)
        except IntegrityError as exc:  # attached already, or the device went meanwhile
            await self.volumes.delete_attachment(attachment["id"])
            raise errors.VolumeAttachmentExists(volume_id=volume_id,
                                                server_id=server_id) from exc
        await self.bus.cast(compute_topic(server.host or ""), "attach_volume",
                            server_id=server_id, volume_attachment_id=row.id,
                            request_id=context.request_id)
        return row

    async def _record_attach(self, context: RequestContext, server: Server,
                             row: VolumeAttachment, device_chosen: bool) -> None:
        """The attachment row. Another attach that took the device name chosen for this
        one moves it to the next free name; a detach of the same volume that is ending
        (its Block Storage attachment gone, which let this one be made; its agent about
        to drop the row) is waited for, a few seconds."""
        deadline = time.monotonic() + DETACH_WAIT
        while True:
            try:
                async with self.db.session() as session:
                    session.add(row)
                    await record_action(session, server, "attach_volume", context)
                return
            except IntegrityError:
                if time.monotonic() > deadline:
                    raise
                async with self.db.session() as session:
                    rows = list(await session.scalars(select(VolumeAttachment).where(
                        VolumeAttachment.server_id == server.id)))
                same = [r for r in rows if r.volume_id == row.volume_id]
                if same and same[0].status != "detaching":
                    raise
                taken = {r.device_name for r in rows}
                if row.device_name in taken and device_chosen:
                    raise
                row.device_name = next_device(taken) if row.device_name in taken \
                    else row.device_name
                if same:
                    await asyncio.sleep(0.02)

    async def detach_volume(self, context: RequestContext, server_id: str,
                            volume_id: str) -> None:
        """An attach that is ending (Block Storage may already show the volume in-use
        while the agent records it) is waited for, a few seconds."""
        deadline = time.monotonic() + DETACH_WAIT
        while True:
            async with self.db.session() as session:
                server = await self.server_for(session, context, server_id)
                check_unlocked(context, server)
                self._check_state(server, "detach_volume")
                row = await self._attachment(session, server_id, volume_id)
                if await transition(session, VolumeAttachment, row.id,
                                    {"status": "detaching"}, status="attached"):
                    await record_action(session, server, "detach_volume", context)
                    break
            if row.status != "attaching" or time.monotonic() > deadline:
                raise errors.InvalidInput(reason=f"Invalid volume: Volume {volume_id} is "
                                          f"{row.status}, not attached.")
            await asyncio.sleep(0.02)
        await self.bus.cast(compute_topic(server.host or ""), "detach_volume",
                            server_id=server_id, volume_attachment_id=row.id,
                            request_id=context.request_id)

    async def update_volume_attachment(self, context: RequestContext, server_id: str,
                                       volume_id: str, new_volume_id: str,
                                       delete_on_termination: bool | None,
                                       may_swap: bool) -> None:
        """The same volume: only its delete_on_termination changes (2.85). Another
        (`may_swap`, admins): swapped in at the same device, the old one detached."""
        assert self.volumes is not None
        async with self.db.session() as session:
            server = await self.server_for(session, context, server_id)
            row = await self._attachment(session, server_id, volume_id)
            if new_volume_id == volume_id:
                if delete_on_termination is None:
                    raise errors.InvalidInput(reason="Nothing to change: the same volume, "
                                              "and no delete_on_termination.")
                row.delete_on_termination = delete_on_termination
                return
        if not may_swap:
            raise Forbidden("Policy doesn't allow os_compute_api:os-volumes-attachments:swap "
                            "to be performed.")
        check_unlocked(context, server)
        self._check_state(server, "swap_volume")
        attachment = await self._reserve(context, new_volume_id, server_id)
        async with self.db.session() as session:
            if not await transition(session, VolumeAttachment, row.id,
                                    {"status": "swapping"}, status="attached"):
                await self.volumes.delete_attachment(attachment["id"])
                raise errors.InvalidInput(reason=f"Invalid volume: Volume {volume_id} is "
                                          f"{row.status}, not attached.")
            await record_action(session, server, "swap_volume", context)
        await self.bus.cast(compute_topic(server.host or ""), "swap_volume",
                            volume_attachment_id=row.id, new_volume_id=new_volume_id,
                            new_attachment_id=attachment["id"], request_id=context.request_id)

    async def _reserve(self, context: RequestContext, volume_id: str, server_id: str,
                       multiattach: bool = True) -> dict[str, Any]:
        """The volume reserved for the server in Block Storage (an attachment with no
        connector), as the user; Block Storage's refusal in nova's words."""
        assert self.volumes is not None
        try:
            volume = await self.volumes.show_volume(volume_id, token=context.token)
            if volume.get("multiattach") and not multiattach:
                raise errors.MultiattachNotSupportedOldMicroversion()
            return await self.volumes.create_attachment(volume_id, server_id,
                                                        token=context.token)
        except VolumeError as exc:
            if exc.status == 404:
                raise NotFound(f"Volume {volume_id} could not be found.") from exc
            raise errors.InvalidInput(reason=exc.message) from exc

    @staticmethod
    def _check_state(server: Server, action: str) -> None:
        if server.vm_state not in ATTACHABLE or server.task_state is not None \
                or not server.host:
            raise errors.InstanceInvalidState(
                action=action, server_id=server.id,
                attr="task_state" if server.task_state else "vm_state",
                state=server.task_state or server.vm_state)


def next_device(taken: set[str]) -> str:
    """The next free /dev/vdX after the root disk (/dev/vda), as libvirt names them."""
    for letter in "bcdefghijklmnopqrstuvwxyz":
        if f"/dev/vd{letter}" not in taken:
            return f"/dev/vd{letter}"
    raise errors.InvalidInput(reason="No free device name is left on the server.")
