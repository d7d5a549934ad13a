"""Network tables (SQLAlchemy 2.0, typed). Every resource carries neutron's standard
attributes (description, timestamps, revision number; tags live in their own table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gureum.core.db import utcnow


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class StandardAttrs:
    """neutron's standard-attr: every change bumps revision_number."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), index=True, default="")
    description: Mapped[str] = mapped_column(String(255), default="")
    revision_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Network(StandardAttrs, Base):
    __tablename__ = "network"
    name: Mapped[str] = mapped_column(String(255), default="", index=True)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    mtu: Mapped[int] = mapped_column(Integer, default=1500)
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    availability_zone_hints: Mapped[list[Any]] = mapped_column(default=list)
    dns_domain: Mapped[str] = mapped_column(String(255), default="")


class Segment(StandardAttrs, Base):
    """A network's segment (ML2): its type and where on the wire it lives."""

    __tablename__ = "network_segment"
    network_id: Mapped[str] = mapped_column(ForeignKey("network.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    network_type: Mapped[str] = mapped_column(String(16))
    physical_network: Mapped[str | None] = mapped_column(String(64))
    segmentation_id: Mapped[int | None] = mapped_column(Integer)
    segment_index: Mapped[int] = mapped_column(Integer, default=0)


class SegmentAllocation(Base):
    """A segmentation id in use: the primary key is what makes it unique cloud-wide (a
    flat network takes id 0 of its physical network)."""

    __tablename__ = "segment_allocation"
    network_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    physical_network: Mapped[str] = mapped_column(String(64), primary_key=True)
    segmentation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key: the id is taken before the network and its segment are written.
    segment_id: Mapped[str] = mapped_column(String(36), index=True)


class SubnetPool(StandardAttrs, Base):
    __tablename__ = "subnetpool"
    name: Mapped[str] = mapped_column(String(255), default="")
    ip_version: Mapped[int] = mapped_column(Integer)
    prefixes: Mapped[list[Any]] = mapped_column(default=list)
    default_prefixlen: Mapped[int] = mapped_column(Integer)
    min_prefixlen: Mapped[int] = mapped_column(Integer)
    max_prefixlen: Mapped[int] = mapped_column(Integer)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    default_quota: Mapped[int | None] = mapped_column(Integer)
    address_scope_id: Mapped[str | None] = mapped_column(String(36))


class Subnet(StandardAttrs, Base):
    __tablename__ = "subnet"
    network_id: Mapped[str] = mapped_column(ForeignKey("network.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    ip_version: Mapped[int] = mapped_column(Integer)
    cidr: Mapped[str] = mapped_column(String(64))
    gateway_ip: Mapped[str | None] = mapped_column(String(64))
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, default=True)
    allocation_pools: Mapped[list[Any]] = mapped_column(default=list)
    dns_nameservers: Mapped[list[Any]] = mapped_column(default=list)
    host_routes: Mapped[list[Any]] = mapped_column(default=list)
    ipv6_ra_mode: Mapped[str | None] = mapped_column(String(20))
    ipv6_address_mode: Mapped[str | None] = mapped_column(String(20))
    subnetpool_id: Mapped[str | None] = mapped_column(ForeignKey("subnetpool.id"))
    segment_id: Mapped[str | None] = mapped_column(String(36))
    service_types: Mapped[list[Any]] = mapped_column(default=list)


class Port(StandardAttrs, Base):
    __tablename__ = "port"
    network_id: Mapped[str] = mapped_column(ForeignKey("network.id"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    mac_address: Mapped[str] = mapped_column(String(32), unique=True)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="DOWN")
    device_id: Mapped[str] = mapped_column(String(255), default="", index=True)
    device_owner: Mapped[str] = mapped_column(String(255), default="", index=True)
    host: Mapped[str] = mapped_column(String(255), default="")
    vnic_type: Mapped[str] = mapped_column(String(64), default="normal")
    vif_type: Mapped[str] = mapped_column(String(64), default="unbound")
    vif_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    allowed_address_pairs: Mapped[list[Any]] = mapped_column(default=list)
    extra_dhcp_opts: Mapped[list[Any]] = mapped_column(default=list)
    dns_name: Mapped[str] = mapped_column(String(255), default="")


class IPAllocation(Base):
    """An address in use; the primary key keeps two ports off one address."""

    __tablename__ = "ip_allocation"
    subnet_id: Mapped[str] = mapped_column(ForeignKey("subnet.id"), primary_key=True)
    ip_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    network_id: Mapped[str] = mapped_column(String(36), index=True)
    port_id: Mapped[str] = mapped_column(ForeignKey("port.id", ondelete="CASCADE"),
                                         index=True)


class SecurityGroup(StandardAttrs, Base):
    __tablename__ = "security_group"
    name: Mapped[str] = mapped_column(String(255), default="")
    stateful: Mapped[bool] = mapped_column(Boolean, default=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)


class DefaultSecurityGroup(Base):
    """One `default` group per project, even when two first uses race."""

    __tablename__ = "default_security_group"
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("security_group.id", ondelete="CASCADE"))


class SecurityGroupRule(StandardAttrs, Base):
    __tablename__ = "security_group_rule"
    security_group_id: Mapped[str] = mapped_column(
        ForeignKey("security_group.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))
    ethertype: Mapped[str] = mapped_column(String(8), default="IPv4")
    protocol: Mapped[str | None] = mapped_column(String(40))
    port_range_min: Mapped[int | None] = mapped_column(Integer)
    port_range_max: Mapped[int | None] = mapped_column(Integer)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(64))
    remote_group_id: Mapped[str | None] = mapped_column(
        ForeignKey("security_group.id", ondelete="CASCADE"))
    remote_address_group_id: Mapped[str | None] = mapped_column(String(36))


class PortSecurityGroup(Base):
    __tablename__ = "port_security_group"
    port_id: Mapped[str] = mapped_column(ForeignKey("port.id", ondelete="CASCADE"),
                                         primary_key=True)
    security_group_id: Mapped[str] = mapped_column(ForeignKey("security_group.id"),
                                                   primary_key=True, index=True)


class Router(StandardAttrs, Base):
    __tablename__ = "router"
    name: Mapped[str] = mapped_column(String(255), default="")
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    gw_port_id: Mapped[str | None] = mapped_column(ForeignKey("port.id"))
    enable_snat: Mapped[bool] = mapped_column(Boolean, default=True)
    routes: Mapped[list[Any]] = mapped_column(default=list)
    distributed: Mapped[bool] = mapped_column(Boolean, default=False)
    ha: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_zone_hints: Mapped[list[Any]] = mapped_column(default=list)


class FloatingIP(StandardAttrs, Base):
    __tablename__ = "floatingip"
    floating_network_id: Mapped[str] = mapped_column(ForeignKey("network.id"), index=True)
    floating_ip_address: Mapped[str] = mapped_column(String(64))
    floating_port_id: Mapped[str] = mapped_column(ForeignKey("port.id", ondelete="CASCADE"))
    port_id: Mapped[str | None] = mapped_column(ForeignKey("port.id"), index=True)
    fixed_ip_address: Mapped[str | None] = mapped_column(String(64))
    router_id: Mapped[str | None] = mapped_column(ForeignKey("router.id"))
    status: Mapped[str] = mapped_column(String(16), default="DOWN")
    __table_args__ = (UniqueConstraint("port_id", "fixed_ip_address"),)


class Quota(Base):
    """A project's override of a default quota."""

    __tablename__ = "network_quota"
    project_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    limit: Mapped[int] = mapped_column(Integer)


class RBACPolicy(Base):
    __tablename__ = "rbac_policy"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(32))
    target_tenant: Mapped[str] = mapped_column(String(64), index=True)
    __table_args__ = (UniqueConstraint("object_type", "object_id", "action",
                                       "target_tenant"),)


class Tag(Base):
    __tablename__ = "resource_tag"
    resource_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tag: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class Agent(Base):
    __tablename__ = "agent"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_type: Mapped[str] = mapped_column(String(64))
    binary: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(String(255))
    configurations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    resources_synced: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    heartbeat_timestamp: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("agent_type", "host"),)


class AgentBinding(Base):
    """Which agent serves which network (DHCP) or router (L3)."""

    __tablename__ = "agent_binding"
    resource_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agent.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "network" or "router"
