"""Identity policy defaults, under keystone's own names and in its secure-RBAC spirit:
`admin` may do anything, system and domain readers may look, users manage their own
credentials and tokens."""

from __future__ import annotations

from gureum.core.policy import Rule

ADMIN = "rule:admin_required"
SYSTEM_READER = "(role:reader and system_scope:all)"
ADMIN_OR_SYSTEM_READER = f"{ADMIN} or {SYSTEM_READER}"
DOMAIN_READER = "(role:reader and domain_id:%(target.domain_id)s)"
OWNER = "user_id:%(target.user.id)s"

BASE = [
    Rule("admin_required", "role:admin or is_admin:1", "Who is an administrator."),
    Rule("service_role", "role:service"),
    Rule("service_or_admin", "rule:admin_required or rule:service_role"),
    Rule("owner", "user_id:%(user_id)s"),
    Rule("admin_or_owner", "rule:admin_required or rule:owner"),
    Rule("token_subject", "user_id:%(target.token.user_id)s"),
    Rule("service_admin_or_token_subject", "rule:service_or_admin or rule:token_subject"),
]


def _crud(noun: str, plural: str, read: str, write: str = ADMIN) -> list[Rule]:
    return [
        Rule(f"identity:get_{noun}", read, f"Show {noun} details."),
        Rule(f"identity:list_{plural}", read, f"List {plural}."),
        Rule(f"identity:create_{noun}", write, f"Create {noun}."),
        Rule(f"identity:update_{noun}", write, f"Update {noun}."),
        Rule(f"identity:delete_{noun}", write, f"Delete {noun}."),
    ]


PROJECT_READ = (f"{ADMIN_OR_SYSTEM_READER} or "
                "(role:reader and domain_id:%(target.project.domain_id)s) or "
                "project_id:%(target.project.id)s")
USER_READ = (f"{ADMIN_OR_SYSTEM_READER} or "
             "(role:reader and token.domain.id:%(target.user.domain_id)s) or " + OWNER)
GROUP_READ = (f"{ADMIN_OR_SYSTEM_READER} or "
              "(role:reader and token.domain.id:%(target.group.domain_id)s)")
LIST_IN_DOMAIN = f"{ADMIN_OR_SYSTEM_READER} or {DOMAIN_READER}"
ALL_AUTHENTICATED = ""  # keystone's empty rule: any valid token

