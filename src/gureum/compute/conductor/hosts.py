"""Hosts: a compute agent's report of itself and its hypervisor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gureum.compute.conductor.base import ConductorBase, heartbeat, service_lock
from gureum.compute.manager.base import new_id
from gureum.compute.messages import (
    COMPUTE_BINARY,
    HOSTS_CHANGED,
    PUBLISHER,
)
from gureum.compute.models import ComputeNode
from gureum.core.db import utcnow


class HostReports(ConductorBase):
    HANDLERS: tuple[str, ...] = ("report_host",)

    async def report_host(self, host: str, zone: str, resources: dict[str, Any]) -> None:
        """A compute agent's heartbeat: its service row and its hypervisor's inventory."""
        settings = self.settings
        # one transaction for the service's heartbeat and the node's inventory: a
        # hundred hosts reporting are a steady stream of writes
        async with self.db.session(lock=[service_lock(COMPUTE_BINARY, host),
                                         f"compute-node:{host}"]) as session:
            await heartbeat(session, COMPUTE_BINARY, host, zone)
            node = (await session.scalars(select(ComputeNode).where(
                ComputeNode.host == host))).first()
            new = node is None
            if node is None:
                node = ComputeNode(uuid=new_id(), host=host, hypervisor_hostname=host,
                                   vcpus=0, memory_mb=0, local_gb=0)
                session.add(node)
            node.vcpus, node.memory_mb = resources["vcpus"], resources["memory_mb"]
            node.local_gb = resources["local_gb"]
            node.hypervisor_type = resources["hypervisor_type"]
            node.hypervisor_version = resources["hypervisor_version"]
            node.cpu_info = resources.get("cpu_info") or {}
            node.arch = str(node.cpu_info.get("arch") or "x86_64")
            node.cpu_allocation_ratio = settings.cpu_allocation_ratio
            node.ram_allocation_ratio = settings.ram_allocation_ratio
            node.disk_allocation_ratio = settings.disk_allocation_ratio
            node.updated_at = utcnow()
        if new:
            await self.bus.notify(PUBLISHER, HOSTS_CHANGED, {"host": host})

