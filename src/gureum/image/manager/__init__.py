"""The image control plane: the only thing the API layer calls."""

from __future__ import annotations

from gureum.image.manager.members import MemberManager
from gureum.image.manager.metadefs import MetadefManager
from gureum.image.manager.records import is_admin
from gureum.image.manager.transfers import TransferManager

__all__ = ["ImageManager", "is_admin"]


class ImageManager(TransferManager, MemberManager, MetadefManager):
    """Records, members, data and metadata definitions, over one database, bus and set
    of stores."""
