"""/v2/metadefs: metadata definitions namespaces with their objects, properties, tags and
resource-type associations; /v2/metadefs/resource_types."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Page, Request, Router
from gureum.core.validation import to_bool, validate
from gureum.image import schemas, views
from gureum.image.manager import ImageManager
from gureum.image.manager.metadefs import association_body, object_body, property_body

router = Router("/v2/metadefs")
NS = "/namespaces/{namespace}"


# ---------------------------------------------------------------- namespaces
@router.post("/namespaces", status=201, schema=schemas.METADEF_NAMESPACE,
             policy="add_metadef_namespace")
async def create_namespace(req: Request, manager: ImageManager) -> dict[str, Any]:
    return views.metadef_namespace(*await manager.create_namespace(req.context, req.body))


@router.get("/namespaces", policy="get_metadef_namespaces")
async def list_namespaces(req: Request, manager: ImageManager) -> dict[str, Any]:
    page = Page.from_query(req.query)
    rows = await manager.list_namespaces(req.context, req.query, page)
    body: dict[str, Any] = {
        "namespaces": [views.metadef_namespace(row, items, full=False) for row, items in rows],
        "first": views.NAMESPACES, "schema": "/v2/schemas/metadefs/namespaces"}
    link = page.next_link(views.NAMESPACES, req.query, [row for row, _ in rows], "namespace")
    if link:
        body["next"] = link
    return body


@router.get(NS, policy="get_metadef_namespace")
async def show_namespace(req: Request, manager: ImageManager) -> dict[str, Any]:
    row, items = await manager.show_namespace(req.context, req.params["namespace"])
    return views.metadef_namespace(row, items, resource_type=req.query.get("resource_type"))


@router.put(NS, schema=schemas.METADEF_NAMESPACE, policy="modify_metadef_namespace")
async def update_namespace(req: Request, manager: ImageManager) -> dict[str, Any]:
    return views.metadef_namespace(*await manager.update_namespace(
        req.context, req.params["namespace"], req.body))


@router.delete(NS, status=204, policy="delete_metadef_namespace")
async def delete_namespace(req: Request, manager: ImageManager) -> None:
    await manager.delete_namespace(req.context, req.params["namespace"])


# ---------------------------------------------------------------- objects
@router.post(NS + "/objects", status=201, schema=schemas.METADEF_OBJECT,
             policy="add_metadef_object")
async def create_object(req: Request, manager: ImageManager) -> dict[str, Any]:
    namespace = req.params["namespace"]
    item = await manager.create_item(req.context, namespace, "object", req.body["name"],
                                     object_body(req.body))
    return views.metadef_object(namespace, item)


@router.get(NS + "/objects", policy="get_metadef_objects")
async def list_objects(req: Request, manager: ImageManager) -> dict[str, Any]:
    namespace = req.params["namespace"]
    items = await manager.list_items(req.context, namespace, "object")
    return {"objects": [views.metadef_object(namespace, i) for i in items],
            "schema": "/v2/schemas/metadefs/objects"}


@router.delete(NS + "/objects", status=204, policy="delete_metadef_object")
async def delete_objects(req: Request, manager: ImageManager) -> None:
    await manager.delete_items(req.context, req.params["namespace"], "object")


@router.get(NS + "/objects/{name}", policy="get_metadef_object")
async def show_object(req: Request, manager: ImageManager) -> dict[str, Any]:
    namespace = req.params["namespace"]
    item = await manager.show_item(req.context, namespace, "object", req.params["name"])
    return views.metadef_object(namespace, item)


@router.put(NS + "/objects/{name}", schema=schemas.METADEF_OBJECT,
            policy="modify_metadef_object")
async def update_object(req: Request, manager: ImageManager) -> dict[str, Any]:
    namespace = req.params["namespace"]
    item = await manager.update_item(req.context, namespace, "object", req.params["name"],
                                     req.body["name"], object_body(req.body))
    return views.metadef_object(namespace, item)


@router.delete(NS + "/objects/{name}", status=204, policy="delete_metadef_object")
async def delete_object(req: Request, manager: ImageManager) -> None:
    await manager.delete_items(req.context, req.params["namespace"], "object",
                               req.params["name"])


# ---------------------------------------------------------------- properties
@router.post(NS + "/properties", status=201, schema=schemas.METADEF_PROPERTY,
             policy="add_metadef_property")
async def create_property(req: Request, manager: ImageManager) -> dict[str, Any]:
    item = await manager.create_item(req.context, req.params["namespace"], "property",
                                     req.body["name"], property_body(req.body))
    return views.metadef_property(item)


@router.get(NS + "/properties", policy="get_metadef_properties")
async def list_properties(req: Request, manager: ImageManager) -> dict[str, Any]:
    items = await manager.list_items(req.context, req.params["namespace"], "property")
    return {"properties": {i.name: i.body for i in items}}


@router.delete(NS + "/properties", status=204, policy="remove_metadef_property")
async def delete_properties(req: Request, manager: ImageManager) -> None:
    await manager.delete_items(req.context, req.params["namespace"], "property")


@router.get(NS + "/properties/{name}", policy="get_metadef_property")
async def show_property(req: Request, manager: ImageManager) -> dict[str, Any]:
    item = await manager.show_item(req.context, req.params["namespace"], "property",
                                   req.params["name"])
    return views.metadef_property(item)


@router.put(NS + "/properties/{name}", schema=schemas.METADEF_PROPERTY,
            policy="modify_metadef_property")
async def update_property(req: Request, manager: ImageManager) -> dict[str, Any]:
    item = await manager.update_item(req.context, req.params["namespace"], "property",
                                     req.params["name"], req.body["name"],
                                     property_body(req.body))
    return views.metadef_property(item)


@router.delete(NS + "/properties/{name}", status=204, policy="remove_metadef_property")
async def delete_property(req: Request, manager: ImageManager) -> None:
    await manager.delete_items(req.context, req.params["namespace"], "property",
                               req.params["name"])


# ---------------------------------------------------------------- tags
@router.post(NS + "/tags", status=201, schema=schemas.METADEF_TAGS,
             policy="add_metadef_tags")
async def create_tags(req: Request, manager: ImageManager) -> dict[str, Any]:
    """Replaces the namespace's tags, or adds to them with `X-Openstack-Append: true`."""
    append = bool(to_bool(req.header("x-openstack-append") or "false"))
    items = await manager.replace_tags(req.context, req.params["namespace"],
                                       [t["name"] for t in req.body["tags"]], append)
    return {"tags": [views.metadef_tag(i) for i in items]}


