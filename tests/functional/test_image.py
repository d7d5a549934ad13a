"""The Image service over HTTP and openstacksdk: records, bytes, formats, sharing."""

from __future__ import annotations

import hashlib
import socket
import struct
import time
import uuid
from collections.abc import Iterator

import httpx
import openstack
import pytest

from tests.harness import RunningCloud

PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


def qcow2_header(virtual_size: int, backing: bool = False) -> bytes:
    """A qcow2 v2 header (what the inspector reads), padded to 64 KiB."""
    header = struct.pack(">4sIQIIQ", b"QFI\xfb", 2, 104 if backing else 0,
                         8 if backing else 0, 16, virtual_size)
    return header.ljust(65536, b"\0")


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


def new_image(client: httpx.Client, **spec: object) -> dict:
    body = {"name": f"img-{uuid.uuid4().hex[:6]}", "disk_format": "raw",
            "container_format": "bare", **spec}
    created = client.post("/v2/images", json=body)
    assert created.status_code == 201, created.text
    return created.json()


def test_sdk_uploads_and_downloads_identical_bytes(admin_sdk: openstack.connection.Connection
                                                   ) -> None:
    data = bytes(range(256)) * 4096 + b"tail"
    image = admin_sdk.image.create_image(name=f"raw-{uuid.uuid4().hex[:6]}", data=data,
                                         disk_format="raw", container_format="bare",
                                         validate_checksum=True)
    image = admin_sdk.image.get_image(image.id)
    assert image.status == "active"
    assert image.size == len(data) and image.virtual_size == len(data)
    assert image.checksum == hashlib.md5(data).hexdigest()
    assert image.hash_algo == "sha512"
    assert image.hash_value == hashlib.sha512(data).hexdigest()
    assert admin_sdk.image.download_image(image).content == data
    admin_sdk.image.delete_image(image)
    with pytest.raises(openstack.exceptions.NotFoundException):
        admin_sdk.image.get_image(image.id)


def test_record_lifecycle_and_errors(images: httpx.Client) -> None:
    image = new_image(images, tags=["a"], architecture="x86_64", min_ram=64)
    assert image["status"] == "queued" and image["visibility"] == "shared"
    assert image["architecture"] == "x86_64" and image["tags"] == ["a"]
    assert image["self"] == f"/v2/images/{image['id']}"
    assert images.get(f"/v2/images/{image['id']}/file").status_code == 204  # no data yet
    patched = images.patch(f"/v2/images/{image['id']}", headers=PATCH, json=[
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "add", "path": "/os_distro", "value": "debian"},
        {"op": "remove", "path": "/architecture"}])
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["name"] == "renamed" and body["os_distro"] == "debian"
    assert "architecture" not in body
    for change, code in (([{"op": "replace", "path": "/status", "value": "active"}], 403),
                         ([{"op": "remove", "path": "/nothing"}], 409),
                         ([{"op": "replace", "path": "/min_ram", "value": -1}], 400),
                         ([{"op": "move", "path": "/name"}], 400)):
        answer = images.patch(f"/v2/images/{image['id']}", headers=PATCH, json=change)
        assert answer.status_code == code, (change, answer.text)
        assert answer.json()["code"].startswith(str(code))
    assert images.post("/v2/images", json={"disk_format": "floppy"}).status_code == 400
    assert images.post("/v2/images", json={"size": 5}).status_code == 403
    assert images.put(f"/v2/images/{image['id']}/tags/b").status_code == 204
    assert images.get(f"/v2/images/{image['id']}").json()["tags"] == ["a", "b"]
    assert images.delete(f"/v2/images/{image['id']}/tags/zzz").status_code == 404
    protected = images.patch(f"/v2/images/{image['id']}", headers=PATCH, json=[
        {"op": "replace", "path": "/protected", "value": True}])
    assert protected.status_code == 200
    assert images.delete(f"/v2/images/{image['id']}").status_code == 403
    images.patch(f"/v2/images/{image['id']}", headers=PATCH, json=[
        {"op": "replace", "path": "/protected", "value": False}])
    assert images.delete(f"/v2/images/{image['id']}").status_code == 204
    missing = images.get(f"/v2/images/{image['id']}")
    assert missing.status_code == 404 and "No image found" in missing.json()["message"]


