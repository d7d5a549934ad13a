"""neutron's request and response conventions, once for every collection: query →
ListQuery, leftover filters, `fields=`, `<collection>_links` paging, and attribute-level
policy (who may set or see a field)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from gureum.core.api import Page, Request
from gureum.core.errors import BadRequest
from gureum.core.validation import to_bool
from gureum.network.manager.listing import ListQuery
from gureum.network.policies import ADMIN_READ

RESERVED = {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse"}
TAG_FILTERS = ("tags", "tags-any", "not-tags", "not-tags-any")


def list_query(req: Request) -> ListQuery:
    params = req.raw.query_params
    keys, dirs = params.getlist("sort_key"), params.getlist("sort_dir")
    if dirs and len(dirs) != len(keys):
        raise BadRequest("The number of sort_keys and sort_dirs must be same")
    for direction in dirs:
        if direction not in ("asc", "desc"):
            raise BadRequest(f"{direction} is invalid value for sort_dir, valid values are "
                             "'asc' and 'desc'")
    page = Page.from_query(req.query, max_limit=10_000)
    filters: dict[str, list[str]] = {}
    for key in params:
        if key not in RESERVED and key not in TAG_FILTERS:
            filters[key] = params.getlist(key)
    return ListQuery(filters=filters, sorts=list(zip(keys, dirs or ["asc"] * len(keys),
                                                     strict=False)),
                     limit=page.limit or None, marker=page.marker,
                     page_reverse=bool(to_bool(req.query.get("page_reverse", "false"))),
                     tags={k: params.getlist(k) for k in TAG_FILTERS if k in params})


def hidden(req: Request, resource: str) -> set[str]:
    """The fields this caller may not see (one check per request, not per row)."""
    return {name for name in ADMIN_READ.get(resource, ())
            if not req.allowed(f"get_{resource}:{name}", {"project_id": req.context.project_id})}


def enforce_fields(req: Request, action: str, resource: str, body: Mapping[str, Any],
                   target: Mapping[str, Any] | None = None) -> None:
    """A write naming a guarded field needs that field's rule too."""
    rules = req.service.policy.names()
    for key, value in body.items():
        rule = f"{action}_{resource}:{key}"
        if rule in rules:
            req.enforce(rule, target or {"project_id": req.context.project_id})
        if isinstance(value, Mapping):
            for inner in value:
                rule = f"{action}_{resource}:{key}:{inner}"
                if rule in rules:
                    req.enforce(rule, target or {"project_id": req.context.project_id})


def _matches(value: Any, wanted: list[str]) -> bool:
    if isinstance(value, bool):
        return str(value).lower() in {w.lower() for w in wanted}
    if isinstance(value, list):
        return any(_matches(v, wanted) for v in value)
    return str(value) in wanted if value is not None else "" in wanted


def selected(req: Request, item: dict[str, Any]) -> dict[str, Any]:
    fields = req.raw.query_params.getlist("fields")
    if not fields:
        return item
    return {k: v for k, v in item.items() if k in fields}


def strip(item: dict[str, Any], hide: Iterable[str]) -> dict[str, Any]:
    for name in hide:
        item.pop(name, None)
    return item


def listed(req: Request, collection: str, items: list[dict[str, Any]],
           leftover: Mapping[str, list[str]], query: ListQuery) -> dict[str, Any]:
    """The response body: leftover filters applied to the rendered items, `fields=`, and
    next/previous links when paging."""
    for name, wanted in leftover.items():
        items = [i for i in items if name not in i or _matches(i[name], wanted)]
    body: dict[str, Any] = {collection: [selected(req, i) for i in items]}
    if query.limit:
        links = []
        params = {k: v for k, v in req.query.items() if k not in ("marker", "page_reverse")}
        if items and len(items) >= query.limit:
            marker = items[0]["id"] if query.page_reverse else items[-1]["id"]
            links.append({"rel": "next" if not query.page_reverse else "previous",
                          "href": f"{req.url}?{urlencode({**params, 'marker': marker})}"
                          + ("&page_reverse=True" if query.page_reverse else "")})
        if query.marker and items:
            marker = items[-1]["id"] if query.page_reverse else items[0]["id"]
            links.append({"rel": "previous" if not query.page_reverse else "next",
                          "href": f"{req.url}?{urlencode({**params, 'marker': marker})}"
                          + ("&page_reverse=True" if not query.page_reverse else "")})
        body[f"{collection}_links"] = links
    return body
