"""Block Storage settings: the backends the volume agents drive (each with pools), the
scheduler's rules, default quotas and the default volume type."""

from typing import Literal

from pydantic import BaseModel, Field, model_validator


class BackendSettings(BaseModel):
    driver: Literal["fake", "file"] = Field(
        "fake", description="Volume driver: fake (in memory, instant) or file (sparse raw "
        "files under `path`, real bytes).")
    path: str | None = Field(None, description="Where a file backend keeps its volumes "
                             "(relative to the state dir; default volumes/<backend>).")
    volume_backend_name: str | None = Field(
        None, description="What volume types match with the extra spec volume_backend_name "
        "(default: the backend's key).")
    pools: dict[str, int] = Field({"pool-1": 1000},
                                  description="Pools of this backend: name → capacity in GiB.")
    availability_zone: str = Field("nova", description="Zone the backend's volumes are in.")
    multiattach: bool = Field(True, description="Whether volumes here may attach to several "
                              "servers at once.")
    capabilities: dict[str, str] = Field(
        {}, description="Extra capabilities reported to the scheduler (matched by volume "
        "types' extra specs, e.g. {\"tier\": \"gold\"}).")


class BlockStorageSettings(BaseModel):
    host: str = Field("gureum-volume", description="Host name of the embedded volume "
                      "agents and scheduler (services show as host@backend).")
    backends: dict[str, BackendSettings] = Field(
        {"fast": BackendSettings(pools={"ssd": 500}),
         "bulk": BackendSettings(pools={"hdd-1": 2000, "hdd-2": 2000}),
         "local": BackendSettings(driver="file", pools={"files": 100})},
        description="The backends (cinder's enabled_backends), each served by one volume "
        "agent (cinder-volume host@backend).")
    default_volume_type: str = Field("__DEFAULT__", description="Type of volumes created "
                                     "without one (made at bootstrap).")
    default_availability_zone: str = Field("nova", description="Zone of volumes created "
                                           "without one.")
    report_interval: float = Field(10.0, gt=0, description="Seconds between the volume "
                                   "agents' and schedulers' state reports.")
    service_down_time: int = Field(60, ge=1, description="Seconds without a report after "
                                   "which a service is down (and not scheduled to).")
    scheduler_max_attempts: int = Field(3, ge=1, description="Backends a create is tried on "
                                        "before the volume goes to error.")
    stuck_timeout: float = Field(300.0, gt=0, description="Seconds after which a volume "
                                 "still creating, deleting or extending on a backend whose "
                                 "agent is down is put in error.")
    enable_force_upload: bool = Field(
        False, description="Whether os-volume_upload_image with force uploads an in-use "
        "volume (cinder's enable_force_upload; else force is ignored).")
    backup_path: str = Field("backups", description="Where the backup agents keep backups "
                             "(chunked, checksummed objects; relative to the state dir).")
    quotas: dict[str, int] = Field(
        {"volumes": 10, "snapshots": 10, "gigabytes": 1000, "backups": 10,
         "backup_gigabytes": 1000, "groups": 10, "per_volume_gigabytes": -1},
        description="Default quotas per project (-1 = unlimited).")

    @model_validator(mode="after")
    def _has_backends(self) -> "BlockStorageSettings":
        for name, backend in self.backends.items():
            if not backend.pools:
                raise ValueError(f"block_storage.backends.{name} has no pools")
        return self

    def backend_name(self, backend: str) -> str:
        return self.backends[backend].volume_backend_name or backend
