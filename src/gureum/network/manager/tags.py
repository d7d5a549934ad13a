"""Tags on any resource with standard attributes (neutron's standard-attr-tag): read by
whoever sees the resource, written by its owner; every change bumps its revision."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update

from gureum.core.context import RequestContext
from gureum.core.db import insert_if_absent
from gureum.network import errors
from gureum.network.manager.base import ManagerBase
from gureum.network.manager.subnetpools import visible_pools
from gureum.network.models import (
    FloatingIP,
    Network,
    Port,
    Router,
    SecurityGroup,
    Subnet,
    SubnetPool,
    Tag,
)

# URL collection → table.
TAGGABLE: dict[str, Any] = {
    "networks": Network, "subnets": Subnet, "ports": Port, "routers": Router,
    "floatingips": FloatingIP, "security-groups": SecurityGroup, "subnetpools": SubnetPool,
}
MAX_TAG_LEN = 255


def check_tag(tag: Any) -> str:
    if not isinstance(tag, str):
        raise errors.InvalidInput(error_message=f"'{tag}' is not a valid string")
    if len(tag) > MAX_TAG_LEN:
        raise errors.InvalidInput(error_message=f"'{tag}' exceeds maximum length of "
                                  f"{MAX_TAG_LEN}")
    return tag


def check_tags(body: Any) -> list[str]:
    if not isinstance(body, dict) or "tags" not in body:
        raise errors.InvalidInput(error_message="Invalid tags body")
    tags = body["tags"]
    if not isinstance(tags, list):
        raise errors.InvalidInput(error_message=f"'{tags}' is not a list")
    for tag in tags:
        check_tag(tag)
    duplicates = sorted({t for t in tags if tags.count(t) > 1})
    if duplicates:
        raise errors.InvalidInput(error_message="Duplicate items in the list: "
                                  f"'{', '.join(duplicates)}'")
    return list(tags)


class Tags(ManagerBase):
    # Who sees what is decided by each resource's part of the manager (these come first
    # in NetworkManager's MRO).
    def visible_subnets(self, context: RequestContext) -> Any:
        raise NotImplementedError

    def visible_ports(self, context: RequestContext) -> Any:
        raise NotImplementedError

    @staticmethod
    def visible_security_groups(context: RequestContext) -> Any:
        raise NotImplementedError

    def _tag_visibility(self, context: RequestContext, collection: str) -> Any:
        if collection == "networks":
            return self.visible_networks(context)
        if collection == "subnets":
            return self.visible_subnets(context)
        if collection == "ports":
            return self.visible_ports(context)
        if collection == "security-groups":
            return self.visible_security_groups(context)
        if collection == "subnetpools":
            return visible_pools(context)
        return self.owned(context, TAGGABLE[collection])  # routers, floating IPs

    async def _tagged(self, session: Any, context: RequestContext, collection: str,
                      resource_id: str) -> Any:
        return await self._get(session, TAGGABLE[collection], resource_id,
                               errors.TagResourceNotFound(resource=collection,
                                                          resource_id=resource_id),
                               self._tag_visibility(context, collection))

    async def tag_owner(self, context: RequestContext, collection: str,
                        resource_id: str) -> str:
        """The project owning a resource the caller can see (the policy target)."""
        async with self.db.session() as session:
            row = await self._tagged(session, context, collection, resource_id)
            return str(row.project_id)

    async def list_tags(self, context: RequestContext, collection: str,
                        resource_id: str) -> list[str]:
        async with self.db.session() as session:
            await self._tagged(session, context, collection, resource_id)
            return (await self.tags_of(session, [resource_id]))[resource_id]

    async def show_tag(self, context: RequestContext, collection: str, resource_id: str,
                       tag: str) -> None:
        check_tag(tag)
        async with self.db.session() as session:
            await self._tagged(session, context, collection, resource_id)
            if await session.get(Tag, (resource_id, tag)) is None:
                raise errors.TagNotFound(tag=tag)

    async def update_tags(self, context: RequestContext, collection: str, resource_id: str,
                          body: Any, keep: bool = False) -> list[str]:
        """Replace the tags (PUT), or with `keep` add to them (POST)."""
        tags = check_tags(body)
        async with self.db.session(lock=f"tags:{resource_id}") as session:
            await self._tagged(session, context, collection, resource_id)
            old = set((await self.tags_of(session, [resource_id]))[resource_id])
            new = set(tags) | old if keep else set(tags)
            if new == old:
                return tags
            await session.execute(delete(Tag).where(Tag.resource_id == resource_id,
                                                    Tag.tag.in_(old - new)))
            for tag in sorted(new - old):
                session.add(Tag(resource_id=resource_id, tag=tag))
            await self._tag_bump(session, collection, resource_id)
        return tags

    async def update_tag(self, context: RequestContext, collection: str, resource_id: str,
                         tag: str) -> None:
        check_tag(tag)
        async with self.db.session(lock=f"tags:{resource_id}") as session:
            await self._tagged(session, context, collection, resource_id)
            if await session.get(Tag, (resource_id, tag)) is None:
                await insert_if_absent(session, Tag, resource_id=resource_id, tag=tag)
                await self._tag_bump(session, collection, resource_id)

    async def delete_tags(self, context: RequestContext, collection: str,
                          resource_id: str) -> None:
        async with self.db.session(lock=f"tags:{resource_id}") as session:
            await self._tagged(session, context, collection, resource_id)
            gone = await session.execute(delete(Tag).where(Tag.resource_id == resource_id))
            if gone.rowcount:  # type: ignore[attr-defined]
                await self._tag_bump(session, collection, resource_id)

    async def delete_tag(self, context: RequestContext, collection: str, resource_id: str,
                         tag: str) -> None:
        check_tag(tag)
        async with self.db.session(lock=f"tags:{resource_id}") as session:
            await self._tagged(session, context, collection, resource_id)
            gone = await session.execute(delete(Tag).where(Tag.resource_id == resource_id,
                                                           Tag.tag == tag))
            if not gone.rowcount:  # type: ignore[attr-defined]
                raise errors.TagNotFound(tag=tag)
            await self._tag_bump(session, collection, resource_id)

    @staticmethod
    async def _tag_bump(session: Any, collection: str, resource_id: str) -> None:
        model = TAGGABLE[collection]
        await session.execute(update(model).where(model.id == resource_id).values(
            revision_number=model.revision_number + 1))
