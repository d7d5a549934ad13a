"""Server actions: a conditional move to the action's task state (so two requests, or a
request and a state that does not allow it, cannot both win), an instance action
recorded, and a message to the host's agent, which does it through its driver and
reports the end state through the conductor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase, is_admin, record_action, record_event
from gureum.compute.messages import compute_topic
from gureum.compute.models import InstanceAction, InstanceActionEvent, Server
from gureum.core.context import RequestContext
from gureum.core.db import utcnow
from gureum.core.errors import Forbidden


@dataclass(frozen=True)
class Action:
    """One of nova's power actions: where it may start, its task state, the driver call
    the agent makes, and where it ends."""

    name: str  # the instance action's name (os-instance-actions)
    vm_states: tuple[str, ...]
    task_state: str
    method: str  # the driver's
    vm_state: str  # after
    power_state: int  # after
    # the task states it may interrupt (a hard reboot takes over from a soft one)
    task_states: tuple[str | None, ...] = (None,)

    def allows(self, row: Server) -> bool:
        return row.vm_state in self.vm_states and row.task_state in self.task_states


# nova's task_states.ALLOW_REBOOT
ALLOW_REBOOT = (None, "rebooting", "reboot_pending", "reboot_started", "resuming",
                "rebooting_hard", "unpausing", "pausing", "suspending")


ACTIONS = {
    "os-stop": Action("stop", ("active", "error"), "powering-off", "power_off", "stopped", 4),
    "os-start": Action("start", ("stopped",), "powering-on", "power_on", "active", 1),
    "reboot:SOFT": Action("reboot", ("active",), "rebooting", "reboot", "active", 1),
    "reboot:HARD": Action("reboot", ("active", "stopped", "paused", "suspended", "error"),
                          "rebooting_hard", "reboot", "active", 1, ALLOW_REBOOT),
    "pause": Action("pause", ("active",), "pausing", "pause", "paused", 3),
    "unpause": Action("unpause", ("paused",), "unpausing", "unpause", "active", 1),
    "suspend": Action("suspend", ("active",), "suspending", "suspend", "suspended", 7),
    "resume": Action("resume", ("suspended",), "resuming", "resume", "active", 1),
    "rescue": Action("rescue", ("active", "stopped", "error"), "rescuing", "rescue",
                     "rescued", 1),
    "unrescue": Action("unrescue", ("rescued",), "unrescuing", "unrescue", "active", 1),
}
# the action a task state belongs to: what an agent redoes when it finds one unfinished
BY_TASK_STATE = {a.task_state: a for a in ACTIONS.values()}


def action_message(action: Action) -> dict[str, Any]:
    """The arguments of the agent's `server_action` for this action."""
    return {"driver_call": action.method, "task_state": action.task_state,
            "vm_state": action.vm_state, "power_state": action.power_state,
            "hard": action.task_state == "rebooting_hard",
            "event": f"compute_{action.name}_instance"}


class ServerActions(ManagerBase):
    async def server_action(self, context: RequestContext, server_id: str,
                            key: str) -> None:
        action = ACTIONS[key]
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            check_unlocked(context, row)
            if not row.host:  # never placed (no valid host): no agent could do it
                raise errors.InstanceNotReady(server_id=server_id)
            await begin_action(session, row, action)
            await record_action(session, row, action.name, context)
            host = row.host
        await self.bus.cast(compute_topic(host), "server_action", server_id=server_id,
                            request_id=context.request_id, **action_message(action))

    async def lock_server(self, context: RequestContext, server_id: str,
                          reason: str | None = None) -> None:
        """As nova: locked by its owner or by an admin (of another project); the owner
        locking again changes nothing (and records nothing)."""
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            owner = context.project_id == row.project_id
            if row.locked and owner:
                return
            await record_action(session, row, "lock", context)
            await record_event(session, server_id, context.request_id, "api_lock", None)
            values: dict[str, Any] = {"locked": True, "locked_by": "owner" if owner
                                      else "admin", "updated_at": utcnow()}
            if reason:
                values["locked_reason"] = reason
            await session.execute(update(Server).where(Server.id == server_id).values(
                **values))
            await record_event(session, server_id, context.request_id, "api_lock", None,
                               "Success")

    async def unlock_server(self, context: RequestContext, server_id: str) -> None:
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            expected = "owner" if context.project_id == row.project_id else "admin"
            if row.locked_by not in (None, expected) and not is_admin(context):
                raise Forbidden("Policy doesn't allow os_compute_api:os-lock-server:"
                                "unlock:unlock_override to be performed.")
            await record_action(session, row, "unlock", context)
            await record_event(session, server_id, context.request_id, "api_unlock", None)
            await session.execute(update(Server).where(Server.id == server_id).values(
                locked=False, locked_by=None, locked_reason=None, updated_at=utcnow()))
            await record_event(session, server_id, context.request_id, "api_unlock", None,
                               "Success")

    async def reset_state(self, context: RequestContext, server_id: str, state: str,
                          ) -> None:
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            action = await record_action(session, row, "resetState", context)
            action.finish_time = utcnow()
            await session.execute(update(Server).where(Server.id == server_id).values(
                vm_state=state, task_state=None, updated_at=utcnow()))

    async def console_output(self, context: RequestContext, server_id: str,
                             length: int | None) -> str:
        """The host's console log, its last `length` lines (nova's tail: the text split
        at newlines), without the control characters nova strips."""
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
        if not row.host or row.task_state in ("deleting", "migrating"):
            raise errors.InstanceNotReady(server_id=server_id)
        output: str = await self.bus.call(compute_topic(row.host), "console_output",
                                          timeout=30.0, server_id=server_id)
        if length is not None and length >= 0:
            output = "\n".join(output.split("\n")[-length:]) if length else ""
        return CONTROL_CHARACTERS.sub("", output)

    async def change_security_group(self, context: RequestContext, server_id: str,
                                    name: str, add: bool) -> None:
        """The group (by name or id, in the caller's project) on every port of the
        server, through the Network service as the user; nova's 404s when the group, the
        ports, or (to remove) the group on them are missing."""
        assert self.network is not None
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
        project_id = context.project_id or row.project_id
        groups = await self.network.list_security_groups(token=context.token,
                                                         project_id=project_id)
        found = [g for g in groups if g["id"] == name] or [
            g for g in groups if g["name"] == name]
        if not found:
            raise errors.SecurityGroupNotFoundForProject(name=name, project_id=project_id)
        if len(found) > 1:
            raise errors.SecurityGroupNotUnique(name=name)
        group = found[0]
        ports = await self.network.list_ports(token=context.token, device_id=server_id)
        if not ports:
            raise errors.SecurityGroupPortsMissing(server_id=server_id)
        changed = False
        for port in ports:
            current = list(port.get("security_groups") or [])
            if add:
                if not port.get("port_security_enabled", True) or not port.get("fixed_ips"):
                    raise errors.SecurityGroupCannotBeApplied()
                wanted = current if group["id"] in current else [*current, group["id"]]
            else:
                wanted = [g for g in current if g != group["id"]]
            if wanted != current:
                await self.network.update_port(port["id"], {"security_groups": wanted},
                                               token=context.token)
                changed = True
        if not add and not changed:
            raise errors.SecurityGroupNotAssociated(name=name, server_id=server_id)
        names = [n for n in row.security_groups if n != group["name"]]
        async with self.db.session() as session:
            await session.execute(update(Server).where(Server.id == server_id).values(
                security_groups=names + [group["name"]] if add else names,
                updated_at=utcnow()))


