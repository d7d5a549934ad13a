"""Server metadata (/servers/{id}/metadata): at most maxServerMeta items, keys of the
fake driver's behaviour for admins only."""

from __future__ import annotations

from sqlalchemy import update

from gureum.compute import errors
from gureum.compute.manager.actions import check_settled, check_unlocked
from gureum.compute.manager.base import ManagerBase
from gureum.compute.manager.build_requests import check_metadata
from gureum.compute.manager.quotas import Quotas
from gureum.compute.models import Server
from gureum.core.context import RequestContext
from gureum.core.db import utcnow
from gureum.core.errors import NotFound


class ServerMetadata(Quotas, ManagerBase):
    async def server_metadata(self, context: RequestContext, server_id: str,
                              ) -> dict[str, str]:
        return dict((await self.show_server(context, server_id)).metadata_)

    async def update_server_metadata(self, context: RequestContext, server_id: str,
                                     items: dict[str, str], replace: bool,
                                     ) -> dict[str, str]:
        async with self.db.session(lock=f"compute-metadata:{server_id}") as session:
            row = await self.server_for(session, context, server_id)
            check_unlocked(context, row)
            check_settled(row, "update metadata")
            metadata = dict(items) if replace else {**row.metadata_, **items}
            limit = await self.metadata_items_limit(row.project_id)
            check_metadata(context, items, limit)
            if 0 <= limit < len(metadata):
                raise errors.QuotaExceeded("Quota exceeded for metadata items",
                                           resources="metadata")
            await session.execute(update(Server).where(Server.id == server_id).values(
                metadata_=metadata, updated_at=utcnow()))
        return metadata

    async def delete_server_metadata(self, context: RequestContext, server_id: str,
                                     key: str) -> None:
        async with self.db.session(lock=f"compute-metadata:{server_id}") as session:
            row = await self.server_for(session, context, server_id)
            if key not in row.metadata_:
                raise NotFound("Metadata item was not found")
            check_unlocked(context, row)
            check_settled(row, "delete metadata")
            check_metadata(context, {key: ""}, -1)
            await session.execute(update(Server).where(Server.id == server_id).values(
                metadata_={k: v for k, v in row.metadata_.items() if k != key},
                updated_at=utcnow()))
