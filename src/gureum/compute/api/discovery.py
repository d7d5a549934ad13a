"""Version discovery at the service root and at /v2.1, and the extension list."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.compute.manager import ComputeManager
from gureum.core.api import Request, Router, json_response

router = Router()
MIN_VERSION = "2.1"
# Every behaviour change up to 2.92 is implemented for the APIs served; nothing above is
# claimed (2.93 rebuilds volume-backed servers, which needs Block Storage's os-reimage).
MAX_VERSION = "2.92"
UPDATED = "2013-07-23T11:33:21Z"


def version_v21(req: Request) -> dict[str, Any]:
    return {"id": "v2.1", "status": "CURRENT", "version": MAX_VERSION,
            "min_version": MIN_VERSION, "updated": UPDATED,
            "links": [{"rel": "self", "href": f"{req.base_url}/v2.1/"},
                      {"rel": "describedby", "type": "text/html",
                       "href": "http://docs.openstack.org/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.compute+json;version=2.1"}]}


@router.get("/", public=True)
async def list_versions(req: Request, manager: ComputeManager) -> Response:
    return json_response({"versions": [version_v21(req)]}, 200)


@router.get("/v2.1/", public=True)
async def show_v21(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"version": version_v21(req)}


router.get("/v2.1", public=True)(show_v21)


@router.get("/v2.1/extensions", policy="os_compute_api:extensions")
async def list_extensions(req: Request, manager: ComputeManager) -> dict[str, Any]:
    return {"extensions": []}
