"""Policy targets: the image as glance's rules see it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request
from gureum.image.manager import ImageManager


async def image(req: Request, manager: ImageManager) -> Mapping[str, Any]:
    """Loading the image first means an invisible image is a 404, never a 403."""
    row = await manager.show_image(req.context, req.params["image_id"])
    return {"project_id": row.owner, "visibility": row.visibility,
            "member_id": req.context.project_id}


async def member(req: Request, manager: ImageManager) -> Mapping[str, Any]:
    row = await manager.show_image(req.context, req.params["image_id"])
    return {"project_id": row.owner, "member_id": req.params["member_id"]}
