"""Server actions move nova's states through the host's agent; locks, reset state,
security groups, the console log, and the instance actions that record them all."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import update

from gureum.compute.agent import ComputeAgent
from gureum.compute.models import Server
from tests.functional.compute_helpers import (
    compute_client,
    create_server,
    settle,
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
    deadline = time.monotonic() + 15
    while demo_nova.get(f"/servers/{sid}").status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # a deleted server's actions stay readable from 2.21, not before
    after = demo_nova.get(f"/servers/{sid}/os-instance-actions").json()["instanceActions"]
    assert [a["action"] for a in after][:2] == ["delete", "resume"]
    assert demo_nova.get(f"/servers/{sid}/os-instance-actions", headers={
        "OpenStack-API-Version": "compute 2.20"}).status_code == 404


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
    assert console.status_code == 200 and console.json()["output"].endswith(" login:")
    assert "\n" not in console.json()["output"]
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
        missing = act(demo_nova, sid, {"addSecurityGroup": {"name": "no-such-group"}})
        assert missing.status_code == 404
        assert missing.json()["itemNotFound"]["message"].startswith(
            "Security group no-such-group is not found for project")
        absent = act(demo_nova, sid, {"removeSecurityGroup": {"name": group["name"]}})
        assert absent.status_code == 404 and absent.json()["itemNotFound"]["message"] == (
            f"Security group {group['name']} not associated with the instance {sid}")
        assert act(demo_nova, sid, {"addSecurityGroup": {"name": " "}}).status_code == 400
        assert act(demo_nova, sid, {"addSecurityGroup": {}}).status_code == 400
    assert demo_nova.delete(f"/servers/{sid}").status_code == 204


def test_server_metadata_items(nova: httpx.Client, demo_nova: httpx.Client,
                               image: str) -> None:
    server = create_server(demo_nova, image, name=unique("meta"), metadata={"a": "1"})
    sid = server["id"]
    wait_status(demo_nova, sid, {"ACTIVE"})
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


def set_server(cloud: RunningCloud, server_id: str, **values: object) -> None:
    """Put a server in a state the instant fake never holds long enough to see (as an
    agent that died mid-action would leave it)."""
    async def write() -> None:
        assert cloud.cloud.db is not None
        async with cloud.cloud.db.session() as session:
            await session.execute(update(Server).where(Server.id == server_id).values(
                **values))
    cloud.run(write())


def agent_of(cloud: RunningCloud, nova: httpx.Client, server_id: str) -> ComputeAgent:
    host = nova.get(f"/servers/{server_id}").json()["server"]["OS-EXT-SRV-ATTR:host"]
    return cloud.cloud.compute_agents[host]



def test_task_states_refuse_in_nova_words_and_a_hard_reboot_takes_over(
        cloud: RunningCloud, nova: httpx.Client, demo_nova: httpx.Client, image: str) -> None:
    sid = create_server(demo_nova, image, name=unique("tasks"))["id"]
    wait_status(demo_nova, sid, {"ACTIVE"})
    set_server(cloud, sid, task_state="rebooting")  # a soft reboot under way
    assert demo_nova.get(f"/servers/{sid}").json()["server"]["status"] == "REBOOT"
    for body, action in (({"os-stop": None}, "stop"), ({"reboot": {"type": "soft"}},
                                                       "reboot")):
        refused = act(demo_nova, sid, body)
        assert refused.status_code == 409
        assert refused.json()["conflictingRequest"]["message"] == (
            f"Cannot '{action}' instance {sid} while it is in task_state rebooting")
    # the vm_state is named first, as nova checks it first
    assert act(demo_nova, sid, {"resume": None}).json()["conflictingRequest"][
        "message"] == f"Cannot 'resume' instance {sid} while it is in vm_state active"
    assert act(demo_nova, sid, {"reboot": {"type": "Hard"}}).status_code == 202
    shown = settle(demo_nova, sid, "ACTIVE")
    assert shown["OS-EXT-STS:power_state"] == 1
    # the same from a stopped server: only a hard reboot (nova's ALLOW_HARD_REBOOT)
    assert act(demo_nova, sid, {"os-stop": None}).status_code == 202
    settle(demo_nova, sid, "SHUTOFF")
    assert act(demo_nova, sid, {"reboot": {"type": "SOFT"}}).status_code == 409
    assert act(demo_nova, sid, {"reboot": {"type": "HARD"}}).status_code == 202
    settle(demo_nova, sid, "ACTIVE")
    for bad in ({"reboot": {}}, {"os-resetState": {"state": "stopped"}},
                {"os-getConsoleOutput": {"length": "ten"}},
                {"os-getConsoleOutput": {"length": -2}},
                {"os-stop": None, "os-start": None}):
        assert act(nova, sid, bad).status_code == 400, bad
    portless = act(demo_nova, sid, {"addSecurityGroup": {"name": "default"}})
    assert portless.json()["itemNotFound"]["message"] == (
        f"instance_id {sid} could not be found as device id on any ports")
    # of racing stops exactly one wins: the move to powering-off is conditional
    with ThreadPoolExecutor(5) as pool:
        codes = sorted(pool.map(lambda _: act(demo_nova, sid, {"os-stop": None}).status_code,
                                range(5)))
    assert codes == [202, 409, 409, 409, 409]
    settle(demo_nova, sid, "SHUTOFF")
    unknown = act(demo_nova, sid, {"os-fly": None})
    assert unknown.json()["badRequest"]["message"] == "There is no such action: os-fly"
    assert act(demo_nova, sid, {"os-getConsoleOutput": {"length": "0"}}).json() == {
        "output": ""}
    assert act(demo_nova, sid, {"os-getConsoleOutput": {"length": -1}}).json()[
        "output"].startswith("[")
    assert demo_nova.delete(f"/servers/{sid}").status_code == 204


def test_a_failed_action_is_recorded_and_leaves_the_server_as_it_was(
        cloud: RunningCloud, nova: httpx.Client, demo_nova: httpx.Client, image: str) -> None:
    sid = create_server(demo_nova, image, name=unique("failing"))["id"]
    wait_status(demo_nova, sid, {"ACTIVE"})
    agent = agent_of(cloud, nova, sid)
    # the driver fails: the task is cleared, the server stays as it was, the action
    # and its event say Error (the traceback for admins only)
    agent.driver.fail_next("pause")  # type: ignore[attr-defined]
    paused = act(demo_nova, sid, {"pause": None})
    assert paused.status_code == 202
    shown = settle(demo_nova, sid, "ACTIVE")
    assert shown["OS-EXT-STS:vm_state"] == "active"
    request_id = paused.headers["x-openstack-request-id"]
    deadline = time.monotonic() + 15
    while True:  # the agent clears the task, then finishes the event
        failed = nova.get(f"/servers/{sid}/os-instance-actions/{request_id}").json()[
            "instanceAction"]
        if failed["message"] or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert failed["action"] == "pause" and failed["message"] == "Error"
    (event,) = failed["events"]
    assert (event["event"], event["result"]) == ("compute_pause_instance", "Error")
    assert "injected" in event["traceback"]
    assert demo_nova.delete(f"/servers/{sid}").status_code == 204


def test_metadata_and_tags_change_only_on_a_settled_unlocked_server(
        cloud: RunningCloud, nova: httpx.Client, demo_nova: httpx.Client, image: str) -> None:
    tags_nova = compute_client(cloud, "demo", version="2.26")
    # an admin's server that never finishes building (the fake driver's behaviour key)
    stuck = create_server(nova, image, name=unique("stuck"), metadata={
        "gureum:fake_behaviour": "build_stuck"})["id"]
    for method, path, body, action in (
            ("POST", "/metadata", {"metadata": {"a": "1"}}, "update metadata"),
            ("PUT", "/tags/web", None, "update tag"),
            ("PUT", "/tags", {"tags": ["a"]}, "update tags"),
            ("DELETE", "/tags", None, "delete tags"),
            ("POST", "/action", {"os-stop": None}, "stop")):
        refused = tags_nova.request(method, f"/servers/{stuck}{path}", json=body,
                                    headers={"X-Auth-Token": cloud.token("admin", "admin")})
        assert refused.status_code == 409, (path, refused.text)
        assert refused.json()["conflictingRequest"]["message"] == (
            f"Cannot '{action}' instance {stuck} while it is in vm_state building")
    assert nova.delete(f"/servers/{stuck}").status_code == 204

    sid = create_server(demo_nova, image, name=unique("settled"))["id"]
    wait_status(demo_nova, sid, {"ACTIVE"})
    assert tags_nova.put(f"/servers/{sid}/tags/web").status_code == 201
    assert tags_nova.put(f"/servers/{sid}/tags/web").status_code == 204
    assert tags_nova.get(f"/servers/{sid}/tags/db").json()["itemNotFound"]["message"] == (
        f"Server {sid} has no tag 'db'")
    assert tags_nova.delete(f"/servers/{sid}/tags/db").json()["itemNotFound"][
        "message"] == f"Instance {sid} has no tag 'db'"
    assert tags_nova.put(f"/servers/{sid}/tags/a,b").json()["badRequest"][
        "message"].startswith("Tag 'a,b' is invalid. It must be a non empty string")
    # locked by its owner: metadata waits (409), a second lock changes nothing
    assert act(demo_nova, sid, {"lock": None}).status_code == 202
    assert act(demo_nova, sid, {"lock": None}).status_code == 202
    locked = demo_nova.post(f"/servers/{sid}/metadata", json={"metadata": {"a": "1"}})
    assert locked.status_code == 409
    assert locked.json()["conflictingRequest"]["message"] == f"Instance {sid} is locked"
    actions = [a["action"] for a in demo_nova.get(
        f"/servers/{sid}/os-instance-actions").json()["instanceActions"]]
    assert actions == ["lock", "create"]
    lock_id = demo_nova.get(f"/servers/{sid}/os-instance-actions").json()[
        "instanceActions"][0]["request_id"]
    events = nova.get(f"/servers/{sid}/os-instance-actions/{lock_id}").json()[
        "instanceAction"]["events"]
    assert [(e["event"], e["result"]) for e in events] == [("api_lock", "Success")]
    assert act(demo_nova, sid, {"unlock": None}).status_code == 202
    assert tags_nova.delete(f"/servers/{sid}").status_code == 204
    tags_nova.close()
