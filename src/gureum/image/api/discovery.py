"""Version discovery and the JSON schemas glance publishes."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router, json_response
from gureum.core.errors import NotFound
from gureum.image import schemas
from gureum.image.manager import ImageManager

router = Router()

# v2.5 brought the four visibilities, v2.6 interoperable import, v2.7 hidden images and
# multihash; v2.8 (multiple stores) and later are not built, so not advertised.
VERSIONS = [("v2.7", "CURRENT"), ("v2.6", "SUPPORTED"), ("v2.5", "SUPPORTED"),
            ("v2.4", "SUPPORTED"), ("v2.3", "SUPPORTED"), ("v2.2", "SUPPORTED"),
            ("v2.1", "SUPPORTED"), ("v2.0", "SUPPORTED")]


@router.get("/", public=True)
async def list_versions(req: Request, manager: ImageManager) -> Any:
    href = f"{req.base_url}/v2/"
    return json_response({"versions": [
        {"id": version, "status": status, "links": [{"rel": "self", "href": href}]}
        for version, status in VERSIONS]}, 300)


router.get("/versions", public=True)(list_versions)


def image_schema() -> dict[str, Any]:
    readonly = {"type": ["string", "null"], "readOnly": True}
    return {
        "name": "image",
        "properties": {**schemas.IMAGE_PROPERTIES,
                       **{name: readonly for name in sorted(schemas.READ_ONLY)},
                       "size": {"type": ["integer", "null"], "readOnly": True},
                       "virtual_size": {"type": ["integer", "null"], "readOnly": True},
                       "status": {"enum": ["queued", "saving", "active", "killed", "deleted",
                                           "uploading", "importing", "pending_delete",
                                           "deactivated"], "readOnly": True}},
        "additionalProperties": schemas.CUSTOM_PROPERTY,
        "links": [{"rel": "self", "href": "{self}"}, {"rel": "enclosure", "href": "{file}"},
                  {"rel": "describedby", "href": "{schema}"}],
    }


def member_schema() -> dict[str, Any]:
    text = {"type": "string"}
    return {"name": "member", "properties": {
        "image_id": text, "member_id": text, "created_at": text, "updated_at": text,
        "schema": {**text, "readOnly": True},
        "status": {"enum": ["pending", "accepted", "rejected"]}}}


@router.get("/v2/schemas/image", policy="get_schemas")
async def show_image_schema(req: Request, manager: ImageManager) -> dict[str, Any]:
    return image_schema()


@router.get("/v2/schemas/images", policy="get_schemas")
async def show_images_schema(req: Request, manager: ImageManager) -> dict[str, Any]:
    return {"name": "images", "properties": {
        "images": {"type": "array", "items": image_schema()},
        "schema": {"type": "string"}, "first": {"type": "string"},
        "next": {"type": "string"}},
        "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                  {"rel": "describedby", "href": "{schema}"}]}


@router.get("/v2/schemas/member", policy="get_schemas")
async def show_member_schema(req: Request, manager: ImageManager) -> dict[str, Any]:
    return member_schema()


@router.get("/v2/schemas/members", policy="get_schemas")
async def show_members_schema(req: Request, manager: ImageManager) -> dict[str, Any]:
    return {"name": "members", "properties": {
        "members": {"type": "array", "items": member_schema()},
        "schema": {"type": "string"}}, "links": [{"rel": "schema", "href": "{schema}"}]}


# ---------------------------------------------------------------- metadata definitions
_SHOWN = {"created_at": {"type": "string", "readOnly": True, "format": "date-time"},
          "updated_at": {"type": "string", "readOnly": True, "format": "date-time"},
          "schema": {"type": "string", "readOnly": True},
          "self": {"type": "string", "readOnly": True}}


def _metadef_schemas() -> dict[str, dict[str, Any]]:
    def member(name: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "properties": {**body["properties"], **_SHOWN},
                "required": body.get("required", []), "additionalProperties": False}

    single = {
        "namespace": member("namespace", schemas.METADEF_NAMESPACE),
        "object": member("object", schemas.METADEF_OBJECT),
        "property": member("property", schemas.METADEF_PROPERTY),
        "tag": member("tag", schemas.METADEF_TAG),
        "resource_type": member("resource_type_association", schemas.METADEF_ASSOCIATION),
    }
    plural = {"namespaces": ("namespaces", "namespace"), "objects": ("objects", "object"),
              "tags": ("tags", "tag"),
              "resource_types": ("resource_type_associations", "resource_type")}
    documents = dict(single)
    for path, (key, item) in plural.items():
        documents[path] = {"name": key, "properties": {
            key: {"type": "array", "items": single[item]}, "schema": {"type": "string"},
            "first": {"type": "string"}, "next": {"type": "string"}},
            "links": [{"rel": "first", "href": "{first}"}, {"rel": "next", "href": "{next}"},
                      {"rel": "describedby", "href": "{schema}"}]}
    documents["properties"] = {"name": "properties", "properties": {
        "properties": {"type": "object", "additionalProperties": single["property"]}}}
    return documents


METADEF_SCHEMAS = _metadef_schemas()


@router.get("/v2/schemas/metadefs/{name}", policy="get_schemas")
async def show_metadef_schema(req: Request, manager: ImageManager) -> dict[str, Any]:
    if req.params["name"] not in METADEF_SCHEMAS:
        raise NotFound(f"No schema {req.params['name']}.")
    return METADEF_SCHEMAS[req.params["name"]]
