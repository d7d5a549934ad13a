"""A client of the Networking v2.0 API (neutron), as compute uses it: find networks and
ports, the auto-allocated topology, and create, bind, update and delete a server's ports.

Calls go with the token given (the user's, so neutron decides what the user may see) or
else with the service user's."""

from __future__ import annotations

from typing import Any

import httpx

from gureum.clients.service import ServiceClient, ServiceError


class NetworkError(ServiceError):
    service = "network service"

    @property
    def kind(self) -> str:
        """neutron's exception name (NeutronError.type), e.g. IpAddressInUse."""
        try:
            return str(httpx.Response(200, content=self.body).json()["NeutronError"]["type"])
        except (ValueError, KeyError, TypeError):
            return ""


class NetworkClient(ServiceClient):
    """`base_url` is the networking root (…/networking)."""

    service_type = "network"
    error = NetworkError
    prefix = "/v2.0"

    async def show_network(self, network_id: str, token: str | None = None,
                           ) -> dict[str, Any]:
        return (await self.request("GET", f"/networks/{network_id}", token))["network"]  # type: ignore[no-any-return]

    async def list_networks(self, token: str | None = None, **filters: Any,
                            ) -> list[dict[str, Any]]:
        found = await self.request("GET", "/networks", token, params=filters)
        return found["networks"]  # type: ignore[no-any-return]

    async def auto_allocated_network(self, project_id: str, token: str | None = None) -> str:
        """GET /auto-allocated-topology/{project}: makes the topology when it is missing."""
        found = await self.request("GET", f"/auto-allocated-topology/{project_id}", token)
        return str(found["auto_allocated_topology"]["id"])

    async def show_subnet(self, subnet_id: str, token: str | None = None,
                          ) -> dict[str, Any]:
        return (await self.request("GET", f"/subnets/{subnet_id}", token))["subnet"]  # type: ignore[no-any-return]

    async def show_port(self, port_id: str, token: str | None = None) -> dict[str, Any]:
        return (await self.request("GET", f"/ports/{port_id}", token))["port"]  # type: ignore[no-any-return]

    async def list_ports(self, token: str | None = None, **filters: Any,
                         ) -> list[dict[str, Any]]:
        return (await self.request("GET", "/ports", token, params=filters))["ports"]  # type: ignore[no-any-return]

    async def create_port(self, spec: dict[str, Any], token: str | None = None,
                          ) -> dict[str, Any]:
        made = await self.request("POST", "/ports", token, ok=(201,), json={"port": spec})
        return made["port"]  # type: ignore[no-any-return]

    async def update_port(self, port_id: str, spec: dict[str, Any], token: str | None = None,
                          ) -> dict[str, Any]:
        found = await self.request("PUT", f"/ports/{port_id}", token, json={"port": spec})
        return found["port"]  # type: ignore[no-any-return]

    async def delete_port(self, port_id: str, token: str | None = None) -> None:
        await self.request("DELETE", f"/ports/{port_id}", token, ok=(204, 404))

    async def list_security_groups(self, token: str | None = None, **filters: Any,
                                   ) -> list[dict[str, Any]]:
        found = await self.request("GET", "/security-groups", token, params=filters)
        return found["security_groups"]  # type: ignore[no-any-return]
