"""The metadata definitions every Gureum cloud starts with: what can be said about an
image, a flavor or a volume that the compute service and its QEMU driver act on. Loaded
at start when missing; public and protected, so users read them and only admins change
them."""

from __future__ import annotations

from typing import Any

IMAGE, VOLUME, FLAVOR = "OS::Glance::Image", "OS::Cinder::Volume", "OS::Nova::Flavor"


def _for_image_and_flavor(flavor_prefix: str = "hw:") -> list[dict[str, Any]]:
    """Images (and volumes made from them) say `hw_x`, flavors `hw:x`."""
    return [{"name": IMAGE, "prefix": "hw_"},
            {"name": VOLUME, "prefix": "hw_", "properties_target": "image"},
            {"name": FLAVOR, "prefix": flavor_prefix}]


def _count(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": description, "type": "integer", "minimum": 1}


NAMESPACES: list[dict[str, Any]] = [
    {
        "namespace": "OS::Compute::VirtCPUTopology",
        "display_name": "Virtual CPU topology",
        "description": "How a server's vCPUs are presented to the guest: sockets, cores and "
                       "threads. A flavor sets the upper bounds, an image its preference; "
                       "the product must equal the flavor's vCPUs.",
        "resource_type_associations": _for_image_and_flavor(),
        "properties": {
            "cpu_sockets": _count("vCPU sockets", "Preferred number of sockets."),
            "cpu_cores": _count("vCPU cores", "Preferred number of cores per socket."),
            "cpu_threads": _count("vCPU threads", "Preferred number of threads per core."),
            "cpu_max_sockets": _count("Max vCPU sockets", "Most sockets allowed."),
            "cpu_max_cores": _count("Max vCPU cores", "Most cores per socket allowed."),
            "cpu_max_threads": _count("Max vCPU threads", "Most threads per core allowed."),
        },
    },
    {
        "namespace": "OS::Compute::GuestMemory",
        "display_name": "Guest memory",
        "description": "Memory hints. QEMU without KVM backs guests with small pages only, "
                       "so `small` and `any` are what hosts here can honour.",
        "resource_type_associations": _for_image_and_flavor(),
        "properties": {
            "mem_page_size": {"title": "Memory page size", "type": "string",
                              "enum": ["small", "any"], "default": "small",
                              "description": "Page size backing the guest's memory."},
        },
    },
    {
        "namespace": "OS::Compute::HostCapabilities",
        "display_name": "Host capabilities",
        "description": "What a host must offer to run the image. The scheduler's image "
                       "properties filter keeps only hosts that match.",
        "resource_type_associations": [{"name": IMAGE}, {"name": VOLUME,
                                                         "properties_target": "image"}],
        "properties": {
            "architecture": {"title": "Architecture", "type": "string",
                             "enum": ["x86_64", "aarch64"],
                             "description": "The CPU architecture the image needs."},
            "hypervisor_type": {"title": "Hypervisor type", "type": "string",
                                "enum": ["qemu", "fake"],
                                "description": "The hypervisor the image was built for."},
            "hw_disk_bus": {"title": "Disk bus", "type": "string",
                            "enum": ["virtio", "scsi", "ide"], "default": "virtio",
                            "description": "How disks are attached to the guest."},
            "hw_vif_model": {"title": "Network interface model", "type": "string",
                             "enum": ["virtio", "e1000", "rtl8139"], "default": "virtio",
                             "description": "The NIC the guest sees."},
        },
    },
    {
        "namespace": "OS::Glance::CommonImageProperties",
        "display_name": "Common image properties",
        "description": "Properties that describe an image's operating system and its boot "
                       "pieces.",
        "resource_type_associations": [{"name": IMAGE}],
        "properties": {
            "os_distro": {"title": "OS distro", "type": "string",
                          "description": "The distribution, lower case (debian, cirros)."},
            "os_version": {"title": "OS version", "type": "string",
                           "description": "The distribution's version (12, 0.6.2)."},
            "os_type": {"title": "OS type", "type": "string", "enum": ["linux", "windows"]},
            "os_admin_user": {"title": "Admin user", "type": "string",
                              "description": "The user that key pairs are given to."},
            "kernel_id": {"title": "Kernel ID", "type": "string",
                          "description": "The image (aki) holding the kernel to boot "
                                         "this one with."},
            "ramdisk_id": {"title": "Ramdisk ID", "type": "string",
                           "description": "The image (ari) holding its initramfs."},
        },
        "tags": [{"name": "gureum"}],
    },
]
