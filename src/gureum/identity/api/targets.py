"""Policy targets: what a rule like `domain_id:%(target.project.domain_id)s` looks at."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request
from gureum.identity import errors
from gureum.identity.manager import IdentityManager


async def project(req: Request, manager: IdentityManager) -> Mapping[str, Any]:
    row = await manager.show_project(req.params["project_id"])
    return {"target": {"project": {"id": row.id, "domain_id": row.domain_id}}}


async def domain(req: Request, manager: IdentityManager) -> Mapping[str, Any]:
    return {"target": {"domain": {"id": req.params["domain_id"]}}}


async def user(req: Request, manager: IdentityManager) -> Mapping[str, Any]:
    row = await manager.show_user(req.params["user_id"])
    return {"user_id": row.id, "target": {"user": {"id": row.id, "domain_id": row.domain_id}}}


async def group(req: Request, manager: IdentityManager) -> Mapping[str, Any]:
    row = await manager.show_group(req.params["group_id"])
    return {"target": {"group": {"id": row.id, "domain_id": row.domain_id}}}


async def domain_filter(req: Request, manager: IdentityManager) -> Mapping[str, Any]:
    return {"target": {"domain_id": req.query.get("domain_id") or req.query.get(
        "scope.domain.id")}}


async def subject_token(req: Request, manager: IdentityManager) -> Mapping[str, Any]:
    token = req.header("x-subject-token")
    if not token:
        raise errors.TokenNotFound("X-Subject-Token is missing.")
    payload, _ = await manager.validate(token)
    return {"target": {"token": {"user_id": payload.user_id}}}


async def credential(req: Request, manager: IdentityManager) -> Mapping[str, Any]:
    if "credential_id" in req.params:
        row, _ = await manager.show_credential(req.params["credential_id"])
        owner: str | None = row.user_id
    elif req.body:
        owner = req.body["credential"].get("user_id")
    else:
        owner = req.query.get("user_id") or req.context.user_id
    return {"target": {"credential": {"user_id": owner}}}


async def path_user(req: Request, manager: IdentityManager) -> Mapping[str, Any]:
    """Routes under /users/{user_id}/ whose rules compare against the path's user."""
    return {"user_id": req.params["user_id"], "target": {"user": {"id": req.params["user_id"]}}}


async def limit(req: Request, manager: IdentityManager) -> Mapping[str, Any]:
    row = await manager.show_limit(req.params["limit_id"])
    return {"target": {"limit": {"project_id": row.project_id, "domain_id": row.domain_id}}}
