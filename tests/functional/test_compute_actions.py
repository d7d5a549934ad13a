"""Server actions move nova's states through the host's agent; locks, reset state,
security groups, the console log, and the instance actions that record them all."""

from __future__ import annotations

import httpx

from tests.functional.compute_helpers import (
    create_server,
    wait_status,
)
from tests.harness import RunningCloud, unique


def act(client: httpx.Client, server_id: str, body: object) -> httpx.Response:
    return client.post(f"/servers/{server_id}/action", json=body)


def test_power_actions_move_states_as_nova_does(demo_nova: httpx.Client, image: str) -> None:
    server = create_server(demo_nova, image, networks="auto", name=unique("power"))
    sid = server["id"]
    wait_status(demo_nova, sid, {"ACTIVE"})
    steps = [({"os-stop": None}, "SHUTOFF", "stopped", 4),
             ({"os-start": None}, "ACTIVE", "active", 1),
             ({"reboot": {"type": "SOFT"}}, "ACTIVE", "active", 1),
             ({"reboot": {"type": "HARD"}}, "ACTIVE", "active", 1),
             ({"pause": None}, "PAUSED", "paused", 3),
             ({"unpause": None}, "ACTIVE", "active", 1),
             ({"suspend": None}, "SUSPENDED", "suspended", 7),
             ({"resume": None}, "ACTIVE", "active", 1)]
    for body, status, vm_state, power in steps:
        answered = act(demo_nova, sid, body)
        assert answered.status_code == 202, (body, answered.text)
        shown = wait_status(demo_nova, sid, {status})
        while shown["OS-EXT-STS:task_state"] is not None:
            shown = wait_status(demo_nova, sid, {status})
        assert (shown["OS-EXT-STS:vm_state"], shown["OS-EXT-STS:power_state"]) == (
            vm_state, power), body
    # an action the state does not allow is a 409 in nova's words
    refused = act(demo_nova, sid, {"unpause": None})
    assert refused.status_code == 409
    assert refused.json()["conflictingRequest"]["message"] == (
        f"Cannot 'unpause' instance {sid} while it is in vm_state active")
    assert act(demo_nova, sid, {"reboot": {"type": "GENTLE"}}).status_code == 400
    assert act(demo_nova, sid, {"os-migrate-everything": None}).status_code == 400
    # every action is recorded, newest first, with its events for admins
    actions = demo_nova.get(f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in actions] == ["resume", "suspend", "unpause", "pause",
                                              "reboot", "reboot", "start", "stop", "create"]
    assert demo_nova.delete(f"/servers/{sid}").status_code == 204


def test_events_locks_reset_state_and_console(nova: httpx.Client, demo_nova: httpx.Client,
                                              image: str) -> None:
    server = create_server(demo_nova, image, networks="auto", name=unique("locked"))
    sid = server["id"]
    wait_status(demo_nova, sid, {"ACTIVE"})
    create = demo_nova.get(f"/servers/{sid}/os-instance-actions").json()[
        "instanceActions"][-1]
    detail = nova.get(f"/servers/{sid}/os-instance-actions/{create['request_id']}").json()[
        "instanceAction"]
    events = {e["event"]: e["result"] for e in detail["events"]}
    assert events == {"conductor_schedule_and_build_instances": "Success",
                      "compute__do_build_and_run_instance": "Success"}
    member_view = demo_nova.get(
        f"/servers/{sid}/os-instance-actions/{create['request_id']}").json()
    assert "events" not in member_view["instanceAction"]  # before 2.51, admins only
    # locked by its owner: actions wait for the unlock; an admin may still act
    assert act(demo_nova, sid, {"lock": None}).status_code == 202
    assert demo_nova.get(f"/servers/{sid}").json()["server"]["locked"] is True
    locked = act(demo_nova, sid, {"os-stop": None})
    assert locked.status_code == 409 and "locked" in locked.json()[
        "conflictingRequest"]["message"]
    assert demo_nova.delete(f"/servers/{sid}").status_code == 409
    assert act(demo_nova, sid, {"unlock": None}).status_code == 202
    # locked by an admin (of another project): only an admin unlocks it
    assert act(nova, sid, {"lock": None}).status_code == 202
    assert act(demo_nova, sid, {"unlock": None}).status_code == 403
    assert act(nova, sid, {"unlock": None}).status_code == 202
    assert act(demo_nova, sid, {"os-resetState": {"state": "error"}}).status_code == 403
    assert act(nova, sid, {"os-resetState": {"state": "error"}}).status_code == 202
    assert demo_nova.get(f"/servers/{sid}").json()["server"]["status"] == "ERROR"
    assert act(nova, sid, {"os-resetState": {"state": "active"}}).status_code == 202
    console = act(demo_nova, sid, {"os-getConsoleOutput": {"length": 1}})
    assert console.status_code == 200 and console.json()["output"].endswith("login:\n")
    full = act(demo_nova, sid, {"os-getConsoleOutput": {}}).json()["output"]
    assert "Booting" in full and len(full.splitlines()) > 1
    assert demo_nova.delete(f"/servers/{sid}").status_code == 204


