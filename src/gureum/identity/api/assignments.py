"""Role grants (users and groups on projects, domains and the system, and inherited
grants) and /v3/role_assignments."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router
from gureum.identity import views
from gureum.identity.api import targets
from gureum.identity.manager import IdentityManager
from gureum.identity.manager.assignments import SYSTEM, Grant

router = Router("/v3")


def _grant_routes(target: str, actor: str, prefix: str, inherited: bool) -> None:
    """PUT/HEAD/GET/DELETE one grant and GET the list, for one (target, actor) pair; the
    eight combinations share these handlers, differing only in their words."""
    system = target == SYSTEM
    base = f"/system/{actor}s/{{actor_id}}/roles" if system else \
        f"{prefix}/{target}s/{{target_id}}/{actor}s/{{actor_id}}/roles"
    suffix = "/inherited_to_projects" if inherited else ""
    names = ({"create": f"identity:create_system_grant_for_{actor}",
              "check": f"identity:check_system_grant_for_{actor}",
              "revoke": f"identity:revoke_system_grant_for_{actor}",
              "list": f"identity:list_system_grants_for_{actor}"} if system else
             {"create": "identity:create_grant", "check": "identity:check_grant",
              "revoke": "identity:revoke_grant", "list": "identity:list_grants"})

    def where(req: Request) -> tuple[str, str, str, str]:
        return actor, req.params["actor_id"], target, req.params.get("target_id", SYSTEM)

    async def create(req: Request, manager: IdentityManager) -> None:
        await manager.create_grant(*where(req), req.params["role_id"], inherited)

    async def check(req: Request, manager: IdentityManager) -> None:
        await manager.check_grant(*where(req), req.params["role_id"], inherited)

    async def revoke(req: Request, manager: IdentityManager) -> None:
        await manager.delete_grant(*where(req), req.params["role_id"], inherited)

    async def list_roles(req: Request, manager: IdentityManager) -> dict[str, Any]:
        rows = await manager.list_grant_roles(*where(req), inherited)
        return views.collection("roles", [views.role(r, req.base_url) for r in rows], req.url)

    one = f"{base}/{{role_id}}{suffix}"
    router.put(one, status=204, policy=names["create"])(create)
    router.head(one, status=204, policy=names["check"])(check)
    router.get(one, status=204, policy=names["check"])(check)
    router.delete(one, status=204, policy=names["revoke"])(revoke)
    router.get(f"{base}{suffix}", policy=names["list"])(list_roles)


for _actor in ("user", "group"):
    _grant_routes(SYSTEM, _actor, "", inherited=False)
    for _target in ("project", "domain"):
        _grant_routes(_target, _actor, "", inherited=False)
    _grant_routes("domain", _actor, "/OS-INHERIT", inherited=True)
    _grant_routes("project", _actor, "/OS-INHERIT", inherited=True)


@router.get("/role_assignments", policy="identity:list_role_assignments",
            target=targets.domain_filter)
async def list_role_assignments(req: Request, manager: IdentityManager) -> dict[str, Any]:
    grants = await manager.list_grants(req.query)
    names = await _names(manager) if "include_names" in req.query else None
    items = [_assignment(g, req.base_url, names) for g in grants]
    return views.collection("role_assignments", items, req.url)


Names = dict[str, dict[str, Any]]


async def _names(manager: IdentityManager) -> Names:
    domains = {d.id: {"id": d.id, "name": d.name} for d in await manager.list_domains({})}
    found: Names = {}
    for row in await manager.list_users({}):
        found[row.id] = {"id": row.id, "name": row.name, "domain": domains.get(row.domain_id)}
    for grp in await manager.list_groups({}):
        found[grp.id] = {"id": grp.id, "name": grp.name, "domain": domains.get(grp.domain_id)}
    for project in await manager.list_projects({}):
        found[project.id] = {"id": project.id, "name": project.name,
                             "domain": domains.get(project.domain_id)}
    for role_row in [*await manager.list_roles({}),
                     *[r for d in domains for r in await manager.list_roles({"domain_id": d})]]:
        entry: dict[str, Any] = {"id": role_row.id, "name": role_row.name}
        if role_row.domain_id in domains:
            entry["domain"] = domains[role_row.domain_id]
        found[role_row.id] = entry
    for domain_id, domain in domains.items():
        found.setdefault(domain_id, domain)
    return found


def _assignment(grant: Grant, base: str, names: Names | None) -> dict[str, Any]:
    def ref(key: str) -> dict[str, Any]:
        return dict(names.get(key, {"id": key})) if names is not None else {"id": key}

    if grant.target == SYSTEM:
        scope: dict[str, Any] = {"system": {"all": True}}
        path = f"system/{grant.actor}s/{grant.actor_id}/roles/{grant.role_id}"
    else:
        scope = {grant.target: ref(grant.target_id)}
        path = (f"{grant.target}s/{grant.target_id}/{grant.actor}s/{grant.actor_id}/roles/"
                f"{grant.role_id}")
    if grant.inherited:
        scope["OS-INHERIT:inherited_to"] = "projects"
        path = f"OS-INHERIT/{path}/inherited_to_projects"
    links = {"assignment": f"{base}/v3/{path}"}
    if grant.via_group:
        links["membership"] = f"{base}/v3/groups/{grant.via_group}/users/{grant.actor_id}"
    return {"role": ref(grant.role_id), grant.actor: ref(grant.actor_id), "scope": scope,
            "links": links}
