"""Security groups and their rules, as neutron keeps them.

Every project has one group named `default`, made on first use (listing groups or rules,
creating a group, creating a port) with neutron's default rules: egress IPv4 and IPv6 to
anywhere, ingress IPv4 and IPv6 from members of the group itself. The default_security_group
table (primary key: the project) keeps it to one group even when first uses race. Any
other new group starts with the two egress rules.

What the data plane must make of them (the agents read groups and rules through the
control plane; `security_groups_changed` only hints which groups to look at again):

- Rules only ever allow. A port with port security on drops everything its groups do not
  allow, in both directions; a port with port security on and no groups at all passes
  nothing (beyond the base rules below). A port with port security off is not filtered.
- Always allowed, whatever the groups say, as neutron's firewall drivers do: the port's
  own DHCP client traffic (and never DHCP server replies from the port), IPv6 neighbour
  discovery and router advertisements in, and anti-spoofing: traffic out must carry the
  port's MAC and one of its fixed IPs or allowed address pairs.
- Stateful groups (the default) use connection tracking: the reply to allowed traffic is
  allowed back whichever way it flows, and invalid packets are dropped.
- Stateless groups use no connection tracking: the rules are the whole story, so replies
  need rules of their own. A port's groups are all stateful or all stateless.
- remote_group_id matches the addresses (fixed IPs and allowed address pairs) of every
  port in that group, as the source of ingress or the destination of egress traffic;
  remote_ip_prefix matches a CIDR; neither matches anything.
- protocol None matches every protocol; for TCP, UDP, SCTP, DCCP and UDP-Lite the port
  range is the destination ports (None: all); for ICMP and ICMPv6, port_range_min is the
  type and port_range_max the code.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from sqlalchemy import delete, or_, select

from gureum.core.context import RequestContext
from gureum.core.db import insert_if_absent
from gureum.network import errors
from gureum.network.manager.base import ManagerBase, is_admin, new_id, quota_lock
from gureum.network.manager.listing import ListQuery, filtered, paged, tagged
from gureum.network.models import (
    DefaultSecurityGroup,
    PortSecurityGroup,
    RBACPolicy,
    SecurityGroup,
    SecurityGroupRule,
    Tag,
)

GROUP_COLUMNS = {
    "id": SecurityGroup.id, "name": SecurityGroup.name,
    "project_id": SecurityGroup.project_id, "tenant_id": SecurityGroup.project_id,
    "description": SecurityGroup.description, "stateful": SecurityGroup.stateful,
    "revision_number": SecurityGroup.revision_number,
    "created_at": SecurityGroup.created_at, "updated_at": SecurityGroup.updated_at,
}
RULE_COLUMNS = {
    "id": SecurityGroupRule.id, "project_id": SecurityGroupRule.project_id,
    "tenant_id": SecurityGroupRule.project_id,
    "security_group_id": SecurityGroupRule.security_group_id,
    "direction": SecurityGroupRule.direction, "ethertype": SecurityGroupRule.ethertype,
    "protocol": SecurityGroupRule.protocol,
    "port_range_min": SecurityGroupRule.port_range_min,
    "port_range_max": SecurityGroupRule.port_range_max,
    "remote_ip_prefix": SecurityGroupRule.remote_ip_prefix,
    "remote_group_id": SecurityGroupRule.remote_group_id,
    "description": SecurityGroupRule.description,
    "revision_number": SecurityGroupRule.revision_number,
    "created_at": SecurityGroupRule.created_at, "updated_at": SecurityGroupRule.updated_at,
}
DEFAULT_DESCRIPTION = "Default security group"
ETHERTYPES = ("IPv4", "IPv6")
# neutron-lib's IP_PROTOCOL_MAP (icmpv6 is the legacy name of ipv6-icmp).
PROTOCOLS = {
    "ah": 51, "dccp": 33, "egp": 8, "esp": 50, "gre": 47, "hopopt": 0, "icmp": 1, "igmp": 2,
    "ipip": 4, "ipv6-encap": 41, "ipv6-frag": 44, "ipv6-icmp": 58, "icmpv6": 58,
    "ipv6-nonxt": 59, "ipv6-opts": 60, "ipv6-route": 43, "ospf": 89, "pgm": 113, "rsvp": 46,
    "sctp": 132, "tcp": 6, "udp": 17, "udplite": 136, "vrrp": 112,
}
PORT_PROTOCOLS = ("dccp", "sctp", "tcp", "udp", "udplite")
PORT_NUMBERS = {PROTOCOLS[p] for p in PORT_PROTOCOLS}
ICMP_NUMBERS = (1, 58)
IPV6_ONLY = {"ipv6-encap", "ipv6-frag", "ipv6-icmp", "icmpv6", "ipv6-nonxt", "ipv6-opts",
             "ipv6-route", "41", "44", "58", "59", "60", "43"}
ANY_ADDRESS = ("0.0.0.0/0", "::/0")
RULE_FIELDS = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max",
               "remote_ip_prefix", "remote_group_id")


class SecurityGroups(ManagerBase):
    # ------------------------------------------------------------ who sees what
    @staticmethod
    def visible_security_groups(context: RequestContext) -> Any:
        """One's own groups and those shared with one (RBAC access_as_shared)."""
        if is_admin(context):
            return None
        granted = select(RBACPolicy.object_id).where(
            RBACPolicy.object_type == "security_group",
            RBACPolicy.action == "access_as_shared",
            RBACPolicy.target_tenant.in_([context.project_id or "", "*"]))
        return or_(SecurityGroup.project_id == context.project_id, SecurityGroup.shared,
                   SecurityGroup.id.in_(granted))

    @staticmethod
    def visible_security_group_rules(context: RequestContext) -> Any:
        """One's own rules and every rule of one's own groups (neutron's sg_owner)."""
        if is_admin(context):
            return None
        return or_(SecurityGroupRule.project_id == context.project_id,
                   SecurityGroupRule.security_group_id.in_(select(SecurityGroup.id).where(
                       SecurityGroup.project_id == context.project_id)))

    async def security_group_for(self, session: Any, context: RequestContext,
                                 group_id: str) -> SecurityGroup:
        return await self._get(session, SecurityGroup, group_id,
                               errors.SecurityGroupNotFound(id=group_id),
                               self.visible_security_groups(context))

    async def security_group_rule_for(self, session: Any, context: RequestContext,
                                      rule_id: str) -> SecurityGroupRule:
        return await self._get(session, SecurityGroupRule, rule_id,
                               errors.SecurityGroupRuleNotFound(id=rule_id),
                               self.visible_security_group_rules(context))

    # ------------------------------------------------------------ the default group
    async def default_security_group(self, session: Any, project_id: str) -> str:
        """The project's `default` group, made now if it has none. Race-free: of two
        transactions making it at once, the default_security_group primary key keeps one
        and the other drops the group it made and answers the winner's."""
        found = await self._sg_default_id(session, project_id)
        if found is not None:
            return found
        group = SecurityGroup(id=new_id(), project_id=project_id, name="default",
                              description=DEFAULT_DESCRIPTION, stateful=True)
        session.add(group)
        await session.flush()
        await insert_if_absent(session, DefaultSecurityGroup, project_id=project_id,
                               security_group_id=group.id)
        winner = await self._sg_default_id(session, project_id)
        if winner is not None and winner != group.id:
            await session.delete(group)
            await session.flush()
            return winner
        for ethertype in ETHERTYPES:
            session.add(_new_rule(group, "egress", ethertype))
            session.add(_new_rule(group, "ingress", ethertype, remote_group_id=group.id))
        return group.id

    @staticmethod
    async def _sg_default_id(session: Any, project_id: str) -> str | None:
        found: str | None = (await session.scalars(
            select(DefaultSecurityGroup.security_group_id).where(
                DefaultSecurityGroup.project_id == project_id))).first()
        return found

    async def ensure_default_security_group(self, context: RequestContext,
                                            project_id: str | None) -> str | None:
        """As neutron: a project makes its own default group, an admin anyone's."""
        if not project_id or (project_id != context.project_id and not is_admin(context)):
            return None
        async with self.db.session(lock=f"default-security-group:{project_id}") as session:
            return await self.default_security_group(session, project_id)

    @staticmethod
    def _sg_listed_project(context: RequestContext, query: ListQuery) -> str | None:
        asked = query.filters.get("project_id") or query.filters.get("tenant_id")
        return asked[0] if asked else context.project_id

    # ------------------------------------------------------------ groups
    async def create_security_group(self, context: RequestContext,
                                    spec: dict[str, Any]) -> SecurityGroup:
        name = spec.get("name") or ""
        _not_default(name)
        project_id = self.project_for(context, spec, "security_group")
        await self.ensure_default_security_group(context, project_id)
        stateful = spec.get("stateful")
        group = SecurityGroup(id=new_id(), project_id=project_id, name=name,
                              description=spec.get("description") or "",
                              stateful=True if stateful is None else stateful)
        locks = [quota_lock(project_id, "security_group"),
                 quota_lock(project_id, "security_group_rule")]
        async with self.db.session(lock=locks) as session:
            await self.check_quota(session, project_id, "security_group", SecurityGroup)
            await self.check_quota(session, project_id, "security_group_rule",
                                   SecurityGroupRule, delta=len(ETHERTYPES))
            session.add(group)
            await session.flush()
            for ethertype in ETHERTYPES:
                session.add(_new_rule(group, "egress", ethertype))
        await self.agents.security_groups_changed([group.id])
        return group

    async def list_security_groups(self, context: RequestContext, query: ListQuery,
                                   ) -> tuple[list[SecurityGroup], dict[str, list[str]]]:
        await self.ensure_default_security_group(context,
                                                 self._sg_listed_project(context, query))
        stmt = select(SecurityGroup)
        visible = self.visible_security_groups(context)
        if visible is not None:
            stmt = stmt.where(visible)
        stmt, leftover = filtered(stmt, GROUP_COLUMNS, query)
        stmt = tagged(stmt, SecurityGroup.id, query.tags)
        async with self.db.session() as session:
            return await paged(session, stmt, SecurityGroup, GROUP_COLUMNS, query), leftover

    async def show_security_group(self, context: RequestContext,
                                  group_id: str) -> SecurityGroup:
        async with self.db.session() as session:
            return await self.security_group_for(session, context, group_id)

    async def update_security_group(self, context: RequestContext, group_id: str,
                                    spec: dict[str, Any]) -> SecurityGroup:
        if "name" in spec:
            _not_default(spec["name"] or "")
        async with self.db.session() as session:
            group = await self.security_group_for(session, context, group_id)
            stateful = spec.get("stateful")
            if stateful is not None and stateful != group.stateful and \
                    await self._sg_in_use(session, group_id):
                raise errors.SecurityGroupInUse(id=group_id)
            if group.name == "default" and "name" in spec:
                raise errors.SecurityGroupCannotUpdateDefault()
            for key in ("name", "description"):
                if key in spec:
                    setattr(group, key, spec[key] or "")
            if stateful is not None:
                group.stateful = stateful
            self.bump(group)
        await self.agents.security_groups_changed([group_id])
        return group

    async def delete_security_group(self, context: RequestContext, group_id: str) -> None:
        async with self.db.session() as session:
            group = await self.security_group_for(session, context, group_id)
            if await self._sg_in_use(session, group_id):
                raise errors.SecurityGroupInUse(id=group_id)
            if group.name == "default" and not is_admin(context):
                raise errors.SecurityGroupCannotRemoveDefault()
            # Other groups' rules naming this one as their remote go with it.
            touched = set(await session.scalars(select(SecurityGroupRule.security_group_id)
                                                .where(SecurityGroupRule.remote_group_id
                                                       == group_id)))
            await session.execute(delete(SecurityGroupRule).where(or_(
                SecurityGroupRule.security_group_id == group_id,
                SecurityGroupRule.remote_group_id == group_id)))
            await session.execute(delete(DefaultSecurityGroup).where(
                DefaultSecurityGroup.security_group_id == group_id))
            await session.execute(delete(RBACPolicy).where(
                RBACPolicy.object_type == "security_group", RBACPolicy.object_id == group_id))
            await session.execute(delete(Tag).where(Tag.resource_id == group_id))
            await session.delete(group)
        await self.agents.security_groups_changed(sorted(touched | {group_id}))

    @staticmethod
    async def _sg_in_use(session: Any, group_id: str) -> bool:
        return (await session.scalars(select(PortSecurityGroup.port_id).where(
            PortSecurityGroup.security_group_id == group_id).limit(1))).first() is not None

    async def rules_of(self, group_ids: list[str]) -> dict[str, list[SecurityGroupRule]]:
        found: dict[str, list[SecurityGroupRule]] = {i: [] for i in group_ids}
        async with self.db.session() as session:
            for start in range(0, len(group_ids), 500):
                for rule in await session.scalars(select(SecurityGroupRule).where(
                        SecurityGroupRule.security_group_id.in_(group_ids[start:start + 500]))
                        .order_by(SecurityGroupRule.created_at, SecurityGroupRule.id)):
                    found[rule.security_group_id].append(rule)
        return found

    async def shared_security_groups(self, context: RequestContext,
                                     group_ids: list[str]) -> set[str]:
        """The groups shared with the caller's project (or with everyone) by RBAC."""
        async with self.db.session() as session:
            return set(await session.scalars(select(RBACPolicy.object_id).where(
                RBACPolicy.object_type == "security_group",
                RBACPolicy.action == "access_as_shared",
                RBACPolicy.target_tenant.in_([context.project_id or "", "*"]),
                RBACPolicy.object_id.in_(group_ids))))

    async def security_group_owner(self, group_id: str) -> str | None:
        async with self.db.session() as session:
            owner: str | None = (await session.scalars(select(SecurityGroup.project_id).where(
                SecurityGroup.id == group_id))).first()
            return owner

    # ------------------------------------------------------------ rules
    async def create_security_group_rules(self, context: RequestContext,
                                          specs: list[dict[str, Any]],
                                          ) -> list[SecurityGroupRule]:
        """One rule or a bulk of them, all in one group, all or nothing."""
        if len({s["security_group_id"] for s in specs}) > 1:
            raise errors.SecurityGroupNotSingleGroupRules()
        projects = {self.project_for(context, s, "security_group_rule") for s in specs}
        if len(projects) > 1:
            raise errors.SecurityGroupRulesNotSingleProject()
        project_id, group_id = projects.pop(), specs[0]["security_group_id"]
        wanted = [normalized_rule(s) for s in specs]
        keys = [rule_key(r) for r in wanted]
        if len(set(keys)) < len(keys):
            raise errors.DuplicateSecurityGroupRuleInPost()
        locks = [quota_lock(project_id, "security_group_rule"), f"security-group:{group_id}"]
        async with self.db.session(lock=locks) as session:
            group = await self.security_group_for(session, context, group_id)
            for remote in {r["remote_group_id"] for r in wanted if r["remote_group_id"]}:
                await self.security_group_for(session, context, remote)
            await self.check_quota(session, project_id, "security_group_rule",
                                   SecurityGroupRule, delta=len(wanted))
            for existing in await session.scalars(select(SecurityGroupRule).where(
                    SecurityGroupRule.security_group_id == group_id)):
                if rule_key({f: getattr(existing, f) for f in RULE_FIELDS}) in keys:
                    raise errors.SecurityGroupRuleExists(rule_id=existing.id)
            rows = [SecurityGroupRule(id=new_id(), project_id=project_id,
                                      security_group_id=group_id,
                                      description=spec.get("description") or "", **rule)
                    for spec, rule in zip(specs, wanted, strict=True)]
            session.add_all(rows)
            self.bump(group)
        await self.agents.security_groups_changed([group_id])
        return rows

    async def list_security_group_rules(self, context: RequestContext, query: ListQuery,
                                        ) -> tuple[list[SecurityGroupRule], dict[str, list[str]]]:
        await self.ensure_default_security_group(context,
                                                 self._sg_listed_project(context, query))
        stmt = select(SecurityGroupRule)
        visible = self.visible_security_group_rules(context)
        if visible is not None:
            stmt = stmt.where(visible)
        stmt, leftover = filtered(stmt, RULE_COLUMNS, query)
        async with self.db.session() as session:
            return (await paged(session, stmt, SecurityGroupRule, RULE_COLUMNS, query),
                    leftover)

    async def show_security_group_rule(self, context: RequestContext,
                                       rule_id: str) -> SecurityGroupRule:
        async with self.db.session() as session:
            return await self.security_group_rule_for(session, context, rule_id)

    async def delete_security_group_rule(self, context: RequestContext, rule_id: str) -> None:
        async with self.db.session() as session:
            rule = await self.security_group_rule_for(session, context, rule_id)
            group = await session.get(SecurityGroup, rule.security_group_id)
            if group is not None:
                self.bump(group)
            await session.delete(rule)
        await self.agents.security_groups_changed([rule.security_group_id])


