"""Identity tables (SQLAlchemy 2.0, typed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gureum.core.db import utcnow

# Global roles have no domain; keystone stores this marker so (name, domain_id) can be unique.
NULL_DOMAIN = "<<null>>"


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Domain(Base):
    __tablename__ = "domain"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Project(Base):
    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(ForeignKey("domain.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("project.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(Base):
    __tablename__ = "user"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(ForeignKey("domain.id"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    default_project_id: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Group(Base):
    __tablename__ = "group"
    __table_args__ = (UniqueConstraint("domain_id", "name"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(ForeignKey("domain.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Membership(Base):
    __tablename__ = "user_group_membership"
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("group.id", ondelete="CASCADE"),
                                          primary_key=True, index=True)


class Role(Base):
    __tablename__ = "role"
    __table_args__ = (UniqueConstraint("name", "domain_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(String(64), default=NULL_DOMAIN)
    description: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ImpliedRole(Base):
    __tablename__ = "implied_role"
    prior_role_id: Mapped[str] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"),
                                               primary_key=True)
    implied_role_id: Mapped[str] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"),
                                                 primary_key=True)


class Assignment(Base):
    """A role given to an actor (user or group) on a target (project, domain, system)."""

    __tablename__ = "assignment"
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    role_id: Mapped[str] = mapped_column(ForeignKey("role.id", ondelete="CASCADE"),
                                         primary_key=True)
    inherited: Mapped[bool] = mapped_column(Boolean, primary_key=True, default=False)


class Region(Base):
    __tablename__ = "region"
    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")
    parent_region_id: Mapped[str | None] = mapped_column(ForeignKey("region.id"))


class Service(Base):
    __tablename__ = "service"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Endpoint(Base):
    __tablename__ = "endpoint"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            index=True)
    interface: Mapped[str] = mapped_column(String(8))
    url: Mapped[str] = mapped_column(Text)
    region_id: Mapped[str | None] = mapped_column(ForeignKey("region.id"))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Credential(Base):
    __tablename__ = "credential"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(255))
    encrypted_blob: Mapped[str] = mapped_column(Text)


class ApplicationCredential(Base):
    __tablename__ = "application_credential"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    unrestricted: Mapped[bool] = mapped_column(Boolean, default=False)
    role_ids: Mapped[list[Any]] = mapped_column(default=list)
    access_rules: Mapped[list[Any]] = mapped_column(default=list)


class RevocationEvent(Base):
    """Tokens matching every set field and issued before `issued_before` are revoked."""

    __tablename__ = "revocation_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str | None] = mapped_column(String(64))
    project_id: Mapped[str | None] = mapped_column(String(64))
    domain_id: Mapped[str | None] = mapped_column(String(64))
    audit_id: Mapped[str | None] = mapped_column(String(64))
    audit_chain_id: Mapped[str | None] = mapped_column(String(64))
    app_cred_id: Mapped[str | None] = mapped_column(String(64))
    issued_before: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RegisteredLimit(Base):
    """A service's default limit on one of its resources (keystone's unified limits)."""

    __tablename__ = "registered_limit"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"),
                                            index=True)
    region_id: Mapped[str | None] = mapped_column(ForeignKey("region.id"))
    resource_name: Mapped[str] = mapped_column(String(255))
    default_limit: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)


class Limit(Base):
    """A project's (or domain's) own limit, overriding the registered default."""

    __tablename__ = "project_limit"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str | None] = mapped_column(String(64), index=True)
    domain_id: Mapped[str | None] = mapped_column(String(64))
    service_id: Mapped[str] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    region_id: Mapped[str | None] = mapped_column(ForeignKey("region.id"))
    resource_name: Mapped[str] = mapped_column(String(255))
    resource_limit: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
