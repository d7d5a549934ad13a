"""The volume driver contract, run over the fake and the file driver, so the fake stays
honest: every method idempotent and keyed by id; snapshots, clones and reverts carry the
bytes written; images go in and come out; capacity is counted; a missing volume is an
error, never a success."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from gureum.block_storage.drivers.base import SnapshotSpec, VolumeDriver, VolumeSpec
from gureum.block_storage.drivers.fake import FakeVolumeDriver
from gureum.block_storage.drivers.file import FileVolumeDriver

GiB = 1 << 30
PAYLOAD = b"gureum volume contract " * 20000 + b"\0" * 8192 + b"tail"
POOLS = {"p1": 10, "p2": 5}
DRIVERS: dict[str, Callable[[Path], VolumeDriver]] = {
    "fake": lambda _: FakeVolumeDriver(POOLS),
    "file": lambda root: FileVolumeDriver(root / "volumes", POOLS),
}


@pytest.fixture(params=sorted(DRIVERS))
def driver(request: pytest.FixtureRequest, tmp_path: Path) -> VolumeDriver:
    return DRIVERS[request.param](tmp_path)


async def chunks(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


async def head(driver: VolumeDriver, volume_id: str, length: int) -> bytes:
    """The first `length` bytes of the volume as a raw image, without reading it all."""
    read = bytearray()
    stream = driver.copy_volume_to_image(volume_id, "raw")
    async for chunk in stream:
        read += chunk
        if len(read) >= length:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    return bytes(read[:length])


def spec(volume_id: str, size: int = 1, **extra: str) -> VolumeSpec:
    return VolumeSpec(volume_id=volume_id, size=size, pool="p1", **extra)  # type: ignore[arg-type]


async def test_create_is_idempotent_and_counts_capacity(driver: VolumeDriver) -> None:
    await driver.create_volume(spec("v1", 2))
    await driver.create_volume(spec("v1", 2))
    stats = {p.name: p for p in await driver.pool_stats()}
    assert stats["p1"].total_capacity_gb == 10 and stats["p1"].free_capacity_gb == 8
    assert stats["p2"].free_capacity_gb == 5
    await driver.delete_volume("v1")
    await driver.delete_volume("v1")  # gone already: still fine
    assert {p.name: p.free_capacity_gb for p in await driver.pool_stats()}["p1"] == 10


async def test_image_in_and_out(driver: VolumeDriver) -> None:
    await driver.create_volume(spec("v1"))
    await driver.copy_image_to_volume("v1", "raw", chunks(PAYLOAD))
    assert await head(driver, "v1", len(PAYLOAD)) == PAYLOAD


async def test_snapshot_clone_and_revert_carry_bytes(driver: VolumeDriver) -> None:
    await driver.create_volume(spec("v1"))
    await driver.copy_image_to_volume("v1", "raw", chunks(PAYLOAD))
    await driver.create_snapshot(SnapshotSpec("s1", "v1", 1))
    await driver.create_snapshot(SnapshotSpec("s1", "v1", 1))
    await driver.copy_image_to_volume("v1", "raw", chunks(b"changed" * 100))
    await driver.create_volume(spec("from-snap", 2, snapshot_id="s1"))
    assert await head(driver, "from-snap", len(PAYLOAD)) == PAYLOAD
    await driver.create_volume(spec("clone", 1, source_volume_id="v1"))
    assert (await head(driver, "clone", 700)).startswith(b"changed" * 100)
    await driver.revert_to_snapshot("v1", "s1")
    assert await head(driver, "v1", len(PAYLOAD)) == PAYLOAD
    await driver.delete_snapshot("s1")
    await driver.delete_snapshot("s1")


async def test_extend_and_missing_volumes(driver: VolumeDriver) -> None:
    await driver.create_volume(spec("v1"))
    await driver.extend_volume("v1", 3)
    await driver.extend_volume("v1", 3)
    assert {p.name: p.free_capacity_gb for p in await driver.pool_stats()}["p1"] == 7
    with pytest.raises(Exception, match="not on this backend"):
        await driver.extend_volume("nope", 2)
    with pytest.raises(Exception, match="not on this backend"):
        await driver.create_snapshot(SnapshotSpec("s1", "nope", 1))
    with pytest.raises(Exception, match="not on this backend"):
        await driver.create_volume(spec("v2", snapshot_id="nope"))
    with pytest.raises(Exception, match="not on this backend"):
        await driver.initialize_connection("nope", {})


async def test_image_larger_than_volume_is_refused(driver: VolumeDriver) -> None:
    await driver.create_volume(spec("v1"))

    async def too_much() -> AsyncIterator[bytes]:
        for _ in range(GiB // (4 << 20) + 1):
            yield bytes(4 << 20)

    with pytest.raises(Exception, match="larger than the volume|does not fit"):
        await driver.copy_image_to_volume("v1", "raw", too_much())


async def test_connection(driver: VolumeDriver) -> None:
    await driver.create_volume(spec("v1"))
    connection = await driver.initialize_connection("v1", {"host": "h1"})
    assert connection.driver_volume_type in ("fake", "local")
    await driver.terminate_connection("v1", {"host": "h1"})


# ---------------------------------------------------------------- the file driver's own
def qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


async def test_file_volumes_are_sparse_files_at_their_path(tmp_path: Path) -> None:
    driver = FileVolumeDriver(tmp_path, POOLS)
    await driver.create_volume(spec("v1", 1))
    path = Path((await driver.initialize_connection("v1", {})).data["device_path"])
    assert path.stat().st_size == GiB and path.stat().st_blocks == 0
    await driver.extend_volume("v1", 2)
    assert path.stat().st_size == 2 * GiB


async def test_file_driver_converts_qcow2_both_ways(tmp_path: Path) -> None:
    driver = FileVolumeDriver(tmp_path / "volumes", POOLS)
    raw = tmp_path / "source.raw"
    raw.write_bytes(PAYLOAD)
    qcow2 = tmp_path / "source.qcow2"
    qemu_img("convert", "-f", "raw", "-O", "qcow2", str(raw), str(qcow2))
    await driver.create_volume(spec("v1"))
    await driver.copy_image_to_volume("v1", "qcow2", chunks(qcow2.read_bytes()))
    assert await head(driver, "v1", len(PAYLOAD)) == PAYLOAD
    out = tmp_path / "out.qcow2"
    out.write_bytes(b"".join([c async for c in driver.copy_volume_to_image("v1", "qcow2")]))
    back = tmp_path / "back.raw"
    qemu_img("convert", "-f", "qcow2", "-O", "raw", str(out), str(back))
    with back.open("rb") as handle:
        assert handle.read(len(PAYLOAD)) == PAYLOAD
    assert back.stat().st_size == GiB
    assert not list((tmp_path / "volumes" / "tmp").iterdir())


async def test_file_driver_refuses_backing_files(tmp_path: Path) -> None:
    driver = FileVolumeDriver(tmp_path / "volumes", POOLS)
    (tmp_path / "secret").write_bytes(b"secret" * 100)
    overlay = tmp_path / "overlay.qcow2"
    qemu_img("create", "-f", "qcow2", "-F", "raw", "-b", str(tmp_path / "secret"),
             str(overlay))
    await driver.create_volume(spec("v1"))
    with pytest.raises(Exception, match="backing file"):
        await driver.copy_image_to_volume("v1", "qcow2", chunks(overlay.read_bytes()))
    with pytest.raises(Exception, match="cannot be written"):
        await driver.copy_image_to_volume("v1", "iso9660", chunks(b"x"))


async def test_read_volume_for_migration_and_snapshot_connection(
        driver: VolumeDriver) -> None:
    await driver.create_volume(VolumeSpec("v-read", 1, "p1"))
    await driver.copy_image_to_volume("v-read", "raw", chunks(PAYLOAD))
    copied = bytearray()
    while chunk := await driver.read_volume("v-read", len(copied), 1 << 20):
        copied += chunk
    # what was written, then (file) zeros to the volume's end, or (fake) nothing more
    assert bytes(copied[:len(PAYLOAD)]) == PAYLOAD
    assert copied[len(PAYLOAD):].count(0) == len(copied) - len(PAYLOAD)
    await driver.create_snapshot(SnapshotSpec("s-read", "v-read", 1))
    connection = await driver.snapshot_connection("s-read")
    assert connection.data["access_mode"] == "ro"
    with pytest.raises(Exception):  # noqa: B017 - each driver's own error
        await driver.snapshot_connection("s-missing")
