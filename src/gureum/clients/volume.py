"""A client of the Block Storage v3 API (cinder), as compute uses it: show a volume, and
the attachments API (3.27/3.44) that reserves, connects, completes and ends an
attachment.

Calls go with the token given (the user's, so cinder decides what the user may see) or
else with the service user's. Without an in-process transport the catalog says where
Block Storage is."""

from __future__ import annotations

from typing import Any

import httpx

from gureum.clients.identity import IdentityClient

MICROVERSION = {"OpenStack-API-Version": "volume 3.44"}


class VolumeError(Exception):
    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"block storage answered {status}: {body[:300]}")

    @property
    def message(self) -> str:
        """cinder's error message ({"badRequest": {"message": ...}}), or the body."""
        try:
            fault = next(iter(httpx.Response(200, content=self.body).json().values()))
            return str(fault["message"])
        except (ValueError, StopIteration, KeyError, TypeError, AttributeError):
            return self.body[:300]


class VolumeClient:
    """`base_url` is the v3 root (…/volume/v3)."""

    def __init__(self, base_url: str, identity: IdentityClient,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.identity = identity
        self._local = transport is not None
        self._http = httpx.AsyncClient(transport=transport, timeout=60.0)

    async def close(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, token: str | None = None,
                       ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        root = self.base_url if self._local else (
            await self.identity.endpoint("block-storage") or self.base_url)
        headers = {"X-Auth-Token": token or await self.identity.service_token(),
                   **MICROVERSION}
        response = await self._http.request(method, f"{root}{path}", headers=headers,
                                            **kwargs)
        if response.status_code not in ok:
            raise VolumeError(response.status_code, response.text)
        return response.json() if response.content else None

    async def show_volume(self, volume_id: str, token: str | None = None) -> dict[str, Any]:
        return (await self._request("GET", f"/volumes/{volume_id}", token))["volume"]  # type: ignore[no-any-return]

    async def create_attachment(self, volume_id: str, server_id: str,
                                token: str | None = None) -> dict[str, Any]:
        """Reserve the volume for the server (no connector yet): `reserved`."""
        body = {"attachment": {"volume_uuid": volume_id, "instance_uuid": server_id}}
        return (await self._request("POST", "/attachments", token, json=body))["attachment"]  # type: ignore[no-any-return]

    async def update_attachment(self, attachment_id: str, connector: dict[str, Any],
                                ) -> dict[str, Any]:
        """Connect it: the backend's connection info for this host's connector."""
        body = {"attachment": {"connector": connector}}
        found = await self._request("PUT", f"/attachments/{attachment_id}", json=body)
        return found["attachment"]  # type: ignore[no-any-return]

    async def complete_attachment(self, attachment_id: str) -> None:
        await self._request("POST", f"/attachments/{attachment_id}/action", ok=(204,),
                            json={"os-complete": None})

    async def delete_attachment(self, attachment_id: str) -> None:
        await self._request("DELETE", f"/attachments/{attachment_id}", ok=(200, 404))

    async def delete_volume(self, volume_id: str) -> None:
        await self._request("DELETE", f"/volumes/{volume_id}", ok=(202, 404))
