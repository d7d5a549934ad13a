"""Metadata definitions: namespaces and their objects, properties, tags and resource-type
associations. A namespace is visible to its owner, to everyone when public, and to
admins; one a project may not see does not exist for it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Select, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.core.api import Page
from gureum.core.context import RequestContext
from gureum.core.db import IntegrityError, insert_if_absent
from gureum.core.errors import BadRequest, Conflict, Forbidden, NotFound
from gureum.image.manager.records import RecordManager, is_admin
from gureum.image.models import MetadefItem, MetadefNamespace, MetadefResourceType

KINDS = {"object": "object", "property": "property", "tag": "tag",
         "resource_type": "resource type association"}
NAMESPACE_FIELDS = ("namespace", "display_name", "description", "visibility", "protected",
                    "owner")
SORTABLE = ("created_at", "updated_at", "namespace", "display_name")
Items = dict[str, list[MetadefItem]]


class MetadefManager(RecordManager):
    # ------------------------------------------------------------ namespaces
    def _visible_namespaces(self, context: RequestContext, stmt: Select[Any]) -> Select[Any]:
        if is_admin(context):
            return stmt
        return stmt.where(or_(MetadefNamespace.visibility == "public",
                              MetadefNamespace.owner == (context.project_id or "")))

    async def _namespace(self, session: AsyncSession, context: RequestContext, name: str,
                         writing: bool = False) -> MetadefNamespace:
        row: MetadefNamespace | None = (await session.scalars(self._visible_namespaces(
            context, select(MetadefNamespace).where(MetadefNamespace.namespace == name))
        )).first()
        if row is None:
            raise NotFound(f"Metadata definition namespace={name} was not found.")
        if writing and not is_admin(context) and row.owner != context.project_id:
            raise Forbidden(f"You are not permitted to modify namespace {name}.")
        return row

    async def create_namespace(self, context: RequestContext, spec: dict[str, Any]
                               ) -> tuple[MetadefNamespace, Items]:
        row = MetadefNamespace(id=str(uuid.uuid4()), namespace=spec["namespace"],
                               display_name=spec.get("display_name"),
                               description=spec.get("description"),
                               visibility=spec.get("visibility", "private"),
                               protected=spec.get("protected", False),
                               owner=spec.get("owner") or context.project_id)
        try:
            async with self.db.session() as session:
                session.add(row)
                await session.flush()
                for item in _embedded(spec):
                    await self._add_item(session, row, *item)
        except IntegrityError as exc:
            raise Conflict(f"Metadata definition namespace={row.namespace} already "
                           "exists.") from exc
        return row, await self._items(row)

    async def load_catalog(self, namespaces: Iterable[dict[str, Any]]) -> None:
        for spec in namespaces:
            await self.load_namespace(spec)

    async def load_namespace(self, spec: dict[str, Any]) -> bool:
        """A built-in namespace, added unless one of its name exists (never overwritten:
        operators may have changed it). True if added."""
        async with self.db.session() as session:
            if (await session.scalars(select(MetadefNamespace.id).where(
                    MetadefNamespace.namespace == spec["namespace"]))).first():
                return False
        admin = RequestContext(roles=("admin",))
        try:
            await self.create_namespace(admin, {"visibility": "public", "protected": True,
                                                **spec})
        except Conflict:
            return False  # another process loaded it at the same moment
        return True

    async def list_namespaces(self, context: RequestContext, query: Mapping[str, str],
                              page: Page) -> list[tuple[MetadefNamespace, Items]]:
        stmt = self._visible_namespaces(context, select(MetadefNamespace))
        if "visibility" in query:
            if query["visibility"] not in ("public", "private"):
                raise BadRequest(f"Invalid visibility value: {query['visibility']}")
            stmt = stmt.where(MetadefNamespace.visibility == query["visibility"])
        if query.get("resource_types"):
            names = query["resource_types"].split(",")
            stmt = stmt.where(exists().where(
                MetadefItem.namespace_id == MetadefNamespace.id,
                MetadefItem.kind == "resource_type", MetadefItem.name.in_(names)))
        key = query.get("sort_key", "created_at")
        direction = query.get("sort_dir", "desc")
        if key not in SORTABLE or direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort: {key} {direction}.")
        column = getattr(MetadefNamespace, key)
        async with self.db.session() as session:
            if page.marker:
                marker = await self._namespace(session, context, page.marker)
                value = getattr(marker, key)
                ahead = (column < value) if direction == "desc" else (column > value)
                tie = (MetadefNamespace.namespace < marker.namespace) if direction == "desc" \
                    else (MetadefNamespace.namespace > marker.namespace)
                stmt = stmt.where(or_(ahead, (column == value) & tie))
            order = column.desc() if direction == "desc" else column.asc()
            tiebreak = MetadefNamespace.namespace.desc() if direction == "desc" \
                else MetadefNamespace.namespace.asc()
            stmt = stmt.order_by(order, tiebreak)
            if page.limit is not None:
                stmt = stmt.limit(page.limit)
            rows = list(await session.scalars(stmt))
        return [(row, await self._items(row, ("resource_type",))) for row in rows]

    async def show_namespace(self, context: RequestContext, name: str
                             ) -> tuple[MetadefNamespace, Items]:
        async with self.db.session() as session:
            row = await self._namespace(session, context, name)
        return row, await self._items(row)

    async def update_namespace(self, context: RequestContext, name: str,
                               spec: dict[str, Any]) -> tuple[MetadefNamespace, Items]:
        try:
            async with self.db.session() as session:
                row = await self._namespace(session, context, name, writing=True)
                for field in NAMESPACE_FIELDS:
                    if field in spec:
                        setattr(row, field, spec[field])
                await session.flush()
        except IntegrityError as exc:
            raise Conflict(f"Metadata definition namespace={spec['namespace']} already "
                           "exists.") from exc
        return row, await self._items(row)

    async def delete_namespace(self, context: RequestContext, name: str) -> None:
        async with self.db.session() as session:
            row = await self._namespace(session, context, name, writing=True)
            if row.protected:
                raise Forbidden(f"Namespace {name} is protected and cannot be deleted.")
            await session.execute(delete(MetadefItem).where(MetadefItem.namespace_id == row.id))
            await session.delete(row)

    # ------------------------------------------------------------ items
    async def _items(self, row: MetadefNamespace, kinds: Iterable[str] = KINDS) -> Items:
        found: Items = {kind: [] for kind in KINDS}
        async with self.db.session() as session:
            for item in await session.scalars(select(MetadefItem).where(
                    MetadefItem.namespace_id == row.id, MetadefItem.kind.in_(list(kinds)))
                    .order_by(MetadefItem.name)):
                found[item.kind].append(item)
        return found

    @staticmethod
    async def _check_free(session: AsyncSession, row: MetadefNamespace, kind: str,
                          name: str) -> None:
        """Glance's 409 for a second item of one kind and name in a namespace."""
        taken = (await session.scalars(select(MetadefItem.id).where(
            MetadefItem.namespace_id == row.id, MetadefItem.kind == kind,
            MetadefItem.name == name))).first()
        if taken is not None:
            raise Conflict(f"A metadata definition {KINDS[kind]} with name={name} already "
                           f"exists in namespace={row.namespace}.")

    async def _add_item(self, session: AsyncSession, row: MetadefNamespace, kind: str,
                        name: str, body: dict[str, Any]) -> MetadefItem:
        await self._check_free(session, row, kind, name)
        if kind == "resource_type":
            await insert_if_absent(session, MetadefResourceType, name=name)
        item = MetadefItem(namespace_id=row.id, kind=kind, name=name, body=body)
        session.add(item)
        await session.flush()
        return item

    async def create_item(self, context: RequestContext, namespace: str, kind: str,
                          name: str, body: dict[str, Any]) -> MetadefItem:
        async with self.db.session() as session:
            row = await self._namespace(session, context, namespace, writing=True)
            return await self._add_item(session, row, kind, name, body)

    async def list_items(self, context: RequestContext, namespace: str, kind: str
                         ) -> list[MetadefItem]:
        async with self.db.session() as session:
            row = await self._namespace(session, context, namespace)
        return (await self._items(row, (kind,)))[kind]

    async def _item(self, session: AsyncSession, row: MetadefNamespace, kind: str,
                    name: str) -> MetadefItem:
        item = (await session.scalars(select(MetadefItem).where(
            MetadefItem.namespace_id == row.id, MetadefItem.kind == kind,
            MetadefItem.name == name))).first()
        if item is None:
            raise NotFound(f"Metadata definition {KINDS[kind]}={name} was not found in "
                           f"namespace={row.namespace}.")
        return item

    async def show_item(self, context: RequestContext, namespace: str, kind: str, name: str
                        ) -> MetadefItem:
        async with self.db.session() as session:
            row = await self._namespace(session, context, namespace)
            return await self._item(session, row, kind, name)

    async def update_item(self, context: RequestContext, namespace: str, kind: str,
                          name: str, new_name: str, body: dict[str, Any]) -> MetadefItem:
        """PUT: the item as sent replaces the stored one (a new name renames it)."""
        async with self.db.session() as session:
            row = await self._namespace(session, context, namespace, writing=True)
            item = await self._item(session, row, kind, name)
            if new_name != name:
                await self._check_free(session, row, kind, new_name)
            item.name, item.body = new_name, body
            await session.flush()
            return item

    async def delete_items(self, context: RequestContext, namespace: str, kind: str,
                           name: str | None = None) -> None:
        """One item by name, or all of the kind."""
        async with self.db.session() as session:
            row = await self._namespace(session, context, namespace, writing=True)
            if row.protected and kind != "resource_type":
                raise Forbidden(f"Namespace {namespace} is protected: its {KINDS[kind]}s "
                                "cannot be deleted.")
            stmt = delete(MetadefItem).where(MetadefItem.namespace_id == row.id,
                                             MetadefItem.kind == kind)
            if name is not None:
                await self._item(session, row, kind, name)
                stmt = stmt.where(MetadefItem.name == name)
            await session.execute(stmt)

    async def replace_tags(self, context: RequestContext, namespace: str, names: list[str],
                           append: bool) -> list[MetadefItem]:
        if len(set(names)) != len(names):
            raise Conflict("Duplicate tag names in the request.")
        async with self.db.session() as session:
            row = await self._namespace(session, context, namespace, writing=True)
            if not append:
                await session.execute(delete(MetadefItem).where(
                    MetadefItem.namespace_id == row.id, MetadefItem.kind == "tag"))
            return [await self._add_item(session, row, "tag", name, {}) for name in names]

    async def list_resource_types(self) -> list[MetadefResourceType]:
        async with self.db.session() as session:
            return list(await session.scalars(select(MetadefResourceType)
                                              .order_by(MetadefResourceType.name)))


def _embedded(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The objects, properties, tags and associations a namespace is created with."""
    items = [("property", name, body) for name, body in spec.get("properties", {}).items()]
    items += [("object", o["name"], object_body(o)) for o in spec.get("objects", [])]
    items += [("tag", t["name"], {}) for t in spec.get("tags", [])]
    items += [("resource_type", a["name"], association_body(a))
              for a in spec.get("resource_type_associations", [])]
    return items


def object_body(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"description": spec.get("description"), "required": spec.get("required", []),
            "properties": spec.get("properties", {})}


def property_body(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items()
            if k not in ("name", "schema", "self", "created_at", "updated_at")}


def association_body(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {k: spec[k] for k in ("prefix", "properties_target") if k in spec}
