"""Volume actions, both attach negotiations (legacy actions and the attachments API),
snapshots, copies, quotas under races, and the scheduler's retries when a backend fails."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import openstack
import pytest

from tests.functional.volume_helpers import (
    backend_of,
    create_volume,
    driver,
    project_id,
    unlimited,
    volume_client,
    wait_for,
    wait_gone,
)
from tests.harness import RunningCloud, unique

CONNECTOR = {"host": "compute-1", "initiator": "iqn.2004-10.org.debian:01:abc",
             "ip": "192.0.2.10", "platform": "x86_64", "os_type": "linux",
             "multipath": False}


pytestmark = pytest.mark.usefixtures("volumes_unlimited")



@pytest.fixture()
def demo_vol(cloud: RunningCloud) -> Iterator[httpx.Client]:
    with volume_client(cloud, "demo", "3.44") as client:
        yield client


def act(client: httpx.Client, volume_id: str, name: str, body: object = None,
        ) -> httpx.Response:
    return client.post(f"/volumes/{volume_id}/action", json={name: body})


def show(client: httpx.Client, volume_id: str) -> dict[str, object]:
    answer = client.get(f"/volumes/{volume_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()["volume"]  # type: ignore[no-any-return]


def test_flags_and_reset_status(vol: httpx.Client) -> None:
    volume = create_volume(vol)
    assert act(vol, volume["id"], "os-set_bootable", {"bootable": True}).status_code == 200
    assert show(vol, volume["id"])["bootable"] == "true"
    assert act(vol, volume["id"], "os-update_readonly_flag",
               {"readonly": True}).status_code == 202
    info = act(vol, volume["id"], "os-initialize_connection", {"connector": CONNECTOR})
    assert info.json()["connection_info"]["data"]["access_mode"] == "ro"
    assert act(vol, volume["id"], "os-reset_status", {"status": "error"}).status_code == 202
    assert show(vol, volume["id"])["status"] == "error"
    assert act(vol, volume["id"], "os-nonsense", {}).status_code == 400
    smaller = act(vol, volume["id"], "os-extend", {"new_size": 1})
    assert smaller.status_code == 400
    assert vol.delete(f"/volumes/{volume['id']}").status_code == 202
    wait_gone(vol, f"/volumes/{volume['id']}")


def test_legacy_attach_and_detach(vol: httpx.Client) -> None:
    volume = create_volume(vol)
    vid = volume["id"]
    assert act(vol, vid, "os-reserve").status_code == 202
    assert show(vol, vid)["status"] == "attaching"
    assert act(vol, vid, "os-unreserve").status_code == 202
    assert show(vol, vid)["status"] == "available"
    assert act(vol, vid, "os-reserve").status_code == 202
    info = act(vol, vid, "os-initialize_connection", {"connector": CONNECTOR})
    assert info.status_code == 200, info.text
    assert info.json()["connection_info"]["driver_volume_type"] == "fake"
    server = "7c1e4a33-5a2c-4f55-9d3b-ff1ad2cf9b10"
    attached = act(vol, vid, "os-attach", {"instance_uuid": server, "mountpoint": "/dev/vdb",
                                           "mode": "rw"})
    assert attached.status_code == 202, attached.text
    now = show(vol, vid)
    assert now["status"] == "in-use"
    (attachment,) = now["attachments"]  # type: ignore[misc]
    assert attachment["server_id"] == server and attachment["device"] == "/dev/vdb"
    refused = vol.delete(f"/volumes/{vid}")
    assert refused.status_code == 400
    assert act(vol, vid, "os-begin_detaching").status_code == 202
    assert show(vol, vid)["status"] == "detaching"
    assert act(vol, vid, "os-roll_detaching").status_code == 202
    assert show(vol, vid)["status"] == "in-use"
    assert act(vol, vid, "os-begin_detaching").status_code == 202
    assert act(vol, vid, "os-terminate_connection", {"connector": CONNECTOR}).status_code \
        == 202
    detached = act(vol, vid, "os-detach", {"attachment_id": attachment["attachment_id"]})
    assert detached.status_code == 202, detached.text
    now = show(vol, vid)
    assert now["status"] == "available" and now["attachments"] == []


def _race(client: httpx.Client, volume_id: str, times: int) -> list[int]:
    def reserve(_: int) -> int:
        return act(client, volume_id, "os-reserve").status_code

    with ThreadPoolExecutor(times) as pool:
        return sorted(pool.map(reserve, range(times)))


def test_concurrent_reserves_one_wins(vol: httpx.Client) -> None:
    single = create_volume(vol)
    assert _race(vol, single["id"], 2) == [202, 400]
    many = [create_volume(vol) for _ in range(3)]
    for volume in many:
        assert _race(vol, volume["id"], 4) == [202, 400, 400, 400]
    shared = create_volume(vol, multiattach=True)
    assert shared["multiattach"] is True
    assert act(vol, shared["id"], "os-reserve").status_code == 202
    act(vol, shared["id"], "os-attach", {"instance_uuid": "a" * 8, "mountpoint": "/dev/vdb"})
    assert show(vol, shared["id"])["status"] == "in-use"
    assert _race(vol, shared["id"], 2) == [202, 202]


def test_attachments_api(vol: httpx.Client, cloud: RunningCloud) -> None:
    volume = create_volume(vol)
    server = "3f2f6d5e-0000-4000-8000-00000000abcd"
    old = volume_client(cloud, "admin", "3.26")
    assert old.post("/attachments", json={"attachment": {
        "volume_uuid": volume["id"], "instance_uuid": server}}).status_code == 404
    made = vol.post("/attachments", json={"attachment": {"volume_uuid": volume["id"],
                                                         "instance_uuid": server}})
    assert made.status_code == 200, made.text
    attachment = made.json()["attachment"]
    assert attachment["status"] == "reserved" and attachment["instance"] == server
    assert show(vol, volume["id"])["status"] == "reserved"
    second = vol.post("/attachments", json={"attachment": {"volume_uuid": volume["id"],
                                                           "instance_uuid": server}})
    assert second.status_code == 400
    updated = vol.put(f"/attachments/{attachment['id']}",
                      json={"attachment": {"connector": CONNECTOR}})
    assert updated.status_code == 200, updated.text
    assert updated.json()["attachment"]["connection_info"]["driver_volume_type"] == "fake"
    assert show(vol, volume["id"])["status"] == "attaching"
    done = vol.post(f"/attachments/{attachment['id']}/action", json={"os-complete": None})
    assert done.status_code == 204, done.text
    now = show(vol, volume["id"])
    assert now["status"] == "in-use" and now["attachments"][0]["attachment_id"] == (  # type: ignore[index]
        attachment["id"])
    listed = vol.get("/attachments", params={"volume_id": volume["id"]}).json()
    assert [a["id"] for a in listed["attachments"]] == [attachment["id"]]
    gone = vol.delete(f"/attachments/{attachment['id']}")
    assert gone.status_code == 200 and gone.json() == {"attachments": []}
    assert show(vol, volume["id"])["status"] == "available"
    assert vol.get(f"/attachments/{attachment['id']}").status_code == 404


def test_snapshots_copies_and_cascade(vol: httpx.Client) -> None:
    fast = unique("fast")
    vol.post("/types", json={"volume_type": {"name": fast,
                                             "extra_specs": {"volume_backend_name": "fast"}}})
    source = create_volume(vol, volume_type=fast, name=unique("source"))
    made = vol.post("/snapshots", json={"snapshot": {"volume_id": source["id"],
                                                     "name": unique("snap"),
                                                     "metadata": {"k": "v"}}})
    assert made.status_code == 202, made.text
    snapshot = wait_for(vol, f"/snapshots/{made.json()['snapshot']['id']}", "snapshot",
                        {"available", "error"})
    assert snapshot["status"] == "available" and snapshot["size"] == 1
    assert snapshot["os-extended-snapshot-attributes:progress"] == "100%"
    renamed = vol.put(f"/snapshots/{snapshot['id']}", json={"snapshot": {"name": "renamed"}})
    assert renamed.json()["snapshot"]["name"] == "renamed"
    assert vol.get(f"/snapshots/{snapshot['id']}/metadata").json() == {"metadata": {"k": "v"}}
    copy = create_volume(vol, snapshot_id=snapshot["id"], size=2)
    assert copy["status"] == "available" and copy["snapshot_id"] == snapshot["id"]
    assert backend_of(copy) == "fast" and copy["volume_type"] == fast and copy["size"] == 2
    clone = create_volume(vol, source_volid=source["id"])
    assert clone["status"] == "available" and clone["source_volid"] == source["id"]
    assert backend_of(clone) == "fast"
    too_small = vol.post("/volumes", json={"volume": {"snapshot_id": snapshot["id"],
                                                      "size": 0}})
    assert too_small.status_code == 400
    busy = vol.delete(f"/volumes/{source['id']}")
    assert busy.status_code == 400
    assert "have snapshots" in busy.json()["badRequest"]["message"]
    cascade = vol.delete(f"/volumes/{source['id']}", params={"cascade": "true"})
    assert cascade.status_code == 202
    wait_gone(vol, f"/volumes/{source['id']}")
    assert vol.get(f"/snapshots/{snapshot['id']}").status_code == 404
    assert show(vol, copy["id"])["status"] == "available"


def test_quota_holds_under_concurrent_creates(cloud: RunningCloud, vol: httpx.Client,
                                              demo_vol: httpx.Client) -> None:
    demo = project_id(cloud, "demo")
    used = vol.get(f"/os-quota-sets/{demo}", params={"usage": "True"}).json()["quota_set"]
    in_use = used["volumes"]["in_use"]
    try:
        answer = vol.put(f"/os-quota-sets/{demo}", json={"quota_set": {"volumes": in_use + 5}})
        assert answer.status_code == 200 and answer.json()["quota_set"]["volumes"] == (
            in_use + 5)
        assert demo_vol.put(f"/os-quota-sets/{demo}",
                            json={"quota_set": {"volumes": 100}}).status_code == 403

        def create(_: int) -> int:
            return demo_vol.post("/volumes", json={"volume": {"size": 1}}).status_code

        with ThreadPoolExecutor(10) as pool:
            codes = sorted(pool.map(create, range(10)))
        assert codes == [202] * 5 + [413] * 5
        shown = demo_vol.get(f"/os-quota-sets/{demo}",
                             params={"usage": "True"}).json()["quota_set"]
        assert shown["volumes"] == {"limit": in_use + 5, "in_use": in_use + 5,
                                    "reserved": 0, "allocated": 0}
        limits = demo_vol.get("/limits").json()["limits"]["absolute"]
        assert limits["maxTotalVolumes"] == in_use + 5
        assert limits["totalVolumesUsed"] == in_use + 5
        over = demo_vol.post("/volumes", json={"volume": {"size": 1}})
        assert over.json() == {"overLimit": {"code": 413, "message": (
            f"Maximum number of volumes allowed ({in_use + 5}) exceeded for quota "
            "'volumes'.")}}
        defaults = vol.get(f"/os-quota-sets/{demo}/defaults").json()["quota_set"]
        assert defaults["volumes"] == 10 and defaults["gigabytes"] == 1000
    finally:
        unlimited(cloud)


def test_gigabytes_quota(cloud: RunningCloud, vol: httpx.Client,
                         demo_vol: httpx.Client) -> None:
    demo = project_id(cloud, "demo")
    used = vol.get(f"/os-quota-sets/{demo}", params={"usage": "True"}).json()["quota_set"]
    try:
        vol.put(f"/os-quota-sets/{demo}", json={"quota_set": {
            "gigabytes": used["gigabytes"]["in_use"] + 3}})
        big = demo_vol.post("/volumes", json={"volume": {"size": 4}})
        assert big.status_code == 413
        assert "gigabytes quota" in big.json()["overLimit"]["message"]
        assert create_volume(demo_vol, size=3)["status"] == "available"
    finally:
        unlimited(cloud)


def test_a_failing_backend_is_retried_elsewhere(cloud: RunningCloud,
                                                vol: httpx.Client) -> None:
    # the emptiest pool (bulk's) is chosen first; it fails, fast takes the volume
    bulk = driver(cloud, "bulk")
    bulk.fail_next("create_volume")
    volume = create_volume(vol)
    assert volume["status"] == "available" and backend_of(volume) == "fast"
    assert bulk.calls["create_volume"] >= 1
    # a type only one backend matches: the retry finds nowhere else to go, error with a
    # message
    only_fast = unique("only-fast")
    vol.post("/types", json={"volume_type": {
        "name": only_fast, "extra_specs": {"volume_backend_name": "fast"}}})
    driver(cloud, "fast").fail_next("create_volume")
    failed = create_volume(vol, volume_type=only_fast)
    assert failed["status"] == "error" and failed["os-vol-host-attr:host"] is None
    messages = vol.get("/messages", params={"resource_uuid": failed["id"]}).json()
    assert messages["messages"][0]["user_message"] == (
        "schedule allocate volume:Could not find any available weighted backend.")


def test_extend_failure_and_capacity(cloud: RunningCloud, vol: httpx.Client) -> None:
    fast = unique("fast")
    vol.post("/types", json={"volume_type": {"name": fast,
                                             "extra_specs": {"volume_backend_name": "fast"}}})
    volume = create_volume(vol, volume_type=fast)
    driver(cloud, "fast").fail_next("extend_volume")
    assert act(vol, volume["id"], "os-extend", {"new_size": 3}).status_code == 202
    failed = wait_for(vol, f"/volumes/{volume['id']}", "volume", {"error_extending"})
    assert failed["size"] == 1
    # more than the pool holds: the volume stays, a message says why
    other = create_volume(vol, volume_type=fast)
    assert act(vol, other["id"], "os-extend", {"new_size": 100000}).status_code == 202
    assert show(vol, other["id"])["status"] == "available"
    messages = vol.get("/messages", params={"resource_uuid": other["id"]}).json()
    assert "Insufficient free space" in messages["messages"][0]["user_message"]
    # in-use volumes extend from 3.42
    assert act(vol, other["id"], "os-reserve").status_code == 202
    act(vol, other["id"], "os-attach", {"instance_uuid": "b" * 8, "mountpoint": "/dev/vdc"})
    old = volume_client(cloud, "admin", "3.41")
    assert act(old, other["id"], "os-extend", {"new_size": 2}).status_code == 400
    assert act(vol, other["id"], "os-extend", {"new_size": 2}).status_code == 202
    grown = wait_for(vol, f"/volumes/{other['id']}", "volume", {"in-use"})
    assert grown["size"] == 2


def test_transfer_moves_a_volume_to_another_project(
        cloud: RunningCloud, vol: httpx.Client, demo_vol: httpx.Client,
        demo_sdk: openstack.connection.Connection) -> None:
    volume = create_volume(vol, name=unique("gift"))
    snap = vol.post("/snapshots", json={"snapshot": {"volume_id": volume["id"]}}).json()
    wait_for(vol, f"/snapshots/{snap['snapshot']['id']}", "snapshot", {"available"})
    made = vol.post("/os-volume-transfer", json={"transfer": {"volume_id": volume["id"],
                                                              "name": "to demo"}})
    assert made.status_code == 202, made.text
    transfer = made.json()["transfer"]
    assert len(transfer["auth_key"]) == 16 and transfer["volume_id"] == volume["id"]
    assert show(vol, volume["id"])["status"] == "awaiting-transfer"
    assert vol.delete(f"/volumes/{volume['id']}").status_code == 400
    assert demo_vol.get(f"/os-volume-transfer/{transfer['id']}").status_code == 404
    wrong = demo_vol.post(f"/os-volume-transfer/{transfer['id']}/accept",
                          json={"accept": {"auth_key": "0" * 16}})
    assert wrong.status_code == 400
    accepted = demo_sdk.block_storage.accept_transfer(transfer["id"], transfer["auth_key"])
    assert accepted.volume_id == volume["id"]
    mine = show(demo_vol, volume["id"])
    assert mine["status"] == "available"
    assert mine["os-vol-tenant-attr:tenant_id"] == project_id(cloud, "demo")
    assert demo_vol.get(f"/snapshots/{snap['snapshot']['id']}").status_code == 200
    assert vol.get("/os-volume-transfer").json() == {"transfers": []}
    again = create_volume(vol)
    second = vol.post("/os-volume-transfer", json={"transfer": {"volume_id": again["id"]}})
    assert vol.delete(f"/os-volume-transfer/{second.json()['transfer']['id']}").status_code \
        == 202
    assert show(vol, again["id"])["status"] == "available"
