"""POST /v3/volumes/{id}/action: one action per body, each under its own cinder rule
(checked here against the volume's project, after the route's read rule)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response

from gureum.block_storage import errors, schemas
from gureum.block_storage.api.common import at_least, empty, flag, volume_target
from gureum.block_storage.manager import BlockStorageManager
from gureum.core.api import Request, Router, json_response

router = Router("/v3/volumes")
Action = Callable[[Request, BlockStorageManager, str, Any], Awaitable[Response]]
RULES = {
    "os-extend": "volume:extend",
    "os-set_bootable": "volume:update",
    "os-update_readonly_flag": "volume:update_readonly_flag",
    "os-reset_status": "volume_extension:volume_admin_actions:reset_status",
    "os-reserve": "volume_extension:volume_actions:reserve",
    "os-unreserve": "volume_extension:volume_actions:unreserve",
    "os-begin_detaching": "volume_extension:volume_actions:begin_detaching",
    "os-roll_detaching": "volume_extension:volume_actions:roll_detaching",
    "os-initialize_connection": "volume_extension:volume_actions:initialize_connection",
    "os-terminate_connection": "volume_extension:volume_actions:terminate_connection",
    "os-attach": "volume_extension:volume_actions:attach",
    "os-detach": "volume_extension:volume_actions:detach",
    "revert": "volume:revert_to_snapshot",
    "os-volume_upload_image": "volume_extension:volume_actions:upload_image",
    "os-retype": "volume:retype",
}


async def _extend(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                  ) -> Response:
    row = await m.show_volume(req.context, volume_id)
    attached = row.status == "in-use" and at_least(req, "3.42")
    if attached:
        req.enforce("volume:extend_attached_volume", {"project_id": row.project_id})
    await m.extend_volume(req.context, volume_id, int(body["new_size"]), attached)
    return empty()


async def _bootable(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                    ) -> Response:
    await m.set_bootable(req.context, volume_id, flag(body["bootable"]))
    return empty(200)


async def _readonly(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                    ) -> Response:
    await m.update_readonly_flag(req.context, volume_id, flag(body["readonly"]))
    return empty()


async def _reset(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                 ) -> Response:
    if not body:
        raise errors.InvalidInput(reason="Must specify 'status', 'attach_status' or "
                                  "'migration_status' for update.")
    await m.reset_status(req.context, volume_id, body)
    return empty()


async def _reserve(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                   ) -> Response:
    await m.reserve_volume(req.context, volume_id)
    return empty()


async def _unreserve(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                     ) -> Response:
    await m.unreserve_volume(req.context, volume_id)
    return empty()


async def _begin_detaching(req: Request, m: BlockStorageManager, volume_id: str,
                           body: Any) -> Response:
    await m.begin_detaching(req.context, volume_id)
    return empty()


async def _roll_detaching(req: Request, m: BlockStorageManager, volume_id: str,
                          body: Any) -> Response:
    await m.roll_detaching(req.context, volume_id)
    return empty()


async def _initialize(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                      ) -> Response:
    info = await m.initialize_connection(req.context, volume_id, body["connector"])
    return json_response({"connection_info": info})


async def _terminate(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                     ) -> Response:
    await m.terminate_connection(req.context, volume_id, body.get("connector") or {})
    return empty()


async def _attach(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                  ) -> Response:
    if not body.get("instance_uuid") and not body.get("host_name"):
        raise errors.InvalidInput(reason="Invalid request to attach volume to an invalid "
                                  "target")
    await m.attach_volume(req.context, volume_id, body)
    return empty()


async def _detach(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                  ) -> Response:
    await m.detach_volume(req.context, volume_id, (body or {}).get("attachment_id"))
    return empty()


async def _revert(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                  ) -> Response:
    if not at_least(req, "3.40"):
        raise errors.InvalidInput(reason="revert requires microversion 3.40 or later")
    await m.revert_to_snapshot(req.context, volume_id, body["snapshot_id"])
    return empty()


async def _upload_image(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                        ) -> Response:
    spec: dict[str, Any] = {"name": body["image_name"],
                            "disk_format": body.get("disk_format", "raw"),
                            "container_format": body.get("container_format", "bare")}
    if at_least(req, "3.1"):  # cinder's UPLOAD_IMAGE_PARAMS
        spec["visibility"] = body.get("visibility", "private")
        spec["protected"] = flag(body.get("protected", False))
        if spec["visibility"] == "public":
            row = await m.show_volume(req.context, volume_id)
            req.enforce("volume_extension:volume_actions:upload_public",
                        {"project_id": row.project_id})
    answer = await m.upload_volume_to_image(req.context, volume_id, spec,
                                            flag(body.get("force", False)))
    return json_response({"os-volume_upload_image": answer}, 202)


async def _retype(req: Request, m: BlockStorageManager, volume_id: str, body: Any,
                  ) -> Response:
    await m.retype_volume(req.context, volume_id, body["new_type"],
                          body.get("migration_policy") or "never")
    return empty()


ACTIONS: dict[str, Action] = {
    "os-extend": _extend, "os-set_bootable": _bootable,
    "os-update_readonly_flag": _readonly, "os-reset_status": _reset,
    "os-reserve": _reserve, "os-unreserve": _unreserve,
    "os-begin_detaching": _begin_detaching, "os-roll_detaching": _roll_detaching,
    "os-initialize_connection": _initialize, "os-terminate_connection": _terminate,
    "os-attach": _attach, "os-detach": _detach, "revert": _revert,
    "os-volume_upload_image": _upload_image, "os-retype": _retype,
}


@router.post("/{volume_id}/action", schema=schemas.VOLUME_ACTION, policy="volume:get",
             target=volume_target)
async def volume_action(req: Request, manager: BlockStorageManager) -> Response:
    (name, body), = req.body.items()
    target = await volume_target(req, manager)
    req.enforce(RULES[name], target)
    return await ACTIONS[name](req, manager, req.params["volume_id"], body)
