"""RequestContext: who is asking, in which scope, with which roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


def new_request_id() -> str:
    return f"req-{uuid.uuid4()}"


@dataclass(frozen=True)
class RequestContext:
    request_id: str = field(default_factory=new_request_id)
    user_id: str | None = None
    user_name: str | None = None
    user_domain_id: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    project_domain_id: str | None = None
    domain_id: str | None = None
    domain_name: str | None = None
    system_scope: str | None = None
    roles: tuple[str, ...] = ()
    audit_ids: tuple[str, ...] = ()
    token: str | None = None
    app_cred_id: str | None = None
    access_rules: tuple[dict[str, Any], ...] | None = None
    is_admin: bool = False

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def credentials(self) -> dict[str, Any]:
        """The creds dict oslo.policy checks rules against (keystone's shape)."""
        return {
            "user_id": self.user_id,
            "user_domain_id": self.user_domain_id,
            "project_id": self.project_id,
            "project_domain_id": self.project_domain_id,
            "domain_id": self.domain_id,
            "system_scope": self.system_scope,
            "roles": list(self.roles),
            "is_admin": self.is_admin,
            "token": {"domain": {"id": self.domain_id},
                      "project": {"id": self.project_id,
                                  "domain": {"id": self.project_domain_id}}},
        }

    @classmethod
    def admin(cls) -> RequestContext:
        """A context for the cloud acting on itself (bootstrap, reconcilers)."""
        return cls(user_id="gureum", system_scope="all", roles=("admin", "member", "reader"),
                   is_admin=True)
