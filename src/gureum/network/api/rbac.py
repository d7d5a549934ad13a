"""(being written)"""

from __future__ import annotations

from gureum.core.api import Router

router = Router()
