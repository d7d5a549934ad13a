"""The `openstack` CLI with its imports paid once: this process imports openstackclient,
then forks a child per command (JSON lines on stdin: args, env, output files, timeout),
which runs the CLI's own `main` exactly as the `openstack` script would. A command then
costs ~0.15 s instead of ~1.5 s of interpreter start and imports."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

# the command modules the e2e tests use, imported before any fork
import openstack.connection  # noqa: F401
import openstackclient.compute.v2.server  # noqa: F401
import openstackclient.image.v2.image  # noqa: F401
import openstackclient.network.v2.port  # noqa: F401
import openstackclient.volume.v3.volume  # noqa: F401
from openstackclient import shell


def run(request: dict[str, object]) -> None:
    """In the child: the command, with its own environment and output files."""
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(os.open(str(request["stdout"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
    os.dup2(os.open(str(request["stderr"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
    os.environ.clear()
    os.environ.update(request["env"])  # type: ignore[arg-type]
    sys.argv = ["openstack", *request["args"]]  # type: ignore[misc]
    code: object = 1
    try:
        code = shell.main(sys.argv[1:])
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code if isinstance(code, int) else (0 if code is None else 1))


def wait(pid: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return -signal.SIGKILL
        time.sleep(0.005)


def main() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            run(request)
        code = wait(pid, float(request["timeout"]))
        print(json.dumps({"returncode": code}), flush=True)


if __name__ == "__main__":
    main()
