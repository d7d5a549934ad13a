"""/v2.1/servers/{id}/os-volume_attachments: list, show, attach, detach."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import schemas, views
from gureum.compute.api.common import server_target, version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router

router = Router("/v2.1/servers/{server_id}/os-volume_attachments")
P = "os_compute_api:os-volumes-attachments:"


@router.get("", policy=P + "index", target=server_target)
async def list_attachments(req: Request, manager: ComputeManager) -> dict[str, Any]:
    rows = await manager.list_volume_attachments(req.context, req.params["server_id"])
    return {"volumeAttachments": [views.volume_attachment(r, version(req)) for r in rows]}


@router.get("/{volume_id}", policy=P + "show", target=server_target)
async def show_attachment(req: Request, manager: ComputeManager) -> dict[str, Any]:
    row = await manager.show_volume_attachment(req.context, req.params["server_id"],
                                               req.params["volume_id"])
    return {"volumeAttachment": views.volume_attachment(row, version(req))}


@router.post("", schema=schemas.ATTACH_VOLUME, policy=P + "create", target=server_target)
async def attach_volume(req: Request, manager: ComputeManager) -> Any:
    spec = req.body["volumeAttachment"]
    row = await manager.attach_volume(req.context, req.params["server_id"],
                                      spec["volumeId"], spec.get("device"), spec.get("tag"),
                                      spec.get("delete_on_termination", False),
                                      multiattach=version(req) >= (2, 60))
    if version(req) >= (2, 101):  # accepted; the volume's state says when it is done
        return Response(b"", 202)
    return {"volumeAttachment": views.volume_attachment(row, version(req), created=True)}


@router.put("/{volume_id}", status=202, schema=schemas.UPDATE_VOLUME_ATTACHMENT,
            policy=P + "update", target=server_target)
async def update_attachment(req: Request, manager: ComputeManager) -> Response:
    """Swap another volume in (admins), or (2.85) change delete_on_termination."""
    spec = req.body["volumeAttachment"]
    target = await server_target(req, manager)
    await manager.update_volume_attachment(
        req.context, req.params["server_id"], req.params["volume_id"], spec["volumeId"],
        spec.get("delete_on_termination") if version(req) >= (2, 85) else None,
        may_swap=req.allowed(P + "swap", target))
    return Response(b"", 202)


@router.delete("/{volume_id}", status=202, policy=P + "delete", target=server_target)
async def detach_volume(req: Request, manager: ComputeManager) -> Response:
    await manager.detach_volume(req.context, req.params["server_id"],
                                req.params["volume_id"])
    return Response(b"", 202)
