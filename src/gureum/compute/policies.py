"""Compute policy defaults under nova's names. Which rows a project sees (its own; admins
everything with all_tenants) is decided in the manager; these rules say who may act."""

from __future__ import annotations

from gureum.core.policy import Rule

ADMIN = "role:admin"
MEMBER = "role:admin or (role:member and project_id:%(project_id)s)"
READER = "role:admin or (role:reader and project_id:%(project_id)s)"
OWNER = "role:admin or user_id:%(user_id)s"
ANYONE = ""
P = "os_compute_api:"


def _rules(check: str, *names: str) -> list[Rule]:
    return [Rule(P + name, check) for name in names]


RULES = [
    Rule("context_is_admin", ADMIN),
    Rule("admin_api", ADMIN),
    Rule("compute:servers:create:requested_destination", ADMIN),  # 2.74's host, node
    Rule("compute:server:topology:index", READER),
    Rule("compute:aggregates:images", ADMIN),  # 2.81
    # servers
    *_rules(READER, "servers:index", "servers:detail", "servers:show",
            "os-instance-actions:list", "os-instance-actions:show",
            "os-server-tags:index", "os-server-tags:show",
            "server-metadata:index", "server-metadata:show", "ips:index", "ips:show"),
    *_rules(MEMBER, "servers:create", "servers:create:attach_network", "servers:update",
            "servers:delete", "servers:create:trusted_certs"),
    *_rules(ADMIN, "servers:index:get_all_tenants", "servers:detail:get_all_tenants",
            "servers:create:forced_host", "servers:allow_all_filters",
            "os-extended-server-attributes", "os-instance-actions:events",
            "os-instance-actions:events:details", "servers:show:host_status"),
    # flavors
    *_rules(ANYONE, "flavors:index", "flavors:show", "os-flavor-extra-specs:index",
            "os-flavor-extra-specs:show"),
    *_rules(ADMIN, "os-flavor-manage:create", "os-flavor-manage:update",
            "os-flavor-manage:delete", "os-flavor-extra-specs:create",
            "os-flavor-extra-specs:update", "os-flavor-extra-specs:delete",
            "os-flavor-access:add_tenant_access", "os-flavor-access:remove_tenant_access",
            "os-flavor-access"),
    # keypairs: a user's own; admins any user's
    *_rules(OWNER, "os-keypairs:index", "os-keypairs:show", "os-keypairs:create",
            "os-keypairs:delete"),
    # limits
    Rule(P + "limits", ANYONE, "Show the project's absolute limits."),
    Rule(P + "limits:other_project", ADMIN, "Show another project's limits."),
    # version documents and extensions
    Rule(P + "extensions", ANYONE),
]
RULES += _rules(MEMBER, "os-server-tags:update", "os-server-tags:update_all",
                "os-server-tags:delete", "os-server-tags:delete_all")
RULES += _rules(MEMBER, "servers:stop", "servers:start", "servers:reboot",
                "os-pause-server:pause", "os-pause-server:unpause",
                "os-suspend-server:suspend", "os-suspend-server:resume",
                "os-lock-server:lock", "os-lock-server:unlock", "os-security-groups:add",
                "os-security-groups:remove", "os-console-output")
RULES += _rules(ADMIN, "os-admin-actions:reset_state",
                "os-lock-server:unlock:unlock_override")
RULES += _rules(ADMIN, "os-services:list", "os-services:update", "os-services:delete",
                "os-hypervisors:list", "os-hypervisors:list-detail",
                "os-hypervisors:statistics", "os-hypervisors:show", "os-hypervisors:search",
                "os-hypervisors:uptime",
                "os-hypervisors:servers", "os-availability-zone:detail",
                "os-aggregates:index", "os-aggregates:create", "os-aggregates:show",
                "os-aggregates:update", "os-aggregates:delete", "os-aggregates:add_host",
                "os-aggregates:remove_host", "os-aggregates:set_metadata",
                "os-server-groups:index:all_projects")
RULES += [Rule(P + "os-availability-zone:list", ANYONE)]
RULES += _rules(MEMBER, "os-server-groups:create", "os-server-groups:delete")
RULES += _rules(READER, "os-server-groups:index", "os-server-groups:show")
RULES += [Rule(P + "os-quota-sets:show", READER), Rule(P + "os-quota-sets:detail", READER),
          Rule(P + "os-quota-sets:defaults", ANYONE)]
RULES += _rules(ADMIN, "os-quota-sets:update", "os-quota-sets:delete",
                "os-quota-class-sets:show", "os-quota-class-sets:update")
RULES += _rules(MEMBER, "server-metadata:create", "server-metadata:update",
                "server-metadata:update_all", "server-metadata:delete")
RULES += [Rule(P + "os-simple-tenant-usage:list", ADMIN),
          Rule(P + "os-simple-tenant-usage:show", READER)]
RULES += _rules(READER, "os-volumes-attachments:index", "os-volumes-attachments:show")
RULES += _rules(MEMBER, "os-shelve:shelve", "os-shelve:unshelve", "os-create-backup",
                "os-rescue", "os-unrescue", "os-remote-consoles", "remote-consoles",
                "os-volumes-attachments:update",
                "servers:resize",
                "servers:confirm_resize", "servers:revert_resize")
RULES += _rules(ADMIN, "os-migrate-server:migrate", "os-migrate-server:migrate_live",
                "os-evacuate", "os-console-auth-tokens", "os-volumes-attachments:swap",
                "os-migrations:index", "servers:migrations:index", "servers:migrations:show",
                "servers:migrations:force_complete", "servers:migrations:delete")
RULES += _rules(ADMIN, "os-shelve:shelve_offload", "os-shelve:unshelve_to_host")
RULES += _rules(MEMBER, "servers:create_image", "servers:rebuild",
                "servers:rebuild:trusted_certs")
RULES += _rules(MEMBER, "os-volumes-attachments:create", "os-volumes-attachments:delete")
RULES += _rules(READER, "os-attach-interfaces:list", "os-attach-interfaces:show")
RULES += _rules(MEMBER, "os-attach-interfaces:create", "os-attach-interfaces:delete")
