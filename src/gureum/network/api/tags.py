"""/v2.0/{networks,subnets,ports,routers,floatingips,security-groups,subnetpools}/{id}/tags
(neutron's standard-attr-tag)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from gureum.core.api import Request, Router, json_response
from gureum.network.manager import NetworkManager
from gureum.network.manager.tags import TAGGABLE

router = Router("/v2.0")

TAGS_BODY = {"type": "object"}  # the manager words neutron's errors for what is inside
NO_BODY = {"type": ["null", "object"]}  # PUT of one tag carries none


def collection(req: Request) -> str:
    """The parent collection, from the path (…/v2.0/<collection>/<id>/tags[/<tag>])."""
    return req.raw.url.path.split("/v2.0/", 1)[1].split("/", 1)[0]


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    project_id = await manager.tag_owner(req.context, collection(req),
                                         req.params["resource_id"])
    return {"project_id": project_id, "tenant_id": project_id,
            "id": req.params["resource_id"]}


async def list_tags(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"tags": await manager.list_tags(req.context, collection(req),
                                            req.params["resource_id"])}


async def update_tags(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"tags": await manager.update_tags(req.context, collection(req),
                                              req.params["resource_id"], req.body)}


async def create_tags(req: Request, manager: NetworkManager) -> dict[str, Any]:
    return {"tags": await manager.update_tags(req.context, collection(req),
                                              req.params["resource_id"], req.body, keep=True)}


async def delete_tags(req: Request, manager: NetworkManager) -> None:
    await manager.delete_tags(req.context, collection(req), req.params["resource_id"])


async def show_tag(req: Request, manager: NetworkManager) -> None:
    await manager.show_tag(req.context, collection(req), req.params["resource_id"],
                           req.params["tag"])


async def update_tag(req: Request, manager: NetworkManager) -> Response:
    await manager.update_tag(req.context, collection(req), req.params["resource_id"],
                             req.params["tag"])
    return json_response(None, 201)


async def delete_tag(req: Request, manager: NetworkManager) -> None:
    await manager.delete_tag(req.context, collection(req), req.params["resource_id"],
                             req.params["tag"])


for _name in TAGGABLE:
    _tags, _tag = f"/{_name}/{{resource_id}}/tags", f"/{_name}/{{resource_id}}/tags/{{tag}}"
    router.get(_tags, policy="get_tags", target=target)(list_tags)
    router.put(_tags, schema=TAGS_BODY, policy="update_tags", target=target)(update_tags)
    router.post(_tags, status=201, schema=TAGS_BODY, policy="create_tags",
                target=target)(create_tags)
    router.delete(_tags, status=204, policy="delete_tags", target=target)(delete_tags)
    router.get(_tag, status=204, policy="get_tags", target=target)(show_tag)
    router.put(_tag, status=201, schema=NO_BODY, policy="update_tags",
               target=target)(update_tag)
    router.delete(_tag, status=204, policy="delete_tags", target=target)(delete_tag)
