"""Claims: what a server holds of a host's inventory (placement's allocations). A claim
is one conditional UPDATE of the host's usage, so concurrent schedulers never put more
on a host than its inventory times its allocation ratios."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.compute.models import Allocation, ComputeNode


async def claim(session: AsyncSession, node_id: int, server_id: str, vcpus: int,
                memory_mb: int, disk_gb: int) -> bool:
    """Take the resources on the node if they are still free; False when it filled up."""
    node = ComputeNode
    taken = await session.execute(update(node).where(
        node.id == node_id,
        node.vcpus_used + vcpus <= node.vcpus * node.cpu_allocation_ratio,
        node.memory_mb_used + memory_mb <= node.memory_mb * node.ram_allocation_ratio,
        node.local_gb_used + disk_gb <= node.local_gb * node.disk_allocation_ratio,
    ).values(vcpus_used=node.vcpus_used + vcpus,
             memory_mb_used=node.memory_mb_used + memory_mb,
             local_gb_used=node.local_gb_used + disk_gb,
             running_vms=node.running_vms + 1))
    if not taken.rowcount:  # type: ignore[attr-defined]
        return False
    session.add(Allocation(server_id=server_id, node_id=node_id, vcpus=vcpus,
                           memory_mb=memory_mb, disk_gb=disk_gb))
    return True


async def release_claim(session: AsyncSession, server_id: str) -> None:
    """Give back what a server holds of its host (a failed build, a delete)."""
    allocation = await session.get(Allocation, server_id)
    if allocation is None:
        return
    await session.execute(update(ComputeNode).where(
        ComputeNode.id == allocation.node_id).values(
        vcpus_used=ComputeNode.vcpus_used - allocation.vcpus,
        memory_mb_used=ComputeNode.memory_mb_used - allocation.memory_mb,
        local_gb_used=ComputeNode.local_gb_used - allocation.disk_gb,
        running_vms=ComputeNode.running_vms - 1))
    await session.delete(allocation)