@router.get(NS + "/tags", policy="get_metadef_tags")
async def list_tags(req: Request, manager: ImageManager) -> dict[str, Any]:
    items = await manager.list_items(req.context, req.params["namespace"], "tag")
    return {"tags": [views.metadef_tag(i) for i in items]}


@router.delete(NS + "/tags", status=204, policy="delete_metadef_tags")
async def delete_tags(req: Request, manager: ImageManager) -> None:
    await manager.delete_items(req.context, req.params["namespace"], "tag")


@router.post(NS + "/tags/{name}", status=201, policy="add_metadef_tag")
async def create_tag(req: Request, manager: ImageManager) -> dict[str, Any]:
    validate(schemas.METADEF_TAG, {"name": req.params["name"]})
    item = await manager.create_item(req.context, req.params["namespace"], "tag",
                                     req.params["name"], {})
    return views.metadef_tag(item)


@router.get(NS + "/tags/{name}", policy="get_metadef_tag")
async def show_tag(req: Request, manager: ImageManager) -> dict[str, Any]:
    item = await manager.show_item(req.context, req.params["namespace"], "tag",
                                   req.params["name"])
    return views.metadef_tag(item)


@router.put(NS + "/tags/{name}", schema=schemas.METADEF_TAG, policy="modify_metadef_tag")
async def update_tag(req: Request, manager: ImageManager) -> dict[str, Any]:
    item = await manager.update_item(req.context, req.params["namespace"], "tag",
                                     req.params["name"], req.body["name"], {})
    return views.metadef_tag(item)


@router.delete(NS + "/tags/{name}", status=204, policy="delete_metadef_tag")
async def delete_tag(req: Request, manager: ImageManager) -> None:
    await manager.delete_items(req.context, req.params["namespace"], "tag",
                               req.params["name"])


# ---------------------------------------------------------------- resource types
@router.get("/resource_types", policy="list_metadef_resource_types")
async def list_resource_types(req: Request, manager: ImageManager) -> dict[str, Any]:
    return {"resource_types": [views.metadef_resource_type(r)
                               for r in await manager.list_resource_types()]}


@router.post(NS + "/resource_types", status=201, schema=schemas.METADEF_ASSOCIATION,
             policy="add_metadef_resource_type_association")
async def create_association(req: Request, manager: ImageManager) -> dict[str, Any]:
    item = await manager.create_item(req.context, req.params["namespace"], "resource_type",
                                     req.body["name"], association_body(req.body))
    return views.metadef_association(item)


@router.get(NS + "/resource_types", policy="get_metadef_resource_type")
async def list_associations(req: Request, manager: ImageManager) -> dict[str, Any]:
    items = await manager.list_items(req.context, req.params["namespace"], "resource_type")
    return {"resource_type_associations": [views.metadef_association(i) for i in items]}


@router.delete(NS + "/resource_types/{name}", status=204,
               policy="remove_metadef_resource_type_association")
async def delete_association(req: Request, manager: ImageManager) -> None:
    await manager.delete_items(req.context, req.params["namespace"], "resource_type",
                               req.params["name"])
