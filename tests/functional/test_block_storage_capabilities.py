"""GET /v3/capabilities/{host}: what a backend's agent reported, for admins only."""

from __future__ import annotations

import httpx

from tests.functional.volume_helpers import volume_client
from tests.harness import RunningCloud


def test_capabilities_of_a_backend(cloud: RunningCloud, vol: httpx.Client) -> None:
    host = f"{cloud.settings.block_storage.host}@fast"
    answer = vol.get(f"/capabilities/{host}")
    assert answer.status_code == 200, answer.text
    caps = answer.json()
    assert caps["volume_backend_name"] == "fast"
    assert caps["storage_protocol"] == "fake" and caps["visibility"] == "public"
    assert caps["namespace"] == f"OS::Storage::Capabilities::{host}"
    assert {"vendor_name", "pool_name", "driver_version"} <= caps.keys()
    assert caps["properties"]["thin_provisioning"]["type"] == "boolean"
    assert vol.get("/capabilities/nowhere@none").status_code == 404
    with volume_client(cloud, "demo", "3.44") as demo:
        assert demo.get(f"/capabilities/{host}").status_code == 403
