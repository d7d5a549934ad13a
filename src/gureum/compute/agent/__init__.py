"""The host side of compute (nova-compute): one `ComputeAgent` per host drives its
driver. Messages say which server to look at; the agent asks the conductor what to do
(it never touches the database), has the Network service make and bind the server's
ports, runs the driver and reports the outcome. Each part is a module of its own."""

from __future__ import annotations

from gureum.compute.agent.actions import PowerActions
from gureum.compute.agent.builds import Builds, instance_spec
from gureum.compute.agent.images import Images
from gureum.compute.agent.interfaces import Interfaces
from gureum.compute.agent.moves import Moves
from gureum.compute.agent.shelve import Shelving
from gureum.compute.agent.volumes import Volumes

__all__ = ["ComputeAgent", "instance_spec"]


class ComputeAgent(Moves, Shelving, Images, Interfaces, Builds, PowerActions, Volumes):
    async def resync(self, older_than: float | None = None) -> None:
        """Finish what the conductor says is under way here: builds, deletes, power
        actions, volume attaches, detaches and swaps, and the steps of moves whose
        message was lost (a restart) are done again, as nova-compute does on start, so
        no server keeps a task state forever."""
        if older_than is None:
            older_than = self.settings.report_interval
        work = await self._call("work_for_host", host=self.host, older_than=older_than)
        for server_id in work["build"]:
            await self.build_server(server_id)
        for server_id in work["delete"]:
            await self.delete_server(server_id)
        for action in work["actions"]:
            if not self.under_way("action", action["server_id"]):
                await self.server_action(**action)
        for server_id in work["snapshots"]:  # its upload died with the old agent
            await self._call("instance_update", server_id=server_id,
                             values={"task_state": None},
                             expected={"task_state": "image_snapshot"})
        for shelving in work["shelving"]:  # a shelve's snapshot died with the old agent
            await self.resume_shelving(**shelving)
        await self.resync_volumes(work)
        for move in work["moves"]:
            await self.resume_move(**move)

