"""Server actions: a conditional move to the action's task state (so two requests, or a
request and a state that does not allow it, cannot both win), an instance action
recorded, and a message to the host's agent, which does it through its driver and
reports the end state through the conductor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from gureum.compute import errors
from gureum.compute.manager.base import ManagerBase, is_admin, record_action
from gureum.compute.messages import compute_topic
from gureum.compute.models import InstanceAction, InstanceActionEvent, Server
from gureum.core.context import RequestContext
from gureum.core.db import transition, utcnow
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


ACTIONS = {
    "os-stop": Action("stop", ("active", "error"), "powering-off", "power_off", "stopped", 4),
    "os-start": Action("start", ("stopped",), "powering-on", "power_on", "active", 1),
    "reboot:SOFT": Action("reboot", ("active",), "reboot_started", "reboot", "active", 1),
    "reboot:HARD": Action("reboot", ("active", "stopped", "paused", "suspended", "error"),
                          "reboot_started_hard", "reboot", "active", 1),
    "pause": Action("pause", ("active",), "pausing", "pause", "paused", 3),
    "unpause": Action("unpause", ("paused",), "unpausing", "unpause", "active", 1),
    "suspend": Action("suspend", ("active",), "suspending", "suspend", "suspended", 7),
    "resume": Action("resume", ("suspended",), "resuming", "resume", "active", 1),
}
# the action a task state belongs to: what an agent redoes when it finds one unfinished
BY_TASK_STATE = {a.task_state: a for a in ACTIONS.values()}


def action_message(action: Action) -> dict[str, Any]:
    """The arguments of the agent's `server_action` for this action."""
    return {"driver_call": action.method, "task_state": action.task_state,
            "vm_state": action.vm_state, "power_state": action.power_state,
            "hard": action.task_state == "reboot_started_hard",
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
            moved = await transition(
                session, Server, server_id,
                {"task_state": action.task_state, "updated_at": utcnow()},
                vm_state=action.vm_states, task_state=None, deleted=False)
            if not moved:
                raise errors.InstanceInvalidState(
                    action=action.name, server_id=server_id,
                    attr="task_state" if row.task_state else "vm_state",
                    state=row.task_state or row.vm_state)
            await record_action(session, row, action.name, context)
            host = row.host
        await self.bus.cast(compute_topic(host), "server_action", server_id=server_id,
                            request_id=context.request_id, **action_message(action))

    async def lock_server(self, context: RequestContext, server_id: str,
                          reason: str | None = None) -> None:
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            await record_action(session, row, "lock", context)
            await session.execute(update(Server).where(Server.id == server_id).values(
                locked=True, locked_by="admin" if is_admin(context) and
                context.project_id != row.project_id else "owner",
                locked_reason=reason, updated_at=utcnow()))

    async def unlock_server(self, context: RequestContext, server_id: str) -> None:
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            if row.locked_by == "admin" and not is_admin(context):
                raise Forbidden("Policy doesn't allow os_compute_api:os-lock-server:"
                                "unlock:unlock_override to be performed.")
            await record_action(session, row, "unlock", context)
            await session.execute(update(Server).where(Server.id == server_id).values(
                locked=False, locked_by=None, locked_reason=None, updated_at=utcnow()))

    async def reset_state(self, context: RequestContext, server_id: str, state: str,
                          ) -> None:
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            await record_action(session, row, "resetState", context)
            await session.execute(update(Server).where(Server.id == server_id).values(
                vm_state=state, task_state=None, updated_at=utcnow()))

    async def console_output(self, context: RequestContext, server_id: str,
                             length: int | None) -> str:
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
        if row.vm_state == "building" or not row.host:
            raise errors.InstanceNotReady(server_id=server_id)
        output: str = await self.bus.call(compute_topic(row.host), "console_output",
                                          timeout=30.0, server_id=server_id)
        if length is not None:
            lines = output.splitlines(keepends=True)
            output = "".join(lines[-length:]) if length > 0 else ""
        return output

    async def change_security_group(self, context: RequestContext, server_id: str,
                                    name: str, add: bool) -> None:
        """The group on every port of the server (through the Network service, as the
        user), and in the server's list."""
        assert self.network is not None
        async with self.db.session() as session:
            row = await self.server_for(session, context, server_id)
            check_unlocked(context, row)
        groups = await self.network.list_security_groups(token=context.token,
                                                         project_id=row.project_id)
        found = [g for g in groups if name in (g["name"], g["id"])]
        if not found:
            raise errors.SecurityGroupNotFound(name=name, project_id=row.project_id)
        group = found[0]
        if not add and group["name"] not in row.security_groups:
            raise errors.InvalidInput(reason=f"Security group {name} not associated with "
                                      "the instance")
        for port in await self.network.list_ports(token=context.token, device_id=server_id):
            current = list(port.get("security_groups") or [])
            wanted = (current + [group["id"]] if add and group["id"] not in current
                      else [g for g in current if g != group["id"]] if not add else current)
            if wanted != current:
                await self.network.update_port(port["id"], {"security_groups": wanted},
                                               token=context.token)
        names = [n for n in row.security_groups if n != group["name"]]
        async with self.db.session() as session:
            await session.execute(update(Server).where(Server.id == server_id).values(
                security_groups=names + [group["name"]] if add else names,
                updated_at=utcnow()))


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
    async def list_instance_actions(self, context: RequestContext, server_id: str,
                                    ) -> list[InstanceAction]:
        async with self.db.session() as session:
            await self.server_for(session, context, server_id, deleted=True)
            return list(await session.scalars(select(InstanceAction).where(
                InstanceAction.server_id == server_id).order_by(
                InstanceAction.start_time.desc(), InstanceAction.id.desc())))

    async def show_instance_action(self, context: RequestContext, server_id: str,
                                   request_id: str,
                                   ) -> tuple[InstanceAction, list[InstanceActionEvent]]:
        async with self.db.session() as session:
            await self.server_for(session, context, server_id, deleted=True)
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
