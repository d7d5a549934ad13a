"""What every block storage collection shares: the v3 base URL, list queries and their
`*_links`, rendering volumes with their types and attachments, and policy targets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from starlette.responses import Response

from gureum.block_storage import views
from gureum.block_storage.manager import BlockStorageManager, is_admin
from gureum.block_storage.manager.listing import ListQuery, list_query
from gureum.block_storage.models import Attachment, Volume, VolumeType
from gureum.core.api import APIVersion, Request


def base(req: Request) -> str:
    return f"{req.base_url}/v3"


def at_least(req: Request, version: str) -> bool:
    return req.version is not None and req.version >= APIVersion.parse(version)


def query(req: Request) -> ListQuery:
    return list_query(req.query)


def paging_links(req: Request, collection: str, items: list[dict[str, Any]],
                 listing: ListQuery) -> dict[str, Any]:
    """`<collection>_links` with a next link when a page is full, as cinder adds them."""
    if listing.limit is None or not items or len(items) < listing.limit:
        return {}
    params = {k: v for k, v in req.query.items() if k != "marker"}
    params["marker"] = items[-1]["id"]
    return {f"{collection}_links": [{"rel": "next", "href": f"{req.url}?{urlencode(params)}"}]}


async def volume_target(req: Request, manager: BlockStorageManager) -> Mapping[str, Any]:
    row = await manager.show_volume(req.context, req.params["volume_id"])
    return {"project_id": row.project_id}


async def render_volumes(req: Request, manager: BlockStorageManager, rows: list[Volume],
                         new: bool = False) -> list[dict[str, Any]]:
    """Volumes with their types and attachments (`new`: volumes just made, which have
    none to read)."""
    ids = [r.id for r in rows]
    async with manager.db.session() as session:
        types = {t.id: t for t in await session.scalars(select(VolumeType).where(
            VolumeType.id.in_({r.volume_type_id for r in rows})))}
        attachments: dict[str, list[Attachment]] = {i: [] for i in ids}
        for start in range(0, 0 if new else len(ids), 500):
            for attachment in await session.scalars(select(Attachment).where(
                    Attachment.volume_id.in_(ids[start:start + 500]))):
                attachments[attachment.volume_id].append(attachment)
    admin = is_admin(req.context)
    return [views.volume(r, base(req), types.get(r.volume_type_id), attachments[r.id], admin)
            for r in rows]


def flag(value: Any) -> bool:
    """cinder's booleans in bodies: true/false, or strings of them."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "y", "on")


def empty(status: int = 202) -> Response:
    """cinder answers many writes with a status and no body (202 for delete and most
    actions, 200 for a metadata item's delete)."""
    return Response(b"", status)