# ---------------------------------------------------------------- rule checks

def _new_rule(group: SecurityGroup, direction: str, ethertype: str,
              remote_group_id: str | None = None) -> SecurityGroupRule:
    return SecurityGroupRule(id=new_id(), project_id=group.project_id,
                             security_group_id=group.id, direction=direction,
                             ethertype=ethertype, remote_group_id=remote_group_id,
                             description="")


def _not_default(name: str) -> None:
    if name.lower() == "default":
        raise errors.SecurityGroupDefaultAlreadyExists()


def normalized_rule(spec: dict[str, Any]) -> dict[str, Any]:
    """A rule as neutron stores it, or the 400 neutron answers: names lower-cased, ICMP
    on IPv6 spelled ipv6-icmp, the whole port range as none, prefixes as networks."""
    ethertype = _ethertype(spec.get("ethertype", "IPv4"))
    protocol = _protocol(spec.get("protocol"))
    if ethertype == "IPv6" and protocol in ("icmp", "icmpv6"):
        protocol = "ipv6-icmp"
    elif ethertype == "IPv6" and protocol == "1":
        protocol = "58"
    low, high = _port(spec.get("port_range_min")), _port(spec.get("port_range_max"))
    if (low, high) == (1, 65535):
        low = high = None
    _check_ports(protocol, low, high)
    prefix = _prefix(spec.get("remote_ip_prefix"), ethertype)
    if ethertype == "IPv4" and protocol in IPV6_ONLY:
        raise errors.SecurityGroupEthertypeConflictWithProtocol(ethertype=ethertype,
                                                                protocol=protocol)
    if prefix and spec.get("remote_group_id"):
        raise errors.SecurityGroupMultipleRemoteEntites()
    return {"direction": spec["direction"], "ethertype": ethertype, "protocol": protocol,
            "port_range_min": low, "port_range_max": high, "remote_ip_prefix": prefix,
            "remote_group_id": spec.get("remote_group_id") or None}


