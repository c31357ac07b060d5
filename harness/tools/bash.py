"""The ``bash`` tool on the host: a persistent shell emulated over one-shot guest commands.

Each call runs in a fresh bash that first restores the working folder and
exported variables saved by the previous call, and saves them again after.
So a command that hangs is killed by the guest's timeout without taking the
shell with it, and ``restart`` just forgets the saved state.
"""

from __future__ import annotations

import shlex
import uuid

from harness.sandbox.guest import GuestClient
from harness.tools.result import ToolError, ToolResult

STATE_ROOT = "/tmp/.deskbench-bash"


class BashSession:
    def __init__(self, guest: GuestClient, timeout: float = 120.0) -> None:
        self.guest = guest
        self.timeout = timeout
        self.state = f"{STATE_ROOT}/{uuid.uuid4().hex[:8]}"

    def restart(self) -> ToolResult:
        self.guest.run(f"rm -rf {shlex.quote(self.state)}")
        self.state = f"{STATE_ROOT}/{uuid.uuid4().hex[:8]}"
        return ToolResult(output="tool has been restarted.")

    def script(self, command: str) -> str:
        s = shlex.quote(self.state)
        return (
            f"mkdir -p {s}; [ -f {s}/env ] && . {s}/env; cd \"$(cat {s}/cwd 2>/dev/null || echo $HOME)\";\n"
            f"trap 'export -p > {s}/env; pwd > {s}/cwd' EXIT\n"
            f"{command}\n"
        )

    def execute(self, command: str | None, restart: bool = False) -> ToolResult:
        if restart:
            return self.restart()
        if not command:
            raise ToolError("no command provided")
        result = self.guest.run(["bash", "-c", self.script(command)], shell=False, timeout=self.timeout)
        if result.timed_out:
            return ToolResult(error=f"timed out: bash has not returned in {self.timeout:.0f} seconds and was "
                                    "stopped; the shell's state was kept")
        out = result.stdout.rstrip("\n")
        err = result.stderr.rstrip("\n")
        return ToolResult(output=out if not err else f"{out}\n{err}".strip("\n"))
