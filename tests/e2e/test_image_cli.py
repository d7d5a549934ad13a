"""Images through the real `openstack` CLI against `gureum up` (issue 3's acceptance steps
built so far: create from raw and qcow2 files, save, properties and tags, deactivate,
sharing, format mismatch, delete)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.e2e.cloudproc import OpenStackCLI, gureum_up

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("qemu-img") is None,
                                 reason="qemu-img is not installed (apt-get install qemu-utils)")]


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with gureum_up(tmp_path_factory.mktemp("images") / "state") as state:
        yield state


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("files")
    raw = folder / "disk.raw"
    raw.write_bytes(os.urandom(3 << 20))
    qcow2 = folder / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(qcow2), "64M"], check=True)
    return {"raw": raw, "qcow2": qcow2}


def test_images_through_the_cli(state: Path, files: dict[str, Path], tmp_path: Path) -> None:
    admin = OpenStackCLI(state / "clouds.yaml")
    demo = OpenStackCLI(state / "clouds.yaml", "gureum-demo")
    data = files["raw"].read_bytes()
    raw = admin.json("image", "create", "--file", str(files["raw"]), "--disk-format", "raw",
                     "--container-format", "bare", "--private", "cli-raw")
    assert raw["status"] == "active" and raw["size"] == len(data)
    assert raw["checksum"] == hashlib.md5(data).hexdigest()
    shown = admin.json("image", "show", raw["id"])
    assert shown["properties"]["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert shown["virtual_size"] == len(data)
    qcow2 = admin.json("image", "create", "--file", str(files["qcow2"]), "--disk-format",
                       "qcow2", "cli-qcow2")
    assert qcow2["status"] == "active" and qcow2["virtual_size"] == 64 << 20

    admin.run("image", "save", "--file", str(tmp_path / "back"), raw["id"])
    assert (tmp_path / "back").read_bytes() == data

    admin.run("image", "set", "--property", "os_distro=debian", "--tag", "blue", raw["id"])
    listed = admin.json("image", "list", "--property", "os_distro=debian", "--tag", "blue")
    assert [i["ID"] for i in listed] == [raw["id"]]
    admin.run("image", "set", "--deactivate", raw["id"])
    assert admin.json("image", "show", raw["id"])["status"] == "deactivated"
    admin.run("image", "set", "--activate", raw["id"])
    assert admin.json("image", "show", raw["id"])["status"] == "active"

    # private: invisible to demo until shared and accepted
    assert raw["id"] not in {i["ID"] for i in demo.json("image", "list")}
    assert demo.run("image", "show", raw["id"], check=False).returncode != 0
    admin.run("image", "set", "--shared", raw["id"])
    admin.run("image", "add", "project", raw["id"], "demo")
    assert raw["id"] not in {i["ID"] for i in demo.json("image", "list")}
    demo.run("image", "set", "--accept", raw["id"])
    assert raw["id"] in {i["ID"] for i in demo.json("image", "list")}
    assert qcow2["id"] not in {i["ID"] for i in demo.json("image", "list")}  # still private

    liar = admin.run("image", "create", "--file", str(files["raw"]), "--disk-format",
                     "qcow2", "cli-liar", check=False)
    assert liar.returncode != 0 and "content is raw" in liar.stderr

    # created over HTTP: `openstack image create` without --file reads its stdin, which
    # in a test is no terminal, and uploads it
    token = admin.json("token", "issue")["id"]
    auth_url = yaml.safe_load((state / "clouds.yaml").read_text())["clouds"]["gureum"][
        "auth"]["auth_url"]
    staged = httpx.post(auth_url.replace("/identity", "/image/v2/images"),
                        headers={"X-Auth-Token": token}, json={
                            "name": "cli-staged", "disk_format": "raw",
                            "container_format": "bare"}).json()
    admin.run("image", "stage", "--file", str(files["raw"]), staged["id"])
    assert admin.json("image", "show", staged["id"])["status"] == "uploading"
    admin.run("image", "import", "--method", "glance-direct", staged["id"])
    deadline = time.monotonic() + 30
    while admin.json("image", "show", staged["id"])["status"] != "active":
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.5)
    assert admin.json("image", "show", staged["id"])["checksum"] == raw["checksum"]

    admin.run("image", "delete", qcow2["id"])
    gone = admin.run("image", "show", qcow2["id"], check=False)
    assert gone.returncode != 0 and "No Image found" in gone.stderr


def test_quotas_through_the_cli(state: Path, files: dict[str, Path]) -> None:
    admin = OpenStackCLI(state / "clouds.yaml")
    demo = OpenStackCLI(state / "clouds.yaml", "gureum-demo")
    registered = admin.json("registered", "limit", "list", "--service", "glance")
    assert {r["Resource Name"]: r["Default Limit"] for r in registered}[
        "image_count_total"] == 100
    limit = admin.json("limit", "create", "--service", "glance", "--project", "demo",
                       "--region", "RegionOne", "--resource-limit", "1", "image_count_total")
    first = demo.json("image", "create", "--file", str(files["qcow2"]), "--disk-format",
                      "qcow2", "demo-one")
    assert first["status"] == "active"
    refused = demo.run("image", "create", "--file", str(files["qcow2"]), "--disk-format",
                       "qcow2", "demo-two", check=False)
    assert refused.returncode != 0 and "image_count_total is over limit of 1" in refused.stderr
    mine = {i["Name"] for i in demo.json("image", "list")} & {"demo-one", "demo-two"}
    assert mine == {"demo-one"}
    admin.run("limit", "delete", limit["id"])
    second = demo.json("image", "create", "--file", str(files["qcow2"]), "--disk-format",
                       "qcow2", "demo-two")
    assert second["status"] == "active"


def test_metadata_definitions_through_the_cli(state: Path) -> None:
    admin = OpenStackCLI(state / "clouds.yaml")
    demo = OpenStackCLI(state / "clouds.yaml", "gureum-demo")
    builtin = {n["namespace"] for n in demo.json("image", "metadef", "namespace", "list")}
    assert "OS::Compute::VirtCPUTopology" in builtin
    admin.json("image", "metadef", "namespace", "create", "--public", "--description",
               "cli test", "GUREUM::CLI")
    admin.json("image", "metadef", "property", "create", "--name", "speed", "--title",
               "Speed", "--type", "integer", "--schema", '{"minimum": 1}', "GUREUM::CLI")
    shown = demo.json("image", "metadef", "property", "show", "GUREUM::CLI", "speed")
    assert shown["minimum"] == 1 and shown["type"] == "integer"
    refused = demo.run("image", "metadef", "namespace", "delete", "GUREUM::CLI", check=False)
    assert refused.returncode != 0
    types = {t["Name"] for t in demo.json("image", "metadef", "resource", "type", "list")}
    assert "OS::Nova::Flavor" in types
    admin.run("image", "metadef", "namespace", "delete", "GUREUM::CLI")
    assert "GUREUM::CLI" not in {n["namespace"] for n in admin.json(
        "image", "metadef", "namespace", "list")}


def test_the_default_guest_is_registered_and_boots(state: Path, tmp_path: Path) -> None:
    """Bootstrap registers gureum-guest (kernel, ramdisk, and the image naming both); its
    kernel and ramdisk, downloaded through the CLI, boot under QEMU to the ready line."""
    demo = OpenStackCLI(state / "clouds.yaml", "gureum-demo")
    deadline = time.monotonic() + 180
    while True:
        listed = {i["Name"]: i for i in demo.json("image", "list", "--public")}
        if listed.get("gureum-guest", {}).get("Status") == "active":
            break
        assert time.monotonic() < deadline, f"no active gureum-guest: {listed}"
        time.sleep(1)
    image = demo.json("image", "show", "gureum-guest")
    assert image["disk_format"] == "ami" and image["visibility"] == "public"
    properties = image["properties"]
    kernel = demo.json("image", "show", properties["kernel_id"])
    ramdisk = demo.json("image", "show", properties["ramdisk_id"])
    assert (kernel["disk_format"], ramdisk["disk_format"]) == ("aki", "ari")
    demo.run("image", "save", "--file", str(tmp_path / "vmlinuz"), kernel["id"])
    demo.run("image", "save", "--file", str(tmp_path / "initrd"), ramdisk["id"])
    assert hashlib.md5((tmp_path / "vmlinuz").read_bytes()).hexdigest() == kernel["checksum"]

    qemu = shutil.which("qemu-system-x86_64")
    assert qemu, "qemu-system-x86 is not installed (scripts/bootstrap installs it)"
    console = tmp_path / "console.log"
    vm = subprocess.Popen(
        [qemu, "-accel", "tcg,tb-size=64", "-m", "128", "-nographic", "-no-reboot",
         "-kernel", str(tmp_path / "vmlinuz"), "-initrd", str(tmp_path / "initrd"),
         "-append", "console=ttyS0 quiet panic=-1", "-nic", "user,model=virtio-net-pci"],
        stdout=console.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while b"gureum-guest: ready" not in console.read_bytes():
            assert vm.poll() is None, console.read_bytes()[-2000:]
            assert time.monotonic() < deadline, console.read_bytes()[-2000:]
            time.sleep(0.5)
    finally:
        vm.kill()
        vm.wait()
    output = console.read_bytes().decode(errors="replace")
    assert "gureum-guest: booting" in output and "gureum-guest: address 10.0.2.15" in output
