"""Issue 7's acceptance through the real `openstack` CLI against `gureum up`: volumes,
images of servers, rebuild, ports, boot from volume, resize, migration, shelving —
every action then visible in `server event list`."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.cloudproc import OpenStackCLI
from tests.e2e.compute.cli_waits import volume_status, wait

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(demo: OpenStackCLI, image: str) -> dict[str, Any]:
    made: dict[str, Any] = demo.json("server", "create", "--image", "cli-image", "--flavor",
                                     "m1.nano", "--network", "private", "--wait",
                                     "moves-server")
    return made


def events(cli: OpenStackCLI, server: str) -> list[str]:
    return [e["Action"] for e in cli.json("server", "event", "list", server)]


def test_volumes_attach_and_detach(demo: OpenStackCLI, server: dict[str, Any]) -> None:
    """server add volume / server volume list / server remove volume, the volume's state
    checked in Block Storage at each step."""
    demo.json("volume", "create", "--size", "1", "cli-data")
    volume_status(demo, "cli-data", "available")
    demo.run("server", "add", "volume", "moves-server", "cli-data")
    volume_status(demo, "cli-data", "in-use")
    attached = demo.json("server", "volume", "list", "moves-server")
    assert [(a["Device"], a["Server ID"]) for a in attached] == [("/dev/vdb", server["id"])]
    demo.run("server", "remove", "volume", "moves-server", "cli-data")
    volume_status(demo, "cli-data", "available")
    assert demo.json("server", "volume", "list", "moves-server") == []
    assert {"attach_volume", "detach_volume"} <= set(events(demo, "moves-server"))


def test_two_servers_share_a_multiattach_volume(admin: OpenStackCLI, demo: OpenStackCLI,
                                                server: dict[str, Any]) -> None:
    admin.run("volume", "type", "create", "--property", "multiattach=<is> True",
              "--public", "cli-multiattach")
    demo.json("volume", "create", "--size", "1", "--type", "cli-multiattach", "cli-shared")
    volume_status(demo, "cli-shared", "available")
    other = demo.json("server", "create", "--image", "cli-image", "--flavor", "m1.nano",
                      "--network", "private", "--wait", "sharer")
    for name in ("moves-server", "sharer"):
        demo.run("server", "add", "volume", name, "cli-shared",
                 OS_COMPUTE_API_VERSION="2.60")
    volume_status(demo, "cli-shared", "in-use")
    shown = demo.json("volume", "show", "cli-shared")
    assert shown["multiattach"] is True
    assert {a["server_id"] for a in shown["attachments"]} == {server["id"], other["id"]}
    demo.json("volume", "create", "--size", "1", "cli-single")
    volume_status(demo, "cli-single", "available")
    demo.run("server", "add", "volume", "moves-server", "cli-single")
    refused = demo.run("server", "add", "volume", "sharer", "cli-single", check=False)
    assert refused.returncode != 0 and "400" in refused.stderr
    for name, volume in (("moves-server", "cli-single"), ("moves-server", "cli-shared"),
                         ("sharer", "cli-shared")):
        demo.run("server", "remove", "volume", name, volume)
    volume_status(demo, "cli-shared", "available")
    volume_status(demo, "cli-single", "available")
    demo.run("server", "delete", "--wait", "sharer")


def test_an_image_of_a_server_boots_another(demo: OpenStackCLI, server: dict[str, Any],
                                            ) -> None:
    snapshot = demo.json("server", "image", "create", "--name", "cli-snap", "--wait",
                         "moves-server")
    assert demo.json("image", "show", snapshot["id"])["status"] == "active"
    child = demo.json("server", "create", "--image", "cli-snap", "--flavor", "m1.nano",
                      "--network", "private", "--wait", "cli-from-snap")
    assert child["status"] == "ACTIVE"
    demo.run("server", "delete", "--wait", "cli-from-snap")
    assert "createImage" in events(demo, "moves-server")


def test_rebuild_keeps_the_server_and_its_addresses(demo: OpenStackCLI,
                                                    server: dict[str, Any]) -> None:
    before = demo.json("server", "show", "moves-server")
    demo.run("server", "rebuild", "--image", "cli-snap", "--wait", "moves-server")
    after = wait(demo, "moves-server", "ACTIVE")
    assert (after["id"], after["addresses"]) == (before["id"], before["addresses"])
    assert "cli-snap" in str(after["image"])
    assert "rebuild" in events(demo, "moves-server")


def test_ports_added_and_removed(demo: OpenStackCLI, server: dict[str, Any]) -> None:
    port = demo.json("port", "create", "--network", "private", "cli-extra-port")
    demo.run("server", "add", "port", "moves-server", "cli-extra-port")
    assert demo.json("port", "show", port["id"])["device_id"] == server["id"]
    assert len(demo.json("port", "list", "--server", server["id"])) == 2
    demo.run("server", "remove", "port", "moves-server", "cli-extra-port")
    assert demo.json("port", "show", port["id"])["device_id"] == ""
    assert {"attach_interface", "detach_interface"} <= set(events(demo, "moves-server"))


def test_boot_from_volume_and_block_devices(demo: OpenStackCLI, image: str) -> None:
    """server create --boot-from-volume and --block-device: ACTIVE, the root volume
    listed and in use; delete keeps the user's volume and drops the one made to go."""
    made = demo.json("server", "create", "--image", "cli-image", "--flavor", "m1.nano",
                     "--network", "private", "--boot-from-volume", "1", "--wait",
                     "bfv-server")
    assert made["status"] == "ACTIVE"
    assert "booted from volume" in str(made["image"]) or not made["image"]
    (root,) = demo.json("server", "volume", "list", "bfv-server")
    assert root["Device"] == "/dev/vda"
    assert demo.json("volume", "show", root["Volume ID"])["status"] == "in-use"
    demo.json("volume", "create", "--size", "1", "--image", "cli-image", "cli-root")
    volume_status(demo, "cli-root", "available")
    root_id = demo.json("volume", "show", "cli-root")["id"]
    mapped = demo.json("server", "create", "--flavor", "m1.nano", "--network", "private",
                       "--block-device", f"uuid={root_id},source_type=volume,"
                       "destination_type=volume,boot_index=0",
                       "--block-device", "source_type=blank,destination_type=volume,"
                       "volume_size=1,delete_on_termination=true", "--wait", "bdm-server")
    assert mapped["status"] == "ACTIVE"
    volumes = demo.json("server", "volume", "list", "bdm-server")
    assert sorted(v["Device"] for v in volumes) == ["/dev/vda", "/dev/vdb"]
    blank = next(v["Volume ID"] for v in volumes if v["Device"] == "/dev/vdb")
    demo.run("server", "delete", "--wait", "bdm-server")
    volume_status(demo, "cli-root", "available")  # the user's own stays
    deadline = time.monotonic() + 30
    while demo.run("volume", "show", blank, check=False).returncode == 0:
        assert time.monotonic() < deadline, "the blank volume did not go with the server"
        time.sleep(0.3)
    snapshot = demo.json("server", "image", "create", "--name", "bfv-snap", "--wait",
                         "bfv-server")  # volume-backed: snapshots mapped by an image
    assert demo.json("image", "show", snapshot["id"])["status"] == "active"
    child = demo.json("server", "create", "--image", "bfv-snap", "--flavor", "m1.nano",
                      "--network", "private", "--wait", "bfv-child")
    assert child["status"] == "ACTIVE"
    (child_root,) = demo.json("server", "volume", "list", "bfv-child")
    assert child_root["Volume ID"] != root["Volume ID"]
    demo.run("server", "delete", "--wait", "bfv-child", "bfv-server")