_RULES = [
    *BASE,
    Rule("identity:get_domain", f"{ADMIN_OR_SYSTEM_READER} or "
         "token.domain.id:%(target.domain.id)s or "
         "token.project.domain.id:%(target.domain.id)s"),
    Rule("identity:list_domains", ADMIN_OR_SYSTEM_READER),
    Rule("identity:create_domain", ADMIN),
    Rule("identity:update_domain", ADMIN),
    Rule("identity:delete_domain", ADMIN),
    Rule("identity:get_project", PROJECT_READ),
    Rule("identity:list_projects", LIST_IN_DOMAIN),
    Rule("identity:list_user_projects", f"{ADMIN_OR_SYSTEM_READER} or {OWNER} or "
         "(role:reader and domain_id:%(target.user.domain_id)s)"),
    Rule("identity:create_project", ADMIN),
    Rule("identity:update_project", ADMIN),
    Rule("identity:delete_project", ADMIN),
    Rule("identity:list_project_tags", PROJECT_READ),
    Rule("identity:get_project_tag", PROJECT_READ),
    Rule("identity:update_project_tags", ADMIN),
    Rule("identity:create_project_tag", ADMIN),
    Rule("identity:delete_project_tag", ADMIN),
    Rule("identity:delete_project_tags", ADMIN),
    Rule("identity:get_user", USER_READ),
    Rule("identity:list_users", LIST_IN_DOMAIN),
    Rule("identity:create_user", ADMIN),
    Rule("identity:update_user", ADMIN),
    Rule("identity:delete_user", ADMIN),
    Rule("identity:get_group", GROUP_READ),
    Rule("identity:list_groups", LIST_IN_DOMAIN),
    Rule("identity:list_groups_for_user", f"{ADMIN_OR_SYSTEM_READER} or {OWNER} or "
         "(role:reader and domain_id:%(target.user.domain_id)s)"),
    Rule("identity:create_group", ADMIN),
    Rule("identity:update_group", ADMIN),
    Rule("identity:delete_group", ADMIN),
    Rule("identity:list_users_in_group", GROUP_READ),
    Rule("identity:check_user_in_group", GROUP_READ),
    Rule("identity:add_user_to_group", ADMIN),
    Rule("identity:remove_user_from_group", ADMIN),
    *_crud("role", "roles", ADMIN_OR_SYSTEM_READER),
    *_crud("domain_role", "domain_roles", ADMIN_OR_SYSTEM_READER),
    Rule("identity:get_implied_role", ADMIN_OR_SYSTEM_READER),
    Rule("identity:list_implied_roles", ADMIN_OR_SYSTEM_READER),
    Rule("identity:create_implied_role", ADMIN),
    Rule("identity:delete_implied_role", ADMIN),
    Rule("identity:list_role_inference_rules", ADMIN_OR_SYSTEM_READER),
    Rule("identity:check_implied_role", ADMIN_OR_SYSTEM_READER),
    Rule("identity:check_grant", ADMIN_OR_SYSTEM_READER),
    Rule("identity:list_grants", ADMIN_OR_SYSTEM_READER),
    Rule("identity:create_grant", ADMIN),
    Rule("identity:revoke_grant", ADMIN),
    Rule("identity:check_system_grant_for_user", ADMIN_OR_SYSTEM_READER),
    Rule("identity:list_system_grants_for_user", ADMIN_OR_SYSTEM_READER),
    Rule("identity:create_system_grant_for_user", ADMIN),
    Rule("identity:revoke_system_grant_for_user", ADMIN),
    Rule("identity:check_system_grant_for_group", ADMIN_OR_SYSTEM_READER),
    Rule("identity:list_system_grants_for_group", ADMIN_OR_SYSTEM_READER),
    Rule("identity:create_system_grant_for_group", ADMIN),
    Rule("identity:revoke_system_grant_for_group", ADMIN),
    Rule("identity:list_role_assignments", f"{ADMIN_OR_SYSTEM_READER} or "
         "(role:reader and domain_id:%(target.domain_id)s)"),
    Rule("identity:get_region", ALL_AUTHENTICATED),
    Rule("identity:list_regions", ALL_AUTHENTICATED),
    Rule("identity:create_region", ADMIN),
    Rule("identity:update_region", ADMIN),
    Rule("identity:delete_region", ADMIN),
    *_crud("service", "services", ADMIN_OR_SYSTEM_READER),
    *_crud("registered_limit", "registered_limits", ALL_AUTHENTICATED),
    Rule("identity:get_limit_model", ALL_AUTHENTICATED),
    Rule("identity:get_limit", f"{ADMIN_OR_SYSTEM_READER} or "
         "project_id:%(target.limit.project_id)s or "
         "(role:reader and domain_id:%(target.limit.domain_id)s)"),
    Rule("identity:list_limits", ALL_AUTHENTICATED),
    Rule("identity:create_limit", ADMIN),
    Rule("identity:update_limit", ADMIN),
    Rule("identity:delete_limit", ADMIN),
    *_crud("endpoint", "endpoints", ADMIN_OR_SYSTEM_READER),
    Rule("identity:get_credential", f"{ADMIN_OR_SYSTEM_READER} or "
         "user_id:%(target.credential.user_id)s"),
    Rule("identity:list_credentials", f"{ADMIN_OR_SYSTEM_READER} or "
         "user_id:%(target.credential.user_id)s"),
    Rule("identity:create_credential", f"{ADMIN} or user_id:%(target.credential.user_id)s"),
    Rule("identity:update_credential", f"{ADMIN} or user_id:%(target.credential.user_id)s"),
    Rule("identity:delete_credential", f"{ADMIN} or user_id:%(target.credential.user_id)s"),
    Rule("identity:ec2_get_credential", f"{ADMIN_OR_SYSTEM_READER} or rule:owner"),
    Rule("identity:ec2_list_credentials", f"{ADMIN_OR_SYSTEM_READER} or rule:owner"),
    Rule("identity:ec2_create_credential", f"{ADMIN} or rule:owner"),
    Rule("identity:ec2_delete_credential", f"{ADMIN} or rule:owner"),
    Rule("identity:get_application_credential", f"{ADMIN_OR_SYSTEM_READER} or rule:owner"),
    Rule("identity:list_application_credentials", f"{ADMIN_OR_SYSTEM_READER} or rule:owner"),
    Rule("identity:create_application_credential", "user_id:%(user_id)s"),
    Rule("identity:delete_application_credential", f"{ADMIN} or rule:owner"),
    Rule("identity:get_access_rule", f"{ADMIN_OR_SYSTEM_READER} or user_id:%(target.user.id)s"),
    Rule("identity:list_access_rules",
         f"{ADMIN_OR_SYSTEM_READER} or user_id:%(target.user.id)s"),
    Rule("identity:delete_access_rule", f"{ADMIN} or user_id:%(target.user.id)s"),
    Rule("identity:check_token", f"{ADMIN_OR_SYSTEM_READER} or rule:token_subject "
         "or rule:service_role"),
    Rule("identity:validate_token", f"{ADMIN_OR_SYSTEM_READER} or rule:token_subject "
         "or rule:service_role"),
    Rule("identity:revoke_token", "rule:service_admin_or_token_subject"),
    Rule("identity:get_auth_catalog", ALL_AUTHENTICATED),
    Rule("identity:get_auth_projects", ALL_AUTHENTICATED),
    Rule("identity:get_auth_domains", ALL_AUTHENTICATED),
    Rule("identity:get_auth_system", ALL_AUTHENTICATED),
]

# Cloud-wide administration (domains, global roles, system grants, the catalog, …) is for
# system- and project-scoped admins, as keystone's scope_types say; a domain-scoped token
# must not reach beyond its domain.
RULES = [Rule(r.name, r.check, r.description, ("system", "project")) if r.check == ADMIN
         else r for r in _RULES]
