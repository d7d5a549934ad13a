"""The host side of compute (nova-compute): one `ComputeAgent` per host drives its
driver. Messages say which server to look at; the agent asks the conductor what to do
(it never touches the database), has the Network service make and bind the server's
ports, runs the driver and reports the outcome. It reports its host's inventory
periodically, and on start (and every few reports) finishes what was left half-done."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from gureum.clients.image import ImageClient
from gureum.clients.network import NetworkClient, NetworkError
from gureum.clients.volume import VolumeClient
from gureum.compute.config import ComputeSettings, HostSettings
from gureum.compute.drivers.base import ComputeDriver, InstanceSpec, Vif
from gureum.compute.drivers.fake import FakeComputeDriver
from gureum.compute.messages import CONDUCTOR_TOPIC, RUNNING, compute_topic
from gureum.core.bus import Bus, Handler

log = logging.getLogger(__name__)
WORKERS = 4
RESYNC_EVERY = 6  # reports
RPC_TIMEOUT = 30.0


class ComputeAgent:
    def __init__(self, bus: Bus, host: str, settings: ComputeSettings,
                 network: NetworkClient, driver: ComputeDriver | None = None,
                 capacity: HostSettings | None = None,
                 volumes: VolumeClient | None = None,
                 images: ImageClient | None = None) -> None:
        self.bus = bus
        self.host = host
        self.settings = settings
        self.network = network  # the Network service, as nova
        self.volumes = volumes  # the Block Storage service, as nova
        self.images = images  # the Image service, as nova
        self.capacity = capacity or settings.host_defaults
        self.driver: ComputeDriver = driver or FakeComputeDriver(self.capacity)
        self._tasks: list[asyncio.Task[None]] = []
        self._busy: set[str] = set()  # servers being built here now
        self._acting: set[str] = set()  # servers a power action is under way on here now

    # ------------------------------------------------------------ life
    async def start(self) -> None:
        handlers: dict[str, Handler] = {"build_server": self.build_server,
                                        "delete_server": self.delete_server}
        handlers.update(self.extra_handlers())
        for _ in range(WORKERS):
            await self.bus.serve(compute_topic(self.host), handlers)
        try:  # registered before start returns, so the scheduler sees the host at once
            await self.report(call=True)
        except Exception as exc:  # the conductor is not up yet: the heartbeat retries
            log.warning("compute agent %s could not register: %s", self.host, exc)
        self._tasks = [asyncio.get_running_loop().create_task(self._heartbeat())]

    def extra_handlers(self) -> dict[str, Handler]:
        return {"server_action": self.server_action, "console_output": self.console_output,
                "attach_volume": self.attach_volume, "detach_volume": self.detach_volume,
                "snapshot_server": self.snapshot_server}

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        self._tasks = []

    async def _heartbeat(self) -> None:
        reports = 0
        await self._safely(self.resync_after_start)
        while True:
            await asyncio.sleep(self.settings.report_interval)
            reports += 1
            await self._safely(self.report)
            if reports % RESYNC_EVERY == 0:
                await self._safely(self.resync)

    async def _safely(self, step: Any) -> None:
        try:
            await step()
        except Exception as exc:
            log.warning("compute agent %s: %s failed: %s", self.host, step.__name__, exc)

    async def report(self, call: bool = False) -> None:
        resources = await self.driver.host_resources()
        state = {"host": self.host, "zone": self.capacity.availability_zone,
                 "resources": {"vcpus": resources.vcpus, "memory_mb": resources.memory_mb,
                               "local_gb": resources.local_gb,
                               "hypervisor_type": resources.hypervisor_type,
                               "hypervisor_version": resources.hypervisor_version,
                               "cpu_info": resources.cpu_info}}
        if call:
            await self.bus.call(CONDUCTOR_TOPIC, "report_host", timeout=10.0, **state)
        else:
            await self.bus.cast(CONDUCTOR_TOPIC, "report_host", **state)

    async def resync_after_start(self) -> None:
        """Everything under way before this agent started: no message about it is coming
        any more (a message that still comes finds the work done)."""
        await self.resync(older_than=0.0)

    async def resync(self, older_than: float | None = None) -> None:
        """Finish what the conductor says is under way here: builds, deletes, and power
        actions whose message was lost (a restart) are done again, as nova-compute does
        on start, so no server keeps a task state forever."""
        if older_than is None:
            older_than = self.settings.report_interval
        work = await self._call("work_for_host", host=self.host, older_than=older_than)
        for server_id in work["build"]:
            if server_id not in self._busy:
                await self.build_server(server_id)
        for server_id in work["delete"]:
            await self.delete_server(server_id)
        for action in work["actions"]:
            if action["server_id"] not in self._acting:
                await self.server_action(**action)
        for server_id in work["snapshots"]:  # its upload died with the old agent
            await self._call("instance_update", server_id=server_id,
                             values={"task_state": None},
                             expected={"task_state": "image_snapshot"})
        for volume_attachment_id in work["attach"]:
            await self.attach_volume("", volume_attachment_id)
        for volume_attachment_id in work["detach"]:
            await self.detach_volume("", volume_attachment_id)

    async def _call(self, method: str, **kwargs: Any) -> Any:
        return await self.bus.call(CONDUCTOR_TOPIC, method, timeout=RPC_TIMEOUT, **kwargs)

    # ------------------------------------------------------------ build
    async def build_server(self, server_id: str, request_id: str | None = None) -> None:
        if server_id in self._busy:
            return
        self._busy.add(server_id)
        try:
            request = await self._call("build_request", server_id=server_id,
                                       host=self.host, request_id=request_id)
            if request is None:
                return
            await self._build(request, request_id)
        finally:
            self._busy.discard(server_id)

    async def _build(self, request: dict[str, Any], request_id: str | None) -> None:
        server_id = request["id"]
        ports: list[dict[str, Any]] = []
        try:
            await self._release_ports(request["ports"])  # a build begun before a restart
            ports = await self._bind_ports(request)
            if ports or request["ports"]:  # nothing to record for a server without ports
                await self._call("ports_bound", server_id=server_id, ports=[
                    {"id": p["id"], "created": p["created"]} for p in ports])
            flavor = request["flavor"]
            spec = InstanceSpec(
                server_id=server_id, name=request["name"], vcpus=flavor["vcpus"],
                memory_mb=flavor["ram"], root_gb=flavor["disk"],
                image_id=request["image"].get("id", ""),
                image_format=request["image"].get("disk_format") or "raw",
                user_data=request["user_data"], key_data=request["key_data"],
                metadata=request["metadata"],
                vifs=tuple(Vif(p["id"], p["mac_address"], p["network_id"],
                               tuple(ip["ip_address"] for ip in p["fixed_ips"]))
                           for p in ports))
            await self.driver.spawn(spec)
        except Exception as exc:
            log.info("build of %s on %s failed: %s", server_id, self.host, exc)
            with contextlib.suppress(Exception):
                await self._release_ports(ports)
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
                ports.append({**port, "created": False})
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
            ports.append({**port, "created": True})
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
        after this finds the server deleted and undoes its own work."""
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

    # ------------------------------------------------------------ actions
    async def server_action(self, server_id: str, driver_call: str, task_state: str,
                            vm_state: str, power_state: int, event: str, hard: bool = False,
                            request_id: str | None = None) -> None:
        """A power action through the driver; the end state (or, on failure, the task
        state cleared and the event in error) through the conductor."""
        self._acting.add(server_id)
        try:
            await self._act(server_id, driver_call, task_state, vm_state, power_state,
                            event, hard, request_id)
        finally:
            self._acting.discard(server_id)

    async def _act(self, server_id: str, driver_call: str, task_state: str, vm_state: str,
                   power_state: int, event: str, hard: bool, request_id: str | None,
                   ) -> None:
        await self._call("action_event", server_id=server_id, event=event, host=self.host,
                         request_id=request_id)
        try:
            call = getattr(self.driver, driver_call)
            await (call(server_id, hard) if driver_call == "reboot" else call(server_id))
        except Exception as exc:
            await self._call("instance_update", server_id=server_id,
                             values={"task_state": None},
                             expected={"task_state": task_state})
            await self._call("action_event", server_id=server_id, event=event,
                             host=self.host, request_id=request_id, result="Error",
                             traceback=str(exc) or type(exc).__name__)
            return
        await self._call("instance_update", server_id=server_id,
                         values={"vm_state": vm_state, "power_state": power_state,
                                 "task_state": None},
                         expected={"task_state": task_state})
        await self._call("action_event", server_id=server_id, event=event, host=self.host,
                         request_id=request_id, result="Success")

    async def console_output(self, server_id: str) -> str:
        return await self.driver.console_output(server_id)

    # ------------------------------------------------------------ volumes
    def connector(self, device: str) -> dict[str, Any]:
        """What this host tells Block Storage about itself (os-brick's connector)."""
        return {"host": self.host, "initiator": f"iqn.2026-11.org.gureum:{self.host}",
                "ip": "127.0.0.1", "platform": "x86_64", "os_type": "linux",
                "multipath": False, "mountpoint": device}

    async def attach_volume(self, server_id: str, volume_attachment_id: str,
                            request_id: str | None = None) -> None:
        """Connect the reserved volume (the attachment gets this host's connector and
        answers the connection info), hand it to the driver, complete the attachment
        (in-use); on failure the reservation goes and the volume is available again."""
        found = await self._call("volume_attachment",
                                 volume_attachment_id=volume_attachment_id)
        if found is None or found["status"] != "attaching":
            return
        assert self.volumes is not None
        try:
            attachment = await self.volumes.update_attachment(
                found["attachment_id"], self.connector(found["device_name"]))
            await self.driver.attach_volume(found["server_id"],
                                            attachment["connection_info"],
                                            found["device_name"])
            await self.volumes.complete_attachment(found["attachment_id"])
        except Exception as exc:
            with contextlib.suppress(Exception):
                await self.volumes.delete_attachment(found["attachment_id"])
            await self._call("volume_attached", volume_attachment_id=volume_attachment_id,
                             ok=False, reason=str(exc) or type(exc).__name__,
                             request_id=request_id)
            return
        await self._call("volume_attached", volume_attachment_id=volume_attachment_id,
                         ok=True, request_id=request_id)

    async def detach_volume(self, server_id: str, volume_attachment_id: str,
                            request_id: str | None = None) -> None:
        found = await self._call("volume_attachment",
                                 volume_attachment_id=volume_attachment_id)
        if found is None or found["status"] != "detaching":
            return
        await self._release_volumes([{**found, "delete_on_termination": False}])
        await self._call("volume_detached", volume_attachment_id=volume_attachment_id,
                         request_id=request_id)

    async def _release_volumes(self, volumes: list[dict[str, Any]]) -> None:
        """Disconnect each volume and end its attachment (the volume is available again,
        or deleted when it was to go with the server)."""
        for volume in volumes:
            assert self.volumes is not None
            await self.driver.detach_volume(volume["server_id"], volume["device_name"])
            await self.volumes.delete_attachment(volume["attachment_id"])
            if volume["delete_on_termination"]:
                await self.volumes.delete_volume(volume["volume_id"])

    # ------------------------------------------------------------ images
    async def snapshot_server(self, server_id: str, image_id: str, base_image_id: str,
                              request_id: str | None = None) -> None:
        """The driver's snapshot of the disk streamed into the queued image (given the
        base image's bytes to start from); the task cleared either way, the image
        deleted on failure."""
        assert self.images is not None
        event = "compute_snapshot_instance"
        await self._call("action_event", server_id=server_id, event=event, host=self.host,
                         request_id=request_id)
        try:
            async with self.images.download_image(base_image_id) as base:
                await self.images.upload_image(image_id,
                                               self.driver.snapshot(server_id, base))
        except Exception as exc:
            with contextlib.suppress(Exception):
                await self.images.delete_image(image_id)
            await self._call("instance_update", server_id=server_id,
                             values={"task_state": None},
                             expected={"task_state": "image_snapshot"})
            await self._call("action_event", server_id=server_id, event=event,
                             host=self.host, request_id=request_id, result="Error",
                             traceback=str(exc) or type(exc).__name__)
            return
        await self._call("instance_update", server_id=server_id, values={"task_state": None},
                         expected={"task_state": "image_snapshot"})
        await self._call("action_event", server_id=server_id, event=event, host=self.host,
                         request_id=request_id, result="Success")

