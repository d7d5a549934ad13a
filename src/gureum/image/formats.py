"""Disk image formats, recognised in an upload stream in constant memory.

The image service feeds every uploaded chunk to a `FormatInspector`, which keeps the first
64 KiB and the last 512 bytes (plus, for VHDX, one small region at a time). `finish()` then
says what the bytes are, how large the disk they describe is, and refuses an image that
contradicts its declared `disk_format` or that would make a hypervisor read other host files
(a qcow2 backing or data file, a VMDK parent or extent file): qemu follows those names.
"""

from __future__ import annotations

import re
import struct
import uuid
from collections.abc import Generator
from dataclasses import dataclass


class FormatError(Exception):
    """message is shown to the user as is"""


DISK_FORMATS = ("raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "ami", "ari", "aki", "ploop")
CONTAINER_FORMATS = ("bare", "ovf", "ova", "aki", "ari", "ami", "docker", "compressed")

HEAD_SIZE = 64 * 1024  # covers the ISO volume descriptors at 0x8001..0x9005
TAIL_SIZE = 512  # the VHD footer
SECTOR = 512

# Formats whose content the service does not check: any bytes, no virtual size.
UNCHECKED = frozenset({"ami", "ari", "aki", "ploop"})

_ISO_OFFSETS = (0x8001, 0x8801, 0x9001)
_ISO_IDS = (b"CD001", b"NSR02", b"NSR03")  # ISO 9660, and UDF's two versions
_VDI_MAGIC = struct.pack("<I", 0xBEDA107F)
_QCOW2_INCOMPAT_DATA_FILE = 1 << 2
_QCOW2_EXT_DATA_FILE = 0x44415441
_VHD_DIFFERENCING = 4
_VMDK_ALLOWED = {"monolithicsparse": "monolithicSparse", "streamoptimized": "streamOptimized"}
# qemu reads a sparse VMDK's parentFileNameHint from this window, whatever the header says.
_VMDK_QEMU_DESCRIPTOR = slice(0x200, 0x200 + 20 * SECTOR)
_VMDK_TEXT = re.compile(rb"(?:#[^\n]*\n| *\r?\n)*version=[123]\r?\n")  # qemu's own probe
_VMDK_EXTENT = re.compile(r'(rw|rdonly|noaccess)\s+(\d+)\s+(\w+)(?:\s+"([^"]*)"(?:\s+\d+)?)?',
                          re.IGNORECASE)
_VMDK_CREATE_TYPE = re.compile(r'createType\s*=\s*"?([^"\s]*)', re.IGNORECASE)
_VHDX_REGION_TABLE = 192 * 1024
_VHDX_METADATA_REGION = uuid.UUID("8b7ca206-4790-4b9a-b8fe-575f050f886e").bytes_le
_VHDX_VIRTUAL_DISK_SIZE = uuid.UUID("2fa54224-cd1b-4876-b211-5dbed83bf4b8").bytes_le
_VHDX_MAX_ENTRIES = 2047


@dataclass(frozen=True)
class Inspection:
    detected: str  # raw, qcow2, vmdk, vhd, vhdx, vdi or iso
    virtual_size: int | None  # bytes, when the format's header says
    size: int  # bytes fed


class FormatInspector:
    """Feed it the bytes of an upload chunk by chunk; `finish()` judges them.

    Memory stays bounded whatever the stream's length: the first `HEAD_SIZE` bytes, the
    last `TAIL_SIZE`, and for VHDX at most one 32-byte region awaited further on.
    """

    def __init__(self, declared: str) -> None:
        if declared not in DISK_FORMATS:
            raise FormatError(f"Unknown disk_format {declared!r}.")
        self.declared = declared
        self.size = 0
        self._head = bytearray()
        self._tail = bytearray()
        self._vhdx: _RegionReader | None = None

    def feed(self, chunk: bytes) -> None:
        start = self.size
        self.size += len(chunk)
        if len(self._head) < HEAD_SIZE:
            self._head += chunk[: HEAD_SIZE - len(self._head)]
            if start < 8 <= len(self._head) and self._head.startswith(b"vhdxfile"):
                self._vhdx = _RegionReader(_vhdx_virtual_size())
        self._tail += chunk[-TAIL_SIZE:]
        del self._tail[:-TAIL_SIZE]
        if self._vhdx is not None:
            self._vhdx.feed(start, chunk)

    def finish(self) -> Inspection:
        """What the bytes are; raises FormatError if that contradicts the declared
        disk_format or the image is unsafe to give a hypervisor."""
        if self.size == 0:
            if self.declared == "raw":
                return Inspection("raw", 0, 0)
            raise FormatError(f"The image is empty, which is not a valid {self.declared} image.")
        head, tail = bytes(self._head), bytes(self._tail)
        detected = detect(head, tail)
        self._check_declared(detected)
        virtual_size = self._virtual_size(detected, head, tail)
        if self.declared in UNCHECKED:
            virtual_size = None
        return Inspection(detected, virtual_size, self.size)

    def _check_declared(self, detected: str) -> None:
        declared = self.declared
        if declared == detected or declared in UNCHECKED:
            return
        if declared == "raw" and detected == "iso":
            return  # an ISO is raw bytes
        hint = f"; upload it with disk_format {detected}" if declared == "raw" else ""
        raise FormatError("The image content does not match its disk_format: "
                          f"declared {declared} but its content is {detected}{hint}.")

    def _virtual_size(self, detected: str, head: bytes, tail: bytes) -> int | None:
        if detected == "qcow2":
            return _qcow2_virtual_size(head)
        if detected == "vmdk":
            return _vmdk_virtual_size(head, self.size)
        if detected == "vhd":
            return _vhd_virtual_size(head, tail)
        if detected == "vdi":
            return _vdi_virtual_size(head)
        if detected == "vhdx":
            return self._vhdx.result if self._vhdx is not None else None
        return self.size  # raw, iso


def detect(head: bytes, tail: bytes) -> str:
    """The format of an image from its first `HEAD_SIZE` and last `TAIL_SIZE` bytes."""
    if head.startswith(b"QFI\xfb"):
        return "qcow2"
    if head.startswith((b"KDMV", b"COWD", b"# Disk DescriptorFile")) or _VMDK_TEXT.match(head):
        return "vmdk"
    if head.startswith(b"vhdxfile"):
        return "vhdx"
    if head[0x40:0x44] == _VDI_MAGIC:
        return "vdi"
    if head.startswith(b"QED\x00"):
        # qemu follows a QED's backing file as it does a qcow2's; nothing here accepts QED.
        raise FormatError("QED images are not supported.")
    if head.startswith(b"conectix") or (len(tail) == TAIL_SIZE and tail.startswith(b"conectix")):
        return "vhd"
    if any(head[offset:offset + 5] in _ISO_IDS for offset in _ISO_OFFSETS):
        return "iso"
    return "raw"


def _qcow2_virtual_size(head: bytes) -> int:
    if len(head) < 72:
        raise FormatError("The qcow2 header is truncated.")
    version, backing_file_offset = struct.unpack_from(">IQ", head, 4)
    if version not in (2, 3):
        raise FormatError(f"qcow2 version {version} is not supported.")
    if backing_file_offset:
        raise FormatError("qcow2 images with a backing file are not allowed.")
    (size,) = struct.unpack_from(">Q", head, 24)
    extensions = 72
    if version == 3:
        if len(head) < 104:
            raise FormatError("The qcow2 header is truncated.")
        (incompatible,) = struct.unpack_from(">Q", head, 72)
        (extensions,) = struct.unpack_from(">I", head, 100)
        if incompatible & _QCOW2_INCOMPAT_DATA_FILE:
            raise FormatError("qcow2 images with an external data file are not allowed.")
    _check_qcow2_extensions(head, extensions)
    return int(size)


def _check_qcow2_extensions(head: bytes, offset: int) -> None:
    """A data file's name sits in a header extension; refuse one even without the feature
    bit, so no reader can be talked into opening it."""
    while offset + 8 <= len(head):
        kind, length = struct.unpack_from(">II", head, offset)
        if kind == 0:
            return
        if kind == _QCOW2_EXT_DATA_FILE:
            raise FormatError("qcow2 images with an external data file are not allowed.")
        offset += 8 + (length + 7) // 8 * 8


def _vmdk_virtual_size(head: bytes, size: int) -> int:
    if head.startswith(b"KDMV"):
        return _vmdk_sparse_virtual_size(head)
    if head.startswith(b"COWD"):
        raise FormatError("VMDK version 3 (COWD) sparse images are not supported.")
    if size > len(head):
        raise FormatError(f"VMDK descriptor files larger than {HEAD_SIZE // 1024} KiB "
                          "are not supported.")
    extents = _vmdk_descriptor(head)
    if any(name is not None for _, _, name in extents):
        raise FormatError("VMDK descriptor files that point at other files are not allowed; "
                          "upload a monolithicSparse or streamOptimized VMDK.")
    return sum(sectors for access, sectors, _ in extents if access == "rw") * SECTOR


def _vmdk_sparse_virtual_size(head: bytes) -> int:
    if len(head) < SECTOR:
        raise FormatError("The VMDK header is truncated.")
    capacity, _, descriptor_offset, descriptor_size = struct.unpack_from("<QQQQ", head, 12)
    _check_vmdk_parent(head[_VMDK_QEMU_DESCRIPTOR])
    if descriptor_offset:
        start, end = descriptor_offset * SECTOR, (descriptor_offset + descriptor_size) * SECTOR
        if end > HEAD_SIZE:
            raise FormatError("The VMDK descriptor must lie within the first "
                              f"{HEAD_SIZE // 1024} KiB of the image.")
        if end > len(head):
            raise FormatError("The VMDK descriptor is truncated.")
        extents = _vmdk_descriptor(head[start:end])
        if any(name and ("/" in name or "\\" in name) for _, _, name in extents):
            raise FormatError("VMDK extents that name files in other directories "
                              "are not allowed.")
        if capacity == 0:
            # qemu then opens the embedded descriptor's extents, as it would a
            # descriptor file's: other files.
            raise FormatError("VMDK sparse images without a capacity are not allowed.")
    return int(capacity) * SECTOR


def _check_vmdk_parent(descriptor: bytes) -> None:
    if b"parentfilenamehint" in descriptor.lower():
        raise FormatError("VMDK images with a parent (backing) file are not allowed.")


def _vmdk_descriptor(data: bytes) -> list[tuple[str, int, str | None]]:
    """The extents (access, sectors, file name) of a descriptor whose createType is one of
    the self-contained ones; any line this does not understand is refused."""
    _check_vmdk_parent(data)
    try:
        text = data.split(b"\x00", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError("The VMDK descriptor is not valid text.") from None
    # Every createType counts, comments included: qemu takes the first it finds anywhere.
    create_types = _VMDK_CREATE_TYPE.findall(text)
    if not create_types:
        raise FormatError("The VMDK descriptor has no createType.")
    for create_type in create_types:
        if create_type.lower() not in _VMDK_ALLOWED:
            raise FormatError(f'VMDK images of createType "{create_type}" are not allowed: '
                              "only monolithicSparse and streamOptimized are accepted.")
    extents: list[tuple[str, int, str | None]] = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if extent := _VMDK_EXTENT.fullmatch(line):
            access, sectors, _, name = extent.groups()
            extents.append((access.lower(), int(sectors), name))
        elif "=" in line and not line.split("=", 1)[0].strip().count(" "):
            continue  # key = "value"
        else:
            raise FormatError(f"The VMDK descriptor has a line that is not understood: {line!r}")
    return extents


def _vhd_virtual_size(head: bytes, tail: bytes) -> int:
    # The footer at the end is authoritative; a dynamic VHD keeps a copy at offset 0.
    footer = tail if tail.startswith(b"conectix") else head[:SECTOR]
    if len(footer) < SECTOR:
        raise FormatError("The VHD footer is truncated.")
    (current_size,) = struct.unpack_from(">Q", footer, 48)
    (disk_type,) = struct.unpack_from(">I", footer, 60)
    if disk_type == _VHD_DIFFERENCING:
        raise FormatError("VHD differencing disks (which name a parent image) "
                          "are not allowed.")
    return int(current_size)


def _vdi_virtual_size(head: bytes) -> int | None:
    if len(head) < 0x178:
        raise FormatError("The VDI header is truncated.")
    (version,) = struct.unpack_from("<I", head, 0x44)
    if version != 0x00010001:
        return None  # only version 1.1 puts the disk size here
    (disk_size,) = struct.unpack_from("<Q", head, 0x170)
    return int(disk_size)


_Parser = Generator[tuple[int, int], bytes, int | None]


class _RegionReader:
    """Drives a parser that asks, one at a time and in stream order, for small regions
    (offset, length) of the stream; its return value becomes `result`."""

    def __init__(self, parser: _Parser) -> None:
        self.result: int | None = None
        self._parser = parser
        self._data = bytearray()
        self._wanted: tuple[int, int] | None = next(parser)

    def feed(self, start: int, chunk: bytes) -> None:
        while self._wanted is not None:
            offset, length = self._wanted
            position = offset + len(self._data)
            if position < start:
                self._wanted = None  # the parser asked to go back: give up
                return
            if position >= start + len(chunk):
                return
            begin = position - start
            self._data += chunk[begin:begin + length - len(self._data)]
            if len(self._data) < length:
                return
            data = bytes(self._data)
            self._data.clear()
            try:
                self._wanted = self._parser.send(data)
            except StopIteration as done:
                self.result = done.value
                self._wanted = None


def _vhdx_virtual_size() -> _Parser:
    """Region table → metadata region → its table → the Virtual Disk Size item."""
    header = yield _VHDX_REGION_TABLE, 16
    if header[:4] != b"regi":
        return None
    (count,) = struct.unpack_from("<I", header, 8)
    region = None
    for index in range(min(count, _VHDX_MAX_ENTRIES)):
        entry = yield _VHDX_REGION_TABLE + 16 + 32 * index, 32
        if entry[:16] == _VHDX_METADATA_REGION:
            (region,) = struct.unpack_from("<Q", entry, 16)
            break
    if region is None:
        return None
    header = yield region, 32
    if header[:8] != b"metadata":
        return None
    (count,) = struct.unpack_from("<H", header, 10)
    for index in range(min(count, _VHDX_MAX_ENTRIES)):
        entry = yield region + 32 + 32 * index, 32
        if entry[:16] == _VHDX_VIRTUAL_DISK_SIZE:
            (item,) = struct.unpack_from("<I", entry, 16)
            value = yield region + item, 8
            return int(struct.unpack_from("<Q", value)[0])
    return None
