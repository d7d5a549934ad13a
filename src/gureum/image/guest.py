"""The default guest: a Debian cloud kernel and a busybox initramfs, built from Debian
packages in seconds and cached. It boots under QEMU (TCG) in a few seconds, takes an
address by DHCP, reads the metadata service and its user data, and says so on the serial
console (lines starting `gureum-guest:`), so a new cloud has something real to boot."""

from __future__ import annotations

import asyncio
import gzip
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gureum.core.api import Page
from gureum.core.context import RequestContext

if TYPE_CHECKING:
    from gureum.image.manager import ImageManager
    from gureum.image.models import Image

MARKER = "gureum-guest:"
# What the cloud kernel keeps as modules but the guest needs, in load order.
MODULES = ("virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci_legacy_dev",
           "virtio_pci", "failover", "net_failover", "virtio_net", "virtio_blk")

INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /run /tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "{MARKER} booting $(uname -r)"
for m in {' '.join(MODULES)}; do insmod /lib/modules/$m.ko 2>/dev/null; done
ip link set lo up
for dev in $(ls /sys/class/net); do
    [ "$dev" = lo ] && continue
    ip link set "$dev" up
    udhcpc -i "$dev" -s /etc/udhcpc.script -q -n -t 5 -T 2 >/dev/null 2>&1 && break
done
md=http://169.254.169.254/openstack/latest
if timeout 10 wget -q -O /run/meta_data.json $md/meta_data.json; then
    echo "{MARKER} metadata $(tr -d '\\n' < /run/meta_data.json | head -c 400)"
    if timeout 10 wget -q -O /run/user_data $md/user_data; then
        echo "{MARKER} user-data begin"
        cat /run/user_data
        echo "{MARKER} user-data end"
    fi
else
    echo "{MARKER} no metadata"
fi
echo "{MARKER} ready"
while true; do sleep 3600; done
"""

# udhcpc hands over the lease in the environment; option 121 routes win over the router.
UDHCPC_SCRIPT = f"""#!/bin/sh
case "$1" in
    deconfig) ip addr flush dev "$interface" ;;
    bound|renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/$mask" dev "$interface"
        if [ -n "$staticroutes" ]; then
            set -- $staticroutes
            while [ $# -ge 2 ]; do ip route add "$1" via "$2" dev "$interface"; shift 2; done
        elif [ -n "$router" ]; then
            ip route add default via "${{router%% *}}" dev "$interface"
        fi
        echo "{MARKER} address $ip/$mask on $interface" > /dev/console ;;
esac
"""


@dataclass(frozen=True)
class Guest:
    kernel: Path
    initramfs: Path
    version: str  # the kernel's release, e.g. 6.1.0-56-cloud-amd64


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gureum" / "guest"


def build(cache: Path | None = None) -> Guest:
    """The guest from the cache, or built into it (needs apt-get and dpkg-deb: Debian)."""
    cache = cache or cache_dir()
    kernel, initramfs = cache / "vmlinuz", cache / "initramfs.gz"
    if kernel.exists() and initramfs.exists() and (cache / "version").exists():
        return Guest(kernel, initramfs, (cache / "version").read_text().strip())
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        work = Path(tmp)
        package = _kernel_package()
        _run(["apt-get", "download", "-q", package, "busybox-static"], work)
        for deb in work.glob("*.deb"):
            _run(["dpkg-deb", "-x", str(deb), "root"], work)
        root = work / "root"
        version = package.removeprefix("linux-image-")
        built = _initramfs(root, version)
        (work / "initramfs.gz").write_bytes(built)
        shutil.copyfile(root / "boot" / f"vmlinuz-{version}", work / "vmlinuz")
        # renamed into place last, so a half-built cache is never taken for a whole one
        (work / "vmlinuz").replace(kernel)
        (work / "initramfs.gz").replace(initramfs)
        (cache / "version").write_text(version + "\n")
    return Guest(kernel, initramfs, version)


def _kernel_package() -> str:
    """The kernel the `linux-image-cloud-amd64` metapackage stands for."""
    out = _run(["apt-cache", "depends", "linux-image-cloud-amd64"], Path("/"))
    for line in out.splitlines():
        key, _, name = line.strip().partition(":")
        name = name.strip()
        if key == "Depends" and name.startswith("linux-image-") and name[12:13].isdigit():
            return name
    raise RuntimeError("apt knows no linux-image-cloud-amd64 kernel")


def _run(cmd: list[str], cwd: Path) -> str:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {done.stderr.strip()[-400:]}")
    return done.stdout


def _initramfs(root: Path, version: str) -> bytes:
    archive = Cpio()
    for folder in ("bin", "etc", "lib", "lib/modules", "proc", "sys", "dev", "run", "tmp"):
        archive.directory(folder)
    archive.device("dev/console", major=5, minor=1)
    archive.file("bin/busybox", (root / "bin" / "busybox").read_bytes(), 0o755)
    archive.file("init", INIT.encode(), 0o755)
    archive.file("etc/udhcpc.script", UDHCPC_SCRIPT.encode(), 0o755)
    modules = root / "lib" / "modules" / version / "kernel"
    for name in MODULES:
        found = next(modules.rglob(f"{name}.ko"), None)
        if found is None:
            raise RuntimeError(f"kernel {version} has no module {name}")
        archive.file(f"lib/modules/{name}.ko", found.read_bytes(), 0o644)
    return gzip.compress(archive.finish(), compresslevel=6, mtime=0)


class Cpio:
    """A `newc` cpio archive, the format the kernel unpacks an initramfs from; written
    here so building needs no root and no cpio tool."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)
               ) -> None:
        encoded = name.encode() + b"\0"
        fields = (self._ino, mode, 0, 0, 2 if mode & 0o040000 else 1, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(encoded), 0)
        header = b"070701" + b"".join(b"%08X" % f for f in fields)
        self._ino += 1
        self._parts += [header, encoded, _pad(len(header) + len(encoded)), data,
                        _pad(len(data))]

    def directory(self, name: str) -> None:
        self._entry(name, 0o040755)

    def file(self, name: str, data: bytes, permissions: int) -> None:
        self._entry(name, 0o100000 | permissions, data)

    def device(self, name: str, major: int, minor: int) -> None:
        self._entry(name, 0o020600, rdev=(major, minor))

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0)
        return b"".join(self._parts)


