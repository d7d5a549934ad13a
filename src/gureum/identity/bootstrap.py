"""First start, as DevStack leaves keystone: the Default domain, the admin/member/reader
roles (admin implies member implies reader) and the service role, the admin and demo
projects and users, the service project with a user per service, RegionOne, the catalog
and the services' registered limits. Safe to run on every start: it only adds what is
missing and points the endpoints at the current address."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from gureum.identity.manager import IdentityManager
from gureum.identity.models import Domain, Endpoint, Project, Service, User

REGION = "RegionOne"
ROLES = ("admin", "member", "reader", "service")
IMPLIES = (("admin", "member"), ("member", "reader"))


@dataclass(frozen=True)
class CatalogEntry:
    """A service the cloud runs: where it listens and who it acts as."""

    type: str
    name: str
    url: str
    service_user: str | None = None
    limits: Mapping[str, int] = field(default_factory=dict)  # registered (default) limits


@dataclass(frozen=True)
class Passwords:
    admin: str
    demo: str
    service: str


class Vouched:
    """The users whose password the last start checked, so a restart need not check them
    again: bcrypt (a quarter second a check) was most of a restart. A stamp is a SHA-256
    of the user, the stored hash and the password, kept beside passwords.json, which holds
    the passwords themselves: it tells a reader of the state dir nothing new. A changed
    password (in passwords.json or through the API) changes the stamp, and is checked."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        try:
            self.stamps: dict[str, str] = json.loads(path.read_text()) if path else {}
        except (OSError, ValueError):
            self.stamps = {}

    @staticmethod
    def _stamp(user: User, password: str) -> str:
        return hashlib.sha256(f"{user.id}\0{user.password_hash}\0{password}".encode()
                              ).hexdigest()

    def vouch(self, user: User, password: str) -> bool:
        return self.stamps.get(user.id) == self._stamp(user, password)

    def record(self, user: User, password: str) -> None:
        self.stamps[user.id] = self._stamp(user, password)

    def save(self) -> None:
        if self.path is not None:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as file:
                json.dump(self.stamps, file)


async def bootstrap(manager: IdentityManager, entries: list[CatalogEntry],
                    passwords: Passwords, vouched: Path | None = None) -> None:
    async with manager.db.session() as session:
        have_domain = await session.get(Domain, "default")
    if have_domain is None:
        await manager.create_domain({"name": "Default", "description": "The default domain"},
                                    domain_id="default")
    roles = {r.name: r for r in await manager.list_roles({})}
    for name in ROLES:
        if name not in roles:
            roles[name] = await manager.create_role({"name": name})
    for prior, implied in IMPLIES:
        await manager.create_implied_role(roles[prior].id, roles[implied].id)
    if REGION not in {r.id for r in await manager.list_regions({})}:
        await manager.create_region({"id": REGION})

    admin_project = await _project(manager, "admin", "Bootstrap project for the cloud admin")
    demo = await _project(manager, "demo", "A project for trying the cloud")
    service_project = await _project(manager, "service", "The services' own users")
    # bcrypt dominates a start: every user's hash (or check) side by side in threads
    wanted = {"admin": passwords.admin, "demo": passwords.demo,
              **{e.service_user: passwords.service for e in entries if e.service_user}}
    stamps = Vouched(vouched)
    service_hash = SharedHash(manager, passwords.service)  # one bcrypt for all of them
    users = dict(zip(wanted, await asyncio.gather(*(
        _user(manager, name, password, stamps,
              service_hash if name not in ("admin", "demo") else None)
        for name, password in wanted.items())), strict=True))
    stamps.save()
    admin, demo_user = users["admin"], users["demo"]
    await manager.create_grant("user", admin.id, "project", admin_project.id, roles["admin"].id)
    await manager.create_grant("user", admin.id, "domain", "default", roles["admin"].id)
    await manager.create_grant("user", admin.id, "system", "system", roles["admin"].id)
    await manager.create_grant("user", demo_user.id, "project", demo.id, roles["member"].id)
    for entry in entries:
        await _catalog_entry(manager, entry)
        if entry.service_user:
            for role in ("admin", "service"):
                await manager.create_grant("user", users[entry.service_user].id, "project",
                                           service_project.id, roles[role].id)


async def _project(manager: IdentityManager, name: str, description: str) -> Project:
    async with manager.db.session() as session:
        found = (await session.scalars(select(Project).where(
            Project.name == name, Project.domain_id == "default"))).first()
    return found or await manager.create_project(
        {"name": name, "description": description, "domain_id": "default"}, "default")


class SharedHash:
    """A password's bcrypt hash, made once when first needed."""

    def __init__(self, manager: IdentityManager, password: str) -> None:
        self.manager, self.password = manager, password
        self._made: asyncio.Task[str] | None = None

    async def get(self) -> str:
        if self._made is None:
            self._made = asyncio.ensure_future(self.manager.hash(self.password))
        return await self._made


async def _user(manager: IdentityManager, name: str, password: str, stamps: Vouched,
                shared: SharedHash | None) -> User:
    async with manager.db.session() as session:
        found = (await session.scalars(select(User).where(
            User.name == name, User.domain_id == "default"))).first()
    if found is None:
        found = await manager.create_user(
            {"name": name, "password": password, "domain_id": "default"}, "default",
            hashed=await shared.get() if shared else None)
    elif stamps.vouch(found, password):
        return found
    elif not await manager.check(password, found.password_hash):
        found = await manager.update_user(found.id, {"password": password},
                                          hashed=await shared.get() if shared else None)
    stamps.record(found, password)
    return found


async def _registered_limits(manager: IdentityManager, service_id: str,
                             limits: Mapping[str, int]) -> None:
    """Defaults the first time; after that they are the operator's to change."""
    have = {r.resource_name for r in await manager.list_registered_limits(
        {"service_id": service_id, "region_id": REGION})}
    missing = [{"service_id": service_id, "region_id": REGION, "resource_name": name,
                "default_limit": value} for name, value in limits.items() if name not in have]
    if missing:
        await manager.create_registered_limits(missing)


async def _catalog_entry(manager: IdentityManager, entry: CatalogEntry) -> None:
    async with manager.db.session() as session:
        service = (await session.scalars(select(Service).where(
            Service.type == entry.type))).first()
        endpoints = [] if service is None else list(await session.scalars(
            select(Endpoint).where(Endpoint.service_id == service.id)))
    if service is None:
        service = await manager.create_service({"type": entry.type, "name": entry.name})
    have = {e.interface: e for e in endpoints}
    for interface in ("public", "internal", "admin"):
        if interface not in have:
            await manager.create_endpoint({"service_id": service.id, "interface": interface,
                                           "url": entry.url, "region_id": REGION})
        elif have[interface].url != entry.url:
            await manager.update_endpoint(have[interface].id, {"url": entry.url})
    await _registered_limits(manager, service.id, entry.limits)
