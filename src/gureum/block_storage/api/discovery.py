"""Version discovery at the service root and at /v3, and GET /v3/extensions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from gureum.block_storage.manager import BlockStorageManager
from gureum.core.api import Request, Router, json_response

router = Router()
MIN_VERSION = "3.0"
# 3.27 (attachments) and 3.44 (attachment complete) are what the newer attach flow needs;
# 3.45 list counts, 3.46 volumes from nova's snapshot images, 3.47 volumes from backups,
# 3.48 shared_targets/service_uuid, 3.49 backend_state, 3.50 multiattach, 3.51 backups in
# another zone. Nothing above 3.51 is claimed (3.52 needs RESKEY:availability_zones).
MAX_VERSION = "3.51"
UPDATED = "2017-09-11T00:00:00Z"

# (alias, name, description): the API extensions this cloud implements.
EXTENSIONS = [
    ("os-admin-actions", "AdminActions", "Enable admin actions."),
    ("os-availability-zone", "AvailabilityZones", "Describe Availability Zones."),
    ("os-extended-snapshot-attributes", "ExtendedSnapshotAttributes",
     "Extended SnapshotAttributes support."),
    ("os-extended-services", "ExtendedServices", "Extended services support."),
    ("os-quota-sets", "Quotas", "Quota management support."),
    ("os-services", "Services", "Services support."),
    ("os-types-extra-specs", "TypesExtraSpecs", "Type extra specs support."),
    ("os-types-manage", "TypesManage", "Types manage support."),
    ("os-used-limits", "UsedLimits", "Provide data on limited resources that are being "
     "used."),
    ("os-vol-host-attr", "VolumeHostAttribute", "Expose host as an attribute of a volume."),
    ("os-vol-image-meta", "VolumeImageMetadata", "Show image metadata associated with the "
     "volume."),
    ("os-vol-tenant-attr", "VolumeTenantAttribute", "Expose the internal project_id as an "
     "attribute of a volume."),
    ("os-volume-actions", "VolumeActions", "Enable volume actions."),
    ("os-volume-transfer", "VolumeTransfer", "Volume transfer management support."),
    ("os-volume-type-access", "VolumeTypeAccess", "Volume type access support."),
    ("scheduler-stats", "Scheduler_stats", "Scheduler stats support."),
]


def versions(req: Request) -> dict[str, Any]:
    return {"versions": [{
        "id": "v3.0", "status": "CURRENT", "version": MAX_VERSION,
        "min_version": MIN_VERSION, "updated": UPDATED,
        "links": [{"rel": "describedby", "type": "text/html",
                   "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": f"{req.base_url}/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}]}]}


@router.get("/", public=True)
async def list_versions(req: Request, manager: BlockStorageManager) -> Response:
    return json_response(versions(req), 300)


@router.get("/v3/", public=True)
async def show_v3(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    return versions(req)


router.get("/v3", public=True)(show_v3)


@router.get("/v3/extensions", policy="volume_extension:extension_list")
async def list_extensions(req: Request, manager: BlockStorageManager) -> dict[str, Any]:
    return {"extensions": [{"alias": alias, "name": name, "description": description,
                            "updated": "2013-01-01T00:00:00+00:00", "links": []}
                           for alias, name, description in EXTENSIONS]}
