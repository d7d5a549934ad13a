"""QoS specs over HTTP (as python-cinderclient/openstack CLI drive them): create, keys,
associations with volume types, delete with force, and the front-end specs in a volume's
connection info."""

from __future__ import annotations

import httpx
import openstack

from tests.functional.volume_helpers import create_volume, volume_client
from tests.harness import RunningCloud, unique

CONNECTOR = {"host": "compute-1", "initiator": "iqn.2004-10.org.debian:01:qos"}


def test_qos_specs_lifecycle(cloud: RunningCloud, vol: httpx.Client) -> None:
    name = unique("qos")
    made = vol.post("/qos-specs", json={"qos_specs": {
        "name": name, "consumer": "front-end", "total_iops_sec": "500"}})
    assert made.status_code == 200, made.text
    qos = made.json()["qos_specs"]
    assert qos["specs"] == {"total_iops_sec": "500"} and qos["consumer"] == "front-end"
    assert made.json()["links"][0]["rel"] == "self"
    assert vol.post("/qos-specs", json={"qos_specs": {"name": name}}).status_code == 409
    assert vol.post("/qos-specs", json={"qos_specs": {
        "name": unique("q"), "consumer": "sideways"}}).status_code == 400
    path = f"/qos-specs/{qos['id']}"
    updated = vol.put(path, json={"qos_specs": {"read_bytes_sec": "1024"}})
    assert updated.json() == {"qos_specs": {"read_bytes_sec": "1024"}}
    assert vol.put(f"{path}/delete_keys", json={"keys": ["total_iops_sec"]}).status_code == 202
    assert vol.put(f"{path}/delete_keys", json={"keys": ["nope"]}).status_code == 404
    assert vol.get(path).json()["qos_specs"]["specs"] == {"read_bytes_sec": "1024"}
    assert any(q["id"] == qos["id"] for q in vol.get("/qos-specs").json()["qos_specs"])
    # associate with a type: the type shows it, volumes of the type carry the specs
    vtype = vol.post("/types", json={"volume_type": {"name": unique("qt")}}).json()
    type_id = vtype["volume_type"]["id"]
    assert vol.get(f"{path}/associate", params={"vol_type_id": type_id}).status_code == 202
    assert vol.get(f"{path}/associate").status_code == 400
    other = vol.post("/qos-specs", json={"qos_specs": {"name": unique("q2")}}).json()
    taken = vol.get(f"/qos-specs/{other['qos_specs']['id']}/associate",
                    params={"vol_type_id": type_id})
    assert taken.status_code == 400
    assert vol.get(f"/types/{type_id}").json()["volume_type"]["qos_specs_id"] == qos["id"]
    assert vol.get(f"{path}/associations").json()["qos_associations"] == [
        {"association_type": "volume_type", "name": vtype["volume_type"]["name"],
         "id": type_id}]
    volume = create_volume(vol, volume_type=type_id)
    info = vol.post(f"/volumes/{volume['id']}/action",
                    json={"os-initialize_connection": {"connector": CONNECTOR}})
    assert info.json()["connection_info"]["data"]["qos_specs"] == {"read_bytes_sec": "1024"}
    # in use: delete refused unless forced
    assert vol.delete(path).status_code == 400
    assert vol.get(f"{path}/disassociate", params={"vol_type_id": type_id}).status_code == 202
    assert vol.get(f"{path}/associations").json()["qos_associations"] == []
    vol.get(f"{path}/associate", params={"vol_type_id": type_id})
    assert vol.get(f"{path}/disassociate_all").status_code == 202
    vol.get(f"{path}/associate", params={"vol_type_id": type_id})
    assert vol.delete(path, params={"force": "true"}).status_code == 202
    assert vol.get(path).status_code == 404
    assert vol.get(f"/types/{type_id}").json()["volume_type"]["qos_specs_id"] is None
    with volume_client(cloud, "demo", "3.44") as demo:
        assert demo.get("/qos-specs").status_code == 403


def test_qos_specs_with_openstacksdk(admin_sdk: openstack.connection.Connection) -> None:
    storage = admin_sdk.block_storage
    qos = storage.create_qos_spec(name=unique("sdk-qos"), consumer="both",
                                  specs={"total_bytes_sec": "2048"})
    assert storage.get_qos_spec(qos).specs == {"total_bytes_sec": "2048"}
    vtype = storage.create_type(name=unique("sdk-qt"))
    storage.associate_qos_spec(qos, vtype.id)
    assert storage.find_qos_spec(qos.name).id == qos.id
    assert [a["id"] for a in storage.qos_spec_associations(qos)] == [vtype.id]
    storage.disassociate_all_qos_spec(qos)
    storage.delete_qos_spec(qos)
    assert storage.find_qos_spec(qos.name, ignore_missing=True) is None