def test_ranges_and_content_md5(images: httpx.Client) -> None:
    data = b"0123456789" * 1000
    image = new_image(images)
    put = images.put(f"/v2/images/{image['id']}/file", content=data,
                     headers={"Content-Type": "application/octet-stream"})
    assert put.status_code == 204, put.text
    whole = images.get(f"/v2/images/{image['id']}/file")
    assert whole.content == data and whole.headers["Content-MD5"] == hashlib.md5(
        data).hexdigest()
    part = images.get(f"/v2/images/{image['id']}/file", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    tail = images.get(f"/v2/images/{image['id']}/file", headers={"Range": "bytes=-5"})
    assert tail.content == data[-5:]
    bad = images.get(f"/v2/images/{image['id']}/file", headers={"Range": "bytes=99999-"})
    assert bad.status_code == 416
    # the data is in: a second upload is refused
    again = images.put(f"/v2/images/{image['id']}/file", content=b"x",
                       headers={"Content-Type": "application/octet-stream"})
    assert again.status_code == 409


def test_formats_are_inspected(cloud: RunningCloud, images: httpx.Client) -> None:
    qcow2 = new_image(images, disk_format="qcow2")
    put = images.put(f"/v2/images/{qcow2['id']}/file", content=qcow2_header(1 << 30))
    assert put.status_code == 204, put.text
    shown = images.get(f"/v2/images/{qcow2['id']}").json()
    assert shown["virtual_size"] == 1 << 30 and shown["size"] == 65536
    for content in (b"just raw bytes" * 1000, qcow2_header(1 << 20, backing=True)):
        liar = new_image(images, disk_format="qcow2")
        refused = images.put(f"/v2/images/{liar['id']}/file", content=content)
        assert refused.status_code == 400, refused.text
        assert images.get(f"/v2/images/{liar['id']}").json()["status"] == "queued"
        assert not (cloud.settings.state_dir / "images" / liar["id"]).exists()
    disguised = new_image(images, disk_format="raw")
    assert images.put(f"/v2/images/{disguised['id']}/file",
                      content=qcow2_header(1 << 20)).status_code == 400


def test_an_upload_cut_off_midway_leaves_the_image_queued(cloud: RunningCloud,
                                                          images: httpx.Client) -> None:
    """The client promises 4 MiB, sends 1 MiB and closes its connection."""
    image = new_image(images)
    with socket.create_connection(("127.0.0.1", cloud.settings.port)) as sock:
        sock.sendall((f"PUT /image/v2/images/{image['id']}/file HTTP/1.1\r\n"
                      f"Host: 127.0.0.1\r\nX-Auth-Token: {images.headers['X-Auth-Token']}\r\n"
                      "Content-Type: application/octet-stream\r\n"
                      f"Content-Length: {4 << 20}\r\n\r\n").encode())
        sock.sendall(b"x" * (1 << 20))
        deadline = time.monotonic() + 5
        while images.get(f"/v2/images/{image['id']}").json()["status"] != "saving":
            assert time.monotonic() < deadline, "the upload never started"
            time.sleep(0.02)
    deadline = time.monotonic() + 5
    while images.get(f"/v2/images/{image['id']}").json()["status"] != "queued":
        assert time.monotonic() < deadline, "the image stayed in saving"
        time.sleep(0.02)
    store = cloud.settings.state_dir / "images"
    assert [p.name for p in store.iterdir() if image["id"] in p.name] == []
    retried = images.put(f"/v2/images/{image['id']}/file", content=b"whole")
    assert retried.status_code == 204
    assert images.get(f"/v2/images/{image['id']}/file").content == b"whole"


def test_private_images_are_invisible_until_shared_and_accepted(
        images: httpx.Client, demo_images: httpx.Client) -> None:
    private = new_image(images, visibility="private")
    shared = new_image(images, visibility="shared")
    listed = {i["id"] for i in demo_images.get("/v2/images").json()["images"]}
    assert private["id"] not in listed and shared["id"] not in listed
    assert demo_images.get(f"/v2/images/{private['id']}").status_code == 404
    assert images.post(f"/v2/images/{private['id']}/members",
                       json={"member": "x"}).status_code == 403
    projects = httpx.get(images.base_url.copy_with(path="/identity/v3/projects"),
                         headers=images.headers).json()["projects"]
    demo_id = [p["id"] for p in projects if p["name"] == "demo"][0]
    member = images.post(f"/v2/images/{shared['id']}/members", json={"member": demo_id})
    assert member.status_code == 200 and member.json()["status"] == "pending"
    # pending: reachable by id, not listed
    assert demo_images.get(f"/v2/images/{shared['id']}").status_code == 200
    assert shared["id"] not in {i["id"] for i in demo_images.get("/v2/images").json()["images"]}
    # another member project cannot answer for demo
    assert demo_images.put(f"/v2/images/{shared['id']}/members/{uuid.uuid4().hex}",
                           json={"status": "accepted"}).status_code == 403
    accepted = demo_images.put(f"/v2/images/{shared['id']}/members/{demo_id}",
                               json={"status": "accepted", "member": demo_id})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert shared["id"] in {i["id"] for i in demo_images.get("/v2/images").json()["images"]}
    # the member cannot change or delete it, nor make images public
    assert demo_images.delete(f"/v2/images/{shared['id']}").status_code == 403
    assert demo_images.post("/v2/images", json={"visibility": "public"}).status_code == 403
    assert images.delete(f"/v2/images/{shared['id']}/members/{demo_id}").status_code == 204
    assert demo_images.get(f"/v2/images/{shared['id']}").status_code == 404


def test_deactivation_is_for_admins_and_stops_downloads(images: httpx.Client,
                                                        demo_images: httpx.Client) -> None:
    image = new_image(images, visibility="public")
    images.put(f"/v2/images/{image['id']}/file", content=b"bytes")
    assert demo_images.post(f"/v2/images/{image['id']}/actions/deactivate").status_code == 403
    assert images.post(f"/v2/images/{image['id']}/actions/deactivate").status_code == 204
    assert images.get(f"/v2/images/{image['id']}").json()["status"] == "deactivated"
    assert demo_images.get(f"/v2/images/{image['id']}/file").status_code == 403
    assert images.get(f"/v2/images/{image['id']}/file").content == b"bytes"
    assert images.post(f"/v2/images/{image['id']}/actions/reactivate").status_code == 204
    assert demo_images.get(f"/v2/images/{image['id']}/file").content == b"bytes"
    images.delete(f"/v2/images/{image['id']}")


def test_filters_sorting_and_paging(images: httpx.Client) -> None:
    tag = f"t-{uuid.uuid4().hex[:6]}"
    made = [new_image(images, tags=[tag], flavour=f"v{i}") for i in range(5)]
    listed = images.get("/v2/images", params={"tag": tag}).json()["images"]
    assert {i["id"] for i in listed} == {m["id"] for m in made}
    assert [i["id"] for i in images.get("/v2/images", params={"tag": tag, "flavour": "v3"}
                                        ).json()["images"]] == [made[3]["id"]]
    seen, url, params = [], "/v2/images", {"tag": tag, "limit": "2", "sort": "name:asc"}
    while url:
        page = images.get(url, params=params).json()
        seen += [i["name"] for i in page["images"]]
        url, params = page.get("next"), None  # the next link carries the query
    assert seen == sorted(m["name"] for m in made)
    assert images.get("/v2/images", params={"sort_key": "nope"}).status_code == 400
    assert images.get("/v2/images", params={"marker": str(uuid.uuid4())}).status_code == 400


def test_schemas_and_versions(cloud: RunningCloud, images: httpx.Client) -> None:
    versions = httpx.get(f"{cloud.url}/image/")
    assert versions.status_code == 300
    assert versions.json()["versions"][0]["status"] == "CURRENT"
    schema = images.get("/v2/schemas/image").json()
    assert schema["name"] == "image" and "disk_format" in schema["properties"]
    assert images.get("/v2/schemas/members").json()["name"] == "members"
    assert httpx.get(f"{cloud.url}/image/v2/images").status_code == 401


def wait_for(images: httpx.Client, image_id: str, status: str) -> dict:
    deadline = time.monotonic() + 10
    while True:
        body = images.get(f"/v2/images/{image_id}").json()
        if body["status"] == status or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


def test_glance_direct_import(cloud: RunningCloud, images: httpx.Client) -> None:
    assert images.get("/v2/info/import").json()["import-methods"]["value"] == ["glance-direct"]
    assert images.get("/v2/info/stores").json()["stores"][0]["id"] == "file"
    image = new_image(images, disk_format="qcow2")
    assert images.post(f"/v2/images/{image['id']}/import", json={
        "method": {"name": "glance-direct"}}).status_code == 409  # nothing staged
    assert images.put(f"/v2/images/{image['id']}/stage",
                      content=qcow2_header(1 << 30)).status_code == 204
    assert images.get(f"/v2/images/{image['id']}").json()["status"] == "uploading"
    assert images.post(f"/v2/images/{image['id']}/import", json={
        "method": {"name": "web-download", "uri": "http://x"}}).status_code == 400
    accepted = images.post(f"/v2/images/{image['id']}/import",
                           json={"method": {"name": "glance-direct"}})
    assert accepted.status_code == 202
    done = wait_for(images, image["id"], "active")
    assert done["status"] == "active" and done["virtual_size"] == 1 << 30
    assert done["checksum"] == hashlib.md5(qcow2_header(1 << 30)).hexdigest()
    assert not (cloud.settings.state_dir / "image-staging" / image["id"]).exists()


def test_a_failed_import_leaves_the_image_queued_with_the_reason(
        cloud: RunningCloud, images: httpx.Client) -> None:
    image = new_image(images, disk_format="qcow2")
    images.put(f"/v2/images/{image['id']}/stage", content=b"raw, not qcow2" * 100)
    assert images.post(f"/v2/images/{image['id']}/import", json={
        "method": {"name": "glance-direct"}}).status_code == 202
    failed = wait_for(images, image["id"], "queued")
    assert failed["status"] == "queued"
    assert "content is raw" in failed["os_glance_failed_import"]
    assert not (cloud.settings.state_dir / "images" / image["id"]).exists()
    assert not (cloud.settings.state_dir / "image-staging" / image["id"]).exists()
