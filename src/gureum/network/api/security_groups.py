"""/v2.0/security-groups and /v2.0/security-group-rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.network import schemas, views
from gureum.network.api.collection import enforce_fields, list_query, listed, selected
from gureum.network.manager import NetworkManager, is_admin
from gureum.network.models import SecurityGroup, SecurityGroupRule

groups = Router("/v2.0/security-groups")
rules = Router("/v2.0/security-group-rules")


# ---------------------------------------------------------------- views

def security_group_rule_view(row: SecurityGroupRule) -> dict[str, Any]:
    body = views.standard(row, [])
    del body["tags"]  # rules are not taggable
    return {**body, "security_group_id": row.security_group_id, "direction": row.direction,
            "ethertype": row.ethertype, "protocol": row.protocol,
            "port_range_min": row.port_range_min, "port_range_max": row.port_range_max,
            "remote_ip_prefix": row.remote_ip_prefix, "remote_group_id": row.remote_group_id}


def security_group_view(row: SecurityGroup, group_rules: list[SecurityGroupRule],
                        tags: list[str], shared: bool) -> dict[str, Any]:
    return {**views.standard(row, tags), "name": row.name, "stateful": row.stateful,
            "shared": shared,
            "security_group_rules": [security_group_rule_view(r) for r in group_rules]}


async def render(req: Request, manager: NetworkManager, rows: list[SecurityGroup],
                 ) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    found = await manager.rules_of(ids)
    shared = await manager.shared_security_groups(req.context, ids)
    async with manager.db.session() as session:
        tags = await manager.tags_of(session, ids)
    return [security_group_view(r, found[r.id], tags[r.id], r.shared or r.id in shared)
            for r in rows]


# ---------------------------------------------------------------- policy targets

def _owned_by(project_id: str) -> dict[str, Any]:
    return {"project_id": project_id, "tenant_id": project_id}


async def new_group_target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    spec = req.body["security_group"]
    return _owned_by(spec.get("project_id") or spec.get("tenant_id")
                     or req.context.project_id or "")


async def group_target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    row = await manager.show_security_group(req.context, req.params["security_group_id"])
    return _owned_by(row.project_id)


def rule_specs(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    if "security_group_rules" in body:
        return list(body["security_group_rules"])
    return [body["security_group_rule"]]


async def new_rule_target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    """Rules go into groups one owns (neutron's sg_owner); a group one cannot see is
    404."""
    group = await manager.show_security_group(
        req.context, rule_specs(req.body)[0]["security_group_id"])
    return _owned_by(group.project_id)


async def rule_target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    """The owner of a rule, or of its group, may act on it."""
    rule = await manager.show_security_group_rule(req.context, req.params["rule_id"])
    owners = {rule.project_id, await manager.security_group_owner(rule.security_group_id)}
    if req.context.project_id in owners and not is_admin(req.context):
        return _owned_by(req.context.project_id or "")
    return _owned_by(rule.project_id)


# ---------------------------------------------------------------- groups

@groups.post("", status=201, schema=schemas.CREATE_SECURITY_GROUP,
             policy="create_security_group", target=new_group_target)
async def create_security_group(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["security_group"]
    enforce_fields(req, "create", "security_group", spec)
    row = await manager.create_security_group(req.context, spec)
    return {"security_group": (await render(req, manager, [row]))[0]}


@groups.get("", policy="get_security_group")
async def list_security_groups(req: Request, manager: NetworkManager) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover = await manager.list_security_groups(req.context, query)
    return listed(req, "security_groups", await render(req, manager, rows), leftover, query)


@groups.get("/{security_group_id}", policy="get_security_group", target=group_target)
async def show_security_group(req: Request, manager: NetworkManager) -> dict[str, Any]:
    row = await manager.show_security_group(req.context, req.params["security_group_id"])
    return {"security_group": selected(req, (await render(req, manager, [row]))[0])}


@groups.put("/{security_group_id}", schema=schemas.UPDATE_SECURITY_GROUP,
            policy="update_security_group", target=group_target)
async def update_security_group(req: Request, manager: NetworkManager) -> dict[str, Any]:
    spec = req.body["security_group"]
    enforce_fields(req, "update", "security_group", spec)
    row = await manager.update_security_group(req.context, req.params["security_group_id"],
                                              spec)
    return {"security_group": (await render(req, manager, [row]))[0]}


@groups.delete("/{security_group_id}", status=204, policy="delete_security_group",
               target=group_target)
async def delete_security_group(req: Request, manager: NetworkManager) -> None:
    await manager.delete_security_group(req.context, req.params["security_group_id"])


# ---------------------------------------------------------------- rules

@rules.post("", status=201, schema=schemas.CREATE_SECURITY_GROUP_RULE,
            policy="create_security_group_rule", target=new_rule_target)
async def create_security_group_rule(req: Request, manager: NetworkManager,
                                     ) -> dict[str, Any]:
    specs = rule_specs(req.body)
    for spec in specs:
        enforce_fields(req, "create", "security_group_rule", spec)
    rows = await manager.create_security_group_rules(req.context, specs)
    if "security_group_rules" in req.body:
        return {"security_group_rules": [security_group_rule_view(r) for r in rows]}
    return {"security_group_rule": security_group_rule_view(rows[0])}


@rules.get("", policy="get_security_group_rule")
async def list_security_group_rules(req: Request, manager: NetworkManager,
                                    ) -> dict[str, Any]:
    query = list_query(req)
    rows, leftover = await manager.list_security_group_rules(req.context, query)
    return listed(req, "security_group_rules", [security_group_rule_view(r) for r in rows],
                  leftover, query)


@rules.get("/{rule_id}", policy="get_security_group_rule", target=rule_target)
async def show_security_group_rule(req: Request, manager: NetworkManager,
                                   ) -> dict[str, Any]:
    row = await manager.show_security_group_rule(req.context, req.params["rule_id"])
    return {"security_group_rule": selected(req, security_group_rule_view(row))}


@rules.delete("/{rule_id}", status=204, policy="delete_security_group_rule",
              target=rule_target)
async def delete_security_group_rule(req: Request, manager: NetworkManager) -> None:
    await manager.delete_security_group_rule(req.context, req.params["rule_id"])


router = Router().include(groups, rules)
