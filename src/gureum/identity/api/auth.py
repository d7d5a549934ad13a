"""/v3/auth: issue, validate, check and revoke tokens; what a token may reach."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router, json_response
from gureum.core.errors import Forbidden, Unauthorized
from gureum.identity import errors, schemas, views
from gureum.identity.api import targets
from gureum.identity.manager import IdentityManager
from gureum.identity.manager.assignments import SYSTEM

router = Router("/v3/auth")


@router.post("/tokens", status=201, schema=schemas.AUTH, public=True)
async def create_token(req: Request, manager: IdentityManager) -> Any:
    try:
        token, payload, data = await manager.authenticate(req.body["auth"])
    except errors.TokenNotFound as exc:  # a scope without roles, or a dead token to rescope
        raise Unauthorized(exc.text) from exc
    body = views.token(payload, data, with_catalog="nocatalog" not in req.query)
    return json_response(body, 201, {"X-Subject-Token": token})


@router.get("/tokens", policy="identity:validate_token", target=targets.subject_token)
async def validate_token(req: Request, manager: IdentityManager) -> Any:
    token = req.header("x-subject-token") or ""
    payload, data = await manager.validate(token)
    body = views.token(payload, data, with_catalog="nocatalog" not in req.query)
    return json_response(body, 200, {"X-Subject-Token": token})


@router.head("/tokens", policy="identity:check_token", target=targets.subject_token)
async def check_token(req: Request, manager: IdentityManager) -> Any:
    await manager.validate(req.header("x-subject-token") or "")
    return json_response(None, 200)


@router.delete("/tokens", status=204, policy="identity:revoke_token",
               target=targets.subject_token)
async def revoke_token(req: Request, manager: IdentityManager) -> None:
    await manager.revoke_token(req.header("x-subject-token") or "")


@router.get("/catalog", policy="identity:get_auth_catalog")
async def get_catalog(req: Request, manager: IdentityManager) -> dict[str, Any]:
    if req.context.project_id is None and req.context.domain_id is None and \
            req.context.system_scope is None:
        raise Forbidden("The catalog needs a scoped token.")
    return {"catalog": await manager.catalog(),
            "links": {"self": f"{req.base_url}/v3/auth/catalog", "previous": None,
                      "next": None}}


async def reachable(manager: IdentityManager, user_id: str, target: str) -> set[str]:
    grants = await manager.list_grants({"user.id": user_id, "effective": "true"})
    return {g.target_id for g in grants if g.target == target}


@router.get("/projects", policy="identity:get_auth_projects")
async def get_projects(req: Request, manager: IdentityManager) -> dict[str, Any]:
    ids = await reachable(manager, req.context.user_id or "", "project")
    projects = await manager.list_projects({"enabled": "true"}, only=ids)
    return views.collection("projects", [views.project(p, req.base_url) for p in projects],
                            req.url)


@router.get("/domains", policy="identity:get_auth_domains")
async def get_domains(req: Request, manager: IdentityManager) -> dict[str, Any]:
    ids = await reachable(manager, req.context.user_id or "", "domain")
    domains = [d for d in await manager.list_domains({"enabled": "true"}) if d.id in ids]
    return views.collection("domains", [views.domain(d, req.base_url) for d in domains],
                            req.url)


@router.get("/system", policy="identity:get_auth_system")
async def get_system(req: Request, manager: IdentityManager) -> dict[str, Any]:
    ids = await reachable(manager, req.context.user_id or "", SYSTEM)
    return {"system": [{"all": True}] if ids else [],
            "links": {"self": req.url, "previous": None, "next": None}}
