"""The token middleware every other service uses: a service app that checks tokens by
asking Identity (as keystonemiddleware does), with its own service user."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from gureum.clients.identity import IdentityClient
from gureum.core.api import Request, Router, ServiceApp
from gureum.core.auth import RemoteAuthenticator
from gureum.core.policy import PolicyEngine, Rule
from tests.harness import RunningCloud

router = Router("/v1")


@router.get("/whoami", policy="thing:whoami")
async def whoami(req: Request, manager: Any) -> dict[str, Any]:
    ctx = req.context
    return {"user": ctx.user_name, "project": ctx.project_name, "roles": sorted(ctx.roles)}


def service_user(admin: httpx.Client) -> tuple[str, str]:
    name, password = f"svc-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    user = admin.post("/v3/users", json={"user": {"name": name, "password": password}}
                      ).json()["user"]
    project = admin.get("/v3/projects", params={"name": "service"}).json()["projects"][0]
    role = admin.get("/v3/roles", params={"name": "service"}).json()["roles"][0]
    admin.put(f"/v3/projects/{project['id']}/users/{user['id']}/roles/{role['id']}")
    return name, password


async def test_a_service_checks_tokens_through_identity(cloud: RunningCloud,
                                                        admin: httpx.Client) -> None:
    name, password = service_user(admin)
    identity = IdentityClient(cloud.identity_url, username=name, password=password)
    authenticator = RemoteAuthenticator(identity)
    assert cloud.cloud.bus is not None
    cloud.run(authenticator.follow(cloud.cloud.bus))
    app = ServiceApp(name="thing", dialect="nova", router=router,
                     policy=PolicyEngine("thing", [Rule("thing:whoami", "role:reader")], None),
                     authenticator=authenticator, manager=None)
    demo_token = cloud.token("demo", "demo")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://thing") as client:
        ok = await client.get("/v1/whoami", headers={"X-Auth-Token": demo_token})
        assert ok.status_code == 200
        assert ok.json() == {"user": "demo", "project": "demo", "roles": ["member", "reader"]}
        bad = await client.get("/v1/whoami", headers={"X-Auth-Token": "forged"})
        assert bad.status_code == 401 and bad.json()["unauthorized"]["code"] == 401
        none = await client.get("/v1/whoami")
        assert none.status_code == 401
        # revoked at Identity: the announcement on the bus empties the service's cache
        httpx.delete(f"{cloud.identity_url}/v3/auth/tokens",
                     headers={"X-Auth-Token": demo_token, "X-Subject-Token": demo_token})
        cloud.run(asyncio.sleep(0.05))
        gone = await client.get("/v1/whoami", headers={"X-Auth-Token": demo_token})
        assert gone.status_code == 401
    await identity.close()
