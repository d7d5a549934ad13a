"""/v3/projects and their tags."""

from __future__ import annotations

from typing import Any

from gureum.core.api import Request, Router, json_response
from gureum.core.errors import NotFound
from gureum.identity import schemas, views
from gureum.identity.api import targets
from gureum.identity.manager import IdentityManager

router = Router("/v3/projects")


@router.post("", status=201, schema=schemas.CREATE_PROJECT, policy="identity:create_project")
async def create_project(req: Request, manager: IdentityManager) -> dict[str, Any]:
    default_domain = req.context.domain_id or req.context.project_domain_id
    row = await manager.create_project(req.body["project"], default_domain)
    return {"project": views.project(row, req.base_url)}


@router.get("", policy="identity:list_projects", target=targets.domain_filter)
async def list_projects(req: Request, manager: IdentityManager) -> dict[str, Any]:
    rows = await manager.list_projects(req.query)
    return views.collection("projects", [views.project(p, req.base_url) for p in rows], req.url)


@router.get("/{project_id}", policy="identity:get_project", target=targets.project)
async def show_project(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.show_project(req.params["project_id"])
    return {"project": views.project(row, req.base_url)}


@router.patch("/{project_id}", schema=schemas.UPDATE_PROJECT, policy="identity:update_project",
              target=targets.project)
async def update_project(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.update_project(req.params["project_id"], req.body["project"])
    return {"project": views.project(row, req.base_url)}


@router.delete("/{project_id}", status=204, policy="identity:delete_project",
               target=targets.project)
async def delete_project(req: Request, manager: IdentityManager) -> None:
    await manager.delete_project(req.params["project_id"])


@router.get("/{project_id}/tags", policy="identity:list_project_tags", target=targets.project)
async def list_project_tags(req: Request, manager: IdentityManager) -> dict[str, Any]:
    return {"tags": (await manager.show_project(req.params["project_id"])).tags}


@router.put("/{project_id}/tags", schema=schemas.PROJECT_TAGS,
            policy="identity:update_project_tags", target=targets.project)
async def update_project_tags(req: Request, manager: IdentityManager) -> dict[str, Any]:
    row = await manager.set_project_tags(req.params["project_id"], req.body["tags"])
    return {"tags": row.tags}


@router.delete("/{project_id}/tags", status=204, policy="identity:delete_project_tags",
               target=targets.project)
async def delete_project_tags(req: Request, manager: IdentityManager) -> None:
    await manager.set_project_tags(req.params["project_id"], [])


@router.get("/{project_id}/tags/{tag}", status=204, policy="identity:get_project_tag",
            target=targets.project)
async def show_project_tag(req: Request, manager: IdentityManager) -> None:
    if req.params["tag"] not in (await manager.show_project(req.params["project_id"])).tags:
        raise NotFound(f"Tag {req.params['tag']} not found.")


@router.put("/{project_id}/tags/{tag}", policy="identity:create_project_tag",
            target=targets.project)
async def create_project_tag(req: Request, manager: IdentityManager) -> Any:
    project = await manager.show_project(req.params["project_id"])
    await manager.set_project_tags(project.id, [*project.tags, req.params["tag"]])
    return json_response(None, 201, {"Location": f"{req.base_url}/v3/projects/{project.id}"
                                                 f"/tags/{req.params['tag']}"})


@router.delete("/{project_id}/tags/{tag}", status=204, policy="identity:delete_project_tag",
               target=targets.project)
async def delete_project_tag(req: Request, manager: IdentityManager) -> None:
    project = await manager.show_project(req.params["project_id"])
    if req.params["tag"] not in project.tags:
        raise NotFound(f"Tag {req.params['tag']} not found.")
    await manager.set_project_tags(project.id, [t for t in project.tags
                                                if t != req.params["tag"]])
