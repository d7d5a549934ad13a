"""Image benchmark: upload and download of a large image through `gureum up`, against a
plain `cp` of the same file on the same disk, and the server's memory while it happens.

    .venv/bin/python bench/image.py [--size-mib 1024] [--repeat 3]

Uploads are `curl -T` (PUT …/file, streamed), downloads `curl -o`; both to and from the
same disk as the state dir. The target (issue 3): each at ≥ 70 % of cp's throughput, and
the server's peak RSS growing by < 64 MiB during the transfers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

import httpx
from embedded import embedded_cloud


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def reset_peak(pid: int) -> None:
    """Writing 5 to clear_refs resets VmHWM (peak RSS) to the current RSS (Linux ≥ 4.0)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    # no background guest upload to skew figures (embedded_cloud turns it off)
    with embedded_cloud("image", "/identity/v3") as cloud:
        base, token, server, work = cloud.base, cloud.token, cloud.server, cloud.work
        source = work / "image.raw"
        with source.open("wb") as out:  # random bytes: nothing compresses or dedups them
            for _ in range(args.size_mib):
                out.write(os.urandom(1 << 20))
        size = source.stat().st_size
        auth = ["-H", f"X-Auth-Token: {token}"]
        cp, up, down = [], [], []
        idle_rss = rss_kib(server.pid, "VmRSS")
        reset_peak(server.pid)
        for i in range(args.repeat):
            cp.append(timed(["cp", str(source), str(work / f"copy{i}")]))
            os.sync()
            (work / f"copy{i}").unlink()
            image = httpx.post(f"{base}/image/v2/images", headers={"X-Auth-Token": token},
                               json={"name": f"bench{i}", "disk_format": "raw",
                                     "container_format": "bare"}).json()
            url = f"{base}/image/v2/images/{image['id']}/file"
            up.append(timed(["curl", "-sf", "-X", "PUT", *auth, "-H",
                             "Content-Type: application/octet-stream", "-T", str(source), url]))
            os.sync()
            down.append(timed(["curl", "-sf", *auth, "-o", str(work / "back"), url]))
            if i == 0:
                assert (work / "back").stat().st_size == size
            (work / "back").unlink()
        peak = rss_kib(server.pid, "VmHWM")
    mib = size / (1 << 20)
    best = {name: mib / statistics.median(times) for name, times in
            (("cp", cp), ("upload", up), ("download", down))}
    print(f"{mib:.0f} MiB image, median of {args.repeat}")
    print(f"  cp        {best['cp']:8.0f} MiB/s")
    for name in ("upload", "download"):
        ratio = best[name] / best["cp"]
        verdict = "ok" if ratio >= 0.7 else "below target"
        print(f"  {name:9} {best[name]:8.0f} MiB/s  {ratio:5.0%} of cp  (target ≥ 70%: "
              f"{verdict})")
    growth = (peak - idle_rss) / 1024
    print(f"  server RSS {idle_rss / 1024:.0f} MiB idle, peak {peak / 1024:.0f} MiB during "
          f"transfers: +{growth:.0f} MiB (target < 64 MiB: "
          f"{'ok' if growth < 64 else 'above target'})")


if __name__ == "__main__":
    main()
