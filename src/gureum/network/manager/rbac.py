"""RBAC policies: a network's owner shares it with one project (or, for admins, with
every project: `*`), as a network to put ports on (access_as_shared) or as an external
network to route to (access_as_external). A `*` share is what `shared` (and a `*`
external grant what `router:external`) means on the network, and the two are kept in
step. A project loses access only when none of its ports depend on that access."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gureum.core.context import RequestContext
from gureum.network import errors
from gureum.network.manager.base import ManagerBase, is_admin, new_id, quota_lock
from gureum.network.manager.listing import ListQuery, filtered, paged
from gureum.network.models import Network, Port, RBACPolicy

ACTIONS = {"network": ("access_as_external", "access_as_shared")}
RBAC_COLUMNS = {
    "id": RBACPolicy.id, "project_id": RBACPolicy.project_id,
    "tenant_id": RBACPolicy.project_id, "object_type": RBACPolicy.object_type,
    "object_id": RBACPolicy.object_id, "action": RBACPolicy.action,
    "target_tenant": RBACPolicy.target_tenant, "target_project_id": RBACPolicy.target_tenant,
}
# Ports that use a network as external: routers' gateways and floating IPs.
EXTERNAL_USERS = ("network:router_gateway", "network:floatingip")
NETWORK_OWNED = ("network:dhcp",)


class RBACPolicies(ManagerBase):
    @staticmethod
    def _rbac_lock(object_id: str) -> str:
        return f"rbac:{object_id}"

    async def create_rbac_policy(self, context: RequestContext, spec: dict[str, Any],
                                 ) -> RBACPolicy:
        object_type = str(spec["object_type"]).strip().lower()
        if object_type not in ACTIONS:
            raise errors.InvalidInput(error_message=f"'{spec['object_type']}' is not a valid "
                                      "RBAC object type")
        action = spec["action"]
        if action not in ACTIONS[object_type]:
            raise errors.InvalidActionForType(action=action, object_type=object_type,
                                              valid_actions=list(ACTIONS[object_type]))
        project_id = self.project_for(context, spec, "rbac_policy")
        object_id = spec["object_id"]
        locks = [quota_lock(project_id, "rbac_policy"), self._rbac_lock(object_id)]
        async with self.db.session(lock=locks) as session:
            network = await self.network_for(session, context, object_id)
            if not is_admin(context) and network.project_id != context.project_id:
                raise errors.InvalidInput(error_message="Only admins can manipulate policies "
                                          "on networks they do not own")
            existing = (await session.scalars(select(RBACPolicy.id).where(
                RBACPolicy.object_type == object_type, RBACPolicy.object_id == object_id,
                RBACPolicy.action == action,
                RBACPolicy.target_tenant == spec["target_tenant"]))).first()
            if existing is not None:
                raise errors.DuplicateRbacPolicy()
            await self.check_quota(session, project_id, "rbac_policy", RBACPolicy)
            policy = RBACPolicy(id=new_id(), project_id=project_id, object_type=object_type,
                                object_id=object_id, action=action,
                                target_tenant=spec["target_tenant"])
            session.add(policy)
            self._rbac_reflect(network, action, policy.target_tenant, True)
        await self.agents.network_changed(object_id)
        return policy

    def _rbac_reflect(self, network: Network, action: str, target: str, granted: bool) -> None:
        """A `*` grant is the network's shared / router:external flag."""
        if target != "*":
            return
        if action == "access_as_shared" and network.shared != granted:
            network.shared = granted
            self.bump(network)
        elif action == "access_as_external" and network.external != granted:
            network.external = granted
            self.bump(network)

    async def list_rbac_policies(self, context: RequestContext, query: ListQuery,
                                 ) -> tuple[list[RBACPolicy], dict[str, list[str]]]:
        stmt = select(RBACPolicy)
        mine = self.owned(context, RBACPolicy)
        if mine is not None:
            stmt = stmt.where(mine)
        stmt, leftover = filtered(stmt, RBAC_COLUMNS, query)
        async with self.db.session() as session:
            return await paged(session, stmt, RBACPolicy, RBAC_COLUMNS, query), leftover

    async def _rbac_for(self, session: Any, context: RequestContext,
                        policy_id: str) -> RBACPolicy:
        row = await session.get(RBACPolicy, policy_id)
        if row is None or (not is_admin(context) and row.project_id != context.project_id):
            raise errors.RbacPolicyNotFound(object_type="unknown" if row is None
                                            else row.object_type, id=policy_id)
        return row  # type: ignore[no-any-return]

    async def show_rbac_policy(self, context: RequestContext, policy_id: str) -> RBACPolicy:
        async with self.db.session() as session:
            return await self._rbac_for(session, context, policy_id)

    async def update_rbac_policy(self, context: RequestContext, policy_id: str,
                                 spec: dict[str, Any]) -> RBACPolicy:
        async with self.db.session() as session:
            object_id = (await self._rbac_for(session, context, policy_id)).object_id
        async with self.db.session(lock=self._rbac_lock(object_id)) as session:
            policy = await self._rbac_for(session, context, policy_id)
            target = spec.get("target_tenant", policy.target_tenant)
            if target == policy.target_tenant:
                return policy
            network = await session.get(Network, policy.object_id)
            if network is None:
                raise errors.NetworkNotFound(net_id=policy.object_id)
            if not is_admin(context) and network.project_id != context.project_id:
                raise errors.InvalidInput(error_message="Only admins can manipulate policies "
                                          "on networks they do not own")
            clash = (await session.scalars(select(RBACPolicy.id).where(
                RBACPolicy.object_id == policy.object_id, RBACPolicy.action == policy.action,
                RBACPolicy.target_tenant == target))).first()
            if clash is not None:
                raise errors.DuplicateRbacPolicy()
            if target != "*":  # a grant to everyone takes nothing from anyone
                await self._rbac_check_unused(session, network, policy)
            self._rbac_reflect(network, policy.action, policy.target_tenant, False)
            policy.target_tenant = target
            self._rbac_reflect(network, policy.action, target, True)
        await self.agents.network_changed(object_id)
        return policy

    async def delete_rbac_policy(self, context: RequestContext, policy_id: str) -> None:
        async with self.db.session() as session:
            object_id = (await self._rbac_for(session, context, policy_id)).object_id
        async with self.db.session(lock=self._rbac_lock(object_id)) as session:
            policy = await self._rbac_for(session, context, policy_id)
            network = await session.get(Network, policy.object_id)
            if network is not None:
                await self._rbac_check_unused(session, network, policy)
                self._rbac_reflect(network, policy.action, policy.target_tenant, False)
            await session.delete(policy)
        await self.agents.network_changed(object_id)

    async def _rbac_check_unused(self, session: Any, network: Network,
                                 policy: RBACPolicy) -> None:
        """neutron's ensure_no_tenant_ports_on_network: the projects losing access through
        this policy (its target, or for `*` everyone not granted otherwise) must have no
        ports that rely on it."""
        target = policy.target_tenant
        if target == network.project_id:
            return
        others = set(await session.scalars(select(RBACPolicy.target_tenant).where(
            RBACPolicy.object_id == network.id, RBACPolicy.action == policy.action,
            RBACPolicy.id != policy.id)))
        if target != "*" and "*" in others:
            return
        stmt = select(Port.id).where(Port.network_id == network.id)
        if policy.action == "access_as_external":
            stmt = stmt.where(Port.device_owner.in_(EXTERNAL_USERS))
        else:
            stmt = stmt.where(Port.device_owner.not_in(NETWORK_OWNED))
        if target == "*":
            stmt = stmt.where(Port.project_id.not_in([network.project_id, *others]))
        else:
            stmt = stmt.where(Port.project_id == target)
        if (await session.scalars(stmt.limit(1))).first() is not None:
            raise errors.RbacPolicyInUse(
                object_id=network.id,
                details=f"Unable to reconfigure sharing settings for network {network.id}. "
                        "Multiple tenants are using it.")
