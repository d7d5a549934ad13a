"""Building and deleting servers: the Network service makes and binds their ports, the
driver spawns and destroys them, the conductor records the outcome."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from gureum.clients.network import NetworkError
from gureum.compute.agent.volumes import Volumes
from gureum.compute.drivers.base import InstanceSpec, Vif
from gureum.compute.messages import RUNNING

log = logging.getLogger(__name__)


class Builds(Volumes):
    HANDLERS: tuple[str, ...] = ("build_server", "delete_server")

    async def build_server(self, server_id: str, request_id: str | None = None) -> None:
        async def build() -> None:
            request = await self._call("build_request", server_id=server_id,
                                       host=self.host, request_id=request_id)
            if request is not None:
                await self._build(request, request_id)
        await self.once("build", server_id, build)

    async def _build(self, request: dict[str, Any], request_id: str | None) -> None:
        server_id = request["id"]
        ports: list[dict[str, Any]] = []
        volumes: dict[str, str] = {}  # the build's volumes attached so far
        try:
            await self._release_ports(request["ports"])  # a build begun before a restart
            ports = await self._bind_ports(request)
            if ports or request["ports"]:  # nothing to record for a server without ports
                await self._call("ports_bound", server_id=server_id,
                                 ports=[port_record(p) for p in ports])
            await self.attach_block_devices(server_id, request.get("volumes") or [], volumes)
            await self.driver.spawn(instance_spec(request, ports))
            await self.block_devices_built(volumes)
        except Exception as exc:
            log.info("build of %s on %s failed: %s", server_id, self.host, exc)
            with contextlib.suppress(Exception):
                await self._release_ports(ports)
            await self.block_devices_undone(volumes)
            await self._call("build_failed", server_id=server_id, host=self.host,
                             reason=str(exc) or type(exc).__name__, request_id=request_id)
            return
        built = await self._call("server_built", server_id=server_id, host=self.host,
                                 addresses=await self._addresses(ports),
                                 power_state=RUNNING, request_id=request_id)
        if not built:  # deleted while it was built: undo what this build made
            log.info("server %s was deleted while it was built", server_id)
            await self.driver.destroy(server_id)
            await self._release_ports(ports)

    async def _bind_ports(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """One port per requested network (made here), or the requested port (bound)."""
        binding = {"device_id": request["id"],
                   "device_owner": f"compute:{request['availability_zone'] or 'nova'}",
                   "binding:host_id": self.host}
        groups = await self._security_group_ids(request)
        ports = []
        for wanted in request["networks"]:
            if wanted.get("port"):
                port = await self.network.update_port(wanted["port"], binding)
                ports.append({**port, "created": False, "tag": wanted.get("tag")})
                continue
            spec: dict[str, Any] = {"network_id": wanted["uuid"],
                                    "project_id": request["project_id"], **binding}
            if wanted.get("fixed_ip"):
                spec["fixed_ips"] = [{"ip_address": wanted["fixed_ip"]}]
            if groups is not None:
                spec["security_groups"] = groups
            try:
                port = await self.network.create_port(spec)
            except NetworkError:
                await self._release_ports(ports)
                raise
            ports.append({**port, "created": True, "tag": wanted.get("tag")})
        return ports

    async def _security_group_ids(self, request: dict[str, Any]) -> list[str] | None:
        names = request["security_groups"]
        if not names or names == ["default"]:
            return None  # neutron gives new ports the project's default group itself
        groups = await self.network.list_security_groups(project_id=request["project_id"])
        by_name = {g["name"]: g["id"] for g in groups}
        return [by_name.get(name, name) for name in names]

    async def _release_ports(self, ports: list[dict[str, Any]]) -> None:
        for port in ports:
            if port.get("created"):
                await self.network.delete_port(port["id"])
            else:
                with contextlib.suppress(NetworkError):
                    await self.network.update_port(port["id"], {
                        "device_id": "", "device_owner": "", "binding:host_id": ""})

    async def _addresses(self, ports: list[dict[str, Any]]) -> dict[str, Any]:
        """nova's `addresses`: by network name, each port's fixed IPs."""
        names: dict[str, str] = {}
        addresses: dict[str, list[dict[str, Any]]] = {}
        for port in ports:
            network_id = port["network_id"]
            if network_id not in names:
                names[network_id] = (await self.network.show_network(network_id))["name"]
            for ip in port["fixed_ips"]:
                addresses.setdefault(names[network_id], []).append({
                    "version": 6 if ":" in ip["ip_address"] else 4,
                    "addr": ip["ip_address"], "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": port["mac_address"]})
        return addresses

    # ------------------------------------------------------------ delete
    async def delete_server(self, server_id: str, request_id: str | None = None) -> None:
        """Not held back by a build under way (it may never end): a build that finishes
        after this finds the server deleted and undoes its own work. A delete still under
        way here (a resync finding it slow) is not begun again."""
        await self.once("delete", server_id, lambda: self._delete(server_id, request_id))

    async def _delete(self, server_id: str, request_id: str | None) -> None:
        found = await self._call("teardown_request", server_id=server_id)
        if found is None:
            return
        try:
            await self.driver.destroy(server_id)
            await self._release_ports(found["ports"])
            await self._release_volumes(found["volumes"])
        except Exception as exc:
            await self._call("delete_failed", server_id=server_id,
                             reason=str(exc) or type(exc).__name__, request_id=request_id)
            return
        await self._call("server_deleted", server_id=server_id, request_id=request_id)


def port_record(port: dict[str, Any]) -> dict[str, Any]:
    """What the server keeps of a port bound for it: its id, whether it was made for it
    (then it goes with it), and the device tag the user gave it (2.42, 2.49)."""
    return {"id": port["id"], "created": port["created"],
            **({"tag": port["tag"]} if port.get("tag") else {})}


def instance_spec(request: dict[str, Any], ports: list[dict[str, Any]]) -> InstanceSpec:
    """What the driver is given to run the server: the conductor's build view and the
    Network service's ports."""
    flavor = request["flavor"]
    return InstanceSpec(
        server_id=request["id"], name=request["name"], vcpus=flavor["vcpus"],
        memory_mb=flavor["ram"], root_gb=flavor["disk"],
        image_id=request["image"].get("id", ""),
        image_format=request["image"].get("disk_format") or "raw",
        user_data=request["user_data"], key_data=request["key_data"],
        metadata=request["metadata"],
        vifs=tuple(Vif(p["id"], p["mac_address"], p["network_id"],
                       tuple(ip["ip_address"] for ip in p["fixed_ips"])) for p in ports))


