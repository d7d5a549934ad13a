"""Image errors, worded as glance words them."""

from gureum.core.errors import BadRequest, Conflict, Forbidden, NotFound


class ImageNotFound(NotFound):
    message = "No image found with ID {image_id}"


class MemberNotFound(NotFound):
    message = "Member {member_id} not found for image {image_id}"


class ReadOnlyAttribute(Forbidden):
    message = "Attribute '{name}' is read-only."


class ReservedAttribute(Forbidden):
    message = "Attribute '{name}' is reserved."


class ImageProtected(Forbidden):
    message = "Image {image_id} is protected and cannot be deleted."


class InvalidTransition(Conflict):
    message = "Image status transition from {current} to {target} is not allowed"


class ImageHasNoData(Conflict):
    message = "Image {image_id} has no data."


class FormatsNotSet(BadRequest):
    message = "Properties disk_format, container_format must be set prior to saving data."


class MemberExists(Conflict):
    message = "Member {member_id} already exists for image {image_id}"


class PropertyNotFound(Conflict):
    message = "Property {name} does not exist."


class NotShared(Forbidden):
    message = "Only shared images have members."
