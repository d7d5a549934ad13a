"""Interoperable import: /v2/info/import, /v2/info/stores, stage and import
(glance-direct; web-download and copy-image are not offered, so not advertised)."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router, json_response
from gureum.image import schemas
from gureum.image.api import targets
from gureum.image.manager import MemberManager

router = Router("/v2")

IMPORT_METHODS = ["glance-direct"]


@router.get("/info/import", policy="get_schemas")
async def show_import_info(req: Request, manager: MemberManager) -> dict[str, Any]:
    return {"import-methods": {"description": "Import methods available.", "type": "array",
                               "value": IMPORT_METHODS}}


@router.get("/info/stores", policy="get_schemas")
async def list_stores(req: Request, manager: MemberManager) -> dict[str, Any]:
    return {"stores": [{"id": "file", "default": True,
                        "description": "Files under the cloud's state directory."}]}


@router.put("/images/{image_id}/stage", status=204, policy="upload_image",
            target=targets.image, stream=True)
async def stage_image(req: Request, manager: MemberManager) -> None:
    await manager.stage(req.params["image_id"], req.raw.stream())


@router.post("/images/{image_id}/import", schema=schemas.IMPORT, policy="import_image",
             target=targets.image)
async def import_image(req: Request, manager: MemberManager) -> Any:
    await manager.import_image(req.params["image_id"], req.body["method"]["name"])
    return json_response(None, 202)
