"""The command line: start the whole cloud, or one role of it, and look after its state."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import socket
import sys
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from gureum.app import (
    AGENT_ROLE,
    BACKUP_AGENT_ROLE,
    COMPUTE_AGENT_ROLE,
    COMPUTE_SCHEDULER_ROLE,
    CONDUCTOR_ROLE,
    ROLES,
    VOLUME_AGENT_ROLE,
    VOLUME_SCHEDULER_ROLE,
    Cloud,
)
from gureum.block_storage import policies as block_storage_policies
from gureum.compute import policies as compute_policies
from gureum.core.policy import PolicyEngine, sample_yaml
from gureum.identity import policies as identity_policies
from gureum.identity.tokens import KeyRepository
from gureum.network.messages import KINDS
from gureum.settings import Settings

POLICIES = {"identity": identity_policies.RULES, "block_storage": block_storage_policies.RULES,
            "compute": compute_policies.RULES}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", type=Path, help="where all state lives (default ./state)")
    parser.add_argument("--config", type=Path, help="a gureum.toml to read")


def _serving(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("--port", type=int, help="port to listen on (default 8880)")
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.load(args.config, state_dir=args.state_dir,
                         port=getattr(args, "port", None), host=getattr(args, "host", None))


class Server(uvicorn.Server):
    """uvicorn re-raises a caught SIGTERM once it has drained, which would kill the process
    before the cloud closes its bus and database. Here a signal only asks the server to
    exit; the cloud then stops in order and the process exits 0."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


async def _serve(cloud: Cloud, announce: str | None) -> None:
    started = time.monotonic()
    await cloud.start(bootstrap_data=announce is not None)
    settle_garbage_collector()
    settings = cloud.settings
    server = Server(uvicorn.Config(cloud.asgi(), host=settings.host,
                                           port=settings.port, lifespan="off",
                                           log_level="warning", access_log=False))

    async def say_when_ready() -> None:
        while not server.started:
            await asyncio.sleep(0.02)
        elapsed = time.monotonic() - started
        if announce:
            print(f"Gureum is ready at {settings.base_url} in {elapsed:.1f}s; "
                  f"credentials: {cloud.state_dir.resolve() / 'clouds.yaml'}", flush=True)
        else:
            print(f"gureum {'+'.join(cloud.roles)} listening on "
                  f"http://{settings.host}:{settings.port}", flush=True)

    ready = asyncio.create_task(say_when_ready())
    try:
        await server.serve()  # returns on SIGINT/SIGTERM after draining requests
    finally:
        ready.cancel()
        await cloud.stop()


def settle_garbage_collector() -> None:
    """What start-up made lives as long as the process: frozen out of the collector's
    way, and collections made rarer, so that a list of 10,000 ports (a few hundred
    thousand short-lived objects) does not walk the whole heap several times (a third of
    that list's time)."""
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)


def _run(main: Coroutine[Any, Any, None]) -> None:
    """On uvloop where it is installed (it comes with uvicorn[standard]): a quarter less
    CPU per request than asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


def cmd_up(args: argparse.Namespace) -> int:
    _run(_serve(Cloud(_settings(args)), announce="up"))
    return 0


def cmd_role(args: argparse.Namespace) -> int:
    _run(_serve(Cloud(_settings(args), roles=(args.command,)), announce=None))
    return 0


def cmd_network_agent(args: argparse.Namespace) -> int:
    """A host's network agents (scaled out): no API, no database, only the bus."""
    host = args.agent_host or socket.gethostname()
    asked = set(args.kinds.split(","))
    kinds = tuple(k for k in KINDS if k in asked)
    settings = _settings(args)
    if asked - set(KINDS) or not kinds:
        print(f"gureum network-agent: --kinds takes some of {','.join(KINDS)}",
              file=sys.stderr)
        return 2
    if not (settings.bus_url or "").startswith(("amqp://", "amqps://")):
        print("gureum network-agent: agents of their own need a shared bus "
              "(GUREUM_BUS_URL=amqp://…); `gureum up` runs its agents itself",
              file=sys.stderr)
        return 2

    cloud = Cloud(settings, roles=(AGENT_ROLE,), agent_hosts=[host], agent_kinds=kinds)
    _run(_headless(cloud, f"gureum network-agent ({'+'.join(kinds)}) running for host "
                          f"{host}"))
    return 0


