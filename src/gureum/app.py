"""The composition root: settings → database, bus, services → one ASGI app per role.

`Cloud` starts the roles it is asked for. In the embedded mode (`gureum up`) that is all
of them in one process on SQLite and the in-process bus; scaled out, each process runs
one role against PostgreSQL and RabbitMQ. Roles share nothing but rows and messages."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import yaml
from starlette.routing import Mount, Router
from starlette.types import ASGIApp

from gureum.block_storage import service as block_storage
from gureum.clients.asgi import StreamingASGITransport
from gureum.clients.identity import IdentityClient
from gureum.clients.image import ImageClient
from gureum.clients.network import NetworkClient
from gureum.clients.volume import VolumeClient
from gureum.compute import service as compute
from gureum.core import bus as buses
from gureum.core.auth import RemoteAuthenticator
from gureum.core.db import Database
from gureum.identity import service as identity
from gureum.identity.bootstrap import CatalogEntry, Passwords, bootstrap
from gureum.identity.manager import IdentityManager
from gureum.identity.tokens import KeyRepository
from gureum.image import guest, metadef_catalog
from gureum.image import service as image
from gureum.image.manager import ImageManager
from gureum.image.store import FilesystemStore
from gureum.network import service as network
from gureum.network.agent import NetworkAgent, driver_for
from gureum.network.bootstrap import create_default_networks
from gureum.network.manager import NetworkManager
from gureum.network.messages import KINDS
from gureum.settings import Settings

if TYPE_CHECKING:
    from gureum.block_storage.agent import VolumeAgent
    from gureum.block_storage.backup_agent import BackupAgent
    from gureum.block_storage.manager import BlockStorageManager
    from gureum.block_storage.scheduler import VolumeScheduler
    from gureum.compute.agent import ComputeAgent
    from gureum.compute.conductor import Conductor
    from gureum.compute.manager import ComputeManager
    from gureum.compute.scheduler import ComputeScheduler

log = logging.getLogger(__name__)
ROLES = ("identity", "image", "network", "block-storage", "compute")
# The network agents of some hosts (`gureum network-agent`); `gureum up` runs them too.
AGENT_ROLE = "network-agent"
# The volume schedulers (database and bus, no API) and a host's volume agents (bus only).
VOLUME_SCHEDULER_ROLE = "volume-scheduler"
VOLUME_AGENT_ROLE = "volume-agent"
# A backup service (cinder-backup) on a host, keeping backups under the state dir (bus only).
BACKUP_AGENT_ROLE = "backup-agent"
# The compute scheduler and the conductor (database and bus, no API), and a host's compute
# agents (bus only: they reach the database through the conductor).
COMPUTE_SCHEDULER_ROLE = "compute-scheduler"
CONDUCTOR_ROLE = "conductor"
COMPUTE_AGENT_ROLE = "compute-agent"
BUS_ONLY = (AGENT_ROLE, VOLUME_AGENT_ROLE, BACKUP_AGENT_ROLE, COMPUTE_AGENT_ROLE)
EMBEDDED = (*ROLES, AGENT_ROLE, VOLUME_SCHEDULER_ROLE, VOLUME_AGENT_ROLE, BACKUP_AGENT_ROLE,
            COMPUTE_SCHEDULER_ROLE, CONDUCTOR_ROLE, COMPUTE_AGENT_ROLE)
MIGRATIONS = ((identity.MIGRATIONS, identity.VERSION_TABLE),
              (image.MIGRATIONS, image.VERSION_TABLE),
              (network.MIGRATIONS, network.VERSION_TABLE),
              (block_storage.MIGRATIONS, block_storage.VERSION_TABLE),
              (compute.MIGRATIONS, compute.VERSION_TABLE))


class Cloud:
    def __init__(self, settings: Settings, roles: tuple[str, ...] = EMBEDDED,
                 agent_hosts: list[str] | None = None,
                 agent_kinds: tuple[str, ...] = KINDS) -> None:
        self.settings = settings
        self.roles = roles
        self.agent_hosts = (agent_hosts if agent_hosts is not None
                            else settings.network.agent_hosts)
        self.agent_kinds = agent_kinds
        self.network_agents: dict[str, NetworkAgent] = {}
        self.db: Database | None = None
        self.bus: buses.Bus | None = None
        self.identity: IdentityManager | None = None
        self.image: ImageManager | None = None
        self.network: NetworkManager | None = None
        self.block_storage: BlockStorageManager | None = None
        self.volume_scheduler: VolumeScheduler | None = None
        self.volume_agents: dict[str, VolumeAgent] = {}
        self.backup_agent: BackupAgent | None = None
        self.compute: ComputeManager | None = None
        self.compute_scheduler: ComputeScheduler | None = None
        self.conductor: Conductor | None = None
        self.compute_agents: dict[str, ComputeAgent] = {}
        self.router = Router()
        self._clients: list[IdentityClient | ImageClient | NetworkClient | VolumeClient] = []
        self._background: asyncio.Future[None] | None = None

    @property
    def state_dir(self) -> Path:
        return self.settings.state_dir

    def catalog(self) -> list[CatalogEntry]:
        base = self.settings.base_url
        return [CatalogEntry("identity", "keystone", f"{base}{identity.PATH}"),
                CatalogEntry("image", "glance", f"{base}{image.PATH}", service_user="glance",
                             limits=self.settings.image.default_limits),
                CatalogEntry("network", "neutron", f"{base}{network.PATH}",
                             service_user="neutron"),
                # both point at v3 without the project id (DevStack's endpoints now)
                CatalogEntry("block-storage", "cinder", f"{base}{block_storage.PATH}/v3",
                             service_user="cinder"),
                CatalogEntry("volumev3", "cinderv3", f"{base}{block_storage.PATH}/v3"),
                CatalogEntry("compute", "nova", f"{base}{compute.PATH}/v2.1",
                             service_user="nova")]

    async def start(self, *, bootstrap_data: bool = True) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        if self.roles and set(self.roles) <= set(BUS_ONLY):  # agents: by the bus alone
            await self.start_bus_only()
            return
        self.db = Database(self.settings.database)
        for migrations, version_table in MIGRATIONS:
            await self.db.migrate(migrations, version_table)
        self.bus = buses.connect(self.settings.bus_url)
        await self.bus.start()
        keys = KeyRepository(self.state_dir / "fernet-keys")
        credential_keys = KeyRepository(self.state_dir / "credential-keys")
        keys.setup()
        credential_keys.setup()
        self.identity = IdentityManager(self.db, self.bus, self.settings.identity, keys,
                                        credential_keys)
        await self.identity.start()
        if bootstrap_data:
            await bootstrap(self.identity, self.catalog(), self.passwords(),
                            self.state_dir / "passwords-checked.json")
            self.write_clouds_yaml()
        if "identity" in self.roles:
            self.mount(identity.PATH, identity.create_app(
                self.identity, self.policy_file("identity"),
                f"{self.settings.base_url}{identity.PATH}"))
        if "image" in self.roles:
            settings = self.settings.image
            client = self.identity_client("glance")
            self.image = ImageManager(
                self.db, self.bus,
                {store_id: FilesystemStore(self.state_dir / path)
                 for store_id, path in settings.stores.items()},
                FilesystemStore(self.state_dir / "image-staging"),
                settings=settings, limits=client)
            await self.image.load_catalog(metadef_catalog.NAMESPACES)
            self.mount(image.PATH, image.create_app(
                self.image, await self.authenticator(client), self.policy_file("image")))
            if bootstrap_data and settings.default_guest:
                # In the background: the cloud is usable while the guest is fetched.
                self._background = asyncio.ensure_future(self.register_default_guest())

        if "network" in self.roles:
            self.network = NetworkManager(self.db, self.bus, self.settings.network)
            await self.network.start_agents_rpc()
            self.mount(network.PATH, network.create_app(
                self.network, await self.authenticator(self.identity_client("neutron")),
                self.policy_file("network")))
        if AGENT_ROLE in self.roles:
            await self.start_network_agents()
        if bootstrap_data and self.settings.network.public_network:
            await self.bootstrap_networks()
        await self.start_block_storage()
        await self.start_compute()

    async def start_bus_only(self) -> None:
        self.bus = buses.connect(self.settings.bus_url)
        await self.bus.start()
        if AGENT_ROLE in self.roles:
            await self.start_network_agents()
        if VOLUME_AGENT_ROLE in self.roles:
            await self.start_volume_agents()
        if BACKUP_AGENT_ROLE in self.roles:
            await self.start_backup_agent()
        if COMPUTE_AGENT_ROLE in self.roles:
            await self.start_compute_agents()

    async def start_block_storage(self) -> None:
        """The API and control plane first (agents register with it), then schedulers,
        then the agents of each backend."""
        assert self.db is not None and self.bus is not None
        if "block-storage" in self.roles:
            from gureum.block_storage.manager import BlockStorageManager

            self.block_storage = BlockStorageManager(self.db, self.bus,
                                                     self.settings.block_storage,
                                                     self.image_client("cinder"))
            await self.block_storage.ensure_default_type()
            await self.block_storage.start_control()
            self.mount(block_storage.PATH, block_storage.create_app(
                self.block_storage, await self.authenticator(self.identity_client("cinder")),
                self.policy_file("block_storage")))
        if VOLUME_SCHEDULER_ROLE in self.roles:
            from gureum.block_storage.scheduler import VolumeScheduler

            self.volume_scheduler = VolumeScheduler(self.db, self.bus,
                                                    self.settings.block_storage)
            await self.volume_scheduler.start()
        if VOLUME_AGENT_ROLE in self.roles:
            await self.start_volume_agents()
        if BACKUP_AGENT_ROLE in self.roles:
            await self.start_backup_agent()

    async def start_compute(self) -> None:
        """The API and control plane, the conductor (agents report to it), the
        scheduler, then the agents of the hosts."""
        assert self.db is not None and self.bus is not None
        settings = self.settings.compute
        if "compute" in self.roles:
            from gureum.compute.manager import ComputeManager

            self.compute = ComputeManager(self.db, self.bus, settings,
                                          self.image_client("nova"),
                                          self.network_client("nova"),
                                          self.volume_client("nova"))
            await self.compute.ensure_default_flavors()
            from gureum.compute.metadata_api import MetadataAPI

            self.mount(compute.METADATA_PATH, MetadataAPI(
                self.compute, self.network_client("nova"), self.metadata_secret()))
            self.mount(compute.PATH, compute.create_app(
                self.compute, await self.authenticator(self.identity_client("nova")),
                self.policy_file("compute")))
        if CONDUCTOR_ROLE in self.roles:
            from gureum.compute.conductor import Conductor

            self.conductor = Conductor(self.db, self.bus, settings)
            await self.conductor.start()
        if COMPUTE_SCHEDULER_ROLE in self.roles:
            from gureum.compute.scheduler import ComputeScheduler

            self.compute_scheduler = ComputeScheduler(self.db, self.bus, settings)
            await self.compute_scheduler.start()
        if COMPUTE_AGENT_ROLE in self.roles:
            await self.start_compute_agents()

    async def start_compute_agents(self) -> None:
        """One agent (nova-compute) per host this process plays (compute.hosts, or the
        generated fake hosts)."""
        from gureum.compute.agent import ComputeAgent  # noqa: F811

        assert self.bus is not None
        settings = self.settings.compute
        hosts = settings.compute_hosts()
        network, volumes = self.network_client("nova"), self.volume_client("nova")
        images = self.image_client("nova")
        for name, capacity in hosts.items():
            agent = ComputeAgent(self.bus, name, settings, network, capacity=capacity,
                                 volumes=volumes, images=images)
            await agent.start()
            self.compute_agents[name] = agent

    async def start_backup_agent(self, host: str | None = None) -> None:
        """The backup service of this host (cinder-backup), its backups under the state
        dir."""
        from gureum.block_storage.backup_agent import BackupAgent  # noqa: F811
        from gureum.block_storage.drivers.backup import FileBackupDriver

        assert self.bus is not None
        settings = self.settings.block_storage
        self.backup_agent = BackupAgent(
            self.bus, host or settings.host, settings,
            FileBackupDriver(self.state_dir / settings.backup_path))
        await self.backup_agent.start()

    async def start_volume_agents(self, host: str | None = None) -> None:
        """One agent per configured backend of this host (cinder-volume host@backend)."""
        from gureum.block_storage.agent import VolumeAgent  # noqa: F811

        assert self.bus is not None
        settings = self.settings.block_storage
        images = self.image_client("cinder")
        for backend in settings.backends:
            agent = VolumeAgent(self.bus, host or settings.host, backend, settings,
                                images=images, state_dir=self.state_dir)
            await agent.start()
            self.volume_agents[agent.name] = agent

    async def start_network_agents(self) -> None:
        """One agent per host, each with its own driver, over the bus (in process or
        not, the same messages)."""
        assert self.bus is not None
        for host in self.agent_hosts:
            agent = NetworkAgent(self.bus, host, driver_for(self.settings.network.driver),
                                 self.settings.network, self.agent_kinds)
            await agent.start()
            self.network_agents[host] = agent

    async def bootstrap_networks(self) -> None:
        """DevStack's public and private networks and router1 (with a control plane of
        its own when this process does not serve the network API: `gureum bootstrap`)."""
        assert self.db is not None and self.bus is not None and self.identity is not None
        manager = self.network or NetworkManager(self.db, self.bus, self.settings.network)
        projects = {name: await self.identity.list_projects({"name": name,
                                                             "domain_id": "default"})
                    for name in ("admin", "demo")}
        if not projects["admin"]:
            return
        await create_default_networks(manager, self.settings.network,
                                      projects["admin"][0].id,
                                      projects["demo"][0].id if projects["demo"] else None)

    async def register_default_guest(self) -> None:
        assert self.identity is not None and self.image is not None
        try:
            built = await asyncio.to_thread(guest.build)
            admin = (await self.identity.list_projects({"name": "admin",
                                                        "domain_id": "default"}))[0]
            await guest.register(self.image, admin.id, built)
        except Exception as exc:  # no apt, no network: the cloud works without it
            log.warning("the default guest image is not registered: %s", exc)

    def mount(self, path: str, app: ASGIApp) -> None:
        self.router.routes.append(Mount(path, app))

    def identity_client(self, service_user: str) -> IdentityClient:
        """How a service talks to Identity (tokens, limits): through its public API, as
        its own service user; in process when this process serves Identity too."""
        transport = httpx.ASGITransport(app=self.router) if "identity" in self.roles else None
        client = IdentityClient(f"{self.settings.base_url}{identity.PATH}",
                                username=service_user, password=self.passwords().service,
                                project="service", transport=transport)
        self._clients.append(client)
        return client

    def image_client(self, service_user: str) -> ImageClient:
        """How a service talks to Image (image records and their bytes): through its
        public API, in process (streaming both ways) when this process serves Image too."""
        transport = StreamingASGITransport(self.router) if "image" in self.roles else None
        client = ImageClient(f"{self.settings.base_url}{image.PATH}",
                             self.identity_client(service_user), transport=transport)
        self._clients.append(client)
        return client

    def network_client(self, service_user: str) -> NetworkClient:
        """How a service talks to Network (ports, networks): through its public API, in
        process when this process serves Network too."""
        transport = httpx.ASGITransport(app=self.router) if "network" in self.roles else None
        client = NetworkClient(f"{self.settings.base_url}{network.PATH}",
                               self.identity_client(service_user), transport=transport)
        self._clients.append(client)
        return client

    def volume_client(self, service_user: str) -> VolumeClient:
        """How a service talks to Block Storage (volumes, attachments): through its
        public API, in process when this process serves Block Storage too."""
        transport = (httpx.ASGITransport(app=self.router) if "block-storage" in self.roles
                     else None)
        client = VolumeClient(f"{self.settings.base_url}{block_storage.PATH}/v3",
                              self.identity_client(service_user), transport=transport)
        self._clients.append(client)
        return client

    async def authenticator(self, client: IdentityClient) -> RemoteAuthenticator:
        """How a service checks tokens: it asks Identity, and forgets what it cached when
        Identity announces a change on the bus."""
        assert self.bus is not None
        authenticator = RemoteAuthenticator(client)
        await authenticator.follow(self.bus)
        return authenticator

    async def stop(self) -> None:
        await self.stop_agents()
        for role in (self.compute_scheduler, self.conductor, self.volume_scheduler):
            if role is not None:
                await role.stop()
        if self.block_storage is not None:
            await self.block_storage.stop_control()
        if self._background is not None:
            self._background.cancel()
            with contextlib.suppress(BaseException):
                await self._background
        for client in self._clients:
            await client.close()
        if self.bus is not None:
            await self.bus.stop()
        if self.db is not None:
            await self.db.close()

    async def stop_agents(self) -> None:
        """Every agent of every host this process plays, first: they call the rest."""
        agents: list[Any] = [*self.compute_agents.values(), *self.network_agents.values(),
                             *self.volume_agents.values()]
        if self.backup_agent is not None:
            agents.append(self.backup_agent)
        for agent in agents:
            await agent.stop()
        self.compute_agents.clear()
        self.network_agents.clear()
        self.volume_agents.clear()
        self.backup_agent = None

    def policy_file(self, service: str) -> Path:
        return self.state_dir / "policy" / f"{service}.yaml"

    def asgi(self) -> ASGIApp:
        return self.router

    # ------------------------------------------------------------ secrets and clouds.yaml
    def passwords(self) -> Passwords:
        """From the settings (environment) if given, else generated once and kept in DIR."""
        path = self.state_dir / "passwords.json"
        stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        chosen = {}
        for who in ("admin", "demo", "service"):
            given = getattr(self.settings, f"{who}_password")
            chosen[who] = given.get_secret_value() if given else (
                stored.get(who) or secrets.token_urlsafe(18))
        if chosen != stored:
            _write_private(path, json.dumps(chosen, indent=2) + "\n")
        return Passwords(**chosen)

    def metadata_secret(self) -> str:
        """What the metadata API checks instance ids' signatures with: from the settings,
        else generated once and kept in DIR (the metadata proxy reads it there)."""
        given = self.settings.compute.metadata_secret
        if given is not None:
            return given.get_secret_value()
        path = self.state_dir / "metadata-secret"
        if not path.exists():
            _write_private(path, secrets.token_urlsafe(32))
        return path.read_text().strip()

    def write_clouds_yaml(self) -> Path:
        passwords = self.passwords()
        auth_url = f"{self.settings.base_url}{identity.PATH}"

        def cloud(user: str, password: str, project: str) -> dict[str, Any]:
            return {"auth": {"auth_url": auth_url, "username": user, "password": password,
                             "project_name": project, "user_domain_name": "Default",
                             "project_domain_name": "Default"},
                    "region_name": "RegionOne", "interface": "public",
                    "identity_api_version": 3}

        clouds = {"clouds": {"gureum": cloud("admin", passwords.admin, "admin"),
                             "gureum-demo": cloud("demo", passwords.demo, "demo")}}
        path = self.state_dir / "clouds.yaml"
        _write_private(path, yaml.safe_dump(clouds, sort_keys=False))
        return path


def _write_private(path: Path, text: str) -> None:
    """Write a secret-bearing file whole (temp file, then rename), readable only by us."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    tmp.replace(path)
