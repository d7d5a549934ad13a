"""The flavor extra specs nova knows (2.86 validates them): a spec in a namespace nova
knows must be one of that namespace's, with a value of its kind; specs in other
namespaces, and without one, are anyone's. The registry is nova's, as its documentation
lists it; standard traits and resource classes come from os-traits and
os-resource-classes, the lists placement itself uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import os_resource_classes
import os_traits

from gureum.compute import errors

GROUP = r"([a-zA-Z0-9_-]{1,64})?"  # a request group's suffix: resources1:, trait_a:
CPU_MASK = r"\^?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*"
BOOLEANS = {"1", "0", "t", "f", "true", "false", "on", "off", "y", "n", "yes", "no"}


@dataclass(frozen=True)
class Spec:
    """A spec's name (a regular expression) and what its value may be: "int" (within
    minimum and maximum), "bool", or "str" (matching `pattern`, or one of `choices`)."""

    name: str
    kind: str = "str"
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None


def _ints(names: list[str], minimum: int | None = 0) -> list[Spec]:
    return [Spec(re.escape(name), "int", minimum) for name in names]


def _bools(*names: str) -> list[Spec]:
    return [Spec(re.escape(name), "bool") for name in names]


def _choice(name: str, *choices: str) -> Spec:
    return Spec(re.escape(name), choices=choices)


HW = [
    *_bools("hw:cpu_realtime", "hw:hide_hypervisor_id", "hw:locked_memory", "hw:boot_menu",
            "hw:vif_multiqueue_enabled", "hw:mem_encryption", "hw:pmu",
            "hw:virtio_packed_ring", "hw:ephemeral_encryption"),
    Spec(re.escape("hw:cpu_realtime_mask"), pattern=r"(\^)?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*"),
    Spec(re.escape("hw:cpu_dedicated_mask"), pattern=CPU_MASK),
    _choice("hw:cpu_policy", "dedicated", "shared", "mixed"),
    _choice("hw:cpu_thread_policy", "prefer", "isolate", "require"),
    _choice("hw:emulator_threads_policy", "isolate", "share"),
    Spec(re.escape("hw:mem_page_size"), pattern=r"(large|small|any|\d+([kKMGT]i?)?(b|bit|B)?)"),
    *_ints(["hw:numa_nodes", "hw:cpu_sockets", "hw:cpu_cores", "hw:cpu_threads",
            "hw:cpu_max_sockets", "hw:cpu_max_cores", "hw:cpu_max_threads"], 1),
    Spec(r"hw:numa_cpus\.\d+", pattern=CPU_MASK),
    Spec(r"hw:numa_mem\.\d+", "int", 1),
    _choice("hw:pci_numa_affinity_policy", "required", "preferred", "legacy", "socket"),
    _choice("hw:mem_encryption_model", "amd-sev", "amd-sev-es", "amd-sev-snp"),
    Spec(re.escape("hw:pmem"), pattern=r"([a-zA-Z0-9_]+(,)?)+"),
    *_ints(["hw:serial_port_count"]),
    _choice("hw:tpm_model", "tpm-tis", "tpm-crb"),
    _choice("hw:tpm_version", "1.2", "2.0"),
    _choice("hw:tpm_secret_security", "user", "host", "deployment"),
    _choice("hw:watchdog_action", "none", "pause", "poweroff", "reset", "disabled"),
    _choice("hw:viommu_model", "intel", "smmuv3", "virtio", "auto"),
    _choice("hw:sound_model", "sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb",
            "virtio"),
    _choice("hw:usb_model", "none", "nec-xhci", "qemu-xhci"),
    Spec(re.escape("hw:redirected_usb_ports"), "int", 0, 15),
    _choice("hw:ephemeral_encryption_format", "plain", "luks", "luksv2"),
]
QUOTA = [
    *[spec for key in ("cpu", "memory", "disk_io", "vif") for spec in (
        Spec(re.escape(f"quota:{key}_limit"), "int", 0),
        Spec(re.escape(f"quota:{key}_reservation"), "int", None),
        _choice(f"quota:{key}_shares_level", "custom", "high", "normal", "low"),
        Spec(re.escape(f"quota:{key}_shares_share"), "int", 0))],
    *_ints(["quota:cpu_shares", "quota:cpu_period"]), *_ints(["quota:cpu_quota"], None),
    *_ints([f"quota:disk_{stat}_{metric}_sec" for stat in ("read", "write", "total")
            for metric in ("bytes", "iops")]),
    *_ints([f"quota:vif_{stat}_{metric}" for stat in ("inbound", "outbound")
            for metric in ("average", "peak", "burst")]),
]
# what the hosts report of themselves (ComputeCapabilitiesFilter matches them)
CAPABILITIES = (
    "id", "uuid", "service_id", "host", "vcpus", "memory_mb", "local_gb", "vcpus_used",
    "memory_mb_used", "local_gb_used", "hypervisor_type", "hypervisor_version",
    "hypervisor_hostname", "free_ram_mb", "free_disk_gb", "current_workload", "running_vms",
    "disk_available_least", "host_ip", "mapped", "cpu_allocation_ratio",
    "ram_allocation_ratio", "disk_allocation_ratio", "total_usable_ram_mb",
    "total_usable_disk_gb", "disk_mb_used", "free_disk_mb", "vcpus_total", "num_instances",
    "num_io_ops", "failed_builds", "aggregates", "cell_uuid", "updated")
NESTED_CAPABILITIES = ("cpu_info", "metrics", "stats", "numa_topology",
                       "supported_hv_specs", "pci_device_pools", "nodename", "pci_stats",
                       "supported_instances", "limits", "instances")
TRAIT_CHOICES = ("required", "forbidden")
OTHERS = [
    Spec(r"accel:device_profile"),
    Spec(r"aggregate_instance_extra_specs:.+"),
    Spec(rf"capabilities:({'|'.join(CAPABILITIES)})"),
    Spec(rf"capabilities:({'|'.join(NESTED_CAPABILITIES)})(:\w+)*"),
    *_bools("hw_rng:allowed"), *_ints(["hw_rng:rate_bytes", "hw_rng:rate_period",
                                       "hw_video:ram_max_mb"]),
    _choice("os:secure_boot", "disabled", "required"),
    Spec(r"pci_passthrough:alias", pattern=r"[^:]+:\d+(?:\s*,\s*[^:]+:\d+)*"),
    Spec(rf"resources{GROUP}:({'|'.join(os_resource_classes.STANDARDS)}|CUSTOM_[A-Z0-9_]+)",
         "int", None),
    Spec(rf"trait{GROUP}:({'|'.join(os_traits.get_traits())}|CUSTOM_[A-Z0-9_]+)",
         choices=TRAIT_CHOICES),
    Spec(r"vmware:hw_version"), Spec(r"vmware:storage_policy"),
    *_bools("hide_hypervisor_id"), _choice("group_policy", "isolate", "none"),
]
REGISTRY = [*HW, *QUOTA, *OTHERS]
MATCHERS = [(re.compile(spec.name), spec) for spec in REGISTRY]
NAMESPACES = re.compile(r"(hw|hw_rng|hw_video|os|quota|accel|aggregate_instance_extra_specs"
                        rf"|capabilities|pci_passthrough|resources{GROUP}|trait{GROUP}"
                        r"|vmware)")


def validate(name: str, value: Any) -> None:
    """400 for a spec nova knows given a value it would refuse, or an unknown spec in a
    namespace nova knows."""
    text = str(value)
    for pattern, spec in MATCHERS:
        if pattern.fullmatch(name):
            _check(spec, text)
            return
    if ":" in name and NAMESPACES.fullmatch(name.split(":", 1)[0]):
        raise errors.InvalidInput(reason=f"Validation failed; extra spec '{name}' does not "
                                  "appear to be a valid extra spec.")


def _check(spec: Spec, value: str) -> None:
    if spec.kind == "bool":
        if value.lower() not in BOOLEANS:
            _fail(f"'{value}' is not a valid boolean-like value.")
    elif spec.kind == "int":
        try:
            number = int(value)
        except ValueError:
            _fail(f"'{value}' is not a valid integer value.")
        if spec.maximum is not None and number > spec.maximum:
            _fail(f"'{value}' is greater than the max value of '{spec.maximum}'.")
        if spec.minimum is not None and number < spec.minimum:
            _fail(f"'{value}' is less than the min value of '{spec.minimum}'.")
    elif spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        _fail(f"'{value}' is not of the format '{spec.pattern}'.")
    elif spec.choices and value not in spec.choices:
        _fail(f"'{value}' is not one of: {', '.join(spec.choices)}.")


def _fail(why: str) -> None:
    raise errors.InvalidInput(reason=f"Validation failed; {why}")
