"""/v2.0/auto-allocated-topology/{project_id} (neutron's auto-allocated-topology)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gureum.core.api import Request, Router
from gureum.network.manager import NetworkManager

router = Router("/v2.0/auto-allocated-topology")


def project(req: Request) -> str:
    """The project asked about; clients that have none at hand send 'None' (the caller's)."""
    asked = req.params["project_id"]
    return str(req.context.project_id or "") if asked == "None" else asked


async def target(req: Request, manager: NetworkManager) -> Mapping[str, Any]:
    return {"project_id": project(req), "tenant_id": project(req)}


@router.get("/{project_id}", policy="get_auto_allocated_topology", target=target)
async def get_auto_allocated_topology(req: Request, manager: NetworkManager,
                                      ) -> dict[str, Any]:
    fields = [f for f in req.raw.query_params.getlist("fields") if f]
    topology = await manager.get_auto_allocated_topology(req.context, project(req), fields)
    return {"auto_allocated_topology": topology}


@router.delete("/{project_id}", status=204, policy="delete_auto_allocated_topology",
               target=target)
async def delete_auto_allocated_topology(req: Request, manager: NetworkManager) -> None:
    await manager.delete_auto_allocated_topology(req.context, project(req))