def test_security_groups_follow_the_server_to_its_ports(cloud: RunningCloud,
                                                        demo_nova: httpx.Client,
                                                        image: str) -> None:
    with httpx.Client(base_url=f"{cloud.url}/networking/v2.0", timeout=30, headers={
            "X-Auth-Token": cloud.token("demo", "demo")}) as net:
        group = net.post("/security-groups", json={"security_group": {
            "name": unique("web")}}).json()["security_group"]
        server = create_server(demo_nova, image, networks="auto", name=unique("sg"))
        sid = server["id"]
        wait_status(demo_nova, sid, {"ACTIVE"})
        assert act(demo_nova, sid, {"addSecurityGroup": {"name": group["name"]}}
                   ).status_code == 202
        (port,) = net.get("/ports", params={"device_id": sid}).json()["ports"]
        assert group["id"] in port["security_groups"]
        names = {g["name"] for g in demo_nova.get(f"/servers/{sid}").json()["server"][
            "security_groups"]}
        assert names == {"default", group["name"]}
        assert act(demo_nova, sid, {"removeSecurityGroup": {"name": group["name"]}}
                   ).status_code == 202
        (port,) = net.get("/ports", params={"device_id": sid}).json()["ports"]
        assert group["id"] not in port["security_groups"]
        assert act(demo_nova, sid, {"addSecurityGroup": {"name": "no-such-group"}}
                   ).status_code == 400
    assert demo_nova.delete(f"/servers/{sid}").status_code == 204


def test_server_metadata_items(nova: httpx.Client, demo_nova: httpx.Client,
                               image: str) -> None:
    server = create_server(demo_nova, image, name=unique("meta"), metadata={"a": "1"})
    sid = server["id"]
    merged = demo_nova.post(f"/servers/{sid}/metadata", json={"metadata": {"b": "2"}})
    assert merged.json() == {"metadata": {"a": "1", "b": "2"}}
    assert demo_nova.put(f"/servers/{sid}/metadata/c", json={"meta": {"c": "3"}}).json() == {
        "meta": {"c": "3"}}
    assert demo_nova.get(f"/servers/{sid}/metadata/c").json() == {"meta": {"c": "3"}}
    assert demo_nova.put(f"/servers/{sid}/metadata/c", json={"meta": {"d": "3"}}
                         ).status_code == 400
    assert demo_nova.delete(f"/servers/{sid}/metadata/a").status_code == 204
    assert demo_nova.get(f"/servers/{sid}/metadata/a").status_code == 404
    replaced = demo_nova.put(f"/servers/{sid}/metadata", json={"metadata": {"z": "26"}})
    assert replaced.json() == {"metadata": {"z": "26"}}
    too_many = {f"k{i}": "v" for i in range(129)}
    assert demo_nova.put(f"/servers/{sid}/metadata", json={"metadata": too_many}
                         ).status_code == 403
    assert demo_nova.post(f"/servers/{sid}/metadata", json={"metadata": {
        "gureum:fake_behaviour": "spawn_fail"}}).status_code == 403
    assert nova.post(f"/servers/{sid}/metadata", json={"metadata": {
        "gureum:fake_behaviour": "delete_fail"}}).status_code == 200
    assert demo_nova.delete(f"/servers/{sid}").status_code == 204
