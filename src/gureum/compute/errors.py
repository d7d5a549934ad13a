"""Compute errors, worded as nova's (rendered as {"itemNotFound": {"code": 404,
"message": ...}} and the like)."""

from gureum.core.errors import BadRequest, Conflict, Forbidden, NotFound


class ServerNotFound(NotFound):
    message = "Instance {server_id} could not be found."


class FlavorNotFound(NotFound):
    message = "Flavor {flavor_id} could not be found."


class FlavorExists(Conflict):
    message = "Flavor with {what} {value} already exists."


class FlavorExtraSpecNotFound(NotFound):
    message = "Flavor {flavor_id} has no extra specs with key {key}."


class FlavorAccessExists(Conflict):
    message = "Flavor access already exists for flavor {flavor_id} and project {project_id} " \
              "combination."


class FlavorAccessNotFound(NotFound):
    message = "Flavor access not found for {flavor_id} / {project_id} combination."


class FlavorIsPublic(Conflict):
    message = "Can not add access to a public flavor."


class KeypairNotFound(NotFound):
    message = "Keypair {name} not found for user {user_id}"


class KeypairExists(Conflict):
    message = "Key pair '{name}' already exists."


class InvalidKeypair(BadRequest):
    message = "Keypair data is invalid: {reason}"


class ImageNotFound(BadRequest):
    message = "Can not find requested image"


class ImageNotActive(BadRequest):
    message = "Image {image_id} is not active."


class InvalidFlavorRef(BadRequest):
    message = "Flavor {flavor_id} could not be found."


class FlavorTooSmall(BadRequest):
    message = "{what} of the flavor is too small for the requested image."


class NetworkNotFound(BadRequest):
    message = "Network {network_id} could not be found."


class PortNotFound(BadRequest):
    message = "Port id {port_id} could not be found."


class PortInUse(Conflict):
    message = "Port {port_id} is still in use."


class NetworkAmbiguous(Conflict):
    message = "Multiple possible networks found, use a Network ID to be more specific."


class SecurityGroupNotFound(BadRequest):
    message = "Security group {name} not found for project {project_id}."


class InvalidInput(BadRequest):
    message = "Invalid input received: {reason}"


class QuotaExceeded(Forbidden):
    message = "Quota exceeded for {resources}: Requested {requested}, but already used " \
              "{used} of {allowed} {resources}"


class InstanceInvalidState(Conflict):
    message = "Cannot '{action}' instance {server_id} while it is in {attr} {state}"


class InstanceLocked(Conflict):
    message = "Instance {server_id} is locked"


class ServerGroupNotFound(NotFound):
    message = "Instance group {group_id} could not be found."


class AvailabilityZoneNotFound(BadRequest):
    message = "The requested availability zone is not available"


class InstanceNotReady(Conflict):
    message = "Instance {server_id} is not ready"


class InstanceActionNotFound(NotFound):
    message = "Action for request_id {request_id} on instance {server_id} not found"


# addSecurityGroup / removeSecurityGroup, in nova's words
class SecurityGroupNotFoundForProject(NotFound):
    message = "Security group {name} is not found for project {project_id}"


class SecurityGroupNotUnique(Conflict):
    message = "Multiple security_group matches found for name '{name}', use an ID to be " \
              "more specific."


class SecurityGroupPortsMissing(NotFound):
    message = "instance_id {server_id} could not be found as device id on any ports"


class SecurityGroupCannotBeApplied(BadRequest):
    message = "Network requires port_security_enabled and subnet associated in order to " \
              "apply security groups."


class SecurityGroupNotAssociated(NotFound):
    message = "Security group {name} not associated with the instance {server_id}"


# server tags
class InvalidTag(BadRequest):
    message = "Tag '{tag}' is invalid. It must be a non empty string without characters " \
              "'/' and ','. Validation error message: {reason}"


class ServerTagNotFound(NotFound):
    message = "Server {server_id} has no tag '{tag}'"


class InstanceTagNotFound(NotFound):
    message = "Instance {server_id} has no tag '{tag}'"


class TooManyTags(BadRequest):
    message = "The number of tags exceeded the per-server limit {limit}"


class NoSuchAction(BadRequest):
    message = "There is no such action: {name}"


class VolumeAttachmentExists(Conflict):
    message = "Volume {volume_id} is already attached to instance {server_id}"


class InterfaceAttachFailed(Conflict):
    message = "Failed to attach network adapter device to {server_id}: {reason}"


class MultiattachNotSupportedOldMicroversion(BadRequest):
    message = "Multiattach volumes are only supported starting with compute API version 2.60."


class MigrationNotFoundForInstance(NotFound):
    message = "Migration {migration_id} not found for instance {instance_id}"


class InvalidMigrationState(BadRequest):
    message = "Migration {migration_id} state of instance {instance_uuid} is {state}. " \
              "Cannot {method} while the migration is in this state."
