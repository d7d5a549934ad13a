"""/v2/images: records, JSON-patch updates, tags, deactivate/reactivate."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Page, Request, Router
from gureum.image import schemas, views
from gureum.image.api import targets
from gureum.image.manager import ImageManager

router = Router("/v2/images")


@router.post("", status=201, schema=schemas.CREATE_IMAGE, policy="add_image")
async def create_image(req: Request, manager: ImageManager) -> dict[str, Any]:
    return views.image(await manager.create_image(req.context, req.body))


@router.get("", policy="get_images")
async def list_images(req: Request, manager: ImageManager) -> dict[str, Any]:
    page = Page.from_query(req.query, max_limit=1000)
    page = Page(page.limit if page.limit is not None else 25, page.marker)
    rows = await manager.list_images(req.context, req.query,
                                     req.raw.query_params.getlist("tag"), page)
    body: dict[str, Any] = {"images": [views.image(r) for r in rows],
                            "first": "/v2/images", "schema": "/v2/schemas/images"}
    query = {k: v for k, v in req.query.items() if k != "marker"}
    query["limit"] = str(page.limit)
    link = page.next_link("/v2/images", query, rows)
    if link:
        body["next"] = link
    return body


@router.get("/{image_id}", policy="get_image", target=targets.image)
async def show_image(req: Request, manager: ImageManager) -> dict[str, Any]:
    return views.image(await manager.show_image(req.context, req.params["image_id"]))


@router.patch("/{image_id}", schema=schemas.JSON_PATCH, policy="modify_image",
              target=targets.image)
async def update_image(req: Request, manager: ImageManager) -> dict[str, Any]:
    return views.image(await manager.update_image(req.context, req.params["image_id"],
                                                  req.body))


@router.delete("/{image_id}", status=204, policy="delete_image", target=targets.image)
async def delete_image(req: Request, manager: ImageManager) -> None:
    await manager.delete_image(req.context, req.params["image_id"])


@router.put("/{image_id}/tags/{tag}", status=204, policy="modify_image", target=targets.image)
async def add_tag(req: Request, manager: ImageManager) -> None:
    await manager.set_tag(req.params["image_id"], req.params["tag"], present=True)


@router.delete("/{image_id}/tags/{tag}", status=204, policy="modify_image",
               target=targets.image)
async def delete_tag(req: Request, manager: ImageManager) -> None:
    await manager.set_tag(req.params["image_id"], req.params["tag"], present=False)


@router.post("/{image_id}/actions/deactivate", status=204, policy="deactivate",
             target=targets.image)
async def deactivate_image(req: Request, manager: ImageManager) -> None:
    await manager.set_active(req.params["image_id"], active=False)


@router.post("/{image_id}/actions/reactivate", status=204, policy="reactivate",
             target=targets.image)
async def reactivate_image(req: Request, manager: ImageManager) -> None:
    await manager.set_active(req.params["image_id"], active=True)