def test_resize_confirm_and_revert(demo: OpenStackCLI, server: dict[str, Any]) -> None:
    def micro(shown: dict[str, Any]) -> bool:  # m1.micro is flavor 84
        return "'84'" in str(shown["flavor"]) or "m1.micro" in str(shown["flavor"])

    demo.run("server", "resize", "--flavor", "m1.micro", "--wait", "moves-server")
    assert micro(wait(demo, "moves-server", "VERIFY_RESIZE"))
    demo.run("server", "resize", "confirm", "moves-server")
    assert micro(wait(demo, "moves-server", "ACTIVE"))
    demo.run("server", "resize", "--flavor", "m1.nano", "--wait", "moves-server")
    wait(demo, "moves-server", "VERIFY_RESIZE")
    demo.run("server", "resize", "revert", "moves-server")
    assert micro(wait(demo, "moves-server", "ACTIVE"))
    assert {"resize", "confirmResize", "revertResize"} <= set(events(demo, "moves-server"))


def test_cold_and_live_migration(admin: OpenStackCLI, demo: OpenStackCLI,
                                 server: dict[str, Any]) -> None:
    def host() -> str:
        return str(admin.json("server", "show", server["id"])["OS-EXT-SRV-ATTR:host"])

    first = host()
    admin.run("server", "migrate", "--wait", server["id"])
    wait(admin, server["id"], "VERIFY_RESIZE")
    admin.run("server", "migration", "confirm", server["id"])
    wait(admin, server["id"], "ACTIVE")
    second = host()
    assert second != first
    admin.run("--os-compute-api-version", "2.30", "server", "migrate", "--live-migration",
              "--host", first, "--wait", server["id"])
    wait(admin, server["id"], "ACTIVE")
    assert host() == first
    listed = admin.json("server", "migration", "list", "--server", server["id"])
    assert {m["Type"] for m in listed} >= {"migration", "live-migration"}
    assert {"migrate", "live-migration"} <= set(events(demo, "moves-server"))


def test_shelve_and_unshelve(demo: OpenStackCLI, server: dict[str, Any]) -> None:
    before = demo.json("server", "show", "moves-server")["addresses"]
    demo.run("server", "shelve", "--wait", "moves-server")
    assert wait(demo, "moves-server", "SHELVED_OFFLOADED")["addresses"] == before
    demo.run("server", "unshelve", "--wait", "moves-server")
    assert wait(demo, "moves-server", "ACTIVE")["addresses"] == before
    assert {"shelve", "unshelve"} <= set(events(demo, "moves-server"))


def test_delete_leaves_attached_volumes_available(demo: OpenStackCLI) -> None:
    demo.json("server", "create", "--image", "cli-image", "--flavor", "m1.nano",
              "--network", "private", "--wait", "doomed")
    demo.json("volume", "create", "--size", "1", "cli-kept")
    volume_status(demo, "cli-kept", "available")
    demo.run("server", "add", "volume", "doomed", "cli-kept")
    volume_status(demo, "cli-kept", "in-use")
    demo.run("server", "delete", "--wait", "doomed")
    volume_status(demo, "cli-kept", "available")