# what nova strips from console output (every control character but tab and newline)
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0B-\x1F]")


async def begin_action(session: AsyncSession, row: Server, action: Action) -> None:
    """The move to the action's task state, only from the vm and task states it allows
    (a conditional update, so of two racing requests one wins), else nova's 409."""
    if not action.allows(row):
        raise invalid_state(row, action.name, action.vm_states)
    allowed_tasks = [t for t in action.task_states if t is not None]
    task_ok = or_(Server.task_state.is_(None), Server.task_state.in_(allowed_tasks)) \
        if None in action.task_states else Server.task_state.in_(allowed_tasks)
    moved = await session.execute(update(Server).where(
        Server.id == row.id, Server.deleted.is_(False), Server.vm_state.in_(action.vm_states),
        task_ok).values(task_state=action.task_state, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if not moved.rowcount:  # type: ignore[attr-defined]
        await session.refresh(row)
        raise invalid_state(row, action.name, action.vm_states)


def invalid_state(row: Server, action: str, vm_states: tuple[str, ...],
                  ) -> errors.InstanceInvalidState:
    """nova's check_instance_state: the vm_state is checked first, then the task state."""
    if row.vm_state not in vm_states:
        return errors.InstanceInvalidState(action=action, server_id=row.id,
                                           attr="vm_state", state=row.vm_state)
    return errors.InstanceInvalidState(action=action, server_id=row.id, attr="task_state",
                                       state=row.task_state)


# where nova lets a server's metadata and tags change
SETTLED = ("active", "paused", "suspended", "stopped")


def check_settled(row: Server, action: str, *, idle: bool = True) -> None:
    """A change nova allows only in a settled vm_state (and, with idle, no task under
    way): else its 409."""
    if row.vm_state not in SETTLED or (idle and row.task_state is not None):
        raise invalid_state(row, action, SETTLED)


def check_unlocked(context: RequestContext, row: Server) -> None:
    if row.locked and not is_admin(context):
        raise errors.InstanceLocked(server_id=row.id)


def action_body(body: dict[str, Any]) -> tuple[str, Any]:
    """The action's name and argument: the body's one key."""
    if not isinstance(body, dict) or len(body) != 1:
        raise errors.InvalidInput(reason="There is not one action in the request body")
    ((name, argument),) = body.items()
    return name, argument


class InstanceActions(ManagerBase):
    async def show_any_server(self, context: RequestContext, server_id: str,
                              deleted: bool) -> Server:
        """The server, deleted ones too when asked (instance actions from 2.21)."""
        async with self.db.session() as session:
            return await self.server_for(session, context, server_id, deleted=deleted)

    async def list_instance_actions(self, context: RequestContext, server_id: str,
                                    deleted: bool = True) -> list[InstanceAction]:
        """A server's actions, newest first (a deleted server's too, from 2.21)."""
        async with self.db.session() as session:
            await self.server_for(session, context, server_id, deleted=deleted)
            return list(await session.scalars(select(InstanceAction).where(
                InstanceAction.server_id == server_id).order_by(
                InstanceAction.start_time.desc(), InstanceAction.id.desc())))

    async def show_instance_action(self, context: RequestContext, server_id: str,
                                   request_id: str, deleted: bool = True,
                                   ) -> tuple[InstanceAction, list[InstanceActionEvent]]:
        async with self.db.session() as session:
            await self.server_for(session, context, server_id, deleted=deleted)
            row = (await session.scalars(select(InstanceAction).where(
                InstanceAction.server_id == server_id,
                InstanceAction.request_id == request_id))).first()
            if row is None:
                raise errors.InstanceActionNotFound(request_id=request_id,
                                                    server_id=server_id)
            events = list(await session.scalars(select(InstanceActionEvent).where(
                InstanceActionEvent.action_id == row.id).order_by(
                InstanceActionEvent.start_time, InstanceActionEvent.id)))
        return row, events
