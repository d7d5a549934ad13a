"""(being written)"""

from __future__ import annotations

from gureum.network.manager.base import ManagerBase


class Quotas(ManagerBase):
    pass
