"""The compute control plane: the only thing the API layer calls."""

from __future__ import annotations

from gureum.compute.manager.actions import InstanceActions, ServerActions
from gureum.compute.manager.base import is_admin
from gureum.compute.manager.consoles import Consoles
from gureum.compute.manager.groups import Groups
from gureum.compute.manager.hosts import Hosts
from gureum.compute.manager.interfaces import Interfaces
from gureum.compute.manager.keypairs import Keypairs
from gureum.compute.manager.metadata import ServerMetadata
from gureum.compute.manager.moves import Moves
from gureum.compute.manager.rebuild import Rebuilds
from gureum.compute.manager.servers import Servers
from gureum.compute.manager.shelve import Shelving
from gureum.compute.manager.snapshots import Snapshots
from gureum.compute.manager.tags import Tags
from gureum.compute.manager.usage import Usage
from gureum.compute.manager.volumes import VolumeAttachments

__all__ = ["ComputeManager", "is_admin"]


class ComputeManager(Moves, Shelving, Servers, ServerActions, InstanceActions, ServerMetadata, Tags,
                     Keypairs, Groups, Hosts, Usage, VolumeAttachments, Snapshots, Rebuilds,
                     Interfaces, Consoles):
    """Servers (with their build checks, flavors and quotas), their actions and the
    record of them, their tags, key pairs, server groups, and the hosts (services,
    hypervisors, zones, aggregates)."""
