"""The Identity service on one screen: routes, policies, fault dialect, token checking."""

from __future__ import annotations

from pathlib import Path

from gureum.core.api import Router, ServiceApp
from gureum.core.context import RequestContext
from gureum.core.errors import Unauthorized
from gureum.core.policy import PolicyEngine
from gureum.identity import errors, policies
from gureum.identity.api import (
    assignments,
    auth,
    catalog,
    credentials,
    domains,
    groups,
    limits,
    projects,
    roles,
    users,
    versions,
)
from gureum.identity.manager import IdentityManager

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "identity_alembic_version"
SERVICE_TYPE = "identity"
PATH = "/identity"


class LocalAuthenticator:
    """Identity checks tokens itself, from the payload and the cached token data."""

    def __init__(self, manager: IdentityManager) -> None:
        self.manager = manager

    async def authenticate(self, token: str, request_id: str) -> RequestContext:
        try:
            payload, data = await self.manager.validate(token)
        except errors.TokenNotFound as exc:
            raise Unauthorized(exc.text) from exc
        project = data.project or {}
        domain = data.domain or {}
        return RequestContext(
            request_id=request_id, user_id=payload.user_id, user_name=data.user["name"],
            user_domain_id=data.user["domain"]["id"], project_id=project.get("id"),
            project_name=project.get("name"),
            project_domain_id=(project.get("domain") or {}).get("id"),
            domain_id=domain.get("id"), domain_name=domain.get("name"),
            system_scope="all" if data.system else None,
            roles=tuple(role["name"] for role in data.roles), audit_ids=payload.audit_ids,
            token=token, app_cred_id=payload.app_cred_id,
            access_rules=tuple((data.app_cred or {}).get("access_rules") or ()) or None)


def create_app(manager: IdentityManager, policy_file: Path | None,
               public_url: str) -> ServiceApp:
    router = Router().include(versions.router, auth.router, domains.router, projects.router,
                              users.router, groups.router, roles.router, assignments.router,
                              catalog.router, credentials.router, credentials.ec2,
                              limits.router)
    return ServiceApp(name=SERVICE_TYPE, dialect="keystone", router=router,
                      policy=PolicyEngine(SERVICE_TYPE, policies.RULES, policy_file),
                      authenticator=LocalAuthenticator(manager), manager=manager,
                      auth_hint=public_url)