def _pad(length: int) -> bytes:
    return b"\0" * (-length % 4)


# ---------------------------------------------------------------- the bootstrap image
NAME = "gureum-guest"
ROOT_DISK = 1 << 20  # unused by the guest (it runs from its initramfs), but an image has data


async def register(manager: ImageManager, owner: str, guest: Guest) -> Image:
    """The guest as glance keeps a UEC image (as cirros ships one): a kernel (aki), a
    ramdisk (ari), and the image to boot (ami) naming both. Public, owned by `owner`;
    what is already registered is kept."""
    context = RequestContext(project_id=owner, roles=("admin",))
    kernel = await _ensure(manager, context, f"{NAME}-kernel", "aki", _read(guest.kernel))
    ramdisk = await _ensure(manager, context, f"{NAME}-ramdisk", "ari",
                            _read(guest.initramfs))
    return await _ensure(manager, context, NAME, "ami", _zeros(ROOT_DISK), {
        "kernel_id": kernel.id, "ramdisk_id": ramdisk.id, "os_distro": "gureum-guest",
        "os_version": guest.version, "os_type": "linux", "architecture": "x86_64",
        "hw_vif_model": "virtio", "hw_disk_bus": "virtio"})


async def _ensure(manager: ImageManager, context: RequestContext, name: str, fmt: str,
                  data: AsyncIterator[bytes], properties: dict[str, str] | None = None
                  ) -> Image:
    page = Page(None, None)
    for row in await manager.list_images(context, {"name": name, "owner": context.project_id
                                                   or ""}, [], page):
        if row.status == "active":
            return row
        await manager.delete_image(context, row.id)  # a half-registered one: start again
    row = await manager.create_image(context, {
        "name": name, "disk_format": fmt, "container_format": fmt, "visibility": "public",
        **(properties or {})})
    return await manager.upload(row.id, data)


async def _read(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, 1 << 20):
            yield chunk


async def _zeros(size: int) -> AsyncIterator[bytes]:
    yield bytes(size)
