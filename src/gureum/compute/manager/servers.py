"""Servers: create (checked, counted against quota, recorded as BUILD, handed to the
scheduler), list with nova's filters, show, update and delete."""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.clients.image import ImageError
from gureum.clients.volume import VolumeError
from gureum.compute import errors
from gureum.compute.claims import release_claim
from gureum.compute.manager.base import (
    ManagerBase,
    fault,
    is_admin,
    new_id,
    quota_lock,
    record_action,
)
from gureum.compute.manager.build_requests import BuildRequest, BuildRequests, hostname_for
from gureum.compute.manager.flavors import Flavors
from gureum.compute.manager.quotas import Quotas
from gureum.compute.messages import (
    COMPUTE_BINARY,
    SCHEDULER_TOPIC,
    compute_topic,
)
from gureum.compute.models import (
    ComputeService,
    Migration,
    Server,
    ServerGroup,
    ServerGroupMember,
    ServerTag,
    VolumeAttachment,
)
from gureum.core.context import RequestContext
from gureum.core.db import transition, utcnow

# status → (vm_states, task_states or None for any), as nova's search by status
STATUS_STATES: dict[str, tuple[tuple[str, ...], tuple[str | None, ...] | None]] = {
    "ACTIVE": (("active",), (None, "deleting")),
    "BUILD": (("building",), None),
    "SHUTOFF": (("stopped",), None),
    "PAUSED": (("paused",), None),
    "SUSPENDED": (("suspended",), None),
    "ERROR": (("error",), None),
    "DELETED": (("deleted",), None),
    "REBOOT": (("active",), ("reboot_pending", "reboot_started", "rebooting")),
    "HARD_REBOOT": (("active",), ("reboot_pending_hard", "reboot_started_hard",
                                  "rebooting_hard")),
    "SHELVED": (("shelved",), None),
    "SHELVED_OFFLOADED": (("shelved_offloaded",), None),
    "RESCUE": (("rescued",), None),
    "VERIFY_RESIZE": (("resized",), None),
}


@dataclass(frozen=True)
class ServerQuery:
    """A list's filters, as nova reads them from the query string."""

    filters: dict[str, Any]
    limit: int | None
    marker: str | None
    all_tenants: bool
    sort: tuple[tuple[str, str], ...] = ()  # (column, "asc" or "desc"), nova's keys mapped


