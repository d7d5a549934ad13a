"""cinder's list semantics in SQL: filters, `sort=key:dir,…` (or sort_key/sort_dir),
limit/marker paging (keyset, stable under inserts) and offset."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from gureum.block_storage import errors
from gureum.core.errors import NotFound
from gureum.core.validation import to_bool

MAX_LIMIT = 1000  # cinder's osapi_max_limit
PAGING = {"limit", "marker", "sort", "sort_key", "sort_dir", "offset", "with_count"}


@dataclass(frozen=True)
class ListQuery:
    filters: dict[str, str] = field(default_factory=dict)
    sorts: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    marker: str | None = None
    offset: int = 0
    with_count: bool = False  # 3.45: the total matching, whatever the page


class Page(list[Any]):
    """One page of rows and, when asked (`with_count`), how many match in all."""

    total: int | None = None


def _number(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise errors.InvalidInput(reason=f"{name} must be an integer") from exc
    if value < 0:
        raise errors.InvalidInput(reason=f"{name} must be >= 0")
    return value


def list_query(query: Mapping[str, str], default_sort: str = "created_at") -> ListQuery:
    sorts: list[tuple[str, str]] = []
    if "sort" in query:
        if "sort_key" in query or "sort_dir" in query:
            raise errors.InvalidInput(reason="The 'sort_key' and 'sort_dir' parameters are "
                                      "deprecated and cannot be used with the 'sort' "
                                      "parameter.")
        for part in query["sort"].split(","):
            key, _, direction = part.strip().partition(":")
            sorts.append((key.strip(), (direction or "desc").strip().lower()))
    elif "sort_key" in query:
        sorts.append((query["sort_key"], query.get("sort_dir", "desc").lower()))
    for key, direction in sorts:
        if direction not in ("asc", "desc"):
            raise errors.InvalidInput(reason=f"Unknown sort direction, must be 'desc' or "
                                      f"'asc': {direction}")
        if not key:
            raise errors.InvalidInput(reason="Invalid sort key")
    if not sorts:
        sorts = [(default_sort, "desc")]
    limit = min(_number("limit", query["limit"]), MAX_LIMIT) if "limit" in query else None
    return ListQuery(filters={k: v for k, v in query.items() if k not in PAGING},
                     sorts=sorts, limit=limit, marker=query.get("marker") or None,
                     offset=_number("offset", query["offset"]) if "offset" in query else 0,
                     with_count=bool(to_bool(query.get("with_count", "false"))))


def metadata_filter(text: str) -> dict[str, str]:
    """`metadata={'k': 'v'}` as cinderclient sends it (a Python dict literal), or JSON."""
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise errors.InvalidInput(reason=f"Invalid metadata filter: {text}") from exc
    if not isinstance(value, dict):
        raise errors.InvalidInput(reason=f"Invalid metadata filter: {text}")
    return {str(k): str(v) for k, v in value.items()}


def boolean(text: str) -> bool:
    value = to_bool(text)
    return bool(value)


async def paged(session: AsyncSession, stmt: Select[Any], model: Any,
                columns: Mapping[str, Any], query: ListQuery) -> Page:
    sorts: list[tuple[Any, bool]] = []
    for key, direction in query.sorts:
        column = columns.get(key)
        if column is None:
            raise errors.InvalidInput(reason=f"Invalid sort key {key}")
        sorts.append((column, direction == "asc"))
    if not any(column is model.id for column, _ in sorts):
        sorts.append((model.id, sorts[-1][1] if sorts else False))
    total = None
    if query.with_count:
        total = int(await session.scalar(select(func.count()).select_from(
            stmt.order_by(None).subquery())) or 0)
    if query.marker:
        marker = (await session.execute(
            select(*[column for column, _ in sorts]).where(model.id == query.marker))).first()
        if marker is None:
            raise NotFound(f"Marker {query.marker} could not be found.")
        stmt = stmt.where(_after(sorts, list(marker)))
    stmt = stmt.order_by(*[c.asc() if up else c.desc() for c, up in sorts])
    if query.offset:
        stmt = stmt.offset(query.offset)
    stmt = stmt.limit(query.limit if query.limit is not None else MAX_LIMIT)
    page = Page((await session.scalars(stmt)).unique())
    page.total = total
    return page


def _after(sorts: list[tuple[Any, bool]], values: list[Any]) -> ColumnElement[bool]:
    clauses = []
    for index, (column, ascending) in enumerate(sorts):
        equal = [sorts[i][0] == values[i] for i in range(index)]
        beyond = column > values[index] if ascending else column < values[index]
        if values[index] is None:
            beyond = column.is_not(None) if ascending else false()
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)
