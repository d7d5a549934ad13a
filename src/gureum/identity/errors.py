"""Identity errors, worded as keystone words them."""

from gureum.core.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized


class DomainNotFound(NotFound):
    message = "Could not find domain: {domain_id}."


class ProjectNotFound(NotFound):
    message = "Could not find project: {project_id}."


class UserNotFound(NotFound):
    message = "Could not find user: {user_id}."


class GroupNotFound(NotFound):
    message = "Could not find group: {group_id}."


class RoleNotFound(NotFound):
    message = "Could not find role: {role_id}."


class ImpliedRoleNotFound(NotFound):
    message = "{prior_role_id} does not imply {implied_role_id}."


class AssignmentNotFound(NotFound):
    message = "Could not find role assignment with role: {role_id}, {actor} and {target}."


class MembershipNotFound(NotFound):
    message = "{user_id} is not a member of group {group_id}."


class RegionNotFound(NotFound):
    message = "Could not find region: {region_id}."


class ServiceNotFound(NotFound):
    message = "Could not find service: {service_id}."


class EndpointNotFound(NotFound):
    message = "Could not find endpoint: {endpoint_id}."


class CredentialNotFound(NotFound):
    message = "Could not find credential: {credential_id}."


class ApplicationCredentialNotFound(NotFound):
    message = "Could not find Application Credential: {app_cred_id}."


class TokenNotFound(NotFound):
    message = "Could not recognize Fernet token"


class Duplicate(Conflict):
    message = ("Conflict occurred attempting to store {kind} - Duplicate entry found with "
               "name {name}.")


class DomainNotDisabled(Forbidden):
    message = "Cannot delete a domain that is enabled, please disable it first."


class ProjectHasChildren(Forbidden):
    message = ("Cannot delete the project {project_id} since it is not a leaf in the "
               "hierarchy. Use the cascade option if you want to delete a whole subtree.")


class InvalidPassword(BadRequest):
    message = "Invalid password: {reason}"


class AuthFailed(Unauthorized):
    message = "The request you have made requires authentication."


class NoRoleOnScope(Unauthorized):
    message = "User {user_id} has no access to {scope} {target_id}."


class CannotChangePassword(Unauthorized):
    message = "Error when changing user password: original password is wrong."


class RegisteredLimitNotFound(NotFound):
    message = "Could not find registered limit for {limit_id}."


class LimitNotFound(NotFound):
    message = "Could not find limit for {limit_id}."


class NoLimitReference(Forbidden):
    message = "Unable to create a limit that has no corresponding registered limit."


class RegisteredLimitInUse(Forbidden):
    message = ("Unable to update or delete registered limit {limit_id} because there are "
               "project limits associated with it.")
