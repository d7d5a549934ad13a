"""Compute settings: the fake hosts the embedded cloud simulates, the scheduler's rules,
default quotas and the fake driver's behaviour rules."""

from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class HostSettings(BaseModel):
    vcpus: int = Field(8, ge=1, description="vCPUs the host has.")
    memory_mb: int = Field(16384, ge=1, description="RAM in MiB.")
    local_gb: int = Field(200, ge=1, description="Local disk in GiB.")
    availability_zone: str = Field("nova", description="Zone the host is in.")


class ComputeSettings(BaseModel):
    host: str = Field("gureum-compute", description="Host name of the embedded scheduler "
                      "and conductor; fake compute hosts are named <host>-1, <host>-2, ...")
    fake_hosts: int = Field(3, ge=0, description="How many fake compute hosts the embedded "
                            "cloud runs (each its own nova-compute).")
    hosts: dict[str, HostSettings] = Field(
        {}, description="Compute hosts by name with their own capacity (replaces the "
        "generated fake hosts when given).")
    host_defaults: HostSettings = Field(HostSettings(), description="Capacity of each "
                                        "generated fake host.")
    cpu_allocation_ratio: float = Field(16.0, gt=0, description="vCPU overcommit.")
    ram_allocation_ratio: float = Field(1.5, gt=0, description="RAM overcommit.")
    disk_allocation_ratio: float = Field(1.0, gt=0, description="Disk overcommit.")
    weigher: Literal["spread", "pack"] = Field(
        "spread", description="Spread servers over hosts (most free RAM first) or pack them.")
    report_interval: float = Field(10.0, gt=0, description="Seconds between the agents' and "
                                   "services' reports.")
    service_down_time: int = Field(60, ge=1, description="Seconds without a report after "
                                   "which a service is down (and not scheduled to).")
    scheduler_max_attempts: int = Field(3, ge=1, description="Hosts a build is tried on "
                                        "before the server goes to ERROR.")
    build_timeout: float = Field(600.0, gt=0, description="Seconds after which a server "
                                 "still building on a host that is down goes to ERROR.")
    allow_resize_to_same_host: bool = Field(False, description="A resize may stay on the "
                                            "server's host (nova's option).")
    resize_confirm_window: int = Field(0, ge=0, description="Seconds after which a resize "
                                       "or cold migration left unconfirmed is confirmed "
                                       "(0: never), as nova's.")
    console_urls: dict[str, str] = Field(
        {"novnc": "http://127.0.0.1:6080/vnc_auto.html", "xvpvnc": "http://127.0.0.1:6081/console",
         "spice-html5": "http://127.0.0.1:6082/spice_auto.html",
         "spice-direct": "spice://127.0.0.1:5900/", "serial": "ws://127.0.0.1:6083/",
         "rdp-html5": "http://127.0.0.1:6083/", "webmks": "https://127.0.0.1:6090/"},
        description="Where each kind of remote console's proxy answers (nova's "
        "novncproxy_base_url and the like).")
    console_token_ttl: int = Field(600, ge=1, description="Seconds a console token lasts.")
    shelved_offload_time: int = Field(0, ge=-1, description="Seconds a shelved server "
                                      "keeps its host before it is offloaded (0: at once, "
                                      "-1: never), as nova's.")
    default_availability_zone: str = Field("nova", description="Zone of hosts and servers "
                                           "without one.")
    fake_behaviour: dict[str, str] = Field(
        {}, description="Fake driver behaviour by server name prefix, e.g. "
        "{\"fail-\": \"spawn_fail\"} (see the README for the behaviours).")
    metadata_secret: SecretStr | None = Field(
        None, description="The secret neutron's metadata proxy signs instance ids with "
        "(nova's metadata_proxy_shared_secret); else generated once and kept in the state "
        "dir (metadata-secret).")
    quotas: dict[str, int] = Field(
        {"instances": 10, "cores": 20, "ram": 51200, "key_pairs": 100,
         "server_groups": 10, "server_group_members": 10, "metadata_items": 128,
         "injected_files": 5, "injected_file_content_bytes": 10240,
         "injected_file_path_bytes": 255},
        description="Default quotas per project (-1 = unlimited).")

    def compute_hosts(self) -> dict[str, HostSettings]:
        """The hosts the embedded cloud's agents play."""
        if self.hosts:
            return dict(self.hosts)
        return {f"{self.host}-{n}": self.host_defaults for n in range(1, self.fake_hosts + 1)}
