"""Interoperable import: /v2/info/import, /v2/info/stores, stage and import
(glance-direct always; web-download when an operator allows hosts; copy-image when there
is more than one store)."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router, json_response
from gureum.image import schemas
from gureum.image.api import targets
from gureum.image.api.data import content_length
from gureum.image.manager import ImageManager

router = Router("/v2")


@router.get("/info/import", policy="get_schemas")
async def show_import_info(req: Request, manager: ImageManager) -> dict[str, Any]:
    return {"import-methods": {"description": "Import methods available.", "type": "array",
                               "value": manager.import_methods()}}


@router.get("/info/stores", policy="get_schemas")
async def list_stores(req: Request, manager: ImageManager) -> dict[str, Any]:
    default = manager.settings.default_store
    return {"stores": [{"id": store_id, "description": f"Files under {path}/ in the state "
                        "directory.", **({"default": True} if store_id == default else {})}
                       for store_id, path in manager.settings.stores.items()]}


@router.put("/images/{image_id}/stage", status=204, policy="upload_image",
            target=targets.image, stream=True)
async def stage_image(req: Request, manager: ImageManager) -> None:
    await manager.stage(req.params["image_id"], req.raw.stream(), content_length(req))


@router.post("/images/{image_id}/import", schema=schemas.IMPORT, policy="import_image",
             target=targets.image)
async def import_image(req: Request, manager: ImageManager) -> Any:
    await manager.import_image(req.params["image_id"], req.body["method"],
                               req.body.get("stores"), req.body.get("all_stores", False))
    return json_response(None, 202)
