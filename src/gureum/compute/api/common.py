"""What every compute collection shares: the v2.1 base URL, the request's microversion
as a tuple, paging links and policy targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from gureum.compute.manager import ComputeManager
from gureum.core.api import Page, Request


def base(req: Request) -> str:
    return f"{req.base_url}/v2.1"


def version(req: Request) -> tuple[int, int]:
    if req.version is None:
        return (2, 1)
    return (req.version.major, req.version.minor)


def page(req: Request) -> Page:
    return Page.from_query(req.query)


def next_links(req: Request, collection: str, items: list[dict[str, Any]], limit: int | None,
               key: str = "id") -> dict[str, Any]:
    """`<collection>_links` with a next link when a page is full, as nova adds them."""
    if limit is None or not items or len(items) < limit:
        return {}
    params = {k: v for k, v in req.query.items() if k != "marker"}
    params["marker"] = str(items[-1][key])
    return {f"{collection}_links": [{"rel": "next",
                                     "href": f"{req.url}?{urlencode(params)}"}]}


async def server_target(req: Request, manager: ComputeManager) -> Mapping[str, Any]:
    row = await manager.show_server(req.context, req.params["server_id"])
    return {"project_id": row.project_id, "user_id": row.user_id}


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "y", "on", "t")
