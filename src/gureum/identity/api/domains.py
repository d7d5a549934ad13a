"""/v3/domains"""

from __future__ import annotations

import uuid
from typing import Any

from gureum.core.api import Request, Router
from gureum.core.errors import BadRequest
from gureum.identity import schemas, views
from gureum.identity.api import targets
from gureum.identity.manager import IdentityManager

router = Router("/v3/domains")


@router.post("", status=201, schema=schemas.CREATE_DOMAIN, policy="identity:create_domain")
async def create_domain(req: Request, manager: IdentityManager) -> dict[str, Any]:
    spec = dict(req.body["domain"])
    explicit = spec.pop("explicit_domain_id", None)
    if explicit is not None:
        try:  # keystone takes a caller's id only in UUID form, stored as 32 hex digits
            explicit = uuid.UUID(explicit).hex
        except ValueError as exc:
            raise BadRequest("explicit_domain_id must be a UUID.") from exc
    spec.pop("id", None)
    row = await manager.create_domain(spec, domain_id=explicit)
    return {"domain": views.domain(row, req.base_url)}


@router.get("", policy="identity:list_domains")
async def list_domains(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_domains(req.query)
    return views.collection("domains", [views.domain(d, req.base_url) for d in rows], req.url)


@router.get("/{domain_id}", policy="identity:get_domain", target=targets.domain)
async def show_domain(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.show_domain(req.params["domain_id"])
    return {"domain": views.domain(row, req.base_url)}


@router.patch("/{domain_id}", schema=schemas.UPDATE_DOMAIN, policy="identity:update_domain",
              target=targets.domain)
async def update_domain(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_domain(req.params["domain_id"], req.body["domain"])
    return {"domain": views.domain(row, req.base_url)}


@router.delete("/{domain_id}", status=204, policy="identity:delete_domain",
               target=targets.domain)
async def delete_domain(req: Request, manager: IdentityManager) -> None:
    await manager.delete_domain(req.params["domain_id"])
