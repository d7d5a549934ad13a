"""/v2.1/limits: the project's absolute limits and what it uses of them."""

from __future__ import annotations

from typing import Any

from gureum.compute.api.common import version
from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router

router = Router("/v2.1/limits")
# what 2.36 took out of the limits (the network proxy APIs' quotas)
PROXY_LIMITS = ("maxSecurityGroups", "maxSecurityGroupRules", "maxTotalFloatingIps",
                "totalSecurityGroupsUsed", "totalFloatingIpsUsed")
IMAGE_META = ("maxImageMeta",)  # gone at 2.39 (the image metadata proxy)
PERSONALITY = ("maxPersonality", "maxPersonalitySize")  # gone at 2.57


@router.get("", policy="os_compute_api:limits")
async def show_limits(req: Request, manager: ComputeManager) -> dict[str, Any]:
    project_id = req.context.project_id or ""
    if req.query.get("tenant_id") and req.query["tenant_id"] != project_id:
        req.enforce("os_compute_api:limits:other_project", {"project_id": project_id})
        project_id = req.query["tenant_id"]
    absolute = await manager.absolute_limits(project_id)
    at = version(req)
    gone = (*(PROXY_LIMITS if at >= (2, 36) else ()), *(IMAGE_META if at >= (2, 39) else ()),
            *(PERSONALITY if at >= (2, 57) else ()))
    absolute = {k: v for k, v in absolute.items() if k not in gone}
    return {"limits": {"rate": [], "absolute": absolute}}
