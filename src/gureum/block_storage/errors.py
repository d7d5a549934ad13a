"""Block Storage errors, worded as cinder's (rendered as {"badRequest": {"code": 400,
"message": ...}} and the like)."""

from gureum.core.errors import BadRequest, Conflict, GureumError, NotFound, PayloadTooLarge


class VolumeNotFound(NotFound):
    message = "Volume {volume_id} could not be found."


class SnapshotNotFound(NotFound):
    message = "Snapshot {snapshot_id} could not be found."


class VolumeTypeNotFound(NotFound):
    message = "Volume type {volume_type_id} could not be found."


class VolumeTypeNotFoundByName(NotFound):
    message = "Volume type with name {volume_type_name} could not be found."


class VolumeTypeExtraSpecsNotFound(NotFound):
    message = "Volume Type {volume_type_id} has no extra specs with key {extra_specs_key}."


class VolumeTypeAccessNotFound(NotFound):
    message = "Volume type access not found for {volume_type_id} / {project_id} combination."


class AttachmentNotFound(NotFound):
    message = "Volume attachment could not be found with filter: attachment_id = {id}."


class ImageNotFound(NotFound):
    message = "Image {image_id} could not be found."


class BackupNotFound(NotFound):
    message = "Backup {backup_id} could not be found."


class InvalidBackup(BadRequest):
    message = "Invalid backup: {reason}"


class BackupLimitExceeded(PayloadTooLarge):
    message = "Maximum number of backups allowed ({allowed}) exceeded"


class BackupSizeExceedsAvailableQuota(PayloadTooLarge):
    message = ("Requested backup exceeds allowed Backup gigabytes quota. Requested "
               "{requested}G, quota is {quota}G and {consumed}G has been consumed.")


class BackupServiceUnavailable(GureumError):
    status = 503
    title = "Service Unavailable"
    message = "Service cinder-backup could not be found."


class MessageNotFound(NotFound):
    message = "Message {message_id} could not be found."


class ServiceNotFound(NotFound):
    message = "Service {service_id} could not be found."


class QuotaProjectNotFound(NotFound):
    message = "Project {project_id} could not be found."


class VolumeTypeExists(Conflict):
    message = "Volume Type {id} already exists."


class VolumeTypeAccessExists(Conflict):
    message = ("Volume type access for {volume_type_id} / {project_id} combination already "
               "exists.")


class InvalidInput(BadRequest):
    message = "Invalid input received: {reason}"


class InvalidVolume(BadRequest):
    message = "Invalid volume: {reason}"


class InvalidSnapshot(BadRequest):
    message = "Invalid snapshot: {reason}"


class InvalidVolumeType(BadRequest):
    message = "Invalid volume type: {reason}"


class InvalidAttachment(BadRequest):
    message = "Invalid attachment: {reason}"


class VolumeTypeInUse(BadRequest):
    message = ("Volume Type {volume_type_id} deletion is not allowed with volumes present "
               "with the type.")


class InvalidQuotaValue(BadRequest):
    message = "Quota {resource} limit must be equal or greater than existing resources."


class VolumeLimitExceeded(PayloadTooLarge):
    message = "Maximum number of volumes allowed ({allowed}) exceeded for quota '{name}'."


class SnapshotLimitExceeded(PayloadTooLarge):
    message = "Maximum number of snapshots allowed ({allowed}) exceeded"


class SizeExceedsAvailableQuota(PayloadTooLarge):
    message = ("Requested volume or snapshot exceeds allowed {name} quota. Requested "
               "{requested}G, quota is {quota}G and {consumed}G has been consumed.")


class VolumeSizeExceedsLimit(PayloadTooLarge):
    message = ("Requested volume size {size}G is larger than maximum allowed limit "
               "{limit}G.")


class VolumeMetadataNotFound(NotFound):
    message = "Volume {volume_id} has no metadata with key {key}."


class SnapshotMetadataNotFound(NotFound):
    message = "Snapshot {snapshot_id} has no metadata with key {key}."


class InvalidVolumeAttachMode(BadRequest):
    message = ("Invalid attaching mode '{mode}' for volume {volume_id}.")


class VolumeBackendAPIException(GureumError):
    message = "Bad or unexpected response from the storage volume backend API: {data}"


class TransferNotFound(NotFound):
    message = "Transfer {transfer_id} could not be found."


class InvalidAuthKey(BadRequest):
    message = "Invalid auth key: Attempt to transfer {transfer_id} with invalid auth key."


class QoSSpecsNotFound(NotFound):
    message = "No such QoS spec {specs_id}."


class QoSSpecsKeyNotFound(NotFound):
    message = "QoS spec {specs_key} does not exist in {specs_id}."


class QoSSpecsExists(Conflict):
    message = "QoS Specs {specs_id} already exists."


class QoSSpecsInUse(BadRequest):
    message = "QoS Specs {specs_id} is still associated with entities."
