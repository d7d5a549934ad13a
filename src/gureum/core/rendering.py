"""Rendered list items kept between requests.

A list of 10,000 ports spends most of its time reading whole rows and turning them into
JSON, and between two lists almost none of them changed. `RenderCache` keeps each item's
JSON under the key it was rendered from: the row's version (revision_number and
updated_at, which every UPDATE sets) and its details (addresses, groups, tags, what the
caller may see). A list then reads only ids, versions and details, and whole rows only
of what changed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson


class RenderCache:
    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._items: dict[str, tuple[Any, orjson.Fragment]] = {}

    def lookup(self, keys: Iterable[tuple[str, Any]]) -> dict[str, orjson.Fragment | None]:
        """Each item's JSON, to embed in a response body as it is, if its key is the
        key it was rendered from (else None), in the order asked."""
        items = self._items
        found: dict[str, orjson.Fragment | None] = {}
        for item_id, key in keys:
            kept = items.get(item_id)
            found[item_id] = kept[1] if kept is not None and kept[0] == key else None
        return found

    def put(self, item_id: str, key: Any, item: Any) -> orjson.Fragment:
        fragment = orjson.Fragment(orjson.dumps(item))
        self._items.pop(item_id, None)  # re-inserted last: the oldest go first
        self._items[item_id] = (key, fragment)
        if len(self._items) > self.size:
            for stale in list(self._items)[:len(self._items) - self.size * 9 // 10]:
                del self._items[stale]
        return fragment
