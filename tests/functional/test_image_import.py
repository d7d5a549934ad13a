"""The import methods an operator turns on: web-download from allowed hosts only, and
copy-image between stores. A cloud of its own, configured with two stores and one host."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.harness import RunningCloud, cloud_settings, free_port


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A plain HTTP server on loopback serving a folder."""
    folder = tmp_path_factory.mktemp("web")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()


@pytest.fixture(scope="module")
def importing_cloud(tmp_path_factory: pytest.TempPathFactory, web: tuple[str, Path]
                    ) -> Iterator[RunningCloud]:
    port = int(web[0].rsplit(":", 1)[1])
    settings = cloud_settings(tmp_path_factory.mktemp("importing"), image={
        "stores": {"file": "images", "cold": "images-cold"},
        "web_download_hosts": ["127.0.0.1"], "web_download_ports": [port]})
    running = RunningCloud(settings).start()
    yield running
    running.stop()


@pytest.fixture()
def images(importing_cloud: RunningCloud) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{importing_cloud.url}/image",
                      headers={"X-Auth-Token": importing_cloud.token()}, timeout=30) as client:
        yield client


def new_image(images: httpx.Client) -> dict[str, Any]:
    created = images.post("/v2/images", json={"name": f"imp-{uuid.uuid4().hex[:6]}",
                                              "disk_format": "raw", "container_format": "bare"})
    assert created.status_code == 201, created.text
    return dict(created.json())


def wait_for(images: httpx.Client, image_id: str, done: Any, timeout: float = 30
             ) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        image = images.get(f"/v2/images/{image_id}").json()
        if done(image):
            return dict(image)
        assert time.monotonic() < deadline, image
        time.sleep(0.1)


def test_offered_methods_and_stores(images: httpx.Client) -> None:
    methods = images.get("/v2/info/import").json()["import-methods"]["value"]
    assert methods == ["glance-direct", "web-download", "copy-image"]
    stores = images.get("/v2/info/stores").json()["stores"]
    assert [(s["id"], s.get("default", False)) for s in stores] == [("file", True),
                                                                   ("cold", False)]


def test_web_download_from_an_allowed_host(images: httpx.Client, web: tuple[str, Path]
                                           ) -> None:
    base, folder = web
    data = os.urandom(3 << 20)
    (folder / "disk.raw").write_bytes(data)
    image = new_image(images)
    started = images.post(f"/v2/images/{image['id']}/import", json={
        "method": {"name": "web-download", "uri": f"{base}/disk.raw"}})
    assert started.status_code == 202, started.text
    done = wait_for(images, image["id"], lambda i: i["status"] == "active")
    assert done["size"] == len(data) and done["stores"] == "file"
    assert done["os_hash_value"] == hashlib.sha512(data).hexdigest()
    assert images.get(f"/v2/images/{image['id']}/file").content == data


def test_web_download_refuses_other_hosts_ports_and_schemes(images: httpx.Client,
                                                            web: tuple[str, Path]) -> None:
    base, _ = web
    image = new_image(images)
    for uri in ("http://localhost/disk.raw", "http://127.0.0.1:1/disk.raw",
                base.replace("http", "file") + "/disk.raw", "ftp://127.0.0.1/x", "not a uri"):
        refused = images.post(f"/v2/images/{image['id']}/import", json={
            "method": {"name": "web-download", "uri": uri}})
        assert refused.status_code == 400, uri
        assert "does not pass filtering" in refused.json()["message"]
    assert images.get(f"/v2/images/{image['id']}").json()["status"] == "queued"


def test_web_download_of_a_missing_file_fails_cleanly(images: httpx.Client,
                                                      web: tuple[str, Path]) -> None:
    image = new_image(images)
    assert images.post(f"/v2/images/{image['id']}/import", json={
        "method": {"name": "web-download", "uri": f"{web[0]}/absent"}}).status_code == 202
    failed = wait_for(images, image["id"], lambda i: "os_glance_failed_import" in i)
    assert failed["status"] == "queued" and "404" in failed["os_glance_failed_import"]


def test_copy_image_to_another_store(images: httpx.Client,
                                     importing_cloud: RunningCloud) -> None:
    image = new_image(images)
    data = os.urandom(1 << 20)
    assert images.put(f"/v2/images/{image['id']}/file", content=data, headers={
        "Content-Type": "application/octet-stream"}).status_code == 204
    assert images.get(f"/v2/images/{image['id']}").json()["stores"] == "file"
    copied = images.post(f"/v2/images/{image['id']}/import", json={
        "method": {"name": "copy-image"}, "stores": ["cold"]})
    assert copied.status_code == 202, copied.text
    done = wait_for(images, image["id"], lambda i: i["stores"] == "file,cold")
    assert "os_glance_importing_to_stores" not in done
    cold = importing_cloud.settings.state_dir / "images-cold" / image["id"]
    assert cold.read_bytes() == data
    again = images.post(f"/v2/images/{image['id']}/import", json={
        "method": {"name": "copy-image"}, "all_stores": True})
    assert again.status_code == 409
    unknown = images.post(f"/v2/images/{image['id']}/import", json={
        "method": {"name": "copy-image"}, "stores": ["attic"]})
    assert unknown.status_code == 400
    assert images.delete(f"/v2/images/{image['id']}").status_code == 204
    assert not cold.exists()


def test_copy_image_needs_an_active_image(images: httpx.Client) -> None:
    image = new_image(images)
    refused = images.post(f"/v2/images/{image['id']}/import", json={
        "method": {"name": "copy-image"}, "stores": ["cold"]})
    assert refused.status_code == 409
