"""/v2.1/servers/{id}/os-interface: list, show, attach, detach."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute import schemas
from gureum.compute.api.common import server_target, version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router

router = Router("/v2.1/servers/{server_id}/os-interface")
P = "os_compute_api:os-attach-interfaces:"


def interface(req: Request, port: dict[str, Any]) -> dict[str, Any]:
    body = {"port_state": port.get("status"), "port_id": port["id"],
            "net_id": port["network_id"], "mac_addr": port["mac_address"],
            "fixed_ips": [{"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]}
                          for ip in port.get("fixed_ips", [])]}
    if version(req) >= (2, 70):  # the device tag given at create or attach
        body["tag"] = port.get("tag")
    return body


@router.get("", policy=P + "list", target=server_target)
async def list_interfaces(req: Request, manager: ComputeManager) -> dict[str, Any]:
    ports = await manager.list_interfaces(req.context, req.params["server_id"])
    return {"interfaceAttachments": [interface(req, p) for p in ports]}


@router.get("/{port_id}", policy=P + "show", target=server_target)
async def show_interface(req: Request, manager: ComputeManager) -> dict[str, Any]:
    port = await manager.show_interface(req.context, req.params["server_id"],
                                        req.params["port_id"])
    return {"interfaceAttachment": interface(req, port)}


@router.post("", schema=schemas.ATTACH_INTERFACE, policy=P + "create", target=server_target)
async def attach_interface(req: Request, manager: ComputeManager) -> dict[str, Any]:
    port = await manager.attach_interface(req.context, req.params["server_id"],
                                          req.body.get("interfaceAttachment") or {})
    return {"interfaceAttachment": interface(req, port)}


@router.delete("/{port_id}", status=202, policy=P + "delete", target=server_target)
async def detach_interface(req: Request, manager: ComputeManager) -> Response:
    await manager.detach_interface(req.context, req.params["server_id"],
                                   req.params["port_id"])
    return Response(b"", 202)
