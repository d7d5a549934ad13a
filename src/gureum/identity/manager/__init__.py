"""The identity control plane: the only thing the API layer calls."""

from __future__ import annotations

from typing import Any

from gureum.identity.manager.auth import AuthManager, TokenData
from gureum.identity.manager.base import new_id

__all__ = ["IdentityManager", "TokenData", "new_id"]


class IdentityManager(AuthManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token_cache = {}
