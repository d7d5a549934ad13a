"""Image format inspection against real images made by qemu-img (CI installs qemu-utils),
fed in awkward chunk sizes, plus hand-made hostile variants of them."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gureum.image.formats import HEAD_SIZE, TAIL_SIZE, FormatError, FormatInspector, Inspection

QEMU_IMG = shutil.which("qemu-img")
needs_qemu_img = pytest.mark.skipif(
    QEMU_IMG is None, reason="qemu-img is not installed (apt-get install qemu-utils)")

MiB = 1024 * 1024


def by(size: int, slow_until: int | None = None) -> Callable[[bytes], Iterator[bytes]]:
    """Chunks of `size` bytes (up to `slow_until`, then 64 KiB + 1, to keep tests quick)."""
    def split(data: bytes) -> Iterator[bytes]:
        offset, end = 0, len(data) if slow_until is None else slow_until
        while offset < len(data):
            step = size if offset < end else 65537
            yield data[offset:offset + step]
            offset += step
    return split


CHUNKINGS = {
    "1-byte": by(1, slow_until=320 * 1024),  # past the head and the VHDX region table
    "7-byte": by(7),
    "4096": by(4096),
    "whole": lambda data: iter([data]),
}
chunkings = pytest.mark.parametrize("chunking", CHUNKINGS.values(), ids=CHUNKINGS.keys())


def inspect(data: bytes, declared: str,
            chunking: Callable[[bytes], Iterator[bytes]] = CHUNKINGS["whole"]) -> Inspection:
    inspector = FormatInspector(declared)
    for chunk in chunking(data):
        inspector.feed(chunk)
    return inspector.finish()


@dataclass(frozen=True)
class Sample:
    data: bytes
    virtual_size: int  # as `qemu-img info` reports it


def qemu_img(*args: str, cwd: Path) -> str:
    assert QEMU_IMG is not None
    return subprocess.run([QEMU_IMG, *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


# name: (qemu-img create arguments, format for `qemu-img info -f`)
GOOD = {
    "raw": (["-f", "raw", "{}", "1M"], "raw"),
    "qcow2-v2": (["-f", "qcow2", "-o", "compat=0.10", "{}", "1M"], "qcow2"),
    "qcow2-v3": (["-f", "qcow2", "-o", "compat=1.1", "{}", "3M"], "qcow2"),
    "vmdk-monolithicSparse": (["-f", "vmdk", "{}", "2M"], "vmdk"),
    "vhd-dynamic": (["-f", "vpc", "-o", "subformat=dynamic", "{}", "5M"], "vpc"),
    "vhd-fixed": (["-f", "vpc", "-o", "subformat=fixed", "{}", "1M"], "vpc"),
    "vhdx": (["-f", "vhdx", "{}", "7M"], "vhdx"),
    "vdi": (["-f", "vdi", "{}", "1M"], "vdi"),
}
DETECTED = {"raw": "raw", "qcow2": "qcow2", "vmdk": "vmdk", "vpc": "vhd", "vhdx": "vhdx",
            "vdi": "vdi"}


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sample]:
    if QEMU_IMG is None:
        pytest.skip("qemu-img is not installed (apt-get install qemu-utils)")
    where = tmp_path_factory.mktemp("images")

    def made(name: str, fmt: str) -> Sample:
        info = json.loads(qemu_img("info", "-f", fmt, "--output=json", name, cwd=where))
        return Sample((where / name).read_bytes(), info["virtual-size"])

    found = {}
    for name, (args, fmt) in GOOD.items():
        qemu_img("create", *[a.format(name) for a in args], cwd=where)
        found[name] = made(name, fmt)
    # streamOptimized only compresses real data, so convert some
    (where / "data").write_bytes(bytes(range(256)) * 4096 + bytes(MiB))
    qemu_img("convert", "-O", "vmdk", "-o", "subformat=streamOptimized", "data",
             "vmdk-streamOptimized", cwd=where)
    found["vmdk-streamOptimized"] = made("vmdk-streamOptimized", "vmdk")
    qemu_img("create", "-f", "qcow2", "-b", "qcow2-v3", "-F", "qcow2", "qcow2-backing",
             cwd=where)
    qemu_img("create", "-f", "qcow2", "-o", "data_file=external.raw", "qcow2-data-file", "1M",
             cwd=where)
    qemu_img("create", "-f", "vmdk", "-o", "subformat=monolithicFlat", "vmdk-monolithicFlat",
             "1M", cwd=where)
    qemu_img("create", "-f", "vmdk", "-b", "vmdk-monolithicSparse", "-F", "vmdk",
             "vmdk-child", cwd=where)
    qemu_img("create", "-f", "qed", "qed", "1M", cwd=where)
    for name in ("qcow2-backing", "qcow2-data-file", "vmdk-monolithicFlat", "vmdk-child", "qed"):
        found[name] = Sample((where / name).read_bytes(), 0)
    return found


def patched(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new):]


@needs_qemu_img
@chunkings
@pytest.mark.parametrize("name", [*GOOD, "vmdk-streamOptimized"])
def test_detects_the_format_and_virtual_size_qemu_sees(
        samples: dict[str, Sample], name: str,
        chunking: Callable[[bytes], Iterator[bytes]]) -> None:
    sample = samples[name]
    fmt = DETECTED[GOOD[name][1] if name in GOOD else "vmdk"]
    assert inspect(sample.data, fmt, chunking) == Inspection(
        fmt, sample.virtual_size, len(sample.data))


@needs_qemu_img
@chunkings
@pytest.mark.parametrize(("name", "declared", "message"), [
    ("qcow2-backing", "qcow2", "qcow2 images with a backing file are not allowed."),
    ("qcow2-data-file", "qcow2", "qcow2 images with an external data file are not allowed."),
    ("vmdk-monolithicFlat", "vmdk",
     'VMDK images of createType "monolithicFlat" are not allowed: '
     "only monolithicSparse and streamOptimized are accepted."),
    ("vmdk-child", "vmdk", "VMDK images with a parent (backing) file are not allowed."),
    ("qed", "raw", "QED images are not supported."),
    # safety holds whatever the declared format, even one whose content goes unchecked
    ("qcow2-backing", "ami", "qcow2 images with a backing file are not allowed."),
    ("vmdk-child", "ploop", "VMDK images with a parent (backing) file are not allowed."),
])
def test_refuses_images_that_name_other_files(
        samples: dict[str, Sample], name: str, declared: str, message: str,
        chunking: Callable[[bytes], Iterator[bytes]]) -> None:
    with pytest.raises(FormatError) as caught:
        inspect(samples[name].data, declared, chunking)
    assert str(caught.value) == message


@needs_qemu_img
@pytest.mark.parametrize(("name", "detected"), [
    ("qcow2-v3", "qcow2"), ("vmdk-streamOptimized", "vmdk"), ("vmdk-monolithicFlat", "vmdk"),
    ("vhd-dynamic", "vhd"), ("vhd-fixed", "vhd"), ("vhdx", "vhdx"), ("vdi", "vdi")])
def test_refuses_an_image_disguised_as_raw(
        samples: dict[str, Sample], name: str, detected: str) -> None:
    with pytest.raises(FormatError, match=f"declared raw but its content is {detected}; "
                                          f"upload it with disk_format {detected}"):
        inspect(samples[name].data, "raw")


@needs_qemu_img
@pytest.mark.parametrize(("name", "declared", "detected"), [
    ("raw", "qcow2", "raw"), ("raw", "iso", "raw"), ("qcow2-v2", "vmdk", "qcow2"),
    ("vhd-fixed", "vhdx", "vhd"), ("vdi", "vhd", "vdi"), ("vhdx", "iso", "vhdx")])
def test_refuses_content_that_contradicts_the_declared_format(
        samples: dict[str, Sample], name: str, declared: str, detected: str) -> None:
    with pytest.raises(FormatError) as caught:
        inspect(samples[name].data, declared)
    assert str(caught.value) == ("The image content does not match its disk_format: "
                                 f"declared {declared} but its content is {detected}.")


@needs_qemu_img
@pytest.mark.parametrize("declared", ["ami", "ari", "aki", "ploop"])
def test_unchecked_formats_accept_anything_without_a_virtual_size(
        samples: dict[str, Sample], declared: str) -> None:
    assert inspect(samples["qcow2-v3"].data, declared).detected == "qcow2"
    assert inspect(samples["raw"].data, declared) == Inspection("raw", None, MiB)


@needs_qemu_img
def test_truncated_qcow2_headers(samples: dict[str, Sample]) -> None:
    with pytest.raises(FormatError, match="The qcow2 header is truncated"):
        inspect(samples["qcow2-v2"].data[:71], "qcow2")
    assert inspect(samples["qcow2-v2"].data[:72], "qcow2").virtual_size == MiB
    with pytest.raises(FormatError, match="The qcow2 header is truncated"):
        inspect(samples["qcow2-v3"].data[:103], "qcow2")


@needs_qemu_img
def test_hostile_qcow2_variants(samples: dict[str, Sample]) -> None:
    # the data file's name without the feature bit that says to use it
    without_bit = patched(samples["qcow2-data-file"].data, 72, bytes(8))
    with pytest.raises(FormatError, match="external data file are not allowed"):
        inspect(without_bit, "qcow2")
    qcow1 = patched(samples["qcow2-v2"].data, 4, struct.pack(">I", 1))
    with pytest.raises(FormatError, match="qcow2 version 1 is not supported"):
        inspect(qcow1, "qcow2")


@needs_qemu_img
def test_hostile_vmdk_variants(samples: dict[str, Sample]) -> None:
    sparse = samples["vmdk-monolithicSparse"].data
    descriptor = sparse.index(b'"vmdk-monolithicSparse"')
    elsewhere = patched(sparse, descriptor, b'"/etc/passwd/../shadow"')
    with pytest.raises(FormatError, match="name files in other directories"):
        inspect(elsewhere, "vmdk")
    # capacity 0: qemu then opens the embedded descriptor's extents as other files
    with pytest.raises(FormatError, match="without a capacity"):
        inspect(patched(sparse, 12, bytes(8)), "vmdk")
    flat = patched(sparse, sparse.index(b"monolithicSparse"), b"monolithicFlat\x22\n")
    with pytest.raises(FormatError, match='createType "monolithicFlat"'):
        inspect(flat, "vmdk")
    # qemu looks for a parent at 0x200 even if the header puts the descriptor elsewhere
    moved = patched(sparse, 28, struct.pack("<Q", 0))
    hint = patched(moved, sparse.index(b"# Extent"), b'parentFileNameHint="x"\n')
    with pytest.raises(FormatError, match="parent"):
        inspect(hint, "vmdk")


def test_vmdk_descriptor_files() -> None:
    zero = b'# Disk DescriptorFile\nversion=1\ncreateType="monolithicSparse"\n' \
           b"RW 2048 ZERO\nRDONLY 10 ZERO\nRW 2048 ZERO\n"
    assert inspect(zero, "vmdk") == Inspection("vmdk", 4096 * 512, len(zero))
    with pytest.raises(FormatError, match="declared raw but its content is vmdk"):
        inspect(zero, "raw")
    qemu_probe = b"# comment\n   \nversion=1\n"
    with pytest.raises(FormatError, match="declared raw but its content is vmdk"):
        inspect(qemu_probe, "raw")
    # qemu takes the first createType it finds, comments included
    commented = zero.replace(b"version=1", b'# createType="vmfs"')
    with pytest.raises(FormatError, match='createType "vmfs"'):
        inspect(commented, "vmdk")
    sparse_extent = zero.replace(b"RW 2048 ZERO", b'RW 2048 SPARSE "other.vmdk"')
    with pytest.raises(FormatError, match="point at other files"):
        inspect(sparse_extent, "vmdk")
    with pytest.raises(FormatError, match="not understood"):
        inspect(zero + b"surprise\n", "vmdk")
    with pytest.raises(FormatError, match="larger than 64 KiB"):
        inspect(zero + b"#" * HEAD_SIZE, "vmdk")


@needs_qemu_img
def test_vhd_differencing_disk_is_refused(samples: dict[str, Sample]) -> None:
    data = samples["vhd-dynamic"].data
    differencing = struct.pack(">I", 4)
    data = patched(patched(data, 60, differencing), len(data) - 512 + 60, differencing)
    with pytest.raises(FormatError, match="VHD differencing disks"):
        inspect(data, "vhd")


@needs_qemu_img
def test_vhdx_cut_short_has_no_virtual_size(samples: dict[str, Sample]) -> None:
    assert inspect(samples["vhdx"].data[:HEAD_SIZE], "vhdx") == Inspection(
        "vhdx", None, HEAD_SIZE)


def iso_like(offset: int = 0x8001, identifier: bytes = b"CD001") -> bytes:
    return patched(bytes(40 * 1024), offset, identifier)


@chunkings
@pytest.mark.parametrize("declared", ["iso", "raw"])
def test_iso_is_recognised_and_may_be_declared_raw(
        declared: str, chunking: Callable[[bytes], Iterator[bytes]]) -> None:
    assert inspect(iso_like(), declared, chunking) == Inspection("iso", 40960, 40960)


@pytest.mark.parametrize(("offset", "identifier"), [
    (0x8801, b"CD001"), (0x9001, b"CD001"), (0x8801, b"NSR02"), (0x9001, b"NSR03")])
def test_iso_signatures_further_in(offset: int, identifier: bytes) -> None:
    assert inspect(iso_like(offset, identifier), "iso").detected == "iso"


def test_iso_declared_must_be_iso_and_iso_is_not_qcow2() -> None:
    with pytest.raises(FormatError, match="declared iso but its content is raw"):
        inspect(bytes(40 * 1024), "iso")
    with pytest.raises(FormatError, match="declared qcow2 but its content is iso"):
        inspect(iso_like(), "qcow2")


def test_an_empty_upload_is_only_a_raw_image() -> None:
    assert inspect(b"", "raw") == Inspection("raw", 0, 0)
    for declared in ("qcow2", "iso", "ami"):
        with pytest.raises(FormatError, match=f"not a valid {declared} image"):
            inspect(b"", declared)


def test_unknown_disk_format() -> None:
    with pytest.raises(FormatError, match="Unknown disk_format 'qcow3'"):
        FormatInspector("qcow3")


def test_a_vhd_footer_alone_is_enough_and_small_files_are_raw() -> None:
    footer = patched(bytes(512), 0, b"conectix")
    footer = patched(footer, 48, struct.pack(">Q", 3 * MiB))
    fixed = bytes(MiB) + footer
    assert inspect(fixed, "vhd", by(4096)) == Inspection("vhd", 3 * MiB, len(fixed))
    assert inspect(b"x" * 100 + b"conectix", "raw").detected == "raw"  # no room for a footer


def test_200_mib_stream_keeps_buffers_bounded() -> None:
    zeros = bytes(MiB)
    inspector = FormatInspector("raw")
    tracemalloc.start()
    try:
        for _ in range(200):
            inspector.feed(zeros)
            assert len(inspector._head) <= HEAD_SIZE
            assert len(inspector._tail) <= TAIL_SIZE
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < HEAD_SIZE + TAIL_SIZE + 64 * 1024  # the buffers plus slicing temporaries
    assert inspector.finish() == Inspection("raw", 200 * MiB, 200 * MiB)


@needs_qemu_img
def test_vhdx_stream_keeps_buffers_bounded(samples: dict[str, Sample]) -> None:
    inspector = FormatInspector("vhdx")
    for chunk in by(4096)(samples["vhdx"].data + bytes(16 * MiB)):
        inspector.feed(chunk)
        assert len(inspector._head) + len(inspector._tail) <= HEAD_SIZE + TAIL_SIZE
        assert inspector._vhdx is not None and len(inspector._vhdx._data) <= 32
    assert inspector.finish().virtual_size == 7 * MiB