async def _headless(cloud: Cloud, banner: str) -> None:
    """A role without an API: runs until SIGINT/SIGTERM, then stops in order."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await cloud.start(bootstrap_data=False)
    try:
        print(banner, flush=True)
        await stop.wait()
    finally:
        await cloud.stop()


def cmd_volume_scheduler(args: argparse.Namespace) -> int:
    """A volume scheduler (scaled out): the database and the bus, no API."""
    cloud = Cloud(_settings(args), roles=(VOLUME_SCHEDULER_ROLE,))
    _run(_headless(cloud, "gureum volume-scheduler running"))
    return 0


def cmd_volume_agent(args: argparse.Namespace) -> int:
    """A host's volume agents, one per configured backend (scaled out): the bus only."""
    settings = _settings(args)
    if args.agent_host:
        settings.block_storage.host = args.agent_host
    if not (settings.bus_url or "").startswith(("amqp://", "amqps://")):
        print("gureum volume-agent: agents of their own need a shared bus "
              "(GUREUM_BUS_URL=amqp://…); `gureum up` runs its agents itself",
              file=sys.stderr)
        return 2
    backends = ",".join(settings.block_storage.backends)
    cloud = Cloud(settings, roles=(VOLUME_AGENT_ROLE,))
    _run(_headless(cloud, f"gureum volume-agent ({backends}) running for host "
                          f"{settings.block_storage.host}"))
    return 0


def cmd_backup_agent(args: argparse.Namespace) -> int:
    """A host's backup service (cinder-backup, scaled out): the bus only."""
    settings = _settings(args)
    if args.agent_host:
        settings.block_storage.host = args.agent_host
    if not (settings.bus_url or "").startswith(("amqp://", "amqps://")):
        print("gureum backup-agent: agents of their own need a shared bus "
              "(GUREUM_BUS_URL=amqp://…); `gureum up` runs its agents itself",
              file=sys.stderr)
        return 2
    cloud = Cloud(settings, roles=(BACKUP_AGENT_ROLE,))
    _run(_headless(cloud, f"gureum backup-agent running for host "
                          f"{settings.block_storage.host}"))
    return 0


def cmd_compute_control(args: argparse.Namespace) -> int:
    """A compute scheduler or conductor (scaled out): the database and the bus, no API."""
    cloud = Cloud(_settings(args), roles=(args.command,))
    _run(_headless(cloud, f"gureum {args.command} running"))
    return 0


def cmd_compute_agent(args: argparse.Namespace) -> int:
    """A host's compute agent (nova-compute, scaled out): the bus only."""
    settings = _settings(args)
    if args.agent_host:
        settings.compute.hosts = {args.agent_host: settings.compute.host_defaults}
    if not (settings.bus_url or "").startswith(("amqp://", "amqps://")):
        print("gureum compute-agent: agents of their own need a shared bus "
              "(GUREUM_BUS_URL=amqp://…); `gureum up` runs its agents itself",
              file=sys.stderr)
        return 2
    hosts = ",".join(settings.compute.compute_hosts())
    cloud = Cloud(settings, roles=(COMPUTE_AGENT_ROLE,))
    _run(_headless(cloud, f"gureum compute-agent running for hosts {hosts}"))
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    async def run() -> None:
        cloud = Cloud(_settings(args), roles=())
        await cloud.start()
        await cloud.stop()
        print(cloud.state_dir.resolve() / "clouds.yaml")
    asyncio.run(run())
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    settings = _settings(args)
    keys = KeyRepository(settings.state_dir / "fernet-keys")
    keys.setup()
    primary = keys.rotate(settings.identity.max_active_keys)
    print(f"rotated: key {primary} is now primary")
    return 0


