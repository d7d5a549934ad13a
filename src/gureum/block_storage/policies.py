"""Block Storage policy defaults under cinder's names. Which rows a project sees (its
own; admins everything) is decided in the manager; these rules say who may act."""

from __future__ import annotations

from gureum.core.policy import Rule

ADMIN = "role:admin"
MEMBER = "role:admin or (role:member and project_id:%(project_id)s)"
READER = "role:admin or (role:reader and project_id:%(project_id)s)"
ANYONE = ""


def _rules(check: str, *names: str) -> list[Rule]:
    return [Rule(name, check) for name in names]


RULES = [
    Rule("context_is_admin", ADMIN),
    Rule("admin_api", ADMIN),
    # volumes
    *_rules(MEMBER, "volume:create", "volume:update", "volume:delete",
            "volume:create_volume_metadata", "volume:update_volume_metadata",
            "volume:delete_volume_metadata", "volume:extend",
            "volume:extend_attached_volume", "volume:revert_to_snapshot", "volume:retype",
            "volume:update_readonly_flag", "volume:multiattach",
            "volume_extension:volume_actions:reserve",
            "volume_extension:volume_actions:unreserve",
            "volume_extension:volume_actions:initialize_connection",
            "volume_extension:volume_actions:terminate_connection",
            "volume_extension:volume_actions:attach",
            "volume_extension:volume_actions:detach",
            "volume_extension:volume_actions:begin_detaching",
            "volume_extension:volume_actions:roll_detaching",
            "volume_extension:volume_actions:upload_image"),
    Rule("volume_extension:volume_actions:upload_public", ADMIN,
         "Upload a volume to a public image."),
    *_rules(READER, "volume:get", "volume:get_all", "volume:get_volume_metadata",
            "volume_extension:volume_tenant_attribute"),
    *_rules(ADMIN, "volume_extension:volume_admin_actions:reset_status",
            "volume_extension:volume_host_attribute",
            "volume_extension:volume_mig_status_attribute", "volume:force_delete"),
    # attachments
    *_rules(MEMBER, "volume:attachment_create", "volume:attachment_update",
            "volume:attachment_delete", "volume:attachment_complete"),
    Rule("volume:attachment_get", READER, "Show or list attachments (cinder checks no "
         "rule: the project's own)."),
    # snapshots
    *_rules(MEMBER, "volume:create_snapshot", "volume:update_snapshot",
            "volume:delete_snapshot", "volume:update_snapshot_metadata",
            "volume:delete_snapshot_metadata"),
    *_rules(READER, "volume:get_snapshot", "volume:get_all_snapshots",
            "volume:get_snapshot_metadata",
            "volume_extension:extended_snapshot_attributes"),
    # transfers: any member may accept one (holding its id and key)
    *_rules(MEMBER, "volume:create_transfer", "volume:delete_transfer"),
    *_rules(READER, "volume:get_transfer", "volume:get_all_transfers"),
    Rule("volume:accept_transfer", "role:admin or role:member"),
    # backups
    *_rules(MEMBER, "backup:create", "backup:delete", "backup:restore", "backup:update"),
    *_rules(READER, "backup:get", "backup:get_all"),
    Rule("backup:backup_project_attribute", ADMIN, "Show a backup's project."),
    # types
    *_rules(ADMIN, "volume_extension:qos_specs_manage:create",
            "volume_extension:qos_specs_manage:get",
            "volume_extension:qos_specs_manage:get_all",
            "volume_extension:qos_specs_manage:update",
            "volume_extension:qos_specs_manage:delete"),
    *_rules(ADMIN, "volume_extension:types_manage", "volume_extension:type_create",
            "volume_extension:type_update", "volume_extension:type_delete",
            "volume_extension:types_extra_specs:create",
            "volume_extension:types_extra_specs:update",
            "volume_extension:types_extra_specs:delete",
            "volume_extension:access_types_extra_specs",
            "volume_extension:access_types_qos_specs_id",
            "volume_extension:volume_type_access:addProjectAccess",
            "volume_extension:volume_type_access:removeProjectAccess",
            "volume_extension:volume_type_access:get_all_for_type"),
    *_rules(ANYONE, "volume_extension:type_get", "volume_extension:type_get_all",
            "volume_extension:types_extra_specs:index",
            "volume_extension:types_extra_specs:show",
            "volume_extension:volume_type_access"),
    # quotas, limits, services, pools, zones, messages
    Rule("volume_extension:quotas:show", READER),
    *_rules(ADMIN, "volume_extension:quotas:update", "volume_extension:quotas:delete",
            "volume_extension:services:index", "volume_extension:services:update",
            "scheduler_extension:scheduler_stats:get_pools",
            "volume_extension:capabilities"),
    Rule("limits_extension:used_limits", READER),
    *_rules(READER, "message:get", "message:get_all"),
    Rule("message:delete", MEMBER),
    Rule("volume_extension:availability_zone_list", ANYONE,
         "List availability zones (cinder checks no rule)."),
    Rule("volume_extension:extension_list", ANYONE,
         "List API extensions (cinder checks no rule)."),
]
