"""Load generators for bench/identity.py: `wrk` (preferred: C, a few % of one core) and a
small keep-alive asyncio client for machines without wrk. Both return the same figures:
requests, duration_s, rps, p50_ms, p90_ms, p99_ms, errors."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Load:
    name: str
    method: str
    path: str
    headers: dict[str, str]
    body: str | None = None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unparsed wrk time {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    match = re.search(r"(\d+) requests in ([\d.]+\w+)", text)
    if not match:
        raise ValueError(f"unexpected wrk output:\n{text}")
    out["requests"] = int(match.group(1))
    out["duration_s"] = _ms(match.group(2)) / 1000
    out["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    for pct in ("50", "90", "99"):
        found = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", text, re.M)
        out[f"p{pct}_ms"] = _ms(found.group(1)) if found else float("nan")
    errors = 0
    found = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if found:
        errors += int(found.group(1))
    found = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                      text)
    if found:
        errors += sum(int(g) for g in found.groups())
    out["errors"] = errors
    return out


def _lua(load: Load) -> str:
    lines = [f'wrk.method = "{load.method}"']
    for key, value in load.headers.items():
        lines.append(f"wrk.headers[{json.dumps(key)}] = {json.dumps(value)}")
    if load.body is not None:
        lines.append(f"wrk.body = {json.dumps(load.body)}")
    return "\n".join(lines) + "\n"


def run_wrk(port: int, load: Load, concurrency: int, duration: float, workdir: Path
            ) -> dict[str, float]:
    script = workdir / f"{load.name}.lua"
    script.write_text(_lua(load))
    threads = 1 if concurrency < 8 else 2
    cmd = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{duration:g}s", "--latency",
           "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}{load.path}"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


async def run_python(port: int, load: Load, concurrency: int, duration: float
                  ) -> dict[str, float]:
    """Keep-alive HTTP/1.1 over raw asyncio streams: light enough not to hide the server."""
    head = f"{load.method} {load.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in load.headers.items())
    body = (load.body or "").encode()
    if load.body is not None:
        head += f"Content-Length: {len(body)}\r\n"
    raw = head.encode() + b"\r\n" + body
    latencies: list[float] = []
    errors = 0
    stop_at = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                writer.write(raw)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - started) * 1000)
                if not status_line.split(b" ", 2)[1].startswith(b"2"):
                    errors += 1
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] \
            if latencies else float("nan")

    return {"requests": len(latencies), "duration_s": elapsed,
            "rps": len(latencies) / elapsed, "p50_ms": pct(50), "p90_ms": pct(90),
            "p99_ms": pct(99), "errors": errors}
