"""neutron's list semantics in SQL: filters on any attribute (several values: any of
them), sort_key/sort_dir, limit/marker/page_reverse as keyset paging (stable under
inserts), tag filters. Attributes that are not columns come back as leftovers, which the
API filters on the rendered resources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Boolean, Integer, Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from gureum.core.errors import BadRequest
from gureum.core.validation import to_bool
from gureum.network.models import Tag

Columns = Mapping[str, Any]  # API attribute → SQL column


@dataclass(frozen=True)
class ListQuery:
    filters: dict[str, list[str]] = field(default_factory=dict)
    sorts: list[tuple[str, str]] = field(default_factory=list)
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False
    tags: dict[str, list[str]] = field(default_factory=dict)  # tags, tags-any, not-tags…

    def without(self, *names: str) -> ListQuery:
        return ListQuery({k: v for k, v in self.filters.items() if k not in names},
                         self.sorts, self.limit, self.marker, self.page_reverse, self.tags)


def _typed(column: Any, value: str) -> Any:
    kind = getattr(column, "type", None)
    if isinstance(kind, Boolean):
        return to_bool(value)
    if isinstance(kind, Integer):
        try:
            return int(value)
        except ValueError as exc:
            raise BadRequest(f"'{value}' is not an integer.") from exc
    return value


def filtered(stmt: Select[Any], columns: Columns, query: ListQuery,
             ) -> tuple[Select[Any], dict[str, list[str]]]:
    """The column filters as WHERE clauses; the rest left over."""
    leftover: dict[str, list[str]] = {}
    for name, values in query.filters.items():
        column = columns.get(name)
        if column is None:
            leftover[name] = values
            continue
        typed = [_typed(column, v) for v in values]
        stmt = stmt.where(column.in_(typed) if len(typed) > 1 else column == typed[0])
    return stmt, leftover


def tagged(stmt: Select[Any], id_column: Any, tags: Mapping[str, list[str]]) -> Select[Any]:
    def having(tag: str) -> ColumnElement[bool]:
        clause: ColumnElement[bool] = id_column.in_(
            select(Tag.resource_id).where(Tag.tag == tag))
        return clause

    for kind, values in tags.items():
        names = [t for v in values for t in v.split(",") if t]
        if not names:
            continue
        if kind == "tags":
            stmt = stmt.where(and_(*[having(t) for t in names]))
        elif kind == "tags-any":
            stmt = stmt.where(or_(*[having(t) for t in names]))
        elif kind == "not-tags":
            stmt = stmt.where(~and_(*[having(t) for t in names]))
        elif kind == "not-tags-any":
            stmt = stmt.where(~or_(*[having(t) for t in names]))
    return stmt


async def paged(session: AsyncSession, stmt: Select[Any], model: Any, columns: Columns,
                query: ListQuery, plain: bool = False) -> list[Any]:
    """Sorted (by the asked keys, then id) and cut to the page after the marker."""
    sorts: list[tuple[Any, bool]] = []
    for key, direction in query.sorts:
        column = columns.get(key)
        if column is None:
            raise BadRequest(f"'{key}' is an invalid attribute for sort_key.")
        sorts.append((column, direction == "asc"))
    if not any(column is model.id for column, _ in sorts):
        sorts.append((model.id, sorts[-1][1] if sorts else True))
    if query.page_reverse:
        sorts = [(column, not ascending) for column, ascending in sorts]
    if query.marker:
        marker = (await session.execute(
            select(*[column for column, _ in sorts]).where(model.id == query.marker))).first()
        if marker is None:
            raise BadRequest(f"Marker {query.marker} could not be found.")
        stmt = stmt.where(_after(sorts, list(marker)))
    stmt = stmt.order_by(*[c.asc() if up else c.desc() for c, up in sorts])
    if query.limit:
        stmt = stmt.limit(query.limit)
    # plain: rows of columns (attribute access as on the model) without the ORM's cost of
    # building and tracking objects, for lists that only render
    if plain:  # through the connection: the ORM's result machinery costs more than SQL
        rows = list((await (await session.connection()).execute(stmt)).all())
    else:
        rows = list((await session.scalars(stmt)).unique())
    return rows[::-1] if query.page_reverse else rows


def _after(sorts: list[tuple[Any, bool]], values: list[Any]) -> ColumnElement[bool]:
    """(k1, k2, …) strictly after the marker's values in the sort order."""
    clauses = []
    for index, (column, ascending) in enumerate(sorts):
        equal = [sorts[i][0] == values[i] for i in range(index)]
        beyond = column > values[index] if ascending else column < values[index]
        if values[index] is None:  # NULLs sort first in SQLite and last in PostgreSQL
            beyond = column.is_not(None) if ascending else false()
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)
