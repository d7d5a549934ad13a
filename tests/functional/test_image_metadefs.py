"""Metadata definitions over HTTP and openstacksdk: the built-in catalog, namespaces with
objects, properties, tags and resource-type associations, visibility and who may write."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import openstack
import pytest

from tests.harness import RunningCloud

NS = "/v2/metadefs/namespaces"


@pytest.fixture()
def images(cloud: RunningCloud) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{cloud.url}/image",
                      headers={"X-Auth-Token": cloud.token()}, timeout=30) as client:
        yield client


@pytest.fixture()
def demo_images(cloud: RunningCloud) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{cloud.url}/image",
                      headers={"X-Auth-Token": cloud.token("demo", "demo")},
                      timeout=30) as client:
        yield client


def unique() -> str:
    return f"GUREUM::Test::{uuid.uuid4().hex[:8]}"


def test_builtin_catalog_is_public_protected_and_prefixed(
        demo_images: httpx.Client, images: httpx.Client) -> None:
    listed = demo_images.get(NS, params={"limit": 100}).json()["namespaces"]
    names = {n["namespace"] for n in listed}
    assert {"OS::Compute::VirtCPUTopology", "OS::Compute::GuestMemory",
            "OS::Compute::HostCapabilities", "OS::Glance::CommonImageProperties"} <= names
    topology = demo_images.get(f"{NS}/OS::Compute::VirtCPUTopology").json()
    assert topology["visibility"] == "public" and topology["protected"] is True
    assert "cpu_sockets" in topology["properties"]
    for_flavor = demo_images.get(f"{NS}/OS::Compute::VirtCPUTopology",
                                 params={"resource_type": "OS::Nova::Flavor"}).json()
    assert "hw:cpu_sockets" in for_flavor["properties"]
    for_image = demo_images.get(f"{NS}/OS::Compute::VirtCPUTopology",
                                params={"resource_type": "OS::Glance::Image"}).json()
    assert "hw_cpu_sockets" in for_image["properties"]
    by_type = images.get(NS, params={"resource_types": "OS::Nova::Flavor"}).json()
    assert {n["namespace"] for n in by_type["namespaces"]} == {
        "OS::Compute::VirtCPUTopology", "OS::Compute::GuestMemory"} | {
        n["namespace"] for n in by_type["namespaces"] if n["namespace"].startswith("GUREUM")}
    types = {t["name"] for t in demo_images.get("/v2/metadefs/resource_types").json()[
        "resource_types"]}
    assert {"OS::Glance::Image", "OS::Nova::Flavor", "OS::Cinder::Volume"} <= types
    assert images.delete(f"{NS}/OS::Compute::GuestMemory").status_code == 403
    assert images.delete(f"{NS}/OS::Compute::GuestMemory/properties").status_code == 403


def test_namespace_lifecycle_with_the_sdk(admin_sdk: openstack.connection.Connection) -> None:
    name = unique()
    created = admin_sdk.image.create_metadef_namespace(
        namespace=name, display_name="Test", description="for tests", visibility="public")
    assert created.namespace == name and created.is_protected is False
    assert name in {n.namespace for n in admin_sdk.image.metadef_namespaces()}
    admin_sdk.image.update_metadef_namespace(name, description="changed")
    assert admin_sdk.image.get_metadef_namespace(name).description == "changed"

    prop = admin_sdk.image.create_metadef_property(name, name="speed", title="Speed",
                                                   type="integer", minimum=1, maximum=9)
    assert prop.name == "speed" and prop.maximum == 9
    assert [p.name for p in admin_sdk.image.metadef_properties(name)] == ["speed"]
    admin_sdk.image.update_metadef_property(prop, name, name="speed", title="Velocity",
                                            type="integer")
    assert admin_sdk.image.get_metadef_property("speed", name).title == "Velocity"

    thing = admin_sdk.image.create_metadef_object(
        namespace=name, name="Engine", description="an engine", required=["speed"],
        properties={"speed": {"title": "Speed", "type": "integer"}})
    assert thing.name == "Engine"
    assert [o.name for o in admin_sdk.image.metadef_objects(name)] == ["Engine"]
    assert admin_sdk.image.get_metadef_object("Engine", name).required == ["speed"]

    association = admin_sdk.image.create_metadef_resource_type_association(
        name, name="OS::Nova::Server", prefix="x_")
    assert association.prefix == "x_"
    assert [a.name for a in admin_sdk.image.metadef_resource_type_associations(name)] == [
        "OS::Nova::Server"]
    admin_sdk.image.delete_metadef_resource_type_association("OS::Nova::Server", name)
    admin_sdk.image.delete_metadef_object("Engine", name)
    admin_sdk.image.delete_metadef_property("speed", name)
    admin_sdk.image.delete_metadef_namespace(name)
    assert name not in {n.namespace for n in admin_sdk.image.metadef_namespaces()}


def test_tags_replace_append_rename_delete(images: httpx.Client) -> None:
    name = unique()
    assert images.post(NS, json={"namespace": name, "tags": [{"name": "a"}]}
                       ).status_code == 201
    replaced = images.post(f"{NS}/{name}/tags", json={"tags": [{"name": "b"}, {"name": "c"}]})
    assert replaced.status_code == 201
    assert [t["name"] for t in images.get(f"{NS}/{name}/tags").json()["tags"]] == ["b", "c"]
    images.post(f"{NS}/{name}/tags", json={"tags": [{"name": "d"}]},
                headers={"X-Openstack-Append": "true"})
    assert [t["name"] for t in images.get(f"{NS}/{name}/tags").json()["tags"]] == [
        "b", "c", "d"]
    assert images.post(f"{NS}/{name}/tags/e").status_code == 201
    assert images.post(f"{NS}/{name}/tags/e").status_code == 409
    renamed = images.put(f"{NS}/{name}/tags/e", json={"name": "f"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "f"
    assert images.get(f"{NS}/{name}/tags/e").status_code == 404
    assert images.delete(f"{NS}/{name}/tags/f").status_code == 204
    assert images.delete(f"{NS}/{name}/tags").status_code == 204
    assert images.get(f"{NS}/{name}/tags").json()["tags"] == []
    assert images.post(f"{NS}/{name}/tags", json={"tags": [{"name": "x"}, {"name": "x"}]}
                       ).status_code == 409


def test_private_namespaces_and_who_may_write(images: httpx.Client,
                                              demo_images: httpx.Client) -> None:
    name = unique()
    assert images.post(NS, json={"namespace": name, "properties": {
        "colour": {"title": "Colour", "type": "string", "enum": ["red", "blue"]}}}
    ).status_code == 201  # private by default
    assert demo_images.get(f"{NS}/{name}").status_code == 404
    assert name not in {n["namespace"] for n in demo_images.get(
        NS, params={"limit": 1000}).json()["namespaces"]}
    assert demo_images.get(f"{NS}/{name}/properties").status_code == 404
    # users read; only admins write, even in a public namespace
    assert images.put(f"{NS}/{name}", json={"namespace": name, "visibility": "public"}
                      ).status_code == 200
    assert demo_images.get(f"{NS}/{name}/properties/colour").json()["enum"] == ["red", "blue"]
    assert demo_images.post(NS, json={"namespace": unique()}).status_code == 403
    assert demo_images.post(f"{NS}/{name}/properties", json={
        "name": "size", "title": "Size", "type": "integer"}).status_code == 403
    assert demo_images.delete(f"{NS}/{name}").status_code == 403
    assert images.delete(f"{NS}/{name}").status_code == 204


def test_bad_definitions_are_400_and_duplicates_409(images: httpx.Client) -> None:
    name = unique()
    assert images.post(NS, json={"namespace": name}).status_code == 201
    assert images.post(NS, json={"namespace": name}).status_code == 409
    for bad in ({"namespace": ""}, {"namespace": "a/b"}, {"display_name": "no namespace"},
                {"namespace": unique(), "visibility": "shared"},
                {"namespace": unique(), "surprise": 1},
                {"namespace": unique(), "properties": {"p": {"type": "integer"}}}):
        answer = images.post(NS, json=bad)
        assert answer.status_code == 400, (bad, answer.text)
    assert images.post(f"{NS}/{name}/properties", json={
        "name": "p", "title": "P", "type": "colour"}).status_code == 400
    assert images.post(f"{NS}/{name}/properties", json={
        "name": "p", "title": "P", "type": "string"}).status_code == 201
    assert images.post(f"{NS}/{name}/properties", json={
        "name": "p", "title": "P", "type": "string"}).status_code == 409
    assert images.get(f"{NS}/{name}/objects/none").status_code == 404
    assert images.get(f"{NS}/nope-{name}").status_code == 404
    assert images.get("/v2/schemas/metadefs/namespace").json()["name"] == "namespace"
    assert images.get("/v2/schemas/metadefs/properties").status_code == 200
    assert images.get("/v2/schemas/metadefs/nonsense").status_code == 404


def test_namespace_list_pages(images: httpx.Client) -> None:
    prefix = unique()
    for i in range(5):
        images.post(NS, json={"namespace": f"{prefix}-{i}"})
    seen: list[str] = []
    url: str | None = f"{NS}?limit=2&sort_key=namespace&sort_dir=asc"
    while url:
        page = images.get(url).json()
        seen += [n["namespace"] for n in page["namespaces"]]
        url = page.get("next")
    mine = [n for n in seen if n.startswith(prefix)]
    assert mine == [f"{prefix}-{i}" for i in range(5)]
    assert seen == sorted(seen) and len(seen) == len(set(seen))
