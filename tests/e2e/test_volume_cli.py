"""The Block Storage service through the real `openstack` CLI against `gureum up`
(issue 5's acceptance list, the parts built so far, in order)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cloudproc import OpenStackCLI, gureum_up

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("volumes")
    with gureum_up(folder / "state", GUREUM_IMAGE__DEFAULT_GUEST="false",
                   GUREUM_NETWORK__PUBLIC_NETWORK="false") as state:
        yield state


def failure(cli: OpenStackCLI, *args: str) -> str:
    result = cli.run(*args, check=False)
    assert result.returncode != 0, f"openstack {' '.join(args)} should have failed"
    return result.stderr


def wait(cli: OpenStackCLI, kind: tuple[str, ...], name: str, status: str,
         timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        shown: dict[str, Any] = cli.json(*kind, "show", name)
        if shown["status"] == status:
            return shown
        assert shown["status"] not in ("error", "error_extending", "error_deleting",
                                       "error_restoring", "killed"), shown
        assert time.monotonic() < deadline, f"{name} still {shown['status']}"
        time.sleep(0.2)


def test_volumes_types_snapshots(state: Path) -> None:
    admin = OpenStackCLI(state / "clouds.yaml")
    created = admin.json("volume", "create", "--size", "1", "cli-vol")
    assert created["status"] == "creating" and created["size"] == 1
    vol = wait(admin, ("volume",), "cli-vol", "available")
    assert vol["type"] == "__DEFAULT__"

    made_type = admin.json("volume", "type", "create", "--property",
                           "volume_backend_name=fast", "cli-fast")
    assert made_type["properties"] == {"volume_backend_name": "fast"}
    admin.json("volume", "create", "--size", "1", "--type", "cli-fast", "cli-on-fast")
    on_fast = wait(admin, ("volume",), "cli-on-fast", "available")
    assert on_fast["os-vol-host-attr:host"].startswith("gureum-volume@fast#")

    admin.json("volume", "snapshot", "create", "--volume", "cli-on-fast", "cli-snap")
    snap = wait(admin, ("volume", "snapshot"), "cli-snap", "available")
    assert snap["size"] == 1
    admin.json("volume", "create", "--snapshot", "cli-snap", "--size", "1", "cli-from-snap")
    from_snap = wait(admin, ("volume",), "cli-from-snap", "available")
    assert from_snap["snapshot_id"] == snap["id"]
    admin.json("volume", "create", "--source", "cli-on-fast", "--size", "1", "cli-clone")
    clone = wait(admin, ("volume",), "cli-clone", "available")
    assert clone["source_volid"] == on_fast["id"]

    admin.run("volume", "set", "--size", "2", "cli-vol")
    deadline = time.monotonic() + 30
    while admin.json("volume", "show", "cli-vol")["size"] != 2:
        assert time.monotonic() < deadline
        time.sleep(0.2)

    refused = failure(admin, "volume", "delete", "cli-on-fast")
    assert "have snapshots" in refused and "BadRequestException: 400" in refused
    admin.run("volume", "snapshot", "delete", "cli-snap")

    # retype: the clone (on fast) fits a bulk-only type only by moving, on demand
    admin.json("volume", "type", "create", "--property", "volume_backend_name=bulk",
               "cli-bulk")
    admin.run("volume", "set", "--type", "cli-bulk", "cli-clone")  # policy never: it stays
    assert wait(admin, ("volume",), "cli-clone", "available")["type"] == "cli-fast"
    admin.run("volume", "set", "--type", "cli-bulk", "--retype-policy", "on-demand",
              "cli-clone")
    deadline = time.monotonic() + 30
    while (moved := wait(admin, ("volume",), "cli-clone", "available"))["type"] != "cli-bulk":
        assert time.monotonic() < deadline, moved
        time.sleep(0.2)
    assert moved["os-vol-host-attr:host"].startswith("gureum-volume@bulk#")
    listed = {v["Name"] for v in admin.json("volume", "list")}
    assert {"cli-vol", "cli-on-fast", "cli-from-snap", "cli-clone"} <= listed


def test_quota_services_and_pools(state: Path) -> None:
    admin = OpenStackCLI(state / "clouds.yaml")
    demo = OpenStackCLI(state / "clouds.yaml", "gureum-demo")
    admin.run("quota", "set", "--volumes", "1", "demo")
    quota = admin.json("quota", "show", "--volume", "demo")
    assert {"Resource": "volumes", "Limit": 1} in quota
    demo.json("volume", "create", "--size", "1", "demo-first")
    wait(demo, ("volume",), "demo-first", "available")
    over = failure(demo, "volume", "create", "--size", "1", "demo-second")
    assert "Maximum number of volumes allowed (1) exceeded" in over
    assert "admin-only" not in {v["Name"] for v in demo.json("volume", "list")}

    services = admin.json("volume", "service", "list")
    hosts = {(s["Binary"], s["Host"]) for s in services}
    assert {("cinder-scheduler", "gureum-volume"), ("cinder-volume", "gureum-volume@fast"),
            ("cinder-volume", "gureum-volume@bulk")} <= hosts
    assert {s["State"] for s in services} == {"up"}
    pools = {p["Name"] for p in admin.json("volume", "backend", "pool", "list")}
    assert pools == {"gureum-volume@fast#ssd", "gureum-volume@bulk#hdd-1",
                     "gureum-volume@bulk#hdd-2", "gureum-volume@local#files"}
    assert ("cinder-backup", "gureum-volume") in hosts
    zones = admin.json("availability", "zone", "list", "--volume")
    assert {"Zone Name": "nova", "Zone Status": "available"} in zones


def test_transfer_to_demo(state: Path) -> None:
    admin = OpenStackCLI(state / "clouds.yaml")
    demo = OpenStackCLI(state / "clouds.yaml", "gureum-demo")
    admin.run("quota", "set", "--volumes", "10", "demo")
    admin.json("volume", "create", "--size", "1", "cli-gift")
    gift = wait(admin, ("volume",), "cli-gift", "available")
    request = admin.json("volume", "transfer", "request", "create", "--name", "cli-gift-tr",
                         "cli-gift")
    assert request["volume_id"] == gift["id"] and request["auth_key"]
    accepted = demo.json("volume", "transfer", "request", "accept", "--auth-key",
                         request["auth_key"], request["id"])
    assert accepted["volume_id"] == gift["id"]
    assert "cli-gift" in {v["Name"] for v in demo.json("volume", "list")}
    assert "cli-gift" not in {v["Name"] for v in admin.json("volume", "list")}


PAYLOAD = b"bytes through the openstack CLI " * 40000


def volume_file(state: Path, volume_id: str) -> Path:
    """Where the default `local` file backend keeps a volume."""
    return state / "volumes" / "local" / "files" / f"volume-{volume_id}"


def head(path: Path, length: int = len(PAYLOAD)) -> bytes:
    with path.open("rb") as handle:
        return handle.read(length)


def test_images_and_backups_with_real_bytes(state: Path, tmp_path: Path) -> None:
    admin = OpenStackCLI(state / "clouds.yaml")
    source = tmp_path / "payload.raw"
    source.write_bytes(PAYLOAD)
    admin.json("volume", "type", "create", "--property", "volume_backend_name=local",
               "cli-local")
    admin.json("image", "create", "--file", str(source), "--disk-format", "raw",
               "--container-format", "bare", "cli-image")
    admin.json("volume", "create", "--image", "cli-image", "--size", "1", "--type",
               "cli-local", "cli-from-image")
    made = wait(admin, ("volume",), "cli-from-image", "available")
    assert made["bootable"] in (True, "true")
    assert made["volume_image_metadata"]["image_name"] == "cli-image"
    assert head(volume_file(state, made["id"])) == PAYLOAD

    # image create --volume: the volume's bytes become an image
    admin.json("image", "create", "--volume", "cli-from-image", "--disk-format", "qcow2",
               "cli-uploaded")
    wait(admin, ("image",), "cli-uploaded", "active", timeout=60)
    wait(admin, ("volume",), "cli-from-image", "available")
    saved = tmp_path / "saved.qcow2"
    admin.run("image", "save", "--file", str(saved), "cli-uploaded")
    raw = tmp_path / "saved.raw"
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", str(saved),
                    str(raw)], check=True)
    assert head(raw) == PAYLOAD

    # backup, then restore into a new volume and over an existing one: same bytes
    admin.json("volume", "backup", "create", "--name", "cli-backup", "cli-from-image")
    backup = wait(admin, ("volume", "backup"), "cli-backup", "available", timeout=60)
    assert backup["size"] == 1
    admin.json("volume", "backup", "restore", "cli-backup", "cli-restored")
    restored = wait(admin, ("volume",), "cli-restored", "available", timeout=60)
    assert head(volume_file(state, restored["id"])) == PAYLOAD
    admin.json("volume", "create", "--size", "1", "--type", "cli-local", "cli-target")
    target = wait(admin, ("volume",), "cli-target", "available")
    admin.json("volume", "backup", "restore", "--force", "cli-backup", "cli-target")
    time.sleep(0.5)
    wait(admin, ("volume",), "cli-target", "available", timeout=60)
    assert head(volume_file(state, target["id"])) == PAYLOAD
    # volume create --backup (microversion 3.47)
    admin.json("volume", "create", "--backup", "cli-backup", "--size", "1", "--type",
               "cli-local", "cli-from-backup", OS_VOLUME_API_VERSION="3.47")
    from_backup = wait(admin, ("volume",), "cli-from-backup", "available", timeout=60)
    assert head(volume_file(state, from_backup["id"])) == PAYLOAD
    listed = {b["Name"] for b in admin.json("volume", "backup", "list")}
    assert "cli-backup" in listed
    admin.run("volume", "backup", "delete", "cli-backup")
