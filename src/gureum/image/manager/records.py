"""Image records: creation, visibility, listing with filters and keyset paging, JSON-patch
updates, tags, deactivation."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, String, and_, cast, exists, or_, select

from gureum.core.api import Page
from gureum.core.bus import Bus
from gureum.core.context import RequestContext
from gureum.core.db import Database, IntegrityError
from gureum.core.errors import BadRequest, Conflict, Forbidden, NotFound
from gureum.core.validation import to_bool, validate
from gureum.image import errors
from gureum.image.config import ImageSettings
from gureum.image.models import Image, Member
from gureum.image.quota import LimitSource, Quota
from gureum.image.schemas import IMAGE_PROPERTIES, READ_ONLY, VISIBILITIES
from gureum.image.store import ImageStore

PUBLISHER = "image"
HASH_BATCH = 4 << 20
CORE = frozenset(IMAGE_PROPERTIES) - {"id"}
SORTABLE = frozenset({"name", "status", "visibility", "size", "virtual_size", "disk_format",
                      "container_format", "min_disk", "min_ram", "created_at", "updated_at",
                      "id", "owner"})
FILTERS = frozenset({"name", "status", "visibility", "owner", "disk_format",
                     "container_format", "protected", "os_hidden", "id"})
NOT_PROPERTIES = frozenset({"limit", "marker", "sort", "sort_key", "sort_dir", "tag",
                            "size_min", "size_max", "member_status", "created_at",
                            "updated_at"}) | FILTERS


def is_admin(context: RequestContext) -> bool:
    return "admin" in context.roles


class RecordManager:
    def __init__(self, db: Database, bus: Bus, stores: Mapping[str, ImageStore],
                 staging: ImageStore, *, settings: ImageSettings | None = None,
                 limits: LimitSource | None = None) -> None:
        self.db = db
        self.bus = bus
        self.settings = settings or ImageSettings()
        self.stores = dict(stores)
        self.staging = staging  # where glance-direct imports wait for their import call
        self.quota = Quota(db, limits)
        self._tasks: set[asyncio.Future[None]] = set()

    def stores_of(self, row: Image) -> list[str]:
        return [s for s in (row.stores or "").split(",") if s in self.stores]

    async def _notify(self, event: str, row: Image) -> None:
        await self.bus.notify(PUBLISHER, f"image.{event}", {"id": row.id, "name": row.name,
                                                            "status": row.status,
                                                            "owner": row.owner})

    # ------------------------------------------------------------ visibility
    def _visible(self, context: RequestContext, stmt: Select[Any]) -> Select[Any]:
        if is_admin(context):
            return stmt
        project = context.project_id or ""
        member = exists().where(Member.image_id == Image.id, Member.member_id == project)
        return stmt.where(or_(Image.owner == project,
                              Image.visibility.in_(("public", "community")),
                              and_(Image.visibility == "shared", member)))

    async def show_image(self, context: RequestContext, image_id: str) -> Image:
        """The image if the context may see it; otherwise, as glance, it does not exist."""
        async with self.db.session() as session:
            row: Image | None = (await session.scalars(self._visible(
                context, select(Image).where(Image.id == image_id)))).first()
        if row is None:
            raise errors.ImageNotFound(image_id=image_id)
        return row

    async def member_of(self, context: RequestContext, image_id: str) -> Member | None:
        async with self.db.session() as session:
            return await session.get(Member, (image_id, context.project_id or ""))

    # ------------------------------------------------------------ records
    async def create_image(self, context: RequestContext, spec: dict[str, Any]) -> Image:
        for name in spec:
            if name in READ_ONLY:
                raise errors.ReadOnlyAttribute(name=name)
        visibility = spec.get("visibility", "shared")
        self._check_visibility(context, visibility)
        row = Image(id=str(uuid.UUID(spec["id"])) if "id" in spec else str(uuid.uuid4()),
                    owner=context.project_id, status="queued", visibility=visibility,
                    name=spec.get("name"), protected=spec.get("protected", False),
                    os_hidden=spec.get("os_hidden", False),
                    disk_format=spec.get("disk_format"),
                    container_format=spec.get("container_format"),
                    min_disk=spec.get("min_disk", 0), min_ram=spec.get("min_ram", 0),
                    tags=sorted(set(spec.get("tags", []))),
                    properties={k: v for k, v in spec.items() if k not in IMAGE_PROPERTIES})
        try:
            async with self.db.session(lock=self.quota.lock(row.owner)) as session:
                await self.quota.check(session, row.owner, image_count_total=1)
                session.add(row)
        except IntegrityError as exc:
            raise Conflict(f"An image with identifier {row.id} already exists") from exc
        await self._notify("create", row)
        return row

    @staticmethod
    def _check_visibility(context: RequestContext, visibility: str) -> None:
        if visibility == "public" and not is_admin(context):
            raise Forbidden("You are not authorized to complete publicize_image action.")

    async def list_images(self, context: RequestContext, query: Mapping[str, str],
                          tags: list[str], page: Page) -> list[Image]:
        stmt = self._filters(context, select(Image), query, tags)
        keys = _sort_keys(query)
        async with self.db.session() as session:
            if page.marker:
                marker = (await session.scalars(self._visible(
                    context, select(Image).where(Image.id == page.marker)))).first()
                if marker is None:
                    raise BadRequest(f"The marker {page.marker} could not be found.")
                stmt = stmt.where(_after(marker, keys))
            for key, direction in keys:
                column = getattr(Image, key)
                stmt = stmt.order_by(column.desc() if direction == "desc" else column.asc())
            if page.limit is not None:
                stmt = stmt.limit(page.limit)
            return list(await session.scalars(stmt))

    def _filters(self, context: RequestContext, stmt: Select[Any], query: Mapping[str, str],
                 tags: list[str]) -> Select[Any]:
        stmt = self._by_visibility(context, stmt, query)
        stmt = _by_fields(stmt, query)
        # Tags and custom properties are JSON, written by SQLAlchemy as json.dumps writes
        # them (on SQLite and PostgreSQL alike), so a filter is a match on that text.
        for tag in tags:
            stmt = stmt.where(_json_text(Image.tags).like(_pattern(json.dumps(tag)),
                                                          escape="\\"))
        for key, value in query.items():
            if key not in NOT_PROPERTIES:
                text = f"{json.dumps(key)}: {json.dumps(value)}"
                stmt = stmt.where(_json_text(Image.properties).like(_pattern(text),
                                                                    escape="\\"))
        return stmt

    def _by_visibility(self, context: RequestContext, stmt: Select[Any],
                       query: Mapping[str, str]) -> Select[Any]:
        project = context.project_id or ""
        visibility = query.get("visibility")
        if visibility is not None and visibility not in (*VISIBILITIES, "all"):
            raise BadRequest(f"Invalid visibility value: {visibility}")
        stmt = self._visible(context, stmt)
        if visibility in VISIBILITIES:
            stmt = stmt.where(Image.visibility == visibility)
        elif visibility is None and not is_admin(context):
            # by default: one's own, public, and shared images one accepted; community
            # images only when asked for
            accepted = exists().where(Member.image_id == Image.id, Member.member_id == project,
                                      Member.status == query.get("member_status", "accepted"))
            stmt = stmt.where(or_(Image.owner == project, Image.visibility == "public",
                                  and_(Image.visibility == "shared", accepted)))
        return stmt

    async def update_image(self, context: RequestContext, image_id: str,
                           changes: list[dict[str, Any]]) -> Image:
        async with self.db.session() as session:
            row = await session.get(Image, image_id)
            if row is None:
                raise errors.ImageNotFound(image_id=image_id)
            for change in changes:
                self._apply(context, row, change)
            row.properties = dict(row.properties)  # a new dict, so the change is saved
        await self._notify("update", row)
        return row

    def _apply(self, context: RequestContext, row: Image, change: dict[str, Any]) -> None:
        name = change["path"].lstrip("/")
        op = change["op"]
        if name in READ_ONLY or name == "id":
            raise errors.ReadOnlyAttribute(name=name)
        if op != "remove" and "value" not in change:
            raise BadRequest(f"Operation '{op}' on {name} needs a value.")
        if name in CORE:
            if op == "remove":
                raise errors.ReservedAttribute(name=name)
            value = change["value"]
            validate({"type": "object", "properties": {name: IMAGE_PROPERTIES[name]}},
                     {name: value})
            if name in ("disk_format", "container_format") and row.status != "queued":
                raise Forbidden(f"Attribute '{name}' can be only replaced for a queued image.")
            if name == "visibility":
                self._check_visibility(context, value)
            setattr(row, name, sorted(set(value)) if name == "tags" else value)
            return
        properties = dict(row.properties)
        if op == "remove":
            if name not in properties:
                raise errors.PropertyNotFound(name=name)
            del properties[name]
        else:
            if not isinstance(change["value"], str):
                raise BadRequest(f"Property {name} must be a string.")
            properties[name] = change["value"]
        row.properties = properties

    async def delete_image(self, context: RequestContext, image_id: str) -> None:
        async with self.db.session() as session:
            row = await session.get(Image, image_id)
            if row is None:
                raise errors.ImageNotFound(image_id=image_id)
            if row.protected:
                raise errors.ImageProtected(image_id=image_id)
            await session.delete(row)
        for store in self.stores.values():
            await store.delete(image_id)
        await self.staging.delete(image_id)
        await self._notify("delete", row)

    async def set_tag(self, image_id: str, tag: str, present: bool) -> None:
        async with self.db.session() as session:
            row = await session.get(Image, image_id)
            if row is None:
                raise errors.ImageNotFound(image_id=image_id)
            tags = set(row.tags)
            if not present and tag not in tags:
                raise NotFound(f"Tag {tag} not found.")
            row.tags = sorted(tags | {tag} if present else tags - {tag})

    async def set_active(self, image_id: str, active: bool) -> None:
        """Deactivate (active → deactivated) or reactivate (deactivated → active)."""
        current, target = ("active", "deactivated") if active is False else ("deactivated",
                                                                             "active")
        async with self.db.session() as session:
            row = await session.get(Image, image_id)
            if row is None:
                raise errors.ImageNotFound(image_id=image_id)
            if row.status == target:
                return
            if row.status != current:
                raise errors.InvalidTransition(current=row.status, target=target)
            row.status = target


def _by_fields(stmt: Select[Any], query: Mapping[str, str]) -> Select[Any]:
    for field in FILTERS - {"visibility", "protected", "os_hidden"}:
        if field in query:
            stmt = stmt.where(getattr(Image, field) == query[field])
    for field in ("protected", "os_hidden"):
        if field in query:
            stmt = stmt.where(getattr(Image, field).is_(to_bool(query[field])))
    if "os_hidden" not in query:
        stmt = stmt.where(Image.os_hidden.is_(False))
    for bound, op in (("size_min", "__ge__"), ("size_max", "__le__")):
        if bound in query:
            try:
                stmt = stmt.where(getattr(Image.size, op)(int(query[bound])))
            except ValueError as exc:
                raise BadRequest(f"{bound} must be an integer.") from exc
    return stmt


def _json_text(column: Any) -> Any:
    return cast(column, String)


def _pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _sort_keys(query: Mapping[str, str]) -> list[tuple[str, str]]:
    if "sort" in query:
        keys = []
        for part in query["sort"].split(","):
            key, _, direction = part.strip().partition(":")
            keys.append((key, direction or "desc"))
    else:
        keys = [(key, query.get("sort_dir", "desc"))
                for key in query.get("sort_key", "created_at").split(",")]
    for key, direction in keys:
        if key not in SORTABLE:
            raise BadRequest(f"Invalid sort key: {key}.")
        if direction not in ("asc", "desc"):
            raise BadRequest(f"Invalid sort direction: {direction}.")
    if "id" not in {k for k, _ in keys}:
        keys.append(("id", keys[-1][1]))  # a total order, so markers are exact
    return keys


def _after(marker: Image, keys: list[tuple[str, str]]) -> Any:
    """Rows after the marker in the (key, direction) order: a keyset condition."""
    clauses = []
    for i, (key, direction) in enumerate(keys):
        column, value = getattr(Image, key), getattr(marker, key)
        equal = [getattr(Image, k) == getattr(marker, k) for k, _ in keys[:i]]
        beyond = column < value if direction == "desc" else column > value
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)