def rule_key(rule: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two rules the same (neutron's _rule_to_key): protocols by number, a
    prefix of all addresses as no prefix."""
    prefix = rule["remote_ip_prefix"]
    return (rule["direction"], rule["ethertype"], rule["port_range_min"],
            rule["port_range_max"], protocol_number(rule["protocol"]),
            rule["remote_group_id"], None if prefix in ANY_ADDRESS else prefix)


def protocol_number(protocol: str | None) -> int | None:
    if protocol is None:
        return None
    return PROTOCOLS[protocol] if protocol in PROTOCOLS else int(protocol)


def _ethertype(value: Any) -> str:
    for ethertype in ETHERTYPES:
        if isinstance(value, str) and value.lower() == ethertype.lower():
            return ethertype
    raise errors.SecurityGroupRuleInvalidEtherType(ethertype=value, values=list(ETHERTYPES))


def _protocol(value: Any) -> str | None:
    if value is None or value == "any":
        return None
    supported = [None, "any", *PROTOCOLS]
    text = str(value).strip()
    if text.isdigit() and not isinstance(value, bool):
        if int(text) <= 255:
            return str(int(text))
        raise errors.SecurityGroupRuleInvalidProtocol(protocol=value, values=supported)
    if isinstance(value, str) and value.lower() in PROTOCOLS:
        return value.lower()
    raise errors.SecurityGroupRuleInvalidProtocol(protocol=value, values=supported)


def _port(value: Any) -> int | None:
    if value is None:
        return None
    try:
        port = int(value)
    except (TypeError, ValueError) as exc:
        raise errors.SecurityGroupInvalidPortValue(port=value) from exc
    if isinstance(value, bool) or not 0 <= port <= 65535:
        raise errors.SecurityGroupInvalidPortValue(port=value)
    return port


def _check_ports(protocol: str | None, low: int | None, high: int | None) -> None:
    """neutron's _validate_port_range."""
    if low is None and high is None:
        return
    if protocol is None:
        raise errors.SecurityGroupProtocolRequiredWithPorts()
    number = protocol_number(protocol)
    if number in PORT_NUMBERS:
        if low == 0 or high == 0:
            raise errors.SecurityGroupInvalidPortValue(port=0)
        if low is None or high is None or low > high:
            raise errors.SecurityGroupInvalidPortRange()
    elif number in ICMP_NUMBERS:
        for value, attr, field in ((low, "port_range_min", "type"),
                                   (high, "port_range_max", "code")):
            if value is not None and not 0 <= value <= 255:
                raise errors.SecurityGroupInvalidIcmpValue(field=field, attr=attr, value=value)
        if low is None:
            raise errors.SecurityGroupMissingIcmpType(value=high)
    else:
        raise errors.SecurityGroupInvalidProtocolForPort(
            protocol=number, valid_port_protocols=", ".join(p.upper() for p in PORT_PROTOCOLS))


def _prefix(value: str | None, ethertype: str) -> str | None:
    if not value:
        return None
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError as exc:
        raise errors.InvalidCIDR(input=value) from exc
    if f"IPv{network.version}" != ethertype:
        raise errors.SecurityGroupRuleParameterConflict(ethertype=ethertype, cidr=value)
    return str(network)
