"""Authentication: password, token and application-credential methods; scoping; token
issue, validation and revocation; application credentials and EC2-style credentials.

Validating a token never reads the token from the database (there is nothing stored to
read): the Fernet payload names the user and scope, and the document built for that
(user, scope) is cached until an identity change is seen or announced on the bus."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from gureum.core.context import RequestContext
from gureum.core.db import utcnow
from gureum.core.errors import BadRequest, Forbidden
from gureum.identity import errors
from gureum.identity.manager.assignments import SYSTEM, AssignmentManager
from gureum.identity.manager.base import new_id
from gureum.identity.manager.catalog import CatalogManager
from gureum.identity.manager.directory import DirectoryManager
from gureum.identity.manager.limits import LimitManager
from gureum.identity.models import (
    ApplicationCredential,
    Credential,
    Domain,
    Project,
    RevocationEvent,
    Role,
    User,
)
from gureum.identity.tokens import TokenPayload, new_audit_id


def timestamp(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class TokenData:
    """Everything a token document says besides its payload: computed, then cached."""

    user: dict[str, Any]
    project: dict[str, Any] | None
    domain: dict[str, Any] | None
    system: bool
    roles: list[dict[str, str]]
    catalog: list[dict[str, Any]]
    app_cred: dict[str, Any] | None


class AuthManager(DirectoryManager, AssignmentManager, CatalogManager, LimitManager):
    _token_cache: dict[tuple[Any, ...], tuple[int, float, TokenData]]

    # ------------------------------------------------------------ issuing
    async def authenticate(self, auth: dict[str, Any]) -> tuple[str, TokenPayload, TokenData]:
        identity = auth["identity"]
        methods = identity["methods"]
        for method in methods:
            if method in ("password", "token", "application_credential") and \
                    method not in identity:
                raise BadRequest(f"The {method} method needs its '{method}' object.")
        app_cred = None
        if "application_credential" in methods:
            user, app_cred = await self._by_app_cred(identity["application_credential"])
            audit, expires_at = [new_audit_id()], None
        elif "password" in methods:
            user = await self._by_password(identity["password"]["user"])
            audit, expires_at = [new_audit_id()], None
        elif "token" in methods:
            original, _ = await self.validate(identity["token"]["id"])
            user = await self.show_user(original.user_id)
            audit = [new_audit_id(), original.audit_ids[-1]]
            expires_at = original.expires_at
            if original.app_cred_id is not None:
                # what an application credential allows stays bound to it: same
                # credential, same project, its roles only
                async with self.db.session() as session:
                    app_cred = await session.get(ApplicationCredential, original.app_cred_id)
                if app_cred is None:
                    raise errors.AuthFailed()
        else:
            raise errors.AuthFailed("No supported authentication method was given.")
        now = time.time()
        expires = now + self.settings.token_expiration
        if expires_at is not None:
            expires = min(expires, expires_at)
        if app_cred is not None and app_cred.expires_at is not None:
            expires = min(expires, timestamp(app_cred.expires_at))
        scope_type, scope_id = await self._scope(auth.get("scope"), user, app_cred)
        payload = TokenPayload(user_id=user.id, methods=tuple(methods), scope_type=scope_type,
                               scope_id=scope_id, issued_at=now, expires_at=expires,
                               audit_ids=tuple(audit),
                               app_cred_id=app_cred.id if app_cred else None)
        data = await self.token_data(payload)
        return self.formatter.encrypt(payload), payload, data

    async def _find_user(self, session: AsyncSession, ref: dict[str, Any]) -> User | None:
        if "id" in ref:
            return await session.get(User, ref["id"])
        if "name" not in ref or "domain" not in ref:
            raise BadRequest("A user needs an id, or a name and a domain.")
        try:
            domain = await self.domain_by_name_or_id(session, ref["domain"])
        except errors.DomainNotFound:
            return None
        return (await session.scalars(select(User).where(
            User.name == ref["name"], User.domain_id == domain.id))).first()

    async def _by_password(self, ref: dict[str, Any]) -> User:
        async with self.db.session() as session:
            user = await self._find_user(session, ref)
            domain = await session.get(Domain, user.domain_id) if user else None
        # Check a hash even for unknown users, so timing does not reveal which names exist.
        ok = await self.check(ref.get("password", ""), user.password_hash if user else None)
        if user is None or not ok or not user.enabled or domain is None or not domain.enabled:
            raise errors.AuthFailed()
        return user

    async def _by_app_cred(self, ref: dict[str, Any]) -> tuple[User, ApplicationCredential]:
        async with self.db.session() as session:
            if "id" in ref:
                cred = await session.get(ApplicationCredential, ref["id"])
            else:
                owner = await self._find_user(session, ref.get("user") or {})
                cred = (await session.scalars(select(ApplicationCredential).where(
                    ApplicationCredential.name == ref.get("name"),
                    ApplicationCredential.user_id == (owner.id if owner else None)))).first()
            user = await session.get(User, cred.user_id) if cred else None
        ok = await self.check(ref.get("secret", ""), cred.secret_hash if cred else None)
        if cred is None or user is None or not ok or not user.enabled:
            raise errors.AuthFailed()
        if cred.expires_at is not None and cred.expires_at < utcnow():
            raise errors.AuthFailed("The application credential has expired.")
        return user, cred

    async def _scope(self, scope: Any, user: User, app_cred: ApplicationCredential | None
                     ) -> tuple[str | None, str | None]:
        if app_cred is not None:
            if scope and scope.get("project", {}).get("id", app_cred.project_id) \
                    != app_cred.project_id:
                raise errors.AuthFailed("An application credential is bound to its project.")
            return "project", app_cred.project_id
        if not scope:
            if user.default_project_id:
                async with self.db.session() as session:
                    roles = await self.effective_role_ids(session, user.id, "project",
                                                          user.default_project_id)
                if roles:
                    return "project", user.default_project_id
            return None, None
        if scope == "unscoped" or scope.get("unscoped") is not None:
            return None, None
        async with self.db.session() as session:
            if "project" in scope:
                return "project", (await self._project_ref(session, scope["project"])).id
            if "domain" in scope:
                return "domain", (await self.domain_by_name_or_id(session, scope["domain"])).id
        if scope.get("system", {}).get("all"):
            return "system", SYSTEM
        raise BadRequest("The scope must name a project, a domain or the system.")

    async def _project_ref(self, session: AsyncSession, ref: dict[str, Any]) -> Project:
        if "id" in ref:
            project = await session.get(Project, ref["id"])
        else:
            domain = await self.domain_by_name_or_id(session, ref.get("domain") or {})
            project = (await session.scalars(select(Project).where(
                Project.name == ref.get("name"), Project.domain_id == domain.id))).first()
        if project is None:
            raise errors.AuthFailed(f"Could not find project: {ref.get('id') or ref.get('name')}.")
        return project

    # ------------------------------------------------------------ validating
    async def validate(self, token: str) -> tuple[TokenPayload, TokenData]:
        try:
            payload = self.formatter.decrypt(token)
        except ValueError as exc:
            raise errors.TokenNotFound() from exc
        if payload.expires_at < time.time():
            raise errors.TokenNotFound("The token has expired.")
        if await self._revoked(payload):
            raise errors.TokenNotFound("The token has been revoked.")
        return payload, await self.token_data(payload)

    async def _revoked(self, payload: TokenPayload) -> bool:
        if self._revocations is None:
            await self._load_revocations()
        for event in self._revocations or ():
            if payload.issued_at > event["issued_before"]:
                continue
            if (event["user_id"] in (None, payload.user_id)
                    and event["project_id"] in (None, payload.scope_id)
                    and event["domain_id"] in (None, payload.scope_id)
                    and event["audit_id"] in (None, payload.audit_ids[0])
                    and event["audit_chain_id"] in (None, payload.audit_ids[-1])
                    and event["app_cred_id"] in (None, payload.app_cred_id)):
                return True
        return False

    async def _load_revocations(self) -> None:
        horizon = timestamp(utcnow()) - self.settings.token_expiration - 60
        async with self.db.session() as session:
            await session.execute(delete(RevocationEvent).where(
                RevocationEvent.revoked_at < datetime.fromtimestamp(horizon, UTC).replace(
                    tzinfo=None)))
            rows = list(await session.scalars(select(RevocationEvent)))
        self._revocations = [
            {"user_id": r.user_id, "project_id": r.project_id, "domain_id": r.domain_id,
             "audit_id": r.audit_id, "audit_chain_id": r.audit_chain_id,
             "app_cred_id": r.app_cred_id, "issued_before": timestamp(r.issued_before)}
            for r in rows]

    async def revoke_token(self, token: str) -> None:
        payload, _ = await self.validate(token)
        async with self.db.session() as session:
            session.add(RevocationEvent(audit_id=payload.audit_ids[0], issued_before=utcnow()))
        await self.changed("revocation_event", "created", payload.audit_ids[0])

    async def token_data(self, payload: TokenPayload) -> TokenData:
        key = (payload.user_id, payload.scope_type, payload.scope_id, payload.app_cred_id)
        cached = self._token_cache.get(key)
        now = time.monotonic()
        if cached and cached[0] == self.generation and now - cached[1] < \
                self.settings.cache_seconds:
            return cached[2]
        data = await self._build_token_data(payload)
        if len(self._token_cache) > 50000:
            self._token_cache.clear()
        self._token_cache[key] = (self.generation, now, data)
        return data

    async def _build_token_data(self, payload: TokenPayload) -> TokenData:
        async with self.db.session() as session:
            user = await session.get(User, payload.user_id)
            user_domain = await session.get(Domain, user.domain_id) if user else None
            if user is None or not user.enabled or user_domain is None or \
                    not user_domain.enabled:
                raise errors.TokenNotFound("The token's user is disabled or gone.")
            project = domain = None
            if payload.scope_type == "project":
                project = await session.get(Project, payload.scope_id)
                domain_of = await session.get(Domain, project.domain_id) if project else None
                if project is None or not project.enabled or not domain_of or \
                        not domain_of.enabled:
                    raise errors.TokenNotFound("The token's project is disabled or gone.")
                project_view = {"id": project.id, "name": project.name,
                                "domain": {"id": domain_of.id, "name": domain_of.name}}
            elif payload.scope_type == "domain":
                domain = await session.get(Domain, payload.scope_id)
                if domain is None or not domain.enabled:
                    raise errors.TokenNotFound("The token's domain is disabled or gone.")
            role_ids: set[str] = set()
            if payload.scope_type is not None:
                role_ids = await self.effective_role_ids(session, user.id, payload.scope_type,
                                                         payload.scope_id or "")
            app_cred_view = None
            if payload.app_cred_id is not None:
                cred = await session.get(ApplicationCredential, payload.app_cred_id)
                if cred is None:
                    raise errors.TokenNotFound("The application credential is gone.")
                granted = await self._implied_closure(session, set(cred.role_ids))
                role_ids &= granted
                app_cred_view = {"id": cred.id, "name": cred.name,
                                 "restricted": not cred.unrestricted}
                if cred.access_rules:
                    app_cred_view["access_rules"] = cred.access_rules
            if payload.scope_type is not None and not role_ids:
                raise errors.TokenNotFound(
                    f"User {user.id} has no access to {payload.scope_type} {payload.scope_id}.")
            roles = [{"id": r.id, "name": r.name} for r in await session.scalars(
                select(Role).where(Role.id.in_(role_ids)).order_by(Role.name))]
        catalog = await self.catalog() if payload.scope_type is not None else []
        return TokenData(
            user={"id": user.id, "name": user.name,
                  "domain": {"id": user_domain.id, "name": user_domain.name},
                  "password_expires_at": None},
            project=project_view if project else None,
            domain={"id": domain.id, "name": domain.name} if domain else None,
            system=payload.scope_type == "system", roles=roles, catalog=catalog,
            app_cred=app_cred_view)

    # ------------------------------------------------------------ application credentials
    async def create_app_cred(self, context: RequestContext, user_id: str,
                              spec: dict[str, Any]) -> tuple[ApplicationCredential, str]:
        if context.project_id is None:
            raise BadRequest("An application credential needs a project-scoped token.")
        if context.app_cred_id is not None and not await self.unrestricted(context):
            raise Forbidden("A restricted application credential cannot create another.")
        async with self.db.session() as session:
            available = await self.effective_role_ids(session, user_id, "project",
                                                      context.project_id)
            roles = list(await session.scalars(select(Role).where(Role.id.in_(available))))
        by_id = {r.id: r for r in roles}
        by_name = {r.name: r for r in roles}
        wanted = []
        for ref in spec.get("roles") or [{"id": r.id} for r in roles
                                         if r.name in context.roles]:
            role = by_id.get(ref.get("id", "")) or by_name.get(ref.get("name", ""))
            if role is None:
                raise errors.RoleNotFound(role_id=ref.get("id") or ref.get("name"))
            wanted.append(role.id)
        secret = spec.get("secret") or secrets.token_urlsafe(48)
        expires = spec.get("expires_at")
        cred = ApplicationCredential(
            id=new_id(), name=spec["name"], user_id=user_id, project_id=context.project_id,
            secret_hash=await self.hash(secret), description=spec.get("description") or "",
            expires_at=_parse_time(expires) if expires else None,
            unrestricted=bool(spec.get("unrestricted", False)), role_ids=wanted,
            access_rules=[{"id": new_id(), **rule} for rule in spec.get("access_rules") or []])
        async with self.db.session() as session:
            session.add(cred)
            await self.flush_unique(session, "application_credential", spec["name"])
        await self.changed("application_credential", "created", cred.id)
        return cred, secret

    async def unrestricted(self, context: RequestContext) -> bool:
        async with self.db.session() as session:
            cred = await session.get(ApplicationCredential, context.app_cred_id)
            return bool(cred and cred.unrestricted)

    async def list_app_creds(self, user_id: str, query: Mapping[str, str]
                             ) -> list[ApplicationCredential]:
        stmt = select(ApplicationCredential).where(
            ApplicationCredential.user_id == user_id).order_by(ApplicationCredential.name)
        if "name" in query:
            stmt = stmt.where(ApplicationCredential.name == query["name"])
        async with self.db.session() as session:
            await self.get(session, User, user_id, errors.UserNotFound, user_id=user_id)
            return list(await session.scalars(stmt))

    async def show_app_cred(self, user_id: str, app_cred_id: str) -> ApplicationCredential:
        async with self.db.session() as session:
            cred = await session.get(ApplicationCredential, app_cred_id)
        if cred is None or cred.user_id != user_id:
            raise errors.ApplicationCredentialNotFound(app_cred_id=app_cred_id)
        return cred

    async def delete_app_cred(self, user_id: str, app_cred_id: str) -> None:
        cred = await self.show_app_cred(user_id, app_cred_id)
        async with self.db.session() as session:
            await session.execute(delete(ApplicationCredential).where(
                ApplicationCredential.id == cred.id))
            session.add(RevocationEvent(app_cred_id=cred.id, issued_before=utcnow()))
        await self.changed("application_credential", "deleted", app_cred_id)

    async def role_refs(self, role_ids: list[str]) -> list[dict[str, Any]]:
        async with self.db.session() as session:
            return [{"id": r.id, "name": r.name, "domain_id": None}
                    for r in await session.scalars(select(Role).where(Role.id.in_(role_ids)))]

    # ------------------------------------------------------------ credentials
    async def create_credential(self, spec: dict[str, Any]) -> tuple[Credential, str]:
        blob = spec["blob"]
        credential_id = new_id()
        if spec["type"] == "ec2":
            try:
                access = json.loads(blob)["access"]
            except (ValueError, KeyError, TypeError) as exc:
                raise BadRequest("An ec2 credential's blob must be JSON with 'access'.") from exc
            credential_id = hashlib.sha256(str(access).encode()).hexdigest()
            if not spec.get("project_id"):
                raise BadRequest("An ec2 credential needs a project_id.")
        async with self.db.session() as session:
            await self.get(session, User, spec["user_id"], errors.UserNotFound,
                           user_id=spec["user_id"])
            credential = Credential(id=credential_id, user_id=spec["user_id"],
                                    project_id=spec.get("project_id"), type=spec["type"],
                                    encrypted_blob=self.secrets.seal(blob))
            session.add(credential)
            await self.flush_unique(session, "credential", credential_id)
        await self.changed("credential", "created", credential.id)
        return credential, blob

    async def list_credentials(self, query: Mapping[str, str]) -> list[tuple[Credential, str]]:
        stmt = select(Credential).order_by(Credential.id)
        for field in ("user_id", "type", "project_id"):
            if field in query:
                stmt = stmt.where(getattr(Credential, field) == query[field])
        async with self.db.session() as session:
            rows = list(await session.scalars(stmt))
        return [(row, self.secrets.open(row.encrypted_blob)) for row in rows]

    async def show_credential(self, credential_id: str) -> tuple[Credential, str]:
        async with self.db.session() as session:
            row = await self.get(session, Credential, credential_id, errors.CredentialNotFound,
                                 credential_id=credential_id)
        return row, self.secrets.open(row.encrypted_blob)

    async def update_credential(self, credential_id: str, changes: dict[str, Any]
                                ) -> tuple[Credential, str]:
        async with self.db.session() as session:
            row = await self.get(session, Credential, credential_id, errors.CredentialNotFound,
                                 credential_id=credential_id)
            for field in ("user_id", "project_id", "type"):
                if field in changes:
                    setattr(row, field, changes[field])
            if "blob" in changes:
                row.encrypted_blob = self.secrets.seal(changes["blob"])
        await self.changed("credential", "updated", credential_id)
        return row, self.secrets.open(row.encrypted_blob)

    async def delete_credential(self, credential_id: str) -> None:
        async with self.db.session() as session:
            row = await self.get(session, Credential, credential_id, errors.CredentialNotFound,
                                 credential_id=credential_id)
            await session.delete(row)
        await self.changed("credential", "deleted", credential_id)


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest(f"Invalid time '{text}': use ISO 8601.") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment

