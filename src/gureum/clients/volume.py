"""A client of the Block Storage v3 API (cinder), as compute uses it: show and create
volumes (boot from volume) and snapshots (images of volume-backed servers), and the
attachments API (3.27/3.44) that reserves, connects, completes and ends an attachment.

Calls go with the token given (the user's, so cinder decides what the user may see) or
else with the service user's. Without an in-process transport the catalog says where
Block Storage is."""

from __future__ import annotations

from typing import Any

import httpx

from gureum.clients.service import ServiceClient, ServiceError

MICROVERSION = {"OpenStack-API-Version": "volume 3.44"}


class VolumeError(ServiceError):
    service = "block storage"

    @property
    def message(self) -> str:
        """cinder's error message ({"badRequest": {"message": ...}}), or the body."""
        try:
            fault = next(iter(httpx.Response(200, content=self.body).json().values()))
            return str(fault["message"])
        except (ValueError, StopIteration, KeyError, TypeError, AttributeError):
            return self.body[:300]


class VolumeClient(ServiceClient):
    """`base_url` is the v3 root (…/volume/v3)."""

    service_type = "block-storage"
    error = VolumeError
    headers = MICROVERSION

    async def show_volume(self, volume_id: str, token: str | None = None) -> dict[str, Any]:
        return (await self.request("GET", f"/volumes/{volume_id}", token))["volume"]  # type: ignore[no-any-return]

    async def show_snapshot(self, snapshot_id: str, token: str | None = None,
                            ) -> dict[str, Any]:
        return (await self.request("GET", f"/snapshots/{snapshot_id}", token))["snapshot"]  # type: ignore[no-any-return]

    async def create_volume(self, spec: dict[str, Any], token: str | None = None,
                            ) -> dict[str, Any]:
        """A new volume (`creating`): empty, or from an image or a snapshot."""
        return (await self.request("POST", "/volumes", token, ok=(202,),  # type: ignore[no-any-return]
                                   json={"volume": spec}))["volume"]

    async def create_snapshot(self, volume_id: str, name: str, token: str | None = None,
                              ) -> dict[str, Any]:
        """A snapshot (`creating`) of the volume, attached or not (force)."""
        body = {"snapshot": {"volume_id": volume_id, "name": name, "force": True}}
        return (await self.request("POST", "/snapshots", token, ok=(202,),  # type: ignore[no-any-return]
                                   json=body))["snapshot"]

    async def create_attachment(self, volume_id: str, server_id: str,
                                token: str | None = None) -> dict[str, Any]:
        """Reserve the volume for the server (no connector yet): `reserved`."""
        body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": server_id}}
        return (await self.request("POST", "/attachments", token, json=body))["attachment"]  # type: ignore[no-any-return]

    async def server_attachments(self, server_id: str) -> list[dict[str, Any]]:
        """The attachments (any project's) that hold volumes for the server."""
        found = await self.request("GET", "/attachments", params={
            "instance_id": server_id, "all_tenants": "1"})
        return found["attachments"]  # type: ignore[no-any-return]

    async def update_attachment(self, attachment_id: str, connector: dict[str, Any],
                                ) -> dict[str, Any]:
        """Connect it: the backend's connection info for this host's connector."""
        body = {"attachment": {"connector": connector}}
        found = await self.request("PUT", f"/attachments/{attachment_id}", json=body)
        return found["attachment"]  # type: ignore[no-any-return]

    async def complete_attachment(self, attachment_id: str) -> None:
        await self.request("POST", f"/attachments/{attachment_id}/action", ok=(204,),
                            json={"os-complete": None})

    async def delete_attachment(self, attachment_id: str) -> None:
        await self.request("DELETE", f"/attachments/{attachment_id}", ok=(200, 404))

    async def delete_volume(self, volume_id: str) -> None:
        await self.request("DELETE", f"/volumes/{volume_id}", ok=(202, 404))
