"""What the cloud does as a whole: notifications for every identity change, state that
survives a restart, secrets that are generated rather than fixed."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml
from cryptography.fernet import Fernet

from gureum.cli.main import main
from tests.harness import RunningCloud, cloud_settings


def test_identity_changes_are_announced_on_the_bus(cloud: RunningCloud,
                                                   admin: httpx.Client) -> None:
    seen: list[dict[str, Any]] = []

    async def listen(message: dict[str, Any]) -> None:
        seen.append(message)

    assert cloud.cloud.bus is not None
    cloud.run(cloud.cloud.bus.subscribe("identity.*", listen))
    user = admin.post("/v3/users", json={"user": {"name": f"n-{uuid.uuid4().hex[:6]}"}}
                      ).json()["user"]
    admin.patch(f"/v3/users/{user['id']}", json={"user": {"description": "x"}})
    project = admin.get("/v3/projects", params={"name": "demo"}).json()["projects"][0]
    member = admin.get("/v3/roles", params={"name": "member"}).json()["roles"][0]
    admin.put(f"/v3/projects/{project['id']}/users/{user['id']}/roles/{member['id']}")
    admin.delete(f"/v3/users/{user['id']}")
    cloud.run(asyncio.sleep(0.1))  # deliveries are tasks on the cloud's loop
    events = [(m["event_type"], m["payload"]["resource_info"]) for m in seen]
    assert ("identity.user.created", user["id"]) in events
    assert ("identity.user.updated", user["id"]) in events
    assert ("identity.role_assignment.created", member["id"]) in events
    assert ("identity.user.deleted", user["id"]) in events
    assert all(m["publisher_id"] == "identity" and m["priority"] == "INFO" for m in seen)


def test_a_restart_finds_everything_as_it_was(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = RunningCloud(cloud_settings(state)).start()
    try:
        passwords = first.passwords()
        admin = first.client(first.token())
        name = f"kept-{uuid.uuid4().hex[:6]}"
        project = admin.post("/v3/projects", json={"project": {"name": name}}).json()["project"]
        token = first.token()
    finally:
        first.stop()
    assert oct(os.stat(state / "passwords.json").st_mode & 0o777) == "0o600"
    assert oct(os.stat(state / "clouds.yaml").st_mode & 0o777) == "0o600"
    second = RunningCloud(cloud_settings(state)).start()
    try:
        assert second.passwords() == passwords
        admin = second.client(token)  # tokens outlive a restart: the keys are in the state dir
        assert admin.get(f"/v3/projects/{project['id']}").json()["project"]["name"] == name
        clouds = yaml.safe_load((state / "clouds.yaml").read_text())["clouds"]
        assert clouds["gureum"]["auth"]["auth_url"] == second.identity_url
        assert clouds["gureum"]["auth"]["password"] == passwords["admin"]
        assert clouds["gureum-demo"]["auth"]["username"] == "demo"
        # bootstrap is idempotent: one admin user, one catalog entry per interface
        assert len(admin.get("/v3/users", params={"name": "admin"}).json()["users"]) == 1
        services = admin.get("/v3/services").json()["services"]
        assert sorted(s["type"] for s in services) == ["block-storage", "compute", "identity",
                                                       "image", "network", "volumev3"]
        assert len(admin.get("/v3/endpoints").json()["endpoints"]) == 3 * len(services)
    finally:
        second.stop()



def test_a_restart_puts_back_the_passwords_the_state_dir_holds(tmp_path: Path) -> None:
    """A restart checks a user's password only if it may have changed (the stamps of the
    last check, beside passwords.json), and changed ones are put back as configured."""
    state = tmp_path / "state"
    first = RunningCloud(cloud_settings(state)).start()
    try:
        passwords = first.passwords()
        token = first.token("demo", "demo")
        demo = first.client(token)
        me = demo.get("/v3/auth/tokens", headers={"X-Subject-Token": token}
                      ).json()["token"]["user"]
        changed = demo.post(f"/v3/users/{me['id']}/password", json={"user": {
            "password": "changed-by-demo", "original_password": passwords["demo"]}})
        assert changed.status_code == 204
    finally:
        first.stop()
    assert oct(os.stat(state / "passwords-checked.json").st_mode & 0o777) == "0o600"
    second = RunningCloud(cloud_settings(state, admin_password="admin-pw-2")).start()
    try:
        assert second.token("demo", "demo", password=passwords["demo"])
        assert second.token("admin", "admin", password="admin-pw-2")
        refused = httpx.post(f"{second.identity_url}/v3/auth/tokens", json={"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": "admin", "domain": {"id": "default"}, "password": passwords["admin"]}}}}})
        assert refused.status_code == 401
    finally:
        second.stop()

def test_passwords_are_generated_per_cloud_or_taken_from_the_environment(tmp_path: Path
                                                                         ) -> None:
    a = RunningCloud(cloud_settings(tmp_path / "a")).start()
    a.stop()
    b = RunningCloud(cloud_settings(tmp_path / "b", admin_password="chosen-pw")).start()
    try:
        assert a.passwords()["admin"] != b.passwords()["admin"]
        assert len(a.passwords()["admin"]) >= 20
        assert b.passwords()["admin"] == "chosen-pw"
        assert b.token("admin", "admin", password="chosen-pw")
    finally:
        b.stop()
    stored = json.loads((tmp_path / "b" / "passwords.json").read_text())
    assert stored["admin"] == "chosen-pw"


def test_rotate_keys_keeps_tokens_valid_and_takes_effect_without_restart(
        cloud: RunningCloud, capsys: Any) -> None:
    before = cloud.token()
    keys = cloud.settings.state_dir / "fernet-keys"
    primary = max(int(p.name) for p in keys.iterdir())
    assert main(["rotate-keys", "--state-dir", str(cloud.settings.state_dir)]) == 0
    assert f"key {primary + 1} is now primary" in capsys.readouterr().out
    time.sleep(1.1)  # running processes re-read the key folder at most once a second
    after = cloud.token()
    admin = cloud.client(after)
    assert admin.get("/v3/auth/tokens", headers={"X-Subject-Token": before}).status_code == 200
    assert admin.get("/v3/auth/tokens", headers={"X-Subject-Token": after}).status_code == 200
    newest = Fernet((keys / str(primary + 1)).read_bytes())
    newest.decrypt((after + "=" * (-len(after) % 4)).encode())  # made with the new primary


def test_policy_commands(cloud: RunningCloud, capsys: Any) -> None:
    assert main(["policy", "sample", "identity"]) == 0
    assert '#"identity:create_project": "rule:admin_required"' in capsys.readouterr().out
    policy = cloud.cloud.policy_file("identity")
    policy.parent.mkdir(parents=True, exist_ok=True)
    policy.write_text('"identity:list_regions": "role:admin"\n')
    try:
        assert main(["policy", "list", "identity", "--state-dir",
                     str(cloud.settings.state_dir)]) == 0
        out = capsys.readouterr().out
        assert '"identity:list_regions": "role:admin"' in out
        assert '"identity:create_project": "rule:admin_required"' in out
    finally:
        policy.unlink()