class Servers(BuildRequests, Flavors, Quotas, ManagerBase):
    # ------------------------------------------------------------ create
    async def create_servers(self, context: RequestContext, spec: dict[str, Any],
                             networks_required: bool = False, multiattach: bool = True,
                             ) -> tuple[list[Server], str]:
        """The servers made (min_count..max_count of them) and their admin password;
        `multiattach`: whether the request's microversion (2.60) allows multiattach
        volumes among its block devices."""
        async with self.db.session() as session:
            flavor = await self._flavor_ref(session, context, str(spec.get("flavorRef", "")))
        request = await self.check_build(context, spec, flavor, networks_required,
                                         multiattach)
        group_id = (spec.get("os:scheduler_hints") or {}).get("group")
        min_count = int(spec.get("min_count", 1))
        max_count = int(spec.get("max_count", min_count))
        if min_count > max_count:
            raise errors.InvalidInput(reason="min_count must be <= max_count")
        if spec.get("hostname") and max_count > 1:
            raise errors.InvalidInput(reason="Unable to allocate a single hostname to "
                                      "multiple instances")
        project_id = context.project_id or ""
        async with self.db.session(lock=quota_lock(project_id)) as session:
            count = await self.check_server_quota(session, project_id, max_count,
                                                  flavor.vcpus, flavor.memory_mb, min_count)
            if group_id:
                await self._check_group(session, context, group_id, count)
            rows = self._new_rows(context, spec, request, count)
            session.add_all(rows)
            await session.flush()
            for row in rows:
                for tag in dict.fromkeys(spec.get("tags") or []):
                    session.add(ServerTag(server_id=row.id, tag=tag))
                if group_id:
                    session.add(ServerGroupMember(group_id=group_id, server_id=row.id))
                await record_action(session, row, "create", context)
        for row in rows:
            if await self._volumes_made(context, row, request.block_devices):
                await self.bus.cast(SCHEDULER_TOPIC, "schedule_server", server_id=row.id,
                                    request_id=context.request_id)
        return rows, secrets.token_urlsafe(9)

    async def _volumes_made(self, context: RequestContext, row: Server,
                            devices: list[dict[str, Any]]) -> bool:
        """The server's volumes made and recorded for its agent; when Block Storage
        refuses one (its quota, a bad image), the server is in ERROR saying why, as
        nova's build would end."""
        if not any(m["destination_type"] == "volume" for m in devices):
            return True
        try:
            attachments = await self.make_block_devices(context, row, devices)
        except VolumeError as exc:
            async with self.db.session() as session:
                await transition(session, Server, row.id, {
                    "vm_state": "error", "task_state": None, "updated_at": utcnow(),
                    "fault": fault(f"Build of instance {row.id} aborted: a volume could "
                                   f"not be made: {exc.message}")}, vm_state="building")
            return False
        async with self.db.session() as session:
            session.add_all(attachments)
        return True

    async def _flavor_ref(self, session: AsyncSession, context: RequestContext,
                          ref: str) -> Any:
        flavor_id = ref.rstrip("/").rsplit("/", 1)[-1]
        try:
            return await self.flavor_for(session, context, flavor_id)
        except errors.FlavorNotFound as exc:
            raise errors.InvalidFlavorRef(flavor_id=flavor_id) from exc

    async def _check_group(self, session: AsyncSession, context: RequestContext,
                           group_id: str, count: int) -> None:
        group = await session.get(ServerGroup, group_id)
        if group is None or (group.project_id != context.project_id
                             and not is_admin(context)):
            raise errors.InvalidInput(reason=f"Invalid server group {group_id}")
        limit = (await self.quota_limits(session, group.project_id)).get(
            "server_group_members", -1)
        members = len(list(await session.scalars(select(ServerGroupMember.server_id).where(
            ServerGroupMember.group_id == group_id))))
        if 0 <= limit < members + count:
            raise errors.QuotaExceeded("Quota exceeded, too many servers in group",
                                       resources="server_group_members")

    def _new_rows(self, context: RequestContext, spec: dict[str, Any],
                  request: BuildRequest, count: int) -> list[Server]:
        flavor = request.flavor
        reservation = f"r-{secrets.token_hex(4)}"
        now = utcnow()
        networks = request.networks
        rows = []
        for index in range(count):
            name = spec["name"] if count == 1 else f"{spec['name']}-{index + 1}"
            rows.append(Server(
                id=new_id(), project_id=context.project_id or "",
                user_id=context.user_id or "", name=name,
                hostname=spec.get("hostname") or hostname_for(name),
                description=spec.get("description"),
                # a volume-backed server has no image of its own ("" as nova shows it)
                image_ref="" if request.volume_backed else request.image["id"],
                image=request.image, flavor_id=flavor.id,
                block_device_mapping=[m for m in request.block_devices
                                      if m["destination_type"] == "local"],
                flavor=flavor_view(flavor), vcpus=flavor.vcpus, memory_mb=flavor.memory_mb,
                root_gb=flavor.root_gb, vm_state="building", task_state="scheduling",
                power_state=0, requested_zone=request.zone,
                availability_zone=request.zone,
                key_name=request.key_name, key_data=request.key_data,
                user_data=spec.get("user_data"), metadata_=dict(spec.get("metadata") or {}),
                system_metadata={
                    **({"forced_host": request.forced_host} if request.forced_host else {}),
                    **({"trusted_certs": spec["trusted_image_certificates"]}
                       if spec.get("trusted_image_certificates") else {}),
                    **({"requested_host": request.requested_host}
                       if request.requested_host else {})},
                # a port can serve only one server: with several, only the first gets it
                requested_networks=[n for n in networks if index == 0 or "port" not in n],
                security_groups=request.security_groups or ["default"],
                scheduler_hints=dict(spec.get("os:scheduler_hints") or {}),
                reservation_id=reservation, launch_index=index,
                access_ipv4=spec.get("accessIPv4") or "",
                access_ipv6=spec.get("accessIPv6") or "",
                config_drive="True" if spec.get("config_drive") else "",
                created_at=now, updated_at=now))
        return rows

    # ------------------------------------------------------------ read
    async def list_servers(self, context: RequestContext, query: ServerQuery,
                           ) -> list[Server]:
        filters = query.filters
        stmt = select(Server)
        if not (query.all_tenants and is_admin(context)):
            stmt = stmt.where(Server.project_id == (context.project_id or ""))
        elif filters.get("project_id") or filters.get("tenant_id"):
            stmt = stmt.where(Server.project_id == (filters.get("project_id")
                                                    or filters.get("tenant_id")))
        since = filters.get("changes-since")
        deleted = str(filters.get("deleted", "")).lower() in ("true", "1", "yes")
        if since is not None:
            stmt = stmt.where(Server.updated_at >= since)
        elif deleted and is_admin(context):
            stmt = stmt.where(Server.deleted.is_(True))
        else:
            stmt = stmt.where(Server.deleted.is_(False))
        if filters.get("changes-before") is not None:
            stmt = stmt.where(Server.updated_at <= filters["changes-before"])
        stmt = self._state_filters(stmt, filters)
        for key, column in (("image", Server.image_ref), ("flavor", Server.flavor_id),
                            ("reservation_id", Server.reservation_id),
                            ("user_id", Server.user_id),
                            ("availability_zone", Server.availability_zone)):
            if filters.get(key):
                stmt = stmt.where(column == str(filters[key]).rstrip("/").rsplit("/", 1)[-1]
                                  if key in ("image", "flavor") else column == filters[key])
        if is_admin(context):
            if filters.get("host"):
                stmt = stmt.where(Server.host == filters["host"])
            if filters.get("node"):
                stmt = stmt.where(Server.node == filters["node"])
        stmt = self._tag_filters(stmt, filters)
        async with self.db.session() as session:
            order = [getattr(getattr(Server, column), direction)()
                     for column, direction in query.sort]
            rows = list(await session.scalars(stmt.order_by(
                *order, Server.created_at.desc(), Server.id.desc())))
        rows = _match_names_and_ips(rows, filters)
        return _page(rows, query.limit, query.marker)

    @staticmethod
    def _state_filters(stmt: Any, filters: dict[str, Any]) -> Any:
        if filters.get("status"):
            states = STATUS_STATES.get(str(filters["status"]).upper())
            if states is None:
                raise errors.InvalidInput(reason=f"Invalid status value {filters['status']}")
            vm_states, task_states = states
            stmt = stmt.where(Server.vm_state.in_(vm_states))
            if task_states is not None:
                named = [t for t in task_states if t is not None]
                condition: Any = Server.task_state.in_(named)
                if None in task_states:
                    condition = condition | Server.task_state.is_(None)
                stmt = stmt.where(condition)
        if filters.get("vm_state"):
            stmt = stmt.where(Server.vm_state == filters["vm_state"])
        if filters.get("task_state"):
            stmt = stmt.where(Server.task_state == filters["task_state"])
        if "locked" in filters:
            stmt = stmt.where(Server.locked.is_(filters["locked"]))
        return stmt

    @staticmethod
    def _tag_filters(stmt: Any, filters: dict[str, Any]) -> Any:
        for key in ("tags", "tags-any", "not-tags", "not-tags-any"):
            if not filters.get(key):
                continue
            tags = [t for t in str(filters[key]).split(",") if t]
            tagged = select(ServerTag.server_id).where(ServerTag.tag.in_(tags))
            if key in ("tags", "not-tags"):
                tagged = tagged.group_by(ServerTag.server_id).having(
                    func.count(ServerTag.tag) == len(set(tags)))
            stmt = stmt.where(Server.id.in_(tagged) if not key.startswith("not")
                              else Server.id.not_in(tagged))
        return stmt

    async def server_tags(self, server_ids: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {i: [] for i in server_ids}
        async with self.db.session() as session:
            for start in range(0, len(server_ids), 500):
                for row in await session.scalars(select(ServerTag).where(
                        ServerTag.server_id.in_(server_ids[start:start + 500]))):
                    found[row.server_id].append(row.tag)
        return {k: sorted(v) for k, v in found.items()}

    async def host_states(self, hosts: set[str]) -> dict[str, str]:
        """host_status (2.16): UP, DOWN, MAINTENANCE (disabled) or UNKNOWN per host."""
        if not hosts:
            return {}
        cutoff = utcnow() - timedelta(seconds=self.settings.service_down_time)
        async with self.db.session() as session:
            rows = {r.host: r for r in await session.scalars(select(ComputeService).where(
                ComputeService.binary == COMPUTE_BINARY, ComputeService.host.in_(hosts)))}
        states = {}
        for host in hosts:
            row = rows.get(host)
            if row is None:
                states[host] = "UNKNOWN"
            elif row.forced_down or row.updated_at < cutoff:
                states[host] = "DOWN"
            else:
                states[host] = "MAINTENANCE" if row.disabled else "UP"
        return states

    # ------------------------------------------------------------ update, delete
    async def update_server(self, context: RequestContext, server_id: str,
                            spec: dict[str, Any]) -> Server:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if "name" in spec:
            values["name"] = spec["name"]
        if "description" in spec:
            values["description"] = spec["description"]
        if "hostname" in spec:
            values["hostname"] = spec["hostname"]
        for key, column in (("accessIPv4", "access_ipv4"), ("accessIPv6", "access_ipv6")):
            if key in spec:
                values[column] = spec[key] or ""
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            for key, value in values.items():
                setattr(row, key, value)
        return row

    async def delete_server(self, context: RequestContext, server_id: str) -> None:
        """204 at once; the host's agent tears the server down and the conductor marks it
        deleted. A server with no host, or whose host is down, is deleted here."""
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            if row.locked and not is_admin(context):
                raise errors.InstanceLocked(server_id=server_id)
            await record_action(session, row, "delete", context)
            await session.execute(update(Server).where(Server.id == server_id).values(
                task_state="deleting", updated_at=utcnow()))
            host = row.host
        shelved_image = row.system_metadata.get("shelved_image_id")
        if shelved_image and self.images is not None:  # no unshelve will need it
            with contextlib.suppress(ImageError):
                await self.images.delete_image(shelved_image, token=context.token)
        if host and await self._host_up(host):
            await self.bus.cast(compute_topic(host), "delete_server", server_id=server_id,
                                request_id=context.request_id)
            return
        await self.delete_locally(server_id)

    async def _host_up(self, host: str) -> bool:
        return (await self.host_states({host})).get(host) in ("UP", "MAINTENANCE")

    async def delete_locally(self, server_id: str) -> None:
        """A server no agent will tear down: its ports and volumes are released here."""
        assert self.network is not None
        async with self.db.session() as session:
            row = await session.get(Server, server_id)
            ports = list(row.ports) if row is not None else []
            volumes = list(await session.scalars(select(VolumeAttachment).where(
                VolumeAttachment.server_id == server_id)))
        for volume in volumes:
            assert self.volumes is not None
            if volume.attachment_id:  # a build's volume may never have been attached
                await self.volumes.delete_attachment(volume.attachment_id)
            if volume.delete_on_termination:
                await self.volumes.delete_volume(volume.volume_id)
        for port in ports:
            if port.get("created"):
                await self.network.delete_port(port["id"])
            else:
                await self.network.update_port(port["id"], {
                    "device_id": "", "device_owner": "", "binding:host_id": ""})
        async with self.db.session() as session:
            await mark_deleted(session, server_id)


async def mark_deleted(session: AsyncSession, server_id: str) -> bool:
    """The end of a server: deleted (kept for admins and changes-since), its claims on
    its host (and on a move's source) given back, its group membership gone. True the
    first time."""
    row = await session.get(Server, server_id)
    if row is None or row.deleted:
        return False
    now = utcnow()
    row.deleted, row.deleted_at, row.terminated_at = True, now, now
    row.vm_state, row.task_state, row.power_state, row.updated_at = "deleted", None, 0, now
    await release_claim(session, server_id)
    for migration in await session.scalars(select(Migration.uuid).where(
            Migration.server_id == server_id)):  # a source held by an unfinished move
        await release_claim(session, migration)
    await session.execute(delete(ServerGroupMember).where(
        ServerGroupMember.server_id == server_id))
    await session.execute(delete(VolumeAttachment).where(
        VolumeAttachment.server_id == server_id))
    return True


def flavor_view(flavor: Any) -> dict[str, Any]:
    """The flavor as the server keeps it (nova's embedded flavor, 2.47)."""
    return {"id": flavor.id, "name": flavor.name, "vcpus": flavor.vcpus,
            "ram": flavor.memory_mb, "disk": flavor.root_gb,
            "ephemeral": flavor.ephemeral_gb, "swap": flavor.swap,
            "extra_specs": dict(flavor.extra_specs)}


# filters nova matches as regular expressions against the column's text
REGEX_FILTERS = {"key_name": "key_name", "config_drive": "config_drive",
                 "power_state": "power_state", "progress": "progress",
                 "created_at": "created_at", "launched_at": "launched_at",
                 "terminated_at": "terminated_at"}


def _match_names_and_ips(rows: list[Server], filters: dict[str, Any]) -> list[Server]:
    """name, ip and the other regular-expression filters of nova (matched anywhere)."""
    for key in ("name", "ip", "ip6", *REGEX_FILTERS):
        if filters.get(key) in (None, ""):
            continue
        try:
            pattern = re.compile(str(filters[key]))
        except re.error as exc:
            raise errors.InvalidInput(reason=f"Invalid regular expression {key}") from exc
        if key == "name":
            rows = [r for r in rows if pattern.search(r.name)]
        elif key in REGEX_FILTERS:
            rows = [r for r in rows if pattern.search(column_text(
                getattr(r, REGEX_FILTERS[key])))]
        else:
            version = 6 if key == "ip6" else 4
            rows = [r for r in rows if any(
                a.get("version") == version and pattern.search(a.get("addr", ""))
                for entries in r.addresses.values() for a in entries)]
    return rows


def _page(rows: list[Server], limit: int | None, marker: str | None) -> list[Server]:
    if marker:
        ids = [r.id for r in rows]
        if marker not in ids:
            raise errors.InvalidInput(reason=f"marker [{marker}] not found")
        rows = rows[ids.index(marker) + 1:]
    return rows if limit is None else rows[:limit]


def column_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return "" if value is None else str(value)


def parse_time(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise errors.InvalidInput(reason=f"Invalid {name} value") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed
