"""Identity benchmark: start `gureum up` as a real process and measure what a user feels.

    .venv/bin/python bench/identity.py [--rounds 12] [--duration 10] [--json PATH]

Figures: cold start (first start with bootstrap, and restart on the same state dir), the
idle process's RSS, token validation and project listing at concurrency 1 and 16, and
password token issue (bcrypt-bound) at concurrency 1 and 4. Load comes from `wrk` when it
is installed (it costs the 2-core box little), else from a small asyncio generator.
See bench/README.md for what each figure means and the targets printed beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from loadgen import Load, run_python, run_wrk  # bench/loadgen.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
API = "/identity/v3"
CLK_TCK = os.sysconf("SC_CLK_TCK")

TARGETS = {
    "cold_start_s": 2.0,            # spawn → first answered request
    "rss_mb": 200.0,                # idle embedded cloud
    "validate_c16_rps": 2500.0,
    "validate_c1_p50_ms": 1.5,
}
KEYSTONE = {"validate_c16_rps": 252.0, "validate_c1_p50_ms": 9.3}


# ---------------------------------------------------------------- the server under test

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
            body: Any = None, timeout: float = 30.0) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def auth_body(password: str, user: str = "admin", project: str = "admin") -> dict[str, Any]:
    return {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}


@dataclass
class Server:
    """One `gureum up` process on a state dir and a free port."""

    state_dir: Path
    rounds: int
    command: list[str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    spawned_at: float = 0.0
    log: Path | None = None
    stopped_in: float = float("nan")  # SIGTERM → exit, seconds

    def start(self) -> None:
        env = {**os.environ, "GUREUM_IDENTITY__PASSWORD_HASH_ROUNDS": str(self.rounds),
               "GUREUM_IMAGE__DEFAULT_GUEST": "false"}
        for name in ("GUREUM_ADMIN_PASSWORD", "GUREUM_DEMO_PASSWORD", "GUREUM_PORT"):
            env.pop(name, None)
        self.log = self.state_dir.with_name(self.state_dir.name + f"-{self.port}.log")
        out = self.log.open("wb")
        self.spawned_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [*self.command, "up", "--state-dir", str(self.state_dir), "--port", str(self.port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=self.state_dir.parent, env=env,
            start_new_session=True)
        out.close()

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Seconds from spawn until GET /identity/v3 gets any HTTP answer."""
        deadline = self.spawned_at + timeout
        while time.perf_counter() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"gureum up exited with {self.proc.returncode}:\n"
                                   f"{self.output()}")
            try:
                request(self.port, "GET", API, timeout=5.0)
            except OSError:
                time.sleep(0.005)
                continue
            return time.perf_counter() - self.spawned_at
        raise TimeoutError(f"gureum up did not answer within {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def announced(self) -> float | None:
        """The "ready … in X.Ys" the process prints about itself (from inside, after imports)."""
        match = re.search(r"is ready at \S+ in ([\d.]+)s", self.output())
        return float(match.group(1)) if match else None

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        began = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.stopped_in = time.perf_counter() - began

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def status(self) -> dict[str, int]:
        """VmRSS, VmHWM (kB) and Threads from /proc/PID/status."""
        found = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                found[key] = int(value.split()[0])
        return found

    def cpu_seconds(self) -> float:
        """utime + stime of every thread of the server so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def libraries(self) -> dict[str, bool]:
        """Which fast paths are loaded in the server (a hint; py-spy dump is proof)."""
        maps = Path(f"/proc/{self.pid}/maps").read_text()
        return {"uvloop_loaded": "/uvloop/" in maps, "httptools_loaded": "/httptools/" in maps}

    def password(self, who: str = "admin") -> str:
        return str(json.loads((self.state_dir / "passwords.json").read_text())[who])


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- load generation

@dataclass
class LoadResult:
    name: str
    concurrency: int
    generator: str
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int            # non-2xx answers plus socket errors and timeouts
    server_cpu_pct: float  # of one core; 100 = the server's event loop is saturated
    cpu_us_per_req: float  # server CPU per answered request: steadier than req/s on a busy box
    generator_cpu_pct: float  # what the load generator itself burnt, % of one core
    others_cpu_pct: float  # the rest of the machine (other processes), % of one core


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


def _own_cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def measure(server: Server, load: Load, concurrency: int, duration: float, workdir: Path,
            generator: str) -> LoadResult:
    who = resource.RUSAGE_CHILDREN if generator == "wrk" else resource.RUSAGE_SELF
    gen_before, busy_before = _own_cpu(who), machine_busy_seconds()
    cpu_before, wall_before = server.cpu_seconds(), time.perf_counter()
    if generator == "wrk":
        got = run_wrk(server.port, load, concurrency, duration, workdir)
    else:
        got = asyncio.run(run_python(server.port, load, concurrency, duration))
    cpu = server.cpu_seconds() - cpu_before
    wall = time.perf_counter() - wall_before
    gen = _own_cpu(who) - gen_before
    others = machine_busy_seconds() - busy_before - cpu - gen
    return LoadResult(name=load.name, concurrency=concurrency, generator=generator,
                      requests=int(got["requests"]), duration_s=round(got["duration_s"], 2),
                      rps=round(got["rps"], 1), p50_ms=round(got["p50_ms"], 3),
                      p90_ms=round(got["p90_ms"], 3), p99_ms=round(got["p99_ms"], 3),
                      errors=int(got["errors"]), server_cpu_pct=round(100 * cpu / wall, 1),
                      cpu_us_per_req=round(1e6 * cpu / max(1, got["requests"]), 1),
                      generator_cpu_pct=round(100 * gen / wall, 1),
                      others_cpu_pct=round(max(0.0, 100 * others / wall), 1))


# ---------------------------------------------------------------- the benchmark

def cold_starts(command: list[str], workdir: Path, rounds: int, repeat: int
                ) -> dict[str, Any]:
    first: list[float] = []
    restart: list[float] = []
    announced_first: list[float] = []
    announced_restart: list[float] = []
    stops: list[float] = []
    for i in range(repeat):
        state = workdir / f"cold-{i}"
        with running(Server(state, rounds, command)) as server:
            first.append(server.wait_ready())
        announced_first.append(server.announced() or float("nan"))  # printed ≤ 20 ms later
        stops.append(server.stopped_in)
        with running(Server(state, rounds, command)) as server:
            restart.append(server.wait_ready())
        announced_restart.append(server.announced() or float("nan"))  # printed ≤ 20 ms later
        stops.append(server.stopped_in)
        print(f"  cold start {i + 1}/{repeat}: first {first[-1]:.2f}s, "
              f"restart {restart[-1]:.2f}s", file=sys.stderr)
    return {"first_s": statistics.median(first), "restart_s": statistics.median(restart),
            "first_runs_s": [round(x, 3) for x in first],
            "restart_runs_s": [round(x, 3) for x in restart],
            "first_announced_s": statistics.median(announced_first),
            "restart_announced_s": statistics.median(announced_restart),
            "stop_s": statistics.median(stops)}


def import_time(command: list[str]) -> float:
    """Seconds the interpreter spends importing the CLI (measured inside it, so without
    interpreter start-up and tear-down): the floor under both cold starts."""
    python = command[0] if "python" in Path(command[0]).name else sys.executable
    probe = ("import time; t = time.perf_counter(); import gureum.cli.main; "
             "print(time.perf_counter() - t)")
    runs = [float(subprocess.run([python, "-c", probe], check=True, cwd=ROOT,
                                 capture_output=True, text=True).stdout)
            for _ in range(3)]
    return statistics.median(runs)


def loads(server: Server, rounds: int) -> list[tuple[Load, list[int]]]:
    password = server.password("admin")
    status, headers, body = request(server.port, "POST", f"{API}/auth/tokens",
                                    body=auth_body(password))
    if status != 201:
        raise RuntimeError(f"token issue failed: {status} {body[:300]!r}")
    token = headers["x-subject-token"]
    for method, path, extra in (("GET", f"{API}/auth/tokens", {"X-Subject-Token": token}),
                                ("GET", f"{API}/projects", {})):
        status, _, body = request(server.port, method, path, {"X-Auth-Token": token, **extra})
        if status != 200:
            raise RuntimeError(f"{method} {path} failed: {status} {body[:300]!r}")
    json_headers = {"Content-Type": "application/json"}
    return [
        (Load("validate", "GET", f"{API}/auth/tokens",
              {"X-Auth-Token": token, "X-Subject-Token": token}), [1, 16]),
        (Load("projects", "GET", f"{API}/projects", {"X-Auth-Token": token}), [1, 16]),
        (Load(f"issue(bcrypt {rounds})", "POST", f"{API}/auth/tokens", json_headers,
              json.dumps(auth_body(password))), [1, 4]),
    ]


def throughput(command: list[str], workdir: Path, rounds: int, duration: float,
               generator: str, only: set[str] | None, repeat: int) -> dict[str, Any]:
    with running(Server(workdir / "load", rounds, command)) as server:
        server.wait_ready()
        plan = loads(server, rounds)
        time.sleep(1.0)  # idle: the few requests above are done, nothing else is running
        idle = server.status()
        libs = server.libraries()
        results: list[LoadResult] = []
        for load, levels in plan:
            if only and load.name.split("(")[0] not in only:
                continue
            for concurrency in levels:
                print(f"  {load.name} at concurrency {concurrency} for {duration:g}s"
                      f"{f' x{repeat}' if repeat > 1 else ''}…", file=sys.stderr)
                runs = sorted((measure(server, load, concurrency, duration, workdir,
                                       generator) for _ in range(repeat)),
                              key=lambda r: r.rps)
                results.append(runs[len(runs) // 2])  # the median run, whole
        after = server.status()
    return {"pid_status_idle_kb": idle, "pid_status_after_load_kb": after, "server": libs,
            "loads": [asdict(r) for r in results]}


# ---------------------------------------------------------------- reporting

def _mark(ok: bool | None) -> str:
    return "" if ok is None else ("ok" if ok else "MISS")


def report(res: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str, str]] = []
    cold = res.get("cold_start")
    if cold:
        rows.append((f"cold start, first (bootstrap, bcrypt {res['rounds']})",
                     f"{cold['first_s']:.2f} s", "< 2 s",
                     _mark(cold["first_s"] < TARGETS["cold_start_s"]), ""))
        rows.append(("cold start, restart (same state dir)", f"{cold['restart_s']:.2f} s",
                     "< 2 s", _mark(cold["restart_s"] < TARGETS["cold_start_s"]), ""))
        rows.append(("  `import gureum.cli.main` alone", f"{res['import_s']:.2f} s",
                     "", "", ""))
        rows.append(("  as the server itself says (ready in)",
                     f"{cold['first_announced_s']:.1f} s / {cold['restart_announced_s']:.1f} s",
                     "", "", ""))
        rows.append(("stop, SIGTERM to exit (idle)", f"{cold['stop_s']:.2f} s", "", "", ""))
    load = res.get("load")
    if load:
        rss = load["pid_status_idle_kb"]["VmRSS"] / 1024
        rows.append(("RSS, idle after start + 3 requests", f"{rss:.0f} MB", "< 200 MB",
                     _mark(rss < TARGETS["rss_mb"]), ""))
        rows.append(("RSS after the load runs (VmHWM peak)",
                     f"{load['pid_status_after_load_kb']['VmRSS'] / 1024:.0f} MB "
                     f"({load['pid_status_after_load_kb']['VmHWM'] / 1024:.0f})", "", "", ""))
        for r in load["loads"]:
            label = f"{r['name']} c{r['concurrency']}"
            target = ok = ks = ""
            if r["name"] == "validate" and r["concurrency"] == 16:
                target = f">= {TARGETS['validate_c16_rps']:,.0f}/s"
                ok = _mark(r["rps"] >= TARGETS["validate_c16_rps"])
                ks = f"{KEYSTONE['validate_c16_rps']:.0f}/s"
            if r["name"] == "validate" and r["concurrency"] == 1:
                target = f"p50 <= {TARGETS['validate_c1_p50_ms']} ms"
                ok = _mark(r["p50_ms"] <= TARGETS["validate_c1_p50_ms"])
                ks = f"p50 {KEYSTONE['validate_c1_p50_ms']} ms"
            errs = f", {r['errors']} ERRORS" if r["errors"] else ""
            rows.append((label, f"{r['rps']:>8,.1f}/s  p50 {r['p50_ms']:7.2f} ms  "
                         f"p99 {r['p99_ms']:7.2f} ms  {r['cpu_us_per_req']:>7,.0f} us/req  "
                         f"cpu {r['server_cpu_pct']:3.0f}%  others {r['others_cpu_pct']:3.0f}%"
                         f"{errs}", target, ok, ks))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    head = ("figure", "result", "target", "", "keystone")
    widths = [max(w, len(h)) for w, h in zip(widths, head, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if load:
        srv = load["server"]
        lines.append(f"server: uvloop loaded={srv['uvloop_loaded']}, "
                     f"httptools loaded={srv['httptools_loaded']}; "
                     f"load generator: {load['loads'][0]['generator'] if load['loads'] else '-'}"
                     "\nus/req = server CPU per request; cpu = server CPU and others = "
                     "other processes' CPU during the run, % of one core")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=12,
                        help="bcrypt cost (GUREUM_IDENTITY__PASSWORD_HASH_ROUNDS), default 12")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds per load run (default 10)")
    parser.add_argument("--starts", type=int, default=3,
                        help="cold starts of each kind; the median is reported (default 3)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each load; the median run is reported (default 1)")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--only", help="comma list of: cold, validate, projects, issue")
    parser.add_argument("--server", default=str(VENV_BIN / "gureum"),
                        help="the command before `up …` (default: the venv's gureum); e.g. "
                        "'.venv/bin/python bench/variants.py uvloop' for an experiment")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temp state dirs")
    args = parser.parse_args(argv)

    # The server runs from the temp dir, so relative paths are made absolute here.
    command = [str(Path(part).absolute()) if "/" in part and Path(part).exists() else part
               for part in args.server.split()]
    generator = args.generator
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "python"
    only = set(args.only.split(",")) if args.only else None
    workdir = Path(tempfile.mkdtemp(prefix="gureum-bench-"))
    results: dict[str, Any] = {
        "date": datetime.now().isoformat(timespec="seconds"), "rounds": args.rounds,
        "duration_s": args.duration, "server_command": command, "generator": generator,
        "host": {"cpus": os.cpu_count(), "python": platform.python_version(),
                 "kernel": platform.release()},
        "targets": TARGETS, "keystone": KEYSTONE}
    try:
        if only is None or "cold" in only:
            print("cold starts…", file=sys.stderr)
            results["cold_start"] = cold_starts(command, workdir, args.rounds, args.starts)
            results["import_s"] = import_time(command)
        if only is None or only - {"cold"}:
            print("throughput…", file=sys.stderr)
            results["load"] = throughput(command, workdir, args.rounds, args.duration,
                                         generator, only - {"cold"} if only else None,
                                         args.repeat)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"state kept in {workdir}", file=sys.stderr)
    print(report(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