def cmd_policy(args: argparse.Namespace) -> int:
    defaults = POLICIES[args.service]
    if args.action == "sample":
        print(sample_yaml(defaults))
    else:
        settings = _settings(args)
        engine = PolicyEngine(args.service, defaults,
                              settings.state_dir / "policy" / f"{args.service}.yaml")
        for name, rule in engine.effective_rules().items():
            print(f'"{name}": "{rule}"')
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="gureum", description="An OpenStack-compatible cloud.")
    commands = top.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the whole cloud in the foreground")
    _serving(up)
    up.set_defaults(run=cmd_up)
    for role in ROLES:
        sub = commands.add_parser(role, help=f"run only the {role} API (scaled out)")
        _serving(sub)
        sub.set_defaults(run=cmd_role)
    agent = commands.add_parser(AGENT_ROLE, help="run a host's network agents (L2, DHCP, "
                                "L3) against the bus (scaled out)")
    _common(agent)
    agent.add_argument("--host", dest="agent_host",
                       help="the host the agents serve (default: this machine's name)")
    agent.add_argument("--kinds", default=",".join(KINDS),
                       help=f"which agents to run (default {','.join(KINDS)})")
    agent.set_defaults(run=cmd_network_agent)
    scheduler = commands.add_parser(VOLUME_SCHEDULER_ROLE, help="run a volume scheduler "
                                    "(cinder-scheduler) against the database and bus")
    _common(scheduler)
    scheduler.set_defaults(run=cmd_volume_scheduler)
    volume_agent = commands.add_parser(VOLUME_AGENT_ROLE, help="run a host's volume agents "
                                       "(cinder-volume, one per backend) against the bus")
    _common(volume_agent)
    volume_agent.add_argument("--host", dest="agent_host",
                              help="the host the agents serve (default: "
                              "block_storage.host)")
    volume_agent.set_defaults(run=cmd_volume_agent)
    backup_agent = commands.add_parser(BACKUP_AGENT_ROLE, help="run a host's backup service "
                                       "(cinder-backup) against the bus")
    _common(backup_agent)
    backup_agent.add_argument("--host", dest="agent_host",
                              help="the host it serves (default: block_storage.host)")
    backup_agent.set_defaults(run=cmd_backup_agent)
    for role, what in ((COMPUTE_SCHEDULER_ROLE, "a compute scheduler (nova-scheduler)"),
                       (CONDUCTOR_ROLE, "a conductor (nova-conductor)")):
        control = commands.add_parser(role, help=f"run {what} against the database and bus")
        _common(control)
        control.set_defaults(run=cmd_compute_control)
    compute_agent = commands.add_parser(COMPUTE_AGENT_ROLE, help="run a host's compute "
                                        "agent (nova-compute) against the bus")
    _common(compute_agent)
    compute_agent.add_argument("--host", dest="agent_host",
                               help="the host it serves (default: compute.hosts or the "
                               "generated fake hosts)")
    compute_agent.set_defaults(run=cmd_compute_agent)
    boot = commands.add_parser("bootstrap", help="migrate the database, create the first "
                               "users, projects and catalog, write clouds.yaml")
    _serving(boot)
    boot.set_defaults(run=cmd_bootstrap)
    keys = commands.add_parser("rotate-keys", help="rotate the Fernet token keys")
    _common(keys)
    keys.set_defaults(run=cmd_keys)
    policy = commands.add_parser("policy", help="show policy defaults or effective rules")
    policy.add_argument("action", choices=("sample", "list"))
    policy.add_argument("service", choices=sorted(POLICIES))
    _common(policy)
    policy.set_defaults(run=cmd_policy)
    return top


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s")
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
