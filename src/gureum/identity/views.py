"""Rows → keystone's JSON shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gureum.identity.manager import TokenData
from gureum.identity.models import (
    NULL_DOMAIN,
    ApplicationCredential,
    Credential,
    Domain,
    Endpoint,
    Group,
    Limit,
    Project,
    Region,
    RegisteredLimit,
    Role,
    Service,
    User,
)
from gureum.identity.tokens import TokenPayload


def isotime(moment: datetime | float | None) -> str | None:
    """Keystone's format: 2015-11-09T01:42:57.527363Z."""
    if moment is None:
        return None
    if isinstance(moment, float):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def collection(key: str, items: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {key: items, "links": {"self": url, "previous": None, "next": None}}


def _links(base: str, path: str) -> dict[str, str]:
    return {"self": f"{base}/v3/{path}"}


def domain(row: Domain, base: str) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description,
            "enabled": row.enabled, "tags": [], "options": {},
            "links": _links(base, f"domains/{row.id}")}


def project(row: Project, base: str) -> dict[str, Any]:
    return {**row.extra, "id": row.id, "name": row.name, "domain_id": row.domain_id,
            "parent_id": row.parent_id or row.domain_id, "description": row.description,
            "enabled": row.enabled, "is_domain": False, "tags": list(row.tags), "options": {},
            "links": _links(base, f"projects/{row.id}")}


def user(row: User, base: str) -> dict[str, Any]:
    body = {**row.extra, "id": row.id, "name": row.name, "domain_id": row.domain_id,
            "enabled": row.enabled, "password_expires_at": isotime(row.password_expires_at),
            "options": dict(row.options), "links": _links(base, f"users/{row.id}")}
    if row.description:
        body["description"] = row.description
    if row.default_project_id:
        body["default_project_id"] = row.default_project_id
    return body


def group(row: Group, base: str) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "domain_id": row.domain_id,
            "description": row.description, "links": _links(base, f"groups/{row.id}")}


def role(row: Role, base: str) -> dict[str, Any]:
    return {"id": row.id, "name": row.name,
            "domain_id": None if row.domain_id == NULL_DOMAIN else row.domain_id,
            "description": row.description, "options": dict(row.options),
            "links": _links(base, f"roles/{row.id}")}


def role_ref(row: Role, base: str) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "links": _links(base, f"roles/{row.id}")}


def region(row: Region, base: str) -> dict[str, Any]:
    return {"id": row.id, "description": row.description,
            "parent_region_id": row.parent_region_id, "links": _links(base, f"regions/{row.id}")}


def service(row: Service, base: str) -> dict[str, Any]:
    return {"id": row.id, "type": row.type, "name": row.name, "description": row.description,
            "enabled": row.enabled, "links": _links(base, f"services/{row.id}")}


def endpoint(row: Endpoint, base: str) -> dict[str, Any]:
    return {"id": row.id, "interface": row.interface, "region": row.region_id,
            "region_id": row.region_id, "service_id": row.service_id, "url": row.url,
            "enabled": row.enabled, "links": _links(base, f"endpoints/{row.id}")}


def credential(row: Credential, blob: str, base: str) -> dict[str, Any]:
    return {"id": row.id, "user_id": row.user_id, "project_id": row.project_id,
            "type": row.type, "blob": blob, "links": _links(base, f"credentials/{row.id}")}


def app_cred(row: ApplicationCredential, roles: list[dict[str, Any]], base: str
             ) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "description": row.description,
            "user_id": row.user_id, "project_id": row.project_id,
            "expires_at": isotime(row.expires_at), "unrestricted": row.unrestricted,
            "system": None, "roles": roles, "access_rules": list(row.access_rules),
            "links": _links(base, f"users/{row.user_id}/application_credentials/{row.id}")}


def token(payload: TokenPayload, data: TokenData, with_catalog: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "methods": list(payload.methods), "user": data.user,
        "audit_ids": list(payload.audit_ids), "expires_at": isotime(payload.expires_at),
        "issued_at": isotime(payload.issued_at),
    }
    if data.project is not None:
        body["project"] = data.project
        body["is_domain"] = False
    elif data.domain is not None:
        body["domain"] = data.domain
    elif data.system:
        body["system"] = {"all": True}
    if payload.scope_type is not None:
        body["roles"] = data.roles
        if with_catalog:
            body["catalog"] = data.catalog
    if data.app_cred is not None:
        body["application_credential"] = data.app_cred
    return {"token": body}


def v2_access(token_id: str, payload: TokenPayload, data: TokenData) -> dict[str, Any]:
    """The legacy v2.0 `access` document."""
    catalog = []
    for entry in data.catalog:
        by_region: dict[str | None, dict[str, Any]] = {}
        for ep in entry["endpoints"]:
            slot = by_region.setdefault(ep["region"], {"region": ep["region"], "id": ep["id"]})
            slot[f"{ep['interface']}URL"] = ep["url"]
        catalog.append({"type": entry["type"], "name": entry["name"],
                        "endpoints": list(by_region.values()), "endpoints_links": []})
    access_token: dict[str, Any] = {
        "id": token_id, "issued_at": isotime(payload.issued_at),
        "expires": isotime(payload.expires_at), "audit_ids": list(payload.audit_ids)}
    if data.project is not None:
        access_token["tenant"] = {"id": data.project["id"], "name": data.project["name"],
                                  "enabled": True, "description": None}
    return {"access": {
        "token": access_token,
        "serviceCatalog": catalog,
        "user": {"id": data.user["id"], "name": data.user["name"],
                 "username": data.user["name"], "roles_links": [],
                 "roles": [{"name": r["name"]} for r in data.roles]},
        "metadata": {"is_admin": 0, "roles": [r["id"] for r in data.roles]},
    }}


def registered_limit(row: RegisteredLimit, base: str) -> dict[str, Any]:
    return {"id": row.id, "service_id": row.service_id, "region_id": row.region_id,
            "resource_name": row.resource_name, "default_limit": row.default_limit,
            "description": row.description,
            "links": _links(base, f"registered_limits/{row.id}")}


def limit(row: Limit, base: str) -> dict[str, Any]:
    return {"id": row.id, "project_id": row.project_id, "domain_id": row.domain_id,
            "service_id": row.service_id, "region_id": row.region_id,
            "resource_name": row.resource_name, "resource_limit": row.resource_limit,
            "description": row.description, "links": _links(base, f"limits/{row.id}")}
