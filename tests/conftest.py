from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openstack
import pytest

from tests.functional.compute_helpers import compute_client, image_client, public_image
from tests.functional.volume_helpers import unlimited, volume_client
from tests.harness import RunningCloud, cloud_settings, unique


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCloud]:
    running = RunningCloud(cloud_settings(tmp_path_factory.mktemp("cloud"))).start()
    yield running
    running.stop()


def connect(cloud: RunningCloud, user: str, project: str) -> openstack.connection.Connection:
    return openstack.connection.Connection(
        auth_url=cloud.identity_url, username=user, password=cloud.passwords()[user],
        project_name=project, user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", identity_api_version="3")


@pytest.fixture(scope="session")
def admin_sdk(cloud: RunningCloud) -> openstack.connection.Connection:
    return connect(cloud, "admin", "admin")


@pytest.fixture(scope="session")
def demo_sdk(cloud: RunningCloud) -> openstack.connection.Connection:
    return connect(cloud, "demo", "demo")


@pytest.fixture()
def admin(cloud: RunningCloud) -> Iterator[httpx.Client]:
    with cloud.client(cloud.token("admin", "admin")) as client:
        yield client


@pytest.fixture()
def demo(cloud: RunningCloud) -> Iterator[httpx.Client]:
    with cloud.client(cloud.token("demo", "demo")) as client:
        yield client


@pytest.fixture()
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def network_client(cloud: RunningCloud, user: str) -> httpx.Client:
    return httpx.Client(base_url=f"{cloud.url}/networking/v2.0", timeout=60,
                        headers={"X-Auth-Token": cloud.token(user, user)})


@pytest.fixture()
def net_api(cloud: RunningCloud) -> Iterator[httpx.Client]:
    """httpx against the Network API as admin."""
    with network_client(cloud, "admin") as client:
        yield client


@pytest.fixture()
def demo_api(cloud: RunningCloud) -> Iterator[httpx.Client]:
    """httpx against the Network API as demo."""
    with network_client(cloud, "demo") as client:
        yield client


@pytest.fixture(scope="module")
def volumes_unlimited(cloud: RunningCloud) -> None:
    """No volume quota in the way of a module's many volumes (quota tests set their own
    and put this back)."""
    unlimited(cloud)


@pytest.fixture()
def vol(cloud: RunningCloud) -> Iterator[httpx.Client]:
    """httpx against the Block Storage API as admin, at microversion 3.44."""
    with volume_client(cloud, "admin", "3.44") as client:
        yield client


@pytest.fixture(scope="module")
def local_volume_type(cloud: RunningCloud) -> str:
    """A volume type that lands on the `local` file backend."""
    with volume_client(cloud, "admin") as client:
        name = unique("local")
        made = client.post("/types", json={"volume_type": {
            "name": name, "extra_specs": {"volume_backend_name": "local"}}})
        assert made.status_code == 200, made.text
    return name


@pytest.fixture(scope="session")
def image(cloud: RunningCloud) -> str:
    """A small active public image to boot servers from."""
    return public_image(cloud)


@pytest.fixture()
def nova(cloud: RunningCloud) -> Iterator[httpx.Client]:
    """httpx against the Compute API as admin, at microversion 2.37."""
    with compute_client(cloud, "admin") as client:
        yield client


@pytest.fixture()
def demo_images(cloud: RunningCloud) -> Iterator[httpx.Client]:
    """httpx against the Image API as demo."""
    with image_client(cloud, "demo") as client:
        yield client


@pytest.fixture()
def demo_nova(cloud: RunningCloud) -> Iterator[httpx.Client]:
    """httpx against the Compute API as demo, at microversion 2.37."""
    with compute_client(cloud, "demo") as client:
        yield client
