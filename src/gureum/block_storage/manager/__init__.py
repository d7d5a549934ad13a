"""The block storage control plane: the only thing the API layer calls, and the server
side of the agents' and schedulers' reports."""

from __future__ import annotations

from gureum.block_storage.manager.attachments import Attachments
from gureum.block_storage.manager.backups import Backups
from gureum.block_storage.manager.base import is_admin
from gureum.block_storage.manager.control import Control
from gureum.block_storage.manager.images import Images
from gureum.block_storage.manager.qos import Qos
from gureum.block_storage.manager.quotas import Quotas
from gureum.block_storage.manager.retype import Retype
from gureum.block_storage.manager.services import Services
from gureum.block_storage.manager.snapshots import Snapshots
from gureum.block_storage.manager.transfers import Transfers
from gureum.block_storage.manager.types import Types
from gureum.block_storage.manager.volumes import Volumes

__all__ = ["BlockStorageManager", "is_admin"]


class BlockStorageManager(Retype, Attachments, Snapshots, Transfers, Images, Backups, Volumes,
                          Types, Qos, Quotas, Services, Control):
    """Volumes, actions and attachments, snapshots, transfers, images, backups, types,
    quotas, services and pools."""
