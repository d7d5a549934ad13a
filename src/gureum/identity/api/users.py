"""/v3/users, their password, projects and groups, application credentials and access
rules."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router
from gureum.core.errors import NotFound
from gureum.identity import schemas, views
from gureum.identity.api import targets
from gureum.identity.api.auth import reachable
from gureum.identity.manager import IdentityManager

router = Router("/v3/users")


@router.post("", status=201, schema=schemas.CREATE_USER, policy="identity:create_user")
async def create_user(req: Request, manager: IdentityManager) -> dict[str, Any]:
    default_domain = req.context.domain_id or req.context.project_domain_id
    row = await manager.create_user(req.body["user"], default_domain)
    return {"user": views.user(row, req.base_url)}


@router.get("", policy="identity:list_users", target=targets.domain_filter)
async def list_users(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_users(req.query)
    return views.collection("users", [views.user(u, req.base_url) for u in rows], req.url)


@router.get("/{user_id}", policy="identity:get_user", target=targets.user)
async def show_user(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"user": views.user(await manager.show_user(req.params["user_id"]), req.base_url)}


@router.patch("/{user_id}", schema=schemas.UPDATE_USER, policy="identity:update_user",
              target=targets.user)
async def update_user(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_user(req.params["user_id"], req.body["user"])
    return {"user": views.user(row, req.base_url)}


@router.delete("/{user_id}", status=204, policy="identity:delete_user", target=targets.user)
async def delete_user(req: Request, manager: IdentityManager) -> None:
    await manager.delete_user(req.params["user_id"])


@router.post("/{user_id}/password", status=204, schema=schemas.CHANGE_PASSWORD, public=True)
async def change_password(req: Request, manager: IdentityManager) -> None:
    """As keystone: no token needed (a user whose password expired has none); knowing the
    original password is the proof, for an admin too."""
    spec = req.body["user"]
    await manager.change_password(req.params["user_id"], spec["original_password"],
                                  spec["password"])


@router.get("/{user_id}/projects", policy="identity:list_user_projects", target=targets.user)
async def list_user_projects(req: Request, manager: IdentityManager) -> dict[str, Any]:
    ids = await reachable(manager, req.params["user_id"], "project")
    rows = await manager.list_projects(req.query, only=ids)
    return views.collection("projects", [views.project(p, req.base_url) for p in rows], req.url)


@router.get("/{user_id}/groups", policy="identity:list_groups_for_user", target=targets.user)
async def list_user_groups(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_groups(req.query, user_id=req.params["user_id"])
    return views.collection("groups", [views.group(g, req.base_url) for g in rows], req.url)


# ---------------------------------------------------------------- application credentials

async def _app_cred_view(manager: IdentityManager, row: Any, base: str) -> dict[str, Any]:
    return views.app_cred(row, await manager.role_refs(row.role_ids), base)


@router.post("/{user_id}/application_credentials", status=201, schema=schemas.CREATE_APP_CRED,
             policy="identity:create_application_credential", target=targets.path_user)
async def create_app_cred(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row, secret = await manager.create_app_cred(req.context, req.params["user_id"],
                                                req.body["application_credential"])
    body = await _app_cred_view(manager, row, req.base_url)
    return {"application_credential": {**body, "secret": secret}}


@router.get("/{user_id}/application_credentials",
            policy="identity:list_application_credentials", target=targets.path_user)
async def list_app_creds(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_app_creds(req.params["user_id"], req.query)
    items = [await _app_cred_view(manager, row, req.base_url) for row in rows]
    return views.collection("application_credentials", items, req.url)


@router.get("/{user_id}/application_credentials/{app_cred_id}",
            policy="identity:get_application_credential", target=targets.path_user)
async def show_app_cred(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.show_app_cred(req.params["user_id"], req.params["app_cred_id"])
    return {"application_credential": await _app_cred_view(manager, row, req.base_url)}


@router.delete("/{user_id}/application_credentials/{app_cred_id}", status=204,
               policy="identity:delete_application_credential", target=targets.path_user)
async def delete_app_cred(req: Request, manager: IdentityManager) -> None:
    await manager.delete_app_cred(req.params["user_id"], req.params["app_cred_id"])


async def _access_rules(manager: IdentityManager, user_id: str) -> list[dict[str, Any]]:
    return [rule for cred in await manager.list_app_creds(user_id, {})
            for rule in cred.access_rules]


@router.get("/{user_id}/access_rules", policy="identity:list_access_rules",
            target=targets.path_user)
async def list_access_rules(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rules = await _access_rules(manager, req.params["user_id"])
    return views.collection("access_rules", rules, req.url)


@router.get("/{user_id}/access_rules/{rule_id}", policy="identity:get_access_rule",
            target=targets.path_user)
async def show_access_rule(req: Request, manager: IdentityManager) -> dict[str, Any]:
    for rule in await _access_rules(manager, req.params["user_id"]):
        if rule["id"] == req.params["rule_id"]:
            return {"access_rule": rule}
    raise NotFound(f"Could not find access rule: {req.params['rule_id']}.")
